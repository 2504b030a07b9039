//! The knowledge store: text passages, table rows and graph triples, each linearised to one
//! passage of text and indexed for BM25 search.

use serde::Serialize;

/// What shape of knowledge a passage was linearised from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PassageKind {
    Text,
    Table,
    Triple,
}

/// One retrieved passage, ready for the prompt and for a client to show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Passage {
    /// Stable id within the store (e.g. `factbook/australia/capital`).
    pub id: String,
    /// Where it came from (e.g. `CIA World Factbook`, `WordNet 3.1`).
    pub source: String,
    pub kind: PassageKind,
    /// Short title (country, word …).
    pub title: String,
    /// The linearised text that goes into the prompt.
    pub text: String,
    pub score: f32,
}

#[derive(Debug, thiserror::Error)]
pub enum KnowledgeError {
    #[error("no knowledge index in {0}: run `adapterbot knowledge build` first")]
    Missing(std::path::PathBuf),
    #[error("knowledge index: {0}")]
    Index(String),
}

/// A built index, opened read-only. Cheap to share between threads.
pub struct KnowledgeStore {
    _private: (),
}

impl KnowledgeStore {
    /// Opens the index in `dir` (written by `adapterbot knowledge build`).
    pub fn open(dir: &std::path::Path) -> Result<Self, KnowledgeError> {
        Err(KnowledgeError::Missing(dir.to_path_buf()))
    }

    /// The `k` best passages for `query`, best first.
    pub fn search(&self, _query: &str, _k: usize) -> Result<Vec<Passage>, KnowledgeError> {
        Ok(Vec::new())
    }
}
