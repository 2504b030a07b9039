//! Retrieval quality on labelled questions: recall@1, recall@3 and MRR.
//!
//! A questions file is JSON lines: `{"question": "...", "relevant": ["<passage id>", ...],
//! "note": "..."}`, `relevant` naming every passage that answers the question. A question counts
//! as found at k when any relevant passage is among the first k hits.

use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::{KnowledgeError, KnowledgeStore};

/// Hits read per question; a relevant passage further down counts as not found for MRR.
pub const EVAL_DEPTH: usize = 10;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Question {
    pub question: String,
    pub relevant: Vec<String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub questions: usize,
    pub recall_at_1: f64,
    pub recall_at_3: f64,
    /// Mean reciprocal rank of the first relevant hit within the first `EVAL_DEPTH`.
    pub mrr: f64,
    pub median_search_ms: f64,
    /// Questions whose first relevant passage is not in the top 3.
    pub misses: Vec<Miss>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub question: String,
    pub relevant: Vec<String>,
    /// 1-based rank of the first relevant hit, if within `EVAL_DEPTH`.
    pub rank: Option<usize>,
    /// The ids of the first three hits.
    pub top: Vec<String>,
}

/// Reads a questions file; a bad line is an error naming the line.
pub fn load_questions(path: &Path) -> Result<Vec<Question>, KnowledgeError> {
    let text = std::fs::read_to_string(path).map_err(|e| KnowledgeError::io(path, e))?;
    let bad = |line: usize, reason: String| KnowledgeError::Source {
        path: path.to_path_buf(),
        reason: format!("line {line}: {reason}"),
    };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let q: Question = serde_json::from_str(line).map_err(|e| bad(i + 1, e.to_string()))?;
        if q.relevant.is_empty() {
            return Err(bad(i + 1, "no relevant passage ids".into()));
        }
        out.push(q);
    }
    Ok(out)
}

/// Runs every question against `store`. Fails when a question names a passage id the store
/// does not hold: a mislabelled question would otherwise count as a miss forever.
pub fn evaluate(
    store: &KnowledgeStore,
    questions: &[Question],
) -> Result<EvalReport, KnowledgeError> {
    for q in questions {
        for id in &q.relevant {
            if store.get(id)?.is_none() {
                return Err(KnowledgeError::Index(format!(
                    "question {:?} names passage {id}, which the index does not hold",
                    q.question
                )));
            }
        }
    }
    let mut at1 = 0usize;
    let mut at3 = 0usize;
    let mut rr = 0.0;
    let mut times = Vec::with_capacity(questions.len());
    let mut misses = Vec::new();
    for q in questions {
        let t = Instant::now();
        let hits = store.search(&q.question, EVAL_DEPTH)?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        let rank = hits
            .iter()
            .position(|h| q.relevant.contains(&h.id))
            .map(|p| p + 1);
        match rank {
            Some(1) => {
                at1 += 1;
                at3 += 1;
            }
            Some(2 | 3) => at3 += 1,
            _ => misses.push(Miss {
                question: q.question.clone(),
                relevant: q.relevant.clone(),
                rank,
                top: hits.iter().take(3).map(|h| h.id.clone()).collect(),
            }),
        }
        rr += rank.map_or(0.0, |r| 1.0 / r as f64);
    }
    let n = questions.len().max(1) as f64;
    Ok(EvalReport {
        questions: questions.len(),
        recall_at_1: at1 as f64 / n,
        recall_at_3: at3 as f64 / n,
        mrr: rr / n,
        median_search_ms: median(&mut times),
        misses,
    })
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}
