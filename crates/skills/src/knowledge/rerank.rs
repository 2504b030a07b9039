//! Dense re-ranking of the lexical candidates by what the question asks for.
//!
//! Every passage answers one *intent*: a Factbook field ("languages"), a text section, a
//! WordNet gloss or relation ("is a kind of"). Each intent is described by its label and the
//! words people ask for it with (the same lists the index searches as keywords), and embedded
//! once with the sentence encoder the manager reads turns with. A question is embedded once
//! (for a plain turn the manager has already embedded it: the encoder's cache answers), and a
//! candidate's score becomes its BM25 score plus `intent_weight` × the cosine between the
//! question and the candidate's intent: "What do people speak in Peru?" is near the languages
//! intent, so the languages row overtakes the population row the word "people" found.
//!
//! Why intents and not every passage's own embedding: the encoder runs at ~200 short passages
//! per second on two cores (measured), so the index's 256 k passages would take ~20 minutes to
//! embed, against a 3-minute build budget; the candidates already match the question's subject
//! by name, and what is left to decide is mostly which of the subject's passages answers.

use std::collections::HashMap;
use std::sync::Arc;

use crate::manager::SentenceEncoder;

use super::asked::ASKED;
use super::sources;
use super::KnowledgeError;

/// Layers of the encoder the re-ranker reads with: the manager's, so that a turn the manager
/// has routed is found in the encoder's cache.
pub const RERANK_ENCODER_LAYERS: usize = 3;

/// Intent texts embedded per batch at load.
const EMBED_CHUNK: usize = 16;

/// How the lexical and the dense scores are fused, and when retrieval gives up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HybridSettings {
    /// Lexical candidates re-ranked.
    pub candidates: usize,
    /// Points of fused score per unit of cosine between the question and a passage's intent.
    pub intent_weight: f32,
    /// Points of fused score per unit of ln(1 + usage): common senses first.
    pub usage_weight: f32,
    /// No passage is given when the best fused score is below this.
    pub abstain_below: f32,
    /// No passage is given when the question is nearer than this (in cosine) to a kind of
    /// question the sources cannot answer than to the best passage's intent.
    pub out_of_scope_margin: f32,
}

impl Default for HybridSettings {
    fn default() -> Self {
        // intent_weight: the best recall@1 of 0–120 on the tuning questions and on valid; the
        // out-of-scope margin: on valid and valid2 together, the most unanswerable questions
        // abstaining with at most 5 % of answerable ones on each. docs/knowledge.md has the
        // grids.
        HybridSettings {
            candidates: 50,
            intent_weight: 90.0,
            usage_weight: 8.0,
            abstain_below: 0.0,
            out_of_scope_margin: -0.05,
        }
    }
}

/// Kinds of question no passage of the sources answers, described as their intents are: the
/// re-ranker abstains when a question is nearer one of these than its best passage's intent.
const OUT_OF_SCOPE: &[&str] = &[
    "weather forecast today tomorrow this week rain",
    "sports results who won the game match championship team player score",
    "news current events what happened recently latest",
    "price cost how much does it cost to buy shop stock",
    "recipe cook cooking food dish ingredients restaurant",
    "opinion favourite best worst recommend what do you think",
    "about you your name your age how are you your feelings",
    "arithmetic calculate math plus minus times divided",
    "celebrity famous person singer actor who is the richest",
    "travel visa tickets flights hotel booking directions",
];

pub struct Reranker {
    encoder: Arc<SentenceEncoder>,
    /// One unit-length embedding per kind of question out of scope.
    out_of_scope: Vec<Vec<f32>>,
    /// Intent key → row of `intents`.
    keys: HashMap<String, usize>,
    /// Unit-length embeddings of the intents' texts (label and keywords, ways of asking).
    intents: Vec<Vec<f32>>,
    /// The intent each row of `intents` describes.
    owner: Vec<usize>,
}

fn encoder_err(e: impl std::fmt::Display) -> KnowledgeError {
    KnowledgeError::Index(format!("re-ranking encoder: {e}"))
}

impl Reranker {
    /// Embeds every source's intents with `encoder` (about a second on two cores).
    pub fn new(encoder: Arc<SentenceEncoder>) -> Result<Self, KnowledgeError> {
        let intents = sources::intents();
        // A few texts at a time: one batch of all of them held ~75 MB more of activations, and
        // the process kept that memory (peak RSS of `serve` 418 MB against 344).
        let embed = |texts: &[&str]| -> Result<Vec<Vec<f32>>, KnowledgeError> {
            let mut rows = Vec::with_capacity(texts.len());
            for chunk in texts.chunks(EMBED_CHUNK) {
                let t = encoder.embed(chunk).map_err(encoder_err)?;
                rows.extend(t.to_vec2::<f32>().map_err(encoder_err)?);
            }
            Ok(rows)
        };
        // Each intent is its label with keywords, and each of the ways it is asked.
        let mut texts: Vec<&str> = Vec::new();
        let mut owner: Vec<usize> = Vec::new();
        for (i, (key, words)) in intents.iter().enumerate() {
            texts.push(words);
            owner.push(i);
            let shapes = ASKED
                .iter()
                .filter(|(k, _)| k == key)
                .flat_map(|(_, s)| s.split('|'));
            for shape in shapes {
                texts.push(shape.trim());
                owner.push(i);
            }
        }
        let rows = embed(&texts)?;
        let out_of_scope = embed(OUT_OF_SCOPE)?;
        let keys = intents
            .into_iter()
            .enumerate()
            .map(|(i, (key, _))| (key, i))
            .collect();
        Ok(Reranker {
            encoder,
            out_of_scope,
            keys,
            intents: rows,
            owner,
        })
    }

    /// Loads the encoder in `dir` (its first [`RERANK_ENCODER_LAYERS`] layers) and embeds the
    /// intents with it.
    pub fn load(dir: &std::path::Path) -> Result<Self, KnowledgeError> {
        let encoder = SentenceEncoder::load_layers(
            dir,
            &adapterbot_engine::Device::Cpu,
            Some(RERANK_ENCODER_LAYERS),
        )
        .map_err(encoder_err)?;
        Self::new(Arc::new(encoder))
    }

    /// The cosine between `query` and each passage's intent (0 for an id of no known intent),
    /// and the highest cosine between `query` and a kind of question out of scope.
    pub fn similarities(
        &self,
        query: &str,
        ids: &[&str],
    ) -> Result<(Vec<f32>, f32), KnowledgeError> {
        let q: Vec<f32> = self
            .encoder
            .embed_cached(query)
            .map_err(encoder_err)?
            .flatten_all()
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(encoder_err)?;
        let cosine = |v: &Vec<f32>| -> f32 { v.iter().zip(&q).map(|(a, b)| a * b).sum() };
        // An intent is as near as the nearest of its texts.
        let mut per_intent = vec![f32::MIN; self.keys.len()];
        for (row, &i) in self.intents.iter().zip(&self.owner) {
            per_intent[i] = per_intent[i].max(cosine(row));
        }
        let out_of_scope = self
            .out_of_scope
            .iter()
            .map(cosine)
            .fold(f32::MIN, f32::max);
        let per_id = ids
            .iter()
            .map(|id| {
                sources::intent_of(id)
                    .and_then(|k| self.keys.get(&k))
                    .map_or(0.0, |&i| per_intent[i])
            })
            .collect();
        Ok((per_id, out_of_scope))
    }
}
