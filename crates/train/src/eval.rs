//! Adapter evaluation: reply perplexity on each skill's validation split with no adapter and
//! with every skill's adapter (a skill × adapter matrix), and greedy sample replies side by side.

use std::path::Path;

use adapterbot_engine::{Adapter, BlockHook, Engine, Event, SamplingParams};
use adapterbot_skills::Skill;
use serde::Serialize;

use crate::batch::reply_nll;
use crate::data::DialogueRow;
use crate::encode::Encoder;
use crate::error::Result;
use crate::skill_data::{load_split, VALID_FILE};

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

/// The validation rows of every skill in `skills` that has `data_root/<id>/valid.jsonl`
/// (at most `max_rows` each), encoded with that skill's prompt format.
pub struct EvalSet<'a> {
    pub skill: &'a Skill,
    pub rows: Vec<DialogueRow>,
    pub examples: Vec<crate::encode::Example>,
}

pub fn load_eval_sets<'a>(
    engine: &Engine,
    skills: &[&'a Skill],
    data_root: &Path,
    max_len: usize,
    max_rows: Option<usize>,
) -> Result<Vec<EvalSet<'a>>> {
    let mut out = Vec::new();
    for skill in skills {
        let path = data_root.join(skill.id()).join(VALID_FILE);
        if !path.exists() {
            tracing::warn!(skill = skill.id(), path = %path.display(), "no validation data; skipped");
            continue;
        }
        let encoder = Encoder::new(engine, skill.settings.clone(), max_len)?;
        let mut split = load_split(&encoder, &path, false)?;
        if let Some(n) = max_rows {
            split.examples.truncate(n);
            split.rows.truncate(n);
        }
        out.push(EvalSet {
            skill,
            rows: split.rows,
            examples: split.examples,
        });
    }
    Ok(out)
}

/// The matrix over `sets` (rows) and every adapter among `skills` (columns).
pub fn perplexity_matrix(
    engine: &Engine,
    sets: &[EvalSet<'_>],
    skills: &[&Skill],
    batch_tokens: usize,
    mut progress: impl FnMut(&str, &str),
) -> Result<PerplexityMatrix> {
    let columns: Vec<(String, Option<&Adapter>)> = std::iter::once(("none".to_string(), None))
        .chain(
            skills
                .iter()
                .filter_map(|s| s.adapter.as_deref().map(|a| (s.id().to_string(), Some(a)))),
        )
        .collect();
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
            let hook = adapter.map(|a| a as &dyn BlockHook);
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

/// Greedy replies to the first `per_skill` validation prompts of each set, with no adapter and
/// with the skill's own adapter.
pub fn sample_replies(
    engine: &Engine,
    sets: &[EvalSet<'_>],
    per_skill: usize,
    max_tokens: usize,
) -> Result<Vec<SampleReply>> {
    let mut out = Vec::new();
    for set in sets {
        let encoder = Encoder::new(
            engine,
            set.skill.settings.clone(),
            engine.backbone().context_length(),
        )?;
        for row in set.rows.iter().take(per_skill) {
            let budget = engine.backbone().context_length() - max_tokens;
            let Ok(prompt) = encoder.prompt_ids(row, budget) else {
                continue;
            };
            let adapter = set.skill.adapter.as_deref();
            out.push(SampleReply {
                skill: set.skill.id().to_string(),
                prompt: row
                    .messages
                    .last()
                    .map(|m| m.content.clone())
                    .unwrap_or_default(),
                reference: row.reply.clone(),
                no_adapter: greedy(engine, &prompt, None, max_tokens)?,
                with_adapter: adapter
                    .map(|a| greedy(engine, &prompt, Some(a), max_tokens))
                    .transpose()?,
            });
        }
    }
    Ok(out)
}

/// The greedy reply to `prompt` (token ids), as text.
pub fn greedy(
    engine: &Engine,
    prompt: &[u32],
    adapter: Option<&Adapter>,
    max_tokens: usize,
) -> Result<String> {
    let mut text = String::new();
    for event in engine.generate(prompt.to_vec(), SamplingParams::greedy(max_tokens), adapter)? {
        if let Event::Text { text: t } = event? {
            text.push_str(&t);
        }
    }
    Ok(text.trim().to_string())
}
