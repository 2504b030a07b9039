//! Adapter evaluation on each skill's validation (or test) split, with no adapter and with every
//! skill's adapter: a skill × adapter matrix of reply perplexity, one of behaviour metrics of
//! greedy replies (see [`crate::behaviour`]), and greedy sample replies side by side.

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use adapterbot_engine::{
    Adapter, BlockHook, Engine, FinishReason, FinishedReply, ReplyJob, SamplingParams,
};
use adapterbot_skills::manager::SentenceEncoder;
use adapterbot_skills::Skill;
use rayon::prelude::*;
use serde::Serialize;

use crate::batch::reply_nll;
use crate::behaviour::{self, BehaviourMetrics, Case};
use crate::data::DialogueRow;
use crate::encode::Encoder;
use crate::error::Result;
use crate::skill_data::{load_split, VALID_FILE};

/// Which file of each skill's data folder to evaluate on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// `<skill>/valid.jsonl`, the split training validated on.
    #[default]
    Valid,
    /// `<skill>/test.jsonl`, held out from training altogether.
    Test,
}

impl Split {
    pub fn name(self) -> &'static str {
        match self {
            Split::Valid => "valid",
            Split::Test => "test",
        }
    }

    pub fn file_name(self) -> &'static str {
        match self {
            Split::Valid => VALID_FILE,
            Split::Test => "test.jsonl",
        }
    }
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Split {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "valid" => Ok(Split::Valid),
            "test" => Ok(Split::Test),
            other => Err(format!("unknown split `{other}` (use valid or test)")),
        }
    }
}

/// Perplexities: `perplexity[data][adapter]`, adapter 0 being "none" (the backbone alone).
#[derive(Debug, Clone, Serialize)]
pub struct PerplexityMatrix {
    /// Skills whose validation data was found (the rows).
    pub data: Vec<String>,
    /// `"none"` followed by every skill that has an adapter (the columns).
    pub adapters: Vec<String>,
    pub perplexity: Vec<Vec<f64>>,
    /// Reply tokens scored per row.
    pub reply_tokens: Vec<usize>,
}

impl PerplexityMatrix {
    /// For each data row: is its own adapter the lowest, and by how much below no adapter
    /// (as a fraction)? `None` where the skill has no adapter.
    pub fn diagonal(&self) -> Vec<(String, Option<(bool, f64)>)> {
        self.data
            .iter()
            .enumerate()
            .map(|(r, id)| {
                let own = self.adapters.iter().position(|a| a == id).map(|c| {
                    let row = &self.perplexity[r];
                    let lowest = row.iter().all(|&p| row[c] <= p);
                    (lowest, 1.0 - row[c] / row[0])
                });
                (id.clone(), own)
            })
            .collect()
    }
}

/// One sample prompt answered with no adapter and with the skill's adapter.
#[derive(Debug, Clone, Serialize)]
pub struct SampleReply {
    pub skill: String,
    pub prompt: String,
    pub reference: String,
    pub no_adapter: String,
    pub with_adapter: Option<String>,
}

/// The rows of every skill in `skills` that has `data_root/<id>/<split>.jsonl` (at most
/// `max_rows` each), encoded with that skill's prompt format.
pub struct EvalSet<'a> {
    pub skill: &'a Skill,
    pub rows: Vec<DialogueRow>,
    pub examples: Vec<crate::encode::Example>,
    /// Orders the rows' persona facts, as serving does ([`Encoder::with_persona_order`]).
    pub persona_order: Option<Arc<SentenceEncoder>>,
}

/// `persona_order` is given to the skills that use a persona.
pub fn load_eval_sets<'a>(
    engine: &Engine,
    skills: &[&'a Skill],
    data_root: &Path,
    split: Split,
    max_len: usize,
    max_rows: Option<usize>,
    persona_order: Option<&Arc<SentenceEncoder>>,
) -> Result<Vec<EvalSet<'a>>> {
    let mut out = Vec::new();
    for skill in skills {
        let path = data_root.join(skill.id()).join(split.file_name());
        if !path.exists() {
            tracing::warn!(skill = skill.id(), path = %path.display(), "no {split} data; skipped");
            continue;
        }
        let persona_order = persona_order
            .filter(|_| skill.settings.uses_persona)
            .cloned();
        let encoder = Encoder::new(engine, skill.settings.clone(), max_len)?
            .with_persona_order(persona_order.clone());
        let mut split = load_split(&encoder, &path, false)?;
        if let Some(n) = max_rows {
            split.examples.truncate(n);
            split.rows.truncate(n);
        }
        out.push(EvalSet {
            skill,
            rows: split.rows,
            examples: split.examples,
            persona_order,
        });
    }
    Ok(out)
}

/// The matrix columns: `"none"` (the backbone alone), then every skill among `skills` that
/// has an adapter, with that adapter.
pub fn columns<'s>(skills: &[&'s Skill]) -> Vec<(String, Option<&'s Adapter>)> {
    std::iter::once(("none".to_string(), None))
        .chain(
            skills
                .iter()
                .filter_map(|s| s.adapter.as_deref().map(|a| (s.id().to_string(), Some(a)))),
        )
        .collect()
}

/// The matrix over `sets` (rows) and every adapter among `skills` (columns).
pub fn perplexity_matrix(
    engine: &Engine,
    sets: &[EvalSet<'_>],
    skills: &[&Skill],
    batch_tokens: usize,
    mut progress: impl FnMut(&str, &str),
) -> Result<PerplexityMatrix> {
    let columns = columns(skills);
    let mut matrix = PerplexityMatrix {
        data: Vec::new(),
        adapters: columns.iter().map(|(id, _)| id.clone()).collect(),
        perplexity: Vec::new(),
        reply_tokens: Vec::new(),
    };
    for set in sets {
        let mut row = Vec::new();
        let mut tokens = 0;
        for (name, adapter) in &columns {
            progress(set.skill.id(), name);
            let hook = adapter.map(|a| a as &(dyn BlockHook + Sync));
            let (nll, n) = reply_nll(engine.backbone(), hook, &set.examples, batch_tokens)?;
            row.push((nll / n.max(1) as f64).exp());
            tokens = n;
        }
        matrix.data.push(set.skill.id().to_string());
        matrix.perplexity.push(row);
        matrix.reply_tokens.push(tokens);
    }
    Ok(matrix)
}

/// One greedy reply.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reply {
    pub text: String,
    /// It ended by itself (end of turn, EOS or a stop string) within the token limit.
    pub ended: bool,
}

impl From<FinishedReply> for Reply {
    fn from(r: FinishedReply) -> Self {
        Self {
            text: r.text.trim().to_string(),
            ended: r.finish_reason == FinishReason::Stop,
        }
    }
}

/// The greedy replies to one eval set's prompts: `replies[column][i]` answers `set.rows[i]`,
/// columns as in [`columns`]; `None` where no reply was asked for or the prompt did not fit.
#[derive(Debug, Clone)]
pub struct SetReplies {
    pub skill: String,
    pub replies: Vec<Vec<Option<Reply>>>,
}

/// Greedy replies (at most `max_tokens` each) to the first `behaviour_rows` prompts of each set
/// in every column, and to the first `samples` prompts with no adapter and with the set's own
/// adapter, each prompt generated once per column. All of a set's replies, every column mixed,
/// are decoded together, `width` sequences per batched step ([`Engine::generate_many`]); a
/// greedy reply is the same batched as alone. `progress(data, replies)` is called before each
/// set.
#[allow(clippy::too_many_arguments)]
pub fn greedy_replies(
    engine: &Engine,
    sets: &[EvalSet<'_>],
    skills: &[&Skill],
    behaviour_rows: usize,
    samples: usize,
    max_tokens: usize,
    width: usize,
    mut progress: impl FnMut(&str, usize),
) -> Result<Vec<SetReplies>> {
    let columns = columns(skills);
    let context = engine.backbone().context_length();
    let budget = context.saturating_sub(max_tokens);
    let mut out = Vec::new();
    for set in sets {
        let encoder = Encoder::new(engine, set.skill.settings.clone(), context)?
            .with_persona_order(set.persona_order.clone());
        let wanted = behaviour_rows.max(samples).min(set.rows.len());
        let prompts: Vec<Option<Vec<u32>>> = set.rows[..wanted]
            .iter()
            .map(|row| encoder.prompt_ids(row, budget).ok())
            .collect();
        // (column, row) of every job, in the order handed to the engine.
        let mut cells = Vec::new();
        let mut jobs = Vec::new();
        let mut replies: Vec<Vec<Option<Reply>>> = Vec::with_capacity(columns.len());
        for (c, (name, adapter)) in columns.iter().enumerate() {
            // The samples need only no adapter and the set's own adapter.
            let n = if c == 0 || name == set.skill.id() {
                wanted
            } else {
                behaviour_rows.min(wanted)
            };
            replies.push(vec![None; n]);
            for (i, prompt) in prompts[..n].iter().enumerate() {
                if let Some(p) = prompt {
                    cells.push((c, i));
                    jobs.push(ReplyJob {
                        prompt: p.clone(),
                        params: SamplingParams::greedy(max_tokens),
                        adapter: *adapter,
                    });
                }
            }
        }
        progress(set.skill.id(), jobs.len());
        for ((c, i), reply) in cells
            .into_iter()
            .zip(generate_side_by_side(engine, jobs, width))
        {
            replies[c][i] = Some(Reply::from(reply?));
        }
        out.push(SetReplies {
            skill: set.skill.id().to_string(),
            replies,
        });
    }
    Ok(out)
}

/// [`Engine::generate_many`] on one stream of jobs per rayon thread (job `i` in stream
/// `i % threads`, so long and short prompts spread evenly), the streams side by side; the replies
/// come back in the jobs' order. With candle's element-wise pool left out (one thread), each
/// stream's passes run whole on its own thread instead of every thread waiting for the others at
/// every op. A greedy reply does not depend on its batch, so the replies are the ones one stream
/// gives.
fn generate_side_by_side(
    engine: &Engine,
    jobs: Vec<ReplyJob<'_>>,
    width: usize,
) -> Vec<adapterbot_engine::Result<FinishedReply>> {
    let threads = rayon::current_num_threads().clamp(1, jobs.len().max(1));
    let mut streams: Vec<Vec<ReplyJob<'_>>> = (0..threads).map(|_| Vec::new()).collect();
    for (i, job) in jobs.into_iter().enumerate() {
        streams[i % threads].push(job);
    }
    let mut done: Vec<std::vec::IntoIter<_>> = streams
        .into_par_iter()
        .map(|stream| engine.generate_many(stream, width).into_iter())
        .collect();
    let total: usize = done.iter().map(|d| d.len()).sum();
    (0..total)
        .map(|i| done[i % threads].next().expect("one reply per job"))
        .collect()
}

/// Behaviour metrics: `metrics[data][column]`, columns as in [`columns`].
#[derive(Debug, Clone, Serialize)]
pub struct BehaviourMatrix {
    /// Rows judged per skill at most (the first ones of its data).
    pub rows: usize,
    /// Longest reply, in tokens.
    pub max_tokens: usize,
    pub data: Vec<String>,
    pub adapters: Vec<String>,
    pub metrics: Vec<Vec<BehaviourMetrics>>,
    /// The same judges on the data's own reference replies (`references[data]`): what a
    /// human-written reply scores, the ceiling to read the columns against.
    pub references: Vec<BehaviourMetrics>,
}

/// Judges the replies to the first `behaviour_rows` rows of each set, in every column of
/// `columns` (names, as in [`columns`]).
pub fn behaviour_matrix(
    sets: &[EvalSet<'_>],
    replies: &[SetReplies],
    columns: &[String],
    behaviour_rows: usize,
    max_tokens: usize,
) -> BehaviourMatrix {
    let mut metrics = Vec::new();
    let mut references = Vec::new();
    for (set, set_replies) in sets.iter().zip(replies) {
        let settings = &set.skill.settings;
        // The persona the prompt carried (as `build_prompt` chooses it).
        let persona_of = |row: &DialogueRow| -> Vec<String> {
            if !row.persona.is_empty() {
                row.persona.clone()
            } else if settings.uses_persona {
                settings.persona.clone()
            } else {
                Vec::new()
            }
        };
        let judged = &set.rows[..behaviour_rows.min(set.rows.len())];
        let personas: Vec<Vec<String>> = judged.iter().map(persona_of).collect();
        let row_metrics = set_replies
            .replies
            .iter()
            .map(|column| {
                let cases: Vec<Case<'_>> = judged
                    .iter()
                    .zip(&personas)
                    .zip(column)
                    .filter_map(|((row, persona), reply)| {
                        let reply = reply.as_ref()?;
                        Some(Case {
                            row,
                            persona,
                            reply: &reply.text,
                            ended: reply.ended,
                        })
                    })
                    .collect();
                behaviour::judge(&cases)
            })
            .collect();
        metrics.push(row_metrics);
        let cases: Vec<Case<'_>> = judged
            .iter()
            .zip(&personas)
            .map(|(row, persona)| Case {
                row,
                persona,
                reply: &row.reply,
                ended: true,
            })
            .collect();
        references.push(behaviour::judge(&cases));
    }
    BehaviourMatrix {
        rows: behaviour_rows,
        max_tokens,
        data: replies.iter().map(|r| r.skill.clone()).collect(),
        adapters: columns.to_vec(),
        metrics,
        references,
    }
}

/// The first `per_skill` prompts of each set answered with no adapter and with the skill's own
/// adapter, taken from replies already generated by [`greedy_replies`] (prompts that did not
/// fit are left out).
pub fn sample_replies(
    sets: &[EvalSet<'_>],
    replies: &[SetReplies],
    columns: &[String],
    per_skill: usize,
) -> Vec<SampleReply> {
    let mut out = Vec::new();
    for (set, set_replies) in sets.iter().zip(replies) {
        let own = columns.iter().position(|c| c == set.skill.id());
        let Some(none) = set_replies.replies.first() else {
            continue;
        };
        for (i, row) in set.rows.iter().enumerate().take(per_skill) {
            let Some(Some(no_adapter)) = none.get(i) else {
                continue;
            };
            let with_adapter = own
                .and_then(|c| set_replies.replies.get(c)?.get(i)?.as_ref())
                .map(|r| r.text.clone());
            out.push(SampleReply {
                skill: set.skill.id().to_string(),
                prompt: row
                    .messages
                    .last()
                    .map(|m| m.content.clone())
                    .unwrap_or_default(),
                reference: row.reply.clone(),
                no_adapter: no_adapter.text.clone(),
                with_adapter,
            });
        }
    }
    out
}

/// The greedy reply to `prompt` (token ids), as text.
pub fn greedy(
    engine: &Engine,
    prompt: &[u32],
    adapter: Option<&Adapter>,
    max_tokens: usize,
) -> Result<String> {
    Ok(greedy_reply(engine, prompt, adapter, max_tokens)?.text)
}

/// The greedy reply to `prompt` (token ids), trimmed, and whether it ended by itself.
pub fn greedy_reply(
    engine: &Engine,
    prompt: &[u32],
    adapter: Option<&Adapter>,
    max_tokens: usize,
) -> Result<Reply> {
    let job = ReplyJob {
        prompt: prompt.to_vec(),
        params: SamplingParams::greedy(max_tokens),
        adapter,
    };
    let reply = engine
        .generate_many(vec![job], 1)
        .pop()
        .expect("one job, one reply")?;
    Ok(Reply::from(reply))
}

#[cfg(test)]
mod tests {
    use super::*;
    use adapterbot_engine::testing::write_tiny_gguf;
    use adapterbot_engine::{AdapterInit, LlamaConfig, LoadOptions};

    #[test]
    fn streams_side_by_side_give_one_streams_replies_in_job_order() {
        let dir = tempfile::tempdir().unwrap();
        let gguf = dir.path().join("tiny.gguf");
        write_tiny_gguf(&gguf, &LlamaConfig::tiny_for_tests(), 5).unwrap();
        let engine = Engine::load(&gguf, &LoadOptions::default()).unwrap();
        let b = engine.backbone();
        let adapter = Adapter::new(
            "a",
            b.config(),
            8,
            AdapterInit::Random { seed: 4, std: 0.2 },
            b.device(),
        )
        .unwrap();
        // Prompts of different lengths, with and without the adapter, and one that cannot start.
        let mut jobs: Vec<ReplyJob<'_>> = (0..7u32)
            .map(|i| ReplyJob {
                prompt: (0..3 + 5 * i).map(|j| 1 + (i * 31 + j * 7) % 200).collect(),
                params: SamplingParams::greedy(6 + i as usize),
                adapter: (i % 2 == 1).then_some(&adapter),
            })
            .collect();
        jobs.insert(
            3,
            ReplyJob {
                prompt: Vec::new(),
                params: SamplingParams::greedy(4),
                adapter: None,
            },
        );
        let one = engine.generate_many(jobs.clone(), 2);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        let side = pool.install(|| generate_side_by_side(&engine, jobs, 2));
        assert_eq!(one.len(), side.len());
        let texts: Vec<String> = one.iter().flatten().map(|r| r.text.clone()).collect();
        assert!(
            texts.iter().collect::<std::collections::HashSet<_>>().len() > 3,
            "{texts:?}"
        );
        for (i, (a, b)) in one.into_iter().zip(side).enumerate() {
            match (a, b) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "job {i}"),
                (Err(_), Err(_)) => assert_eq!(i, 3, "only the empty prompt fails"),
                (a, b) => panic!("job {i}: {a:?} against {b:?}"),
            }
        }
    }
}
