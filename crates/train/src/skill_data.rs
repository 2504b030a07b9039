//! A skill's training data: `train.jsonl` (and `valid.jsonl` when present) read, checked and
//! tokenized, with the hashes and counts that go into the training summary.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::data::{parse_dialogues, DialogueRow, RowProblem};
use crate::encode::{Encoder, Example};
use crate::error::{Result, TrainError};

pub const TRAIN_FILE: &str = "train.jsonl";
pub const VALID_FILE: &str = "valid.jsonl";

/// What was read from one data file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileSummary {
    pub file: String,
    pub sha256: String,
    pub rows: usize,
    /// Rows refused (bad rows, or too long for the token limit).
    pub skipped: usize,
    /// Tokens (prompt + reply) of the rows kept.
    pub tokens: usize,
    /// Reply tokens of the rows kept: what the loss is computed on.
    pub reply_tokens: usize,
}

#[derive(Debug, Clone)]
pub struct SplitData {
    pub examples: Vec<Example>,
    /// The rows kept, in the order of `examples`.
    pub rows: Vec<DialogueRow>,
    pub summary: FileSummary,
    pub problems: Vec<RowProblem>,
}

#[derive(Debug, Clone)]
pub struct SkillData {
    pub train: SplitData,
    /// `None` when the folder has no `valid.jsonl`: no validation and no early stopping.
    pub valid: Option<SplitData>,
}

impl SkillData {
    /// One hash over both files, identifying the data a run trained on.
    pub fn sha256(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.train.summary.sha256.as_bytes());
        if let Some(v) = &self.valid {
            h.update(v.summary.sha256.as_bytes());
        }
        hex(&h.finalize())
    }
}

/// Reads and encodes `dir/train.jsonl` and `dir/valid.jsonl`.
pub fn load_skill_data(encoder: &Encoder<'_>, dir: &Path, strict: bool) -> Result<SkillData> {
    let train = load_split(encoder, &dir.join(TRAIN_FILE), strict)?;
    let valid_path = dir.join(VALID_FILE);
    let valid = if valid_path.exists() {
        Some(load_split(encoder, &valid_path, strict)?)
    } else {
        tracing::warn!(dir = %dir.display(), "no valid.jsonl: training without validation or early stopping");
        None
    };
    Ok(SkillData { train, valid })
}

/// Reads, checks and encodes one JSONL file; rows that are bad or too long are reported as
/// `file:line: reason` and left out (refused outright with `strict`).
pub fn load_split(encoder: &Encoder<'_>, path: &Path, strict: bool) -> Result<SplitData> {
    let bytes = std::fs::read(path).map_err(|e| TrainError::io(path, e))?;
    let text = String::from_utf8(bytes.clone()).map_err(|e| {
        TrainError::io(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()),
        )
    })?;
    // Strictness is applied below, once the rows that are too long are known as well.
    let parsed = parse_dialogues(path, &text, false)?;
    let mut problems = parsed.problems;
    let mut examples = Vec::with_capacity(parsed.rows.len());
    let mut rows = Vec::with_capacity(parsed.rows.len());
    for (line, row) in parsed.rows {
        match encoder.encode(&row) {
            Ok(e) => {
                examples.push(e);
                rows.push(row);
            }
            Err(reason) => {
                let p = RowProblem {
                    file: path.to_path_buf(),
                    line,
                    reason,
                };
                tracing::warn!("{p}; row skipped");
                problems.push(p);
            }
        }
    }
    if strict && !problems.is_empty() {
        return Err(TrainError::BadRows { problems });
    }
    if examples.is_empty() {
        return Err(TrainError::NoData {
            path: path.to_path_buf(),
            detail: problems
                .first()
                .map(|p| format!(" ({} refused; the first: {p})", problems.len()))
                .unwrap_or_default(),
        });
    }
    problems.sort_by_key(|p| p.line);
    let summary = FileSummary {
        file: file_name(path),
        sha256: hex(&Sha256::digest(&bytes)),
        rows: examples.len(),
        skipped: problems.len(),
        tokens: examples.iter().map(|e| e.ids.len()).sum(),
        reply_tokens: examples.iter().map(Example::target_tokens).sum(),
    };
    Ok(SplitData {
        examples,
        rows,
        summary,
        problems,
    })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| PathBuf::from(path).display().to_string())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
