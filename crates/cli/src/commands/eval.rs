//! `adapterbot eval …`: measure a part of the system on labelled data.

use std::path::PathBuf;

use anyhow::Context;

use adapterbot_skills::knowledge::eval::{evaluate, load_questions, Recall};
use adapterbot_skills::knowledge::{HybridSettings, Reranker, SearchWeights};
use adapterbot_skills::manager::DEFAULT_ENCODER_DIR;

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
    /// Labelled questions, JSON lines: {"context": [messages], "question", "relevant":
    /// [passage ids], "kind": single|follow-up|loose|unanswerable, "note"}.
    #[arg(long, default_value = "data/knowledge/eval/valid.jsonl")]
    pub questions: PathBuf,
    /// The sentence encoder that re-ranks the candidates (as served).
    #[arg(long, env = "ADAPTERBOT_ENCODER_DIR", default_value = DEFAULT_ENCODER_DIR)]
    pub encoder_dir: PathBuf,
    /// Lexical search only: no re-ranking, no abstaining.
    #[arg(long)]
    pub no_rerank: bool,
    /// Each question searched alone, without the conversation before it (as before retrieval
    /// read the context).
    #[arg(long)]
    pub no_context: bool,
    /// For tuning: fused score per unit of cosine between the question and a passage's intent.
    #[arg(long)]
    pub intent_weight: Option<f32>,
    /// For tuning: fused score per unit of ln(1 + a sense's tagged count).
    #[arg(long)]
    pub usage_weight: Option<f32>,
    /// For tuning: abstain when the best fused score is below this.
    #[arg(long)]
    pub abstain_below: Option<f32>,
    /// For tuning: abstain when the question is this much nearer (cosine) a kind of question
    /// out of scope than its best passage's intent.
    #[arg(long)]
    pub out_of_scope_margin: Option<f32>,
    /// For tuning: lexical candidates re-ranked.
    #[arg(long)]
    pub candidates: Option<usize>,
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
    let mut store = a.index.open()?.with_weights(w);
    if !a.no_rerank {
        let d = HybridSettings::default();
        let settings = HybridSettings {
            candidates: a.candidates.unwrap_or(d.candidates),
            intent_weight: a.intent_weight.unwrap_or(d.intent_weight),
            usage_weight: a.usage_weight.unwrap_or(d.usage_weight),
            abstain_below: a.abstain_below.unwrap_or(d.abstain_below),
            out_of_scope_margin: a.out_of_scope_margin.unwrap_or(d.out_of_scope_margin),
        };
        let reranker = Reranker::load(&a.encoder_dir)
            .context("loading the re-ranking encoder (run models/fetch.sh, or pass --no-rerank)")?;
        store = store.with_reranker(reranker, settings);
    }
    let mut questions = load_questions(&a.questions)?;
    if a.no_context {
        questions.iter_mut().for_each(|q| q.context.clear());
    }
    let r = evaluate(&store, &questions)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    let line = |name: &str, r: &Recall| {
        println!(
            "{name:>10}: {:>3} questions, recall@1 {:.3}, recall@3 {:.3}, MRR {:.3}",
            r.questions, r.recall_at_1, r.recall_at_3, r.mrr
        )
    };
    line("all", &r.overall);
    for (kind, recall) in &r.by_kind {
        line(kind, recall);
    }
    let ab = &r.abstain;
    println!(
        "abstained: {:.3} of {} unanswerable, {:.3} of answerable (precision {:.3}); re-ranked: {}; median search {:.2} ms",
        ab.unanswerable_abstained,
        ab.unanswerable,
        ab.answerable_abstained,
        ab.precision,
        r.reranked,
        r.median_search_ms
    );
    if !r.misses.is_empty() {
        println!("misses (not first, or an unanswerable question answered):");
    }
    for m in &r.misses {
        let rank = m.rank.map_or("-".to_string(), |r| r.to_string());
        let query = m
            .query
            .as_ref()
            .map_or(String::new(), |q| format!(" as {q:?}"));
        println!(
            "  [{}] {:?}{query} (rank {rank}; best {:.2}; wanted {}; got {})",
            m.kind,
            m.question,
            m.best_score.unwrap_or(f32::NAN),
            m.relevant.join(" | "),
            m.top.join(", ")
        );
    }
    Ok(())
}
