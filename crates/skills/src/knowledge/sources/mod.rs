//! Readers for the knowledge sources. Each turns its files into [`SourceDoc`]s (passages before
//! indexing) and a summary of what it read.

pub mod factbook;
pub mod wordnet;

use std::path::Path;

use sha2::{Digest, Sha256};

use super::{KnowledgeError, PassageKind};

/// One passage as it goes into the index.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceDoc {
    pub id: String,
    pub source: &'static str,
    pub kind: PassageKind,
    /// Shown to the user and searched with a boost.
    pub title: String,
    /// Shown and searched.
    pub text: String,
    /// Searched, never shown: other names of the subject and words people use to ask for this
    /// kind of fact ("how many people" for a population row).
    pub keywords: String,
    /// The names of the subject (country names, a synset's words): a question that names one
    /// exactly ranks its passages up.
    pub names: Vec<String>,
    /// How often the subject's sense is used in text: WordNet's count of tagged senses
    /// (`index.sense`) for a synset's passages, 0 for everything else.
    pub usage: u32,
}

/// Every passage intent of every source: (key, the words that say it).
pub fn intents() -> Vec<(String, String)> {
    let mut out = factbook::intents();
    out.extend(wordnet::intents());
    out
}

/// The intent key of a passage id, whichever source it came from.
pub fn intent_of(id: &str) -> Option<String> {
    factbook::intent_of(id).or_else(|| wordnet::intent_of(id))
}

/// What one source reader read.
#[derive(Debug, Clone, Default)]
pub struct SourceRead {
    pub docs: Vec<SourceDoc>,
    pub files: usize,
    /// Records that could not be read and were left out.
    pub skipped: usize,
    /// sha256 over the files' names and contents, in name order.
    pub sha256: String,
}

/// Hashes files (name and bytes, in the order given) so the manifest says which sources an
/// index was built from.
pub(crate) struct SourceHasher(Sha256);

impl SourceHasher {
    pub fn new() -> Self {
        SourceHasher(Sha256::new())
    }

    pub fn add(&mut self, name: &str, bytes: &[u8]) {
        self.0.update((name.len() as u64).to_le_bytes());
        self.0.update(name.as_bytes());
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
    }

    pub fn finish(self) -> String {
        self.0
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

pub(crate) fn read(path: &Path) -> Result<Vec<u8>, KnowledgeError> {
    std::fs::read(path).map_err(|e| KnowledgeError::io(path, e))
}

pub(crate) fn require_dir(path: &Path) -> Result<(), KnowledgeError> {
    if path.is_dir() {
        Ok(())
    } else {
        Err(KnowledgeError::SourceMissing {
            path: path.to_path_buf(),
        })
    }
}
