//! `adapterbot knowledge build|search`: build the knowledge index from the sources, and show
//! what it retrieves for a question.

use std::path::PathBuf;

use adapterbot_skills::knowledge::{
    build_index, BuildOptions, HybridSettings, KnowledgeStore, Passage, Reranker, Said,
    DEFAULT_INDEX_DIR, DEFAULT_SOURCES_DIR,
};
use adapterbot_skills::manager::DEFAULT_ENCODER_DIR;
use anyhow::Context;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Build (or rebuild) the index from the CIA World Factbook and WordNet.
    Build(BuildArgs),
    /// Show the passages the index retrieves for a question.
    Search(SearchArgs),
}

/// Where the index is read from.
#[derive(clap::Args, Debug, Clone)]
pub struct IndexArgs {
    /// The index folder (written by `adapterbot knowledge build`).
    #[arg(long, env = "ADAPTERBOT_KNOWLEDGE_DIR", default_value = DEFAULT_INDEX_DIR)]
    pub index: PathBuf,
}

impl IndexArgs {
    pub fn open(&self) -> anyhow::Result<KnowledgeStore> {
        Ok(KnowledgeStore::open(&self.index)?)
    }
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Factbook,
    Wordnet,
}

#[derive(clap::Args, Debug)]
pub struct BuildArgs {
    /// The sources folder filled by data/fetch.sh (factbook/, wordnet/).
    #[arg(long, env = "ADAPTERBOT_SOURCES_DIR", default_value = DEFAULT_SOURCES_DIR)]
    pub sources: PathBuf,
    /// The index folder to create or replace.
    #[arg(long, env = "ADAPTERBOT_KNOWLEDGE_DIR", default_value = DEFAULT_INDEX_DIR)]
    pub out: PathBuf,
    /// Index only this source (default: all).
    #[arg(long)]
    pub only: Option<Source>,
}

#[derive(clap::Args, Debug)]
pub struct SearchArgs {
    /// The question or words to search for (plain text; no query syntax).
    pub query: String,
    /// How many passages to show.
    #[arg(long, default_value_t = 5)]
    pub k: usize,
    #[command(flatten)]
    pub index: IndexArgs,
    /// Print the passages as one JSON array.
    #[arg(long)]
    pub json: bool,
    /// Instead of searching, show how the passage with this id scores for the query.
    #[arg(long, value_name = "ID")]
    pub explain: Option<String>,
    /// Search as a turn is served: read in its conversation, re-ranked with the encoder,
    /// abstaining when nothing fits (the default is the lexical search alone).
    #[arg(long)]
    pub served: bool,
    /// The conversation before the query, oldest first, the user's and the bot's turns in
    /// turn (the user first); implies --served.
    #[arg(long, value_name = "TURN")]
    pub context: Vec<String>,
    /// The sentence encoder that re-ranks (with --served).
    #[arg(long, env = "ADAPTERBOT_ENCODER_DIR", default_value = DEFAULT_ENCODER_DIR)]
    pub encoder_dir: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::Build(a) => build(a),
        Command::Search(a) => search(a),
    }
}

fn build(a: BuildArgs) -> anyhow::Result<()> {
    let opts = BuildOptions {
        factbook: a.only.is_none_or(|s| s == Source::Factbook),
        wordnet: a.only.is_none_or(|s| s == Source::Wordnet),
        progress: true,
        ..BuildOptions::new(&a.sources, &a.out)
    };
    let report = build_index(&opts).context("building the knowledge index")?;
    let m = &report.manifest;
    let p = &m.passages;
    println!(
        "built {} in {:.1} s: {} passages ({} text, {} table rows, {} triples), {:.1} MB",
        a.out.display(),
        m.build_seconds,
        p.total,
        p.text,
        p.table,
        p.triple,
        report.bytes as f64 / 1e6
    );
    for s in &m.sources {
        println!(
            "  {}: {} files, {} passages, {} skipped",
            s.name, s.files, s.passages, s.skipped
        );
    }
    Ok(())
}

/// The passages a turn would be given, after printing how they were found.
fn served(store: KnowledgeStore, a: &SearchArgs) -> anyhow::Result<Vec<Passage>> {
    let reranker = Reranker::load(&a.encoder_dir)
        .context("loading the re-ranking encoder (run models/fetch.sh)")?;
    let store = store.with_reranker(reranker, HybridSettings::default());
    let mut conversation = Said::alternating(&a.context);
    if conversation.last().is_some_and(|s| s.user) {
        anyhow::bail!("--context must end with the bot's turn (give an even number of turns)");
    }
    conversation.push(Said {
        user: true,
        text: &a.query,
    });
    let r = store.retrieve(&conversation, a.k)?;
    let d = &r.decision;
    // On stderr, so that --json stays one JSON document.
    eprintln!(
        "query: {:?}{}; best score {}; {}",
        d.query.text,
        if d.query.rewritten {
            " (rewritten)"
        } else {
            ""
        },
        d.best_score.map_or("-".into(), |s| format!("{s:.2}")),
        if d.abstained {
            "abstained: no passage fits"
        } else {
            "answered"
        }
    );
    Ok(r.passages)
}

fn search(a: SearchArgs) -> anyhow::Result<()> {
    let store = a.index.open()?;
    if let Some(id) = &a.explain {
        match store.explain(&a.query, id)? {
            Some(e) => println!("{e}"),
            None => println!("{id} does not match the query (or is not in the index)"),
        }
        return Ok(());
    }
    let hits = if a.served || !a.context.is_empty() {
        served(store, &a)?
    } else {
        store.search(&a.query, a.k)?
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&hits)?);
        return Ok(());
    }
    if hits.is_empty() {
        println!("no passages found");
    }
    for (i, h) in hits.iter().enumerate() {
        println!(
            "{}. [{:.2}] {} · {} · {}\n   {}",
            i + 1,
            h.score,
            h.kind.as_str(),
            h.source,
            h.id,
            h.text
        );
    }
    Ok(())
}
