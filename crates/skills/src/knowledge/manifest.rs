//! `manifest.json` in the index folder: what the index was built from, when, by which version,
//! and how many passages of each kind it holds. `open` checks its format version.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::KnowledgeError;

pub const MANIFEST_FILE: &str = "manifest.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format_version: u32,
    /// The program that built it (`adapterbot-skills <version>`).
    pub built_by: String,
    /// RFC 3339, UTC.
    pub built_at: String,
    pub build_seconds: f64,
    pub passages: PassageCounts,
    pub sources: Vec<SourceSummary>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassageCounts {
    pub text: usize,
    pub table: usize,
    pub triple: usize,
    pub total: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SourceSummary {
    pub name: String,
    /// The folder under the sources folder it was read from.
    pub dir: String,
    pub files: usize,
    pub passages: usize,
    /// Records that could not be read (malformed lines or files).
    pub skipped: usize,
    /// sha256 over the files' names and contents.
    pub sha256: String,
}

/// Only the version, read first: a manifest from another version may not parse as a whole.
#[derive(Deserialize)]
struct VersionOnly {
    format_version: Option<u32>,
}

impl Manifest {
    pub fn write(&self, dir: &Path) -> Result<(), KnowledgeError> {
        let path = dir.join(MANIFEST_FILE);
        let json = serde_json::to_vec_pretty(self).expect("a manifest always serialises");
        std::fs::write(&path, json).map_err(|e| KnowledgeError::io(path, e))
    }

    /// Reads the manifest of the index in `dir`: `Missing` when there is none, `Incompatible`
    /// when another format version wrote it.
    pub fn read(dir: &Path, expected: u32) -> Result<Manifest, KnowledgeError> {
        let path = dir.join(MANIFEST_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(KnowledgeError::Missing(dir.to_path_buf()))
            }
            Err(e) => return Err(KnowledgeError::io(path, e)),
        };
        let incompatible = |found: String| KnowledgeError::Incompatible {
            dir: dir.to_path_buf(),
            found,
            expected,
        };
        let version = serde_json::from_slice::<VersionOnly>(&bytes)
            .map_err(|e| incompatible(format!("unreadable manifest.json: {e}")))?
            .format_version;
        match version {
            Some(v) if v == expected => {}
            Some(v) => return Err(incompatible(format!("format {v}"))),
            None => return Err(incompatible("no format_version".into())),
        }
        serde_json::from_slice(&bytes)
            .map_err(|e| incompatible(format!("unreadable manifest.json: {e}")))
    }
}
