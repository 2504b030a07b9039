//! `adapterbot eval …`: measure a part of the system on labelled data.

use std::path::PathBuf;

use adapterbot_skills::knowledge::eval::{evaluate, load_questions};
use adapterbot_skills::knowledge::SearchWeights;

use super::knowledge::IndexArgs;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub target: Target,
}

#[derive(clap::Subcommand, Debug)]
pub enum Target {
    /// Reply perplexity of every skill's validation data with no adapter and with each adapter
    /// (a skill × adapter matrix), and greedy sample replies side by side.
    Adapters(super::eval_adapters::Args),
    /// The dialogue manager on held-out turns: accuracy, per-skill precision/recall, confusion
    /// matrix (JSON + SVG) and routing time.
    Manager(super::manager::EvalArgs),
    /// Retrieval quality of the knowledge index: recall@1, recall@3, MRR, and the misses.
    Knowledge(KnowledgeArgs),
}

#[derive(clap::Args, Debug)]
pub struct KnowledgeArgs {
    /// Labelled questions, JSON lines: {"question", "relevant": [passage ids], "note"}.
    #[arg(long, default_value = "data/knowledge/questions.jsonl")]
    pub questions: PathBuf,
    #[command(flatten)]
    pub index: IndexArgs,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// For tuning: weight of a query term in the title against one in the text.
    #[arg(long)]
    pub title_boost: Option<f32>,
    /// For tuning: weight of a keyword match, in units of its idf.
    #[arg(long)]
    pub keywords_weight: Option<f32>,
    /// For tuning: weight of an exact name match, in units of its idf.
    #[arg(long)]
    pub names_weight: Option<f32>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.target {
        Target::Adapters(a) => super::eval_adapters::run(a),
        Target::Manager(a) => super::manager::eval(a),
        Target::Knowledge(a) => knowledge(a),
    }
}

fn knowledge(a: KnowledgeArgs) -> anyhow::Result<()> {
    let mut w = SearchWeights::default();
    w.title = a.title_boost.unwrap_or(w.title);
    w.keywords = a.keywords_weight.unwrap_or(w.keywords);
    w.names = a.names_weight.unwrap_or(w.names);
    let store = a.index.open()?.with_weights(w);
    let questions = load_questions(&a.questions)?;
    let r = evaluate(&store, &questions)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    println!(
        "{} questions: recall@1 {:.3}, recall@3 {:.3}, MRR {:.3}, median search {:.2} ms",
        r.questions, r.recall_at_1, r.recall_at_3, r.mrr, r.median_search_ms
    );
    if !r.misses.is_empty() {
        println!("not in the top 3:");
    }
    for m in &r.misses {
        let rank = m.rank.map_or("-".to_string(), |r| r.to_string());
        println!(
            "  {:?} (rank {rank}; wanted {}; got {})",
            m.question,
            m.relevant.join(" | "),
            m.top.join(", ")
        );
    }
    Ok(())
}
