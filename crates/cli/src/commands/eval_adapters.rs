//! `adapterbot eval adapters`: the skill × adapter perplexity matrix, behaviour metrics of
//! greedy replies, and sample replies.

use std::path::{Path, PathBuf};
use std::time::Instant;

use adapterbot_engine::fsutil::write_atomic;
use adapterbot_skills::{Skill, SkillRegistry};
use adapterbot_train::behaviour::BehaviourMetrics;
use adapterbot_train::data::DialogueRow;
use adapterbot_train::eval::{
    behaviour_matrix, columns, greedy_replies, load_eval_sets, perplexity_matrix, sample_replies,
    BehaviourMatrix, EvalSet, PerplexityMatrix, SampleReply, SetReplies, Split,
};
use anyhow::Context;
use serde::Serialize;

use crate::model_args::{persona_order, ModelArgs, PersonaOrderArgs};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub persona: PersonaOrderArgs,
    /// Where skills live.
    #[arg(long, env = "ADAPTERBOT_SKILLS_DIR", default_value = "models/skills")]
    pub skills_dir: PathBuf,
    /// Folder with one <skill>/<split>.jsonl per skill.
    #[arg(long, default_value = "data/skills")]
    pub data: PathBuf,
    /// Which file of each skill's data to evaluate on: valid.jsonl or test.jsonl.
    #[arg(long, value_enum, default_value_t = SplitArg::Valid)]
    pub split: SplitArg,
    /// Score at most this many rows per skill (default: all).
    #[arg(long)]
    pub max_rows: Option<usize>,
    /// Rows per skill (the first ones) whose greedy replies, in every column, get behaviour
    /// metrics; 0 skips them.
    #[arg(long, default_value_t = 60)]
    pub behaviour_rows: usize,
    /// Sample prompts per skill (the first rows of its data), answered greedily.
    #[arg(long, default_value_t = 3)]
    pub samples: usize,
    /// Longest greedy reply (behaviour metrics and samples), in tokens.
    #[arg(long, default_value_t = 60)]
    pub max_tokens: usize,
    /// Greedy replies decoded together in one batched pass per step.
    #[arg(long, default_value_t = 8)]
    pub width: usize,
    /// Also write every greedy reply, one JSON line per prompt and column, to this file (for
    /// reading what the judges saw).
    #[arg(long)]
    pub replies_out: Option<PathBuf>,
    /// Padded tokens per scoring batch.
    #[arg(long, default_value_t = 512)]
    pub batch_tokens: usize,
    /// Longest example in tokens (as in training).
    #[arg(long, default_value_t = 384)]
    pub max_len: usize,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SplitArg {
    Valid,
    Test,
}

impl From<SplitArg> for Split {
    fn from(s: SplitArg) -> Self {
        match s {
            SplitArg::Valid => Split::Valid,
            SplitArg::Test => Split::Test,
        }
    }
}

#[derive(Serialize)]
struct Report {
    weights: String,
    split: Split,
    /// Wall time of the whole evaluation (loading included), in seconds.
    elapsed_s: f64,
    /// Of which: scoring the perplexity matrix, and generating the greedy replies.
    perplexity_s: f64,
    replies_s: f64,
    matrix: PerplexityMatrix,
    /// `None` with `--behaviour-rows 0`.
    behaviour: Option<BehaviourMatrix>,
    /// Per skill: own adapter lowest in its row, and how far below no adapter (fraction).
    diagonal: Vec<Diagonal>,
    samples: Vec<SampleReply>,
}

#[derive(Serialize)]
struct Diagonal {
    skill: String,
    own_adapter_lowest: Option<bool>,
    reduction_vs_no_adapter: Option<f64>,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let started = Instant::now();
    let split = Split::from(a.split);
    let engine = a.model.load()?;
    let (registry, problems) = SkillRegistry::load_dir(&a.skills_dir, engine.backbone())
        .with_context(|| format!("reading the skills in {}", a.skills_dir.display()))?;
    for p in &problems {
        eprintln!("warning: skill {} refused: {}", p.dir.display(), p.reason);
    }
    let skills: Vec<&Skill> = registry.iter().collect();
    let order = persona_order(
        skills.iter().any(|s| s.settings.uses_persona),
        &a.persona.encoder_dir,
    )?;
    let sets = load_eval_sets(
        &engine,
        &skills,
        &a.data,
        split,
        a.max_len,
        a.max_rows,
        order.as_ref(),
    )?;
    if sets.is_empty() {
        anyhow::bail!(
            "no {split} data: expected <skill>/{} under {}",
            split.file_name(),
            a.data.display()
        );
    }
    let scoring = Instant::now();
    let matrix = perplexity_matrix(&engine, &sets, &skills, a.batch_tokens, |data, adapter| {
        eprintln!("scoring {data} data with adapter {adapter}");
    })?;
    let perplexity_s = scoring.elapsed().as_secs_f64();
    let generating = Instant::now();
    let replies = greedy_replies(
        &engine,
        &sets,
        &skills,
        a.behaviour_rows,
        a.samples,
        a.max_tokens,
        a.width,
        |data, n| eprintln!("{n} greedy replies to {data} prompts, every column"),
    )?;
    let replies_s = generating.elapsed().as_secs_f64();
    let column_names: Vec<String> = columns(&skills).into_iter().map(|(c, _)| c).collect();
    if let Some(path) = &a.replies_out {
        write_replies(path, &sets, &replies, &column_names)
            .with_context(|| format!("writing the replies to {}", path.display()))?;
    }
    let behaviour = (a.behaviour_rows > 0).then(|| {
        behaviour_matrix(
            &sets,
            &replies,
            &column_names,
            a.behaviour_rows,
            a.max_tokens,
        )
    });
    let samples = sample_replies(&sets, &replies, &column_names, a.samples);
    let diagonal = matrix
        .diagonal()
        .into_iter()
        .map(|(skill, d)| Diagonal {
            skill,
            own_adapter_lowest: d.map(|d| d.0),
            reduction_vs_no_adapter: d.map(|d| d.1),
        })
        .collect();
    let report = Report {
        weights: format!("{:?}", a.model.weights.resolve(engine.backbone().device())),
        split,
        elapsed_s: started.elapsed().as_secs_f64(),
        perplexity_s,
        replies_s,
        matrix,
        behaviour,
        diagonal,
        samples,
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(&report);
    }
    Ok(())
}

/// One greedy reply beside what its judges read, for `--replies-out`.
#[derive(Serialize)]
struct ReplyLine<'a> {
    skill: &'a str,
    row: usize,
    column: &'a str,
    row_data: &'a DialogueRow,
    reply: &'a str,
    ended: bool,
}

/// Every greedy reply as a JSON line, written atomically.
fn write_replies(
    path: &Path,
    sets: &[EvalSet<'_>],
    replies: &[SetReplies],
    columns: &[String],
) -> anyhow::Result<()> {
    let mut out = String::new();
    for (set, set_replies) in sets.iter().zip(replies) {
        for (column, cells) in columns.iter().zip(&set_replies.replies) {
            for (row, reply) in cells.iter().enumerate() {
                let Some(reply) = reply else { continue };
                let line = ReplyLine {
                    skill: set.skill.id(),
                    row,
                    column,
                    row_data: &set.rows[row],
                    reply: &reply.text,
                    ended: reply.ended,
                };
                out.push_str(&serde_json::to_string(&line)?);
                out.push('\n');
            }
        }
    }
    write_atomic(path, out.as_bytes())?;
    Ok(())
}

fn print_text(r: &Report) {
    let m = &r.matrix;
    println!(
        "Reply perplexity on each skill's {} data (rows) with each adapter (columns), {} weights:",
        r.split, r.weights
    );
    print!("{:<12} {:>7}", "data \\ adapter", "tokens");
    for a in &m.adapters {
        print!(" {a:>11}");
    }
    println!();
    for (i, d) in m.data.iter().enumerate() {
        print!("{d:<14} {:>7}", m.reply_tokens[i]);
        let row = &m.perplexity[i];
        let best = row.iter().cloned().fold(f64::INFINITY, f64::min);
        for p in row {
            let mark = if *p == best { "*" } else { " " };
            print!(" {p:>10.2}{mark}");
        }
        println!();
    }
    println!("(* lowest in the row)");
    for d in &r.diagonal {
        match (d.own_adapter_lowest, d.reduction_vs_no_adapter) {
            (Some(lowest), Some(red)) => println!(
                "{}: own adapter {} the row, {:.1} % below no adapter",
                d.skill,
                if lowest { "lowest in" } else { "NOT lowest in" },
                100.0 * red
            ),
            _ => println!("{}: no adapter trained", d.skill),
        }
    }
    if let Some(b) = &r.behaviour {
        println!();
        print_behaviour(b);
    }
    println!();
    for s in &r.samples {
        println!("[{}] user: {}", s.skill, s.prompt);
        println!("  reference:  {}", s.reference);
        println!("  no adapter: {}", s.no_adapter);
        match &s.with_adapter {
            Some(t) => println!("  adapter:    {t}"),
            None => println!("  adapter:    (none trained)"),
        }
    }
    println!(
        "evaluated in {:.1} s (perplexity {:.1} s, greedy replies {:.1} s)",
        r.elapsed_s, r.perplexity_s, r.replies_s
    );
}

/// One line per metric, a column per adapter, for each skill's data.
fn print_behaviour(b: &BehaviourMatrix) {
    println!(
        "Behaviour of greedy replies (≤ {} tokens) to the first {} rows of each skill's data:",
        b.max_tokens, b.rows
    );
    type Metric = (&'static str, fn(&BehaviourMetrics) -> Option<(f64, usize)>);
    let metrics: [Metric; 9] = [
        ("distinct-1", |m| Some((m.distinct_1, m.replies))),
        ("distinct-2", |m| Some((m.distinct_2, m.replies))),
        ("mean words", |m| Some((m.mean_words, m.replies))),
        ("ended", |m| Some((m.ended_share, m.replies))),
        ("answer acc", |m| {
            m.answer_accuracy.map(|v| (v, m.answer_rows))
        }),
        ("halluc.", |m| {
            m.hallucination_rate.map(|v| (v, m.passage_rows))
        }),
        ("fact use", |m| m.fact_use.map(|v| (v, m.fact_rows))),
        ("contradict", |m| {
            m.contradiction_rate.map(|v| (v, m.persona_rows))
        }),
        ("valence", |m| m.valence_match.map(|v| (v, m.valence_rows))),
    ];
    for ((d, row), reference) in b.data.iter().zip(&b.metrics).zip(&b.references) {
        print!("{:<18} {:>5}", format!("{d} data"), "n");
        for a in b.adapters.iter().map(String::as_str).chain(["reference"]) {
            print!(" {a:>11}");
        }
        println!();
        for (name, get) in &metrics {
            let values: Vec<Option<(f64, usize)>> =
                row.iter().chain([reference]).map(get).collect();
            if values.iter().all(Option::is_none) {
                continue;
            }
            let n = values.iter().flatten().map(|v| v.1).max().unwrap_or(0);
            print!("  {name:<16} {n:>5}");
            for v in &values {
                match v {
                    Some((v, _)) if *name == "mean words" => print!(" {v:>11.1}"),
                    Some((v, _)) => print!(" {v:>11.2}"),
                    None => print!(" {:>11}", "-"),
                }
            }
            println!();
        }
    }
    println!(
        "(shares in [0, 1]; n = rows judged; reference = the data's own replies, judged alike; answer acc, halluc. and valence need the rows' \
         `expect` or `knowledge` fields, fact use `expect.fact`, contradict persona facts)"
    );
}
