//! The dialogue data format (one JSON object per line, see `docs/training.md`) and its reader.
//! A bad row is reported as `file:line: reason` and never reaches training.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use adapterbot_engine::ChatMessage;
use serde::{Deserialize, Serialize};

use crate::error::TrainError;

/// One training example: the conversation so far, the reply to learn, and the context the
/// skill gets in its prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialogueRow {
    pub messages: Vec<ChatMessage>,
    pub reply: String,
    /// Linearised knowledge passages, as the knowledge store gives them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub knowledge: Vec<String>,
    /// Persona facts (first-person sentences).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub persona: Vec<String>,
    pub source: String,
    pub license: String,
    /// What a good reply does, for the behaviour metrics of `eval adapters`; never trained on.
    #[serde(default, skip_serializing_if = "Expect::is_empty")]
    pub expect: Expect,
}

/// The checkable facts about a good reply to one row (all optional).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Knowledge: the gold values; a reply that contains any of them answers correctly.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<String>,
    /// Persona: the persona fact the user's turn asks about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fact: Option<String>,
    /// Empathetic: the valence of the feeling the user shares, which the reply should
    /// acknowledge in kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valence: Option<Valence>,
}

impl Expect {
    pub fn is_empty(&self) -> bool {
        self.answers.is_empty() && self.fact.is_none() && self.valence.is_none()
    }
}

/// The valence of a feeling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Valence {
    Positive,
    Negative,
}

impl DialogueRow {
    /// Why this row cannot be trained on, if it cannot.
    pub fn problem(&self) -> Option<String> {
        let Some(last) = self.messages.last() else {
            return Some("`messages` is empty".into());
        };
        for (i, m) in self.messages.iter().enumerate() {
            match m.role.as_str() {
                "user" | "assistant" => {}
                "system" if i == 0 => {}
                "system" => {
                    return Some(format!(
                        "messages[{i}]: only the first message may be a system message"
                    ))
                }
                other => {
                    return Some(format!(
                        "messages[{i}]: unknown role `{other}` (use system, user or assistant)"
                    ))
                }
            }
            if m.content.trim().is_empty() {
                return Some(format!("messages[{i}]: empty text"));
            }
        }
        if last.role != "user" {
            return Some("the last message must come from the user".into());
        }
        if self.reply.trim().is_empty() {
            return Some("empty text in `reply`".into());
        }
        for (field, list) in [("knowledge", &self.knowledge), ("persona", &self.persona)] {
            if let Some(i) = list.iter().position(|s| s.trim().is_empty()) {
                return Some(format!("{field}[{i}]: empty text"));
            }
        }
        for (field, value) in [("source", &self.source), ("license", &self.license)] {
            if value.trim().is_empty() {
                return Some(format!("empty `{field}`"));
            }
        }
        None
    }
}

/// A row that was refused, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub file: PathBuf,
    /// 1-based line number.
    pub line: usize,
    pub reason: String,
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.reason)
    }
}

/// The good rows of a file (with their line numbers) and the refused ones.
#[derive(Debug, Clone, Default)]
pub struct DialogueFile {
    pub rows: Vec<(usize, DialogueRow)>,
    pub problems: Vec<RowProblem>,
}

/// Reads a dialogue JSONL file. Blank lines are allowed. Bad rows are collected in `problems`
/// (and logged); with `strict`, any bad row refuses the whole file.
pub fn read_dialogues(path: &Path, strict: bool) -> Result<DialogueFile, TrainError> {
    let text = std::fs::read_to_string(path).map_err(|e| TrainError::io(path, e))?;
    parse_dialogues(path, &text, strict)
}

/// [`read_dialogues`] on text already read from `path`.
pub fn parse_dialogues(path: &Path, text: &str, strict: bool) -> Result<DialogueFile, TrainError> {
    let mut out = DialogueFile::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let problem = |reason: String| RowProblem {
            file: path.to_path_buf(),
            line: i + 1,
            reason,
        };
        match parse_row(line) {
            Ok(row) => out.rows.push((i + 1, row)),
            Err(reason) => out.problems.push(problem(reason)),
        }
    }
    for p in &out.problems {
        tracing::warn!("{p}; row skipped");
    }
    if strict && !out.problems.is_empty() {
        return Err(TrainError::BadRows {
            problems: out.problems,
        });
    }
    Ok(out)
}

fn parse_row(line: &str) -> Result<DialogueRow, String> {
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("bad JSON: {e}"))?;
    if !value.is_object() {
        return Err("bad row: expected a JSON object".into());
    }
    let has_reply = value.get("reply").is_some_and(|r| !r.is_null());
    if !has_reply {
        return Err("missing reply".into());
    }
    let row: DialogueRow = serde_json::from_value(value).map_err(|e| format!("bad row: {e}"))?;
    match row.problem() {
        Some(reason) => Err(reason),
        None => Ok(row),
    }
}

/// Writes rows as JSONL, atomically.
pub fn write_dialogues(path: &Path, rows: &[DialogueRow]) -> Result<(), TrainError> {
    let mut buf = Vec::new();
    for row in rows {
        serde_json::to_writer(&mut buf, row).expect("a row always serializes");
        buf.write_all(b"\n").expect("writing to memory");
    }
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| TrainError::io(dir, e))?;
    }
    adapterbot_engine::fsutil::write_atomic(path, &buf)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> DialogueRow {
        DialogueRow {
            messages: vec![ChatMessage::new("user", "hi")],
            reply: "hello".into(),
            knowledge: vec![],
            persona: vec![],
            source: "test".into(),
            license: "CC0".into(),
            expect: Expect::default(),
        }
    }

    #[test]
    fn each_kind_of_bad_row_is_named() {
        let cases = [
            ("{not json", "bad JSON"),
            ("[1, 2]", "expected a JSON object"),
            (
                r#"{"messages":[{"role":"user","content":"hi"}],"source":"s","license":"l"}"#,
                "missing reply",
            ),
            (
                r#"{"messages":[{"role":"user","content":"  "}],"reply":"x","source":"s","license":"l"}"#,
                "messages[0]: empty text",
            ),
            (
                r#"{"messages":[{"role":"bot","content":"hi"}],"reply":"x","source":"s","license":"l"}"#,
                "unknown role `bot`",
            ),
            (
                r#"{"messages":[{"role":"user","content":"hi"}],"reply":"","source":"s","license":"l"}"#,
                "empty text in `reply`",
            ),
            (
                r#"{"messages":[{"role":"user","content":"hi"}],"reply":"x","source":"s"}"#,
                "missing field `license`",
            ),
            (
                r#"{"messages":[{"role":"user","content":"hi"}],"reply":"x","source":"s","license":"l","replies":1}"#,
                "unknown field `replies`",
            ),
            (
                r#"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}],"reply":"x","source":"s","license":"l"}"#,
                "last message must come from the user",
            ),
        ];
        for (line, want) in cases {
            let err = parse_row(line).expect_err(line);
            assert!(err.contains(want), "{line}: got {err:?}, want {want:?}");
        }
        assert_eq!(good().problem(), None);
    }

    #[test]
    fn rows_round_trip_through_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/train.jsonl");
        let mut second = good();
        second.knowledge = vec!["France: capital: Paris.".into()];
        write_dialogues(&p, &[good(), second.clone()]).unwrap();
        let back = read_dialogues(&p, true).unwrap();
        assert!(back.problems.is_empty());
        assert_eq!(back.rows, vec![(1, good()), (2, second)]);
    }
}
