//! The knowledge store: text passages, table rows and graph triples, each linearised to one
//! passage of text and indexed for BM25 search (tantivy).
//!
//! - [`build_index`] reads the sources (CIA World Factbook JSON, WordNet database files) and
//!   writes an index folder, replacing an older one only once the new one is complete.
//! - [`KnowledgeStore::open`] opens such a folder read-only; [`KnowledgeStore::search`] answers
//!   free user text (no query syntax) with the best passages.
//! - [`eval`] measures retrieval on labelled questions.

mod asked;
mod build;
mod conversation;
pub mod eval;
mod linearise;
mod manifest;
mod rerank;
mod retrieve;
mod schema;
pub mod sources;
mod store;

use std::path::PathBuf;

use serde::Serialize;

pub use build::{build_index, BuildOptions, BuildReport};
pub use conversation::{ContextualQuery, Said};
pub use manifest::{Manifest, PassageCounts, SourceSummary};
pub use rerank::{HybridSettings, Reranker, RERANK_ENCODER_LAYERS};
pub use retrieve::{Retrieval, RetrievalDecision};
pub use store::{KnowledgeStore, SearchWeights};

/// Where `adapterbot knowledge build` writes the index and where the server looks for it.
pub const DEFAULT_INDEX_DIR: &str = "models/knowledge";
/// Where `data/fetch.sh` puts the sources.
pub const DEFAULT_SOURCES_DIR: &str = "data/sources";

/// What shape of knowledge a passage was linearised from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PassageKind {
    Text,
    Table,
    Triple,
}

impl PassageKind {
    pub const ALL: [PassageKind; 3] = [PassageKind::Text, PassageKind::Table, PassageKind::Triple];

    pub fn as_str(self) -> &'static str {
        match self {
            PassageKind::Text => "text",
            PassageKind::Table => "table",
            PassageKind::Triple => "triple",
        }
    }

    /// The number stored in the index.
    pub(crate) fn code(self) -> u64 {
        match self {
            PassageKind::Text => 0,
            PassageKind::Table => 1,
            PassageKind::Triple => 2,
        }
    }

    pub(crate) fn from_code(code: u64) -> Option<Self> {
        PassageKind::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// One retrieved passage, ready for the prompt and for a client to show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Passage {
    /// Stable id within the store (e.g. `factbook/as/capital`, `wordnet/n/13558632`).
    pub id: String,
    /// Where it came from (e.g. `CIA World Factbook`, `WordNet 3.1`).
    pub source: String,
    pub kind: PassageKind,
    /// Short title (country, word …).
    pub title: String,
    /// The linearised text that goes into the prompt.
    pub text: String,
    pub score: f32,
    /// How often the passage's sense is used (WordNet's tagged-sense count; 0 for the
    /// Factbook). Re-ranking prefers common senses.
    #[serde(skip)]
    pub usage: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum KnowledgeError {
    #[error("no knowledge index in {0}: run `adapterbot knowledge build` first")]
    Missing(PathBuf),
    #[error(
        "the knowledge index in {dir} was built by an incompatible version ({found}; this build \
         reads format {expected}): rebuild it with `adapterbot knowledge build`"
    )]
    Incompatible {
        dir: PathBuf,
        found: String,
        expected: u32,
    },
    #[error("knowledge source {path} not found: run data/fetch.sh to fetch the sources")]
    SourceMissing { path: PathBuf },
    #[error("knowledge source {path}: {reason}")]
    Source { path: PathBuf, reason: String },
    #[error(
        "{0} exists and is not a knowledge index (no manifest.json): choose another --out or \
         remove it yourself"
    )]
    NotAnIndex(PathBuf),
    #[error("nothing to index: choose at least one source")]
    NoSources,
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("knowledge index: {0}")]
    Index(String),
}

impl KnowledgeError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        KnowledgeError::Io {
            path: path.into(),
            source,
        }
    }
}

impl From<tantivy::TantivyError> for KnowledgeError {
    fn from(e: tantivy::TantivyError) -> Self {
        KnowledgeError::Index(e.to_string())
    }
}
