//! Persona facts in the order a reply needs them. A persona skill's reply usually says one of
//! its facts back, and it picked the wrong one more often than not when the facts came in the
//! order they were given; listed by closeness in meaning to the user's turn (MiniLM, all six
//! layers), the fact the turn asks about comes first far more often (docs/training.md).

use crate::manager::{ManagerError, SentenceEncoder};

/// `facts` ordered by the cosine similarity of their embedding to `turn`'s, most similar first;
/// equal scores keep their given order. Each text is embedded alone and cached, so a skill's own
/// facts are embedded once per process.
pub fn order_by_relevance(
    encoder: &SentenceEncoder,
    turn: &str,
    facts: &[String],
) -> Result<Vec<String>, ManagerError> {
    if facts.len() < 2 {
        return Ok(facts.to_vec());
    }
    let err = |e: candle_core::Error| ManagerError::Model(format!("ranking persona facts: {e}"));
    let query = encoder.embed_cached(turn)?;
    let mut scored = Vec::with_capacity(facts.len());
    for (i, fact) in facts.iter().enumerate() {
        let e = encoder.embed_cached(fact)?;
        let cos = (&query * &e)
            .and_then(|p| p.sum_all())
            .and_then(|s| s.to_scalar::<f32>())
            .map_err(err)?;
        scored.push((cos, i));
    }
    // Stable: ties keep the caller's order.
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    Ok(scored.into_iter().map(|(_, i)| facts[i].clone()).collect())
}
