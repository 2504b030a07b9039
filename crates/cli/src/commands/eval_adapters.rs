//! `adapterbot eval adapters`: the skill × adapter perplexity matrix and sample replies.

use std::path::PathBuf;

use adapterbot_skills::{Skill, SkillRegistry};
use adapterbot_train::eval::{
    load_eval_sets, perplexity_matrix, sample_replies, PerplexityMatrix, SampleReply,
};
use anyhow::Context;
use serde::Serialize;

use crate::model_args::ModelArgs;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Where skills live.
    #[arg(long, env = "ADAPTERBOT_SKILLS_DIR", default_value = "models/skills")]
    pub skills_dir: PathBuf,
    /// Folder with one <skill>/valid.jsonl per skill.
    #[arg(long, default_value = "data/skills")]
    pub data: PathBuf,
    /// Score at most this many validation rows per skill (default: all).
    #[arg(long)]
    pub max_rows: Option<usize>,
    /// Sample prompts per skill (the first rows of its validation data), answered greedily.
    #[arg(long, default_value_t = 3)]
    pub samples: usize,
    /// Longest sample reply, in tokens.
    #[arg(long, default_value_t = 60)]
    pub max_tokens: usize,
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

#[derive(Serialize)]
struct Report {
    weights: String,
    matrix: PerplexityMatrix,
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
    let engine = a.model.load()?;
    let (registry, problems) = SkillRegistry::load_dir(&a.skills_dir, engine.backbone())
        .with_context(|| format!("reading the skills in {}", a.skills_dir.display()))?;
    for p in &problems {
        eprintln!("warning: skill {} refused: {}", p.dir.display(), p.reason);
    }
    let skills: Vec<&Skill> = registry.iter().collect();
    let sets = load_eval_sets(&engine, &skills, &a.data, a.max_len, a.max_rows)?;
    if sets.is_empty() {
        anyhow::bail!(
            "no validation data: expected <skill>/valid.jsonl under {}",
            a.data.display()
        );
    }
    let matrix = perplexity_matrix(&engine, &sets, &skills, a.batch_tokens, |data, adapter| {
        eprintln!("scoring {data} data with adapter {adapter}");
    })?;
    eprintln!("sample replies …");
    let samples = sample_replies(&engine, &sets, a.samples, a.max_tokens)?;
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
        weights: format!("{:?}", a.model.weights),
        matrix,
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

fn print_text(r: &Report) {
    let m = &r.matrix;
    println!(
        "Reply perplexity on each skill's validation data (rows) with each adapter (columns), {} weights:",
        r.weights
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
}
