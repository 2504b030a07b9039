//! Retrieval quality on labelled questions: recall@1, recall@3 and MRR, per kind of question,
//! and how well retrieval abstains.
//!
//! A questions file is JSON lines:
//! `{"context": [{"role", "content"}…], "question": "...", "relevant": ["<passage id>", ...],
//! "kind": "single|follow-up|loose|unanswerable", "note": "..."}`. `context` (the messages
//! before the question, oldest first) and `kind` may be left out (a first turn, `single`).
//! `relevant` names every passage that answers the question, and is empty exactly for an
//! unanswerable one. An answerable question counts as found at k when any relevant passage is
//! among the first k passages retrieval gives (none when it abstains).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::conversation::Said;
use super::{KnowledgeError, KnowledgeStore};

/// Passages read per question; a relevant passage further down counts as not found for MRR.
pub const EVAL_DEPTH: usize = 10;

/// The kind a question without one is.
const SINGLE: &str = "single";
/// The kind of a question no passage answers.
pub const UNANSWERABLE: &str = "unanswerable";
const KINDS: [&str; 4] = [SINGLE, "follow-up", "loose", UNANSWERABLE];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    pub role: String,
    pub content: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Question {
    #[serde(default)]
    pub context: Vec<Message>,
    pub question: String,
    pub relevant: Vec<String>,
    #[serde(default = "single")]
    pub kind: String,
    #[serde(default)]
    pub note: String,
}

fn single() -> String {
    SINGLE.to_string()
}

/// Recall and MRR over a set of answerable questions.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Recall {
    pub questions: usize,
    pub recall_at_1: f64,
    pub recall_at_3: f64,
    /// Mean reciprocal rank of the first relevant passage within the first `EVAL_DEPTH`.
    pub mrr: f64,
}

/// How retrieval abstained.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Abstain {
    pub unanswerable: usize,
    /// Share of the unanswerable questions that got no passage.
    pub unanswerable_abstained: f64,
    /// Share of the answerable questions that got no passage.
    pub answerable_abstained: f64,
    /// Share of the abstentions that were right (the question was unanswerable).
    pub precision: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// Every answerable question.
    pub overall: Recall,
    /// The answerable questions by kind (`single`, `follow-up`, `loose`).
    pub by_kind: BTreeMap<String, Recall>,
    pub abstain: Abstain,
    /// Whether the candidates were re-ranked with the encoder.
    pub reranked: bool,
    /// Median time of one retrieval: rewriting, search and re-ranking (the question embedded
    /// afresh, as for a follow-up; a plain turn the manager routed is found in its cache).
    pub median_search_ms: f64,
    /// Answerable questions whose first passage is not a relevant one, and unanswerable ones
    /// that got passages.
    pub misses: Vec<Miss>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub question: String,
    pub kind: String,
    /// The query retrieval searched, when the conversation changed it.
    pub query: Option<String>,
    pub relevant: Vec<String>,
    /// 1-based rank of the first relevant passage, if within `EVAL_DEPTH`.
    pub rank: Option<usize>,
    /// The ids of the first three passages given.
    pub top: Vec<String>,
    pub best_score: Option<f32>,
    /// See [`super::RetrievalDecision`].
    pub intent_similarity: Option<f32>,
    pub out_of_scope_similarity: Option<f32>,
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
        if !KINDS.contains(&q.kind.as_str()) {
            return Err(bad(
                i + 1,
                format!("kind {:?} is not one of {KINDS:?}", q.kind),
            ));
        }
        if q.relevant.is_empty() != (q.kind == UNANSWERABLE) {
            return Err(bad(
                i + 1,
                "`relevant` must be empty exactly when the kind is unanswerable".into(),
            ));
        }
        if let Some(m) = q
            .context
            .iter()
            .find(|m| !matches!(m.role.as_str(), "user" | "assistant"))
        {
            return Err(bad(
                i + 1,
                format!("context role {:?} is not user or assistant", m.role),
            ));
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
    let mut ranks: BTreeMap<String, Vec<Option<usize>>> = BTreeMap::new();
    let (mut abstained_right, mut abstained_wrong, mut unanswerable) = (0usize, 0usize, 0usize);
    let mut times = Vec::with_capacity(questions.len());
    let mut misses = Vec::new();
    let mut reranked = false;
    for q in questions {
        let mut said: Vec<Said> = q
            .context
            .iter()
            .map(|m| Said {
                user: m.role == "user",
                text: &m.content,
            })
            .collect();
        said.push(Said {
            user: true,
            text: &q.question,
        });
        let t = Instant::now();
        let r = store.retrieve(&said, EVAL_DEPTH)?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        let d = &r.decision;
        reranked = d.reranked;
        let miss = |rank| Miss {
            question: q.question.clone(),
            kind: q.kind.clone(),
            query: d.query.rewritten.then(|| d.query.text.clone()),
            relevant: q.relevant.clone(),
            rank,
            top: r.passages.iter().take(3).map(|h| h.id.clone()).collect(),
            best_score: d.best_score,
            intent_similarity: d.intent_similarity,
            out_of_scope_similarity: d.out_of_scope_similarity,
        };
        if q.kind == UNANSWERABLE {
            unanswerable += 1;
            if d.abstained {
                abstained_right += 1;
            } else {
                misses.push(miss(None));
            }
            continue;
        }
        abstained_wrong += usize::from(d.abstained);
        let rank = r
            .passages
            .iter()
            .position(|h| q.relevant.contains(&h.id))
            .map(|p| p + 1);
        if rank != Some(1) {
            misses.push(miss(rank));
        }
        ranks.entry(q.kind.clone()).or_default().push(rank);
    }
    let all: Vec<Option<usize>> = ranks.values().flatten().copied().collect();
    let answerable = all.len();
    let share = |n: usize, of: usize| if of == 0 { 0.0 } else { n as f64 / of as f64 };
    Ok(EvalReport {
        overall: recall(&all),
        by_kind: ranks.iter().map(|(k, r)| (k.clone(), recall(r))).collect(),
        abstain: Abstain {
            unanswerable,
            unanswerable_abstained: share(abstained_right, unanswerable),
            answerable_abstained: share(abstained_wrong, answerable),
            precision: share(abstained_right, abstained_right + abstained_wrong),
        },
        reranked,
        median_search_ms: median(&mut times),
        misses,
    })
}

fn recall(ranks: &[Option<usize>]) -> Recall {
    let n = ranks.len();
    let count = |k: usize| ranks.iter().filter(|r| r.is_some_and(|r| r <= k)).count();
    let share = |c: usize| if n == 0 { 0.0 } else { c as f64 / n as f64 };
    let rr: f64 = ranks
        .iter()
        .map(|r| r.map_or(0.0, |r| 1.0 / r as f64))
        .sum();
    Recall {
        questions: n,
        recall_at_1: share(count(1)),
        recall_at_3: share(count(3)),
        mrr: if n == 0 { 0.0 } else { rr / n as f64 },
    }
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
