//! Labelled turns for training and evaluating the manager: one JSON object per line,
//! `{"text", "context": [older … newest], "skill", "source", "license"}` (see
//! `data/manager/README.md`). A bad line is reported with its file and line and left out.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ManagerError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelledTurn {
    pub text: String,
    /// Messages before the turn, oldest first (may be empty).
    #[serde(default)]
    pub context: Vec<String>,
    pub skill: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub license: String,
}

/// A line that was left out, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct RowProblem {
    pub file: PathBuf,
    pub line: usize,
    pub reason: String,
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.reason)
    }
}

/// Reads every well-formed row of `path`; the others come back as problems.
pub fn read_turns(path: &Path) -> Result<(Vec<LabelledTurn>, Vec<RowProblem>), ManagerError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ManagerError::Data(format!("reading {}: {e}", path.display())))?;
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let problem = |reason: String| RowProblem {
            file: path.to_path_buf(),
            line: i + 1,
            reason,
        };
        match serde_json::from_str::<LabelledTurn>(line) {
            Err(e) => problems.push(problem(e.to_string())),
            Ok(r) if r.text.trim().is_empty() => problems.push(problem("empty text".into())),
            Ok(r) if crate::registry::validate_id(&r.skill).is_err() => {
                problems.push(problem(format!("invalid skill id {:?}", r.skill)))
            }
            Ok(r) => rows.push(r),
        }
    }
    Ok((rows, problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lines_are_reported_with_their_line_and_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.jsonl");
        std::fs::write(
            &p,
            concat!(
                "{\"text\":\"hi\",\"skill\":\"chitchat\"}\n",
                "{not json\n",
                "\n",
                "{\"text\":\"  \",\"skill\":\"chitchat\"}\n",
                "{\"text\":\"x\",\"skill\":\"../etc\"}\n",
                "{\"text\":\"why?\",\"context\":[\"a\",\"b\"],\"skill\":\"knowledge\"}\n",
            ),
        )
        .unwrap();
        let (rows, problems) = read_turns(&p).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].context, vec!["a", "b"]);
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![2, 4, 5]);
        assert!(problems[1].to_string().ends_with("t.jsonl:4: empty text"));
    }
}
