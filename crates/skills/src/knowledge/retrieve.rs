//! Retrieval for a turn of a conversation: the query rewritten in context
//! ([`super::conversation`]), lexical candidates, dense re-ranking by intent
//! ([`super::rerank`]), and the decision to give no passage at all when the best is too weak.

use serde::Serialize;

use super::conversation::{ContextualQuery, Said};
use super::{schema, sources, KnowledgeError, KnowledgeStore, Passage};

/// The passages for one turn, and how they were found.
#[derive(Debug, Clone)]
pub struct Retrieval {
    /// The passages given to the skill, best first (empty when it abstained).
    pub passages: Vec<Passage>,
    pub decision: RetrievalDecision,
}

/// How retrieval went for one turn; the server shows it in the `route` event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetrievalDecision {
    /// The query searched, as rewritten from the conversation.
    pub query: ContextualQuery,
    /// The best candidate's score (fused when re-ranked), whether or not it was given.
    pub best_score: Option<f32>,
    /// True when candidates were found but none fits (see [`super::rerank`]).
    pub abstained: bool,
    /// Cosine between the question and its best passage's intent, and between the question
    /// and the nearest kind of question out of scope (when re-ranked): why it abstained.
    pub intent_similarity: Option<f32>,
    pub out_of_scope_similarity: Option<f32>,
    /// True when the candidates were re-ranked with the encoder.
    pub reranked: bool,
}

impl Retrieval {
    /// Passages as the lexical search ranked them, nothing abstained.
    fn in_lexical_order(query: ContextualQuery, passages: Vec<Passage>, reranked: bool) -> Self {
        Retrieval {
            decision: RetrievalDecision {
                best_score: passages.first().map(|p| p.score),
                query,
                abstained: false,
                intent_similarity: None,
                out_of_scope_similarity: None,
                reranked,
            },
            passages,
        }
    }
}

impl KnowledgeStore {
    /// The `k` passages for the last message of `conversation` (a user turn; oldest message
    /// first), read in context. Without an encoder ([`Self::with_reranker`]) the candidates keep
    /// their lexical order and retrieval never abstains.
    pub fn retrieve(
        &self,
        conversation: &[Said<'_>],
        k: usize,
    ) -> Result<Retrieval, KnowledgeError> {
        let searcher = self.searcher();
        let find_country = |name: &str, fuzzy: bool| self.country_named(&searcher, name, fuzzy);
        let query = self.rewriter.rewrite(conversation, &find_country);
        let Some((reranker, settings)) = &self.hybrid else {
            let passages = self.lexical(&searcher, &query.text, k)?;
            return Ok(Retrieval::in_lexical_order(query, passages, false));
        };
        let candidates = self.lexical(&searcher, &query.text, settings.candidates.max(k))?;
        if candidates.is_empty() {
            return Ok(Retrieval::in_lexical_order(query, candidates, true));
        }
        let ids: Vec<&str> = candidates.iter().map(|p| p.id.as_str()).collect();
        let (similarity, out_of_scope) = reranker.similarities(&query.asks, &ids)?;
        let mut scored: Vec<(Passage, f32)> = candidates.into_iter().zip(similarity).collect();
        // Among the senses of the word asked about, the common ones first ("a frog" is the
        // animal before it is the verb).
        let subject = query.subject.as_deref().map(schema::normalise_name);
        let names_subject = |p: &Passage| {
            subject
                .as_ref()
                .is_some_and(|s| p.title.split(", ").any(|t| &schema::normalise_name(t) == s))
        };
        for (p, s) in &mut scored {
            p.score += settings.intent_weight * *s;
            if names_subject(p) {
                p.score += settings.usage_weight * (p.usage as f32).ln_1p();
            }
        }
        // Stable: equal fused scores keep the lexical order, so results stay deterministic.
        scored.sort_by(|a, b| b.0.score.total_cmp(&a.0.score));
        let (best, best_intent) = (scored[0].0.score, scored[0].1);
        // A country's row is no answer when the question names no country of the Factbook
        // ("What is the capital of Atlantis?"): it would be some other country's.
        let other_country = scored[0].0.source == sources::factbook::SOURCE && !query.about_country;
        let abstained = best < settings.abstain_below
            || out_of_scope - best_intent > settings.out_of_scope_margin
            || other_country;
        let mut candidates: Vec<Passage> = scored.into_iter().map(|(p, _)| p).collect();
        candidates.truncate(if abstained { 0 } else { k });
        Ok(Retrieval {
            passages: candidates,
            decision: RetrievalDecision {
                query,
                best_score: Some(best),
                abstained,
                intent_similarity: Some(best_intent),
                out_of_scope_similarity: Some(out_of_scope),
                reranked: true,
            },
        })
    }
}
