//! Continuous batching's inner step: every running generation advances by one forward pass,
//! all in one batch ([`Backbone::forward_batch`](crate::Backbone::forward_batch)). A new prompt
//! is prefilled in chunks of at most [`PREFILL_CHUNK`] tokens, so the replies already streaming
//! keep getting a token every step while it joins. Generations join and leave between steps:
//! the caller passes whichever are running.

use std::time::Instant;

use crate::engine::Engine;
use crate::error::EngineError;
use crate::error::Result;
use crate::generate::{Event, Generation};

/// Prompt tokens a generation runs per forward pass, batched or alone. A 300-token prompt joins a running batch in five steps
/// instead of one long pause; a prompt this short or shorter runs in one pass. The chunks are
/// the same alone and batched because with quantized activations a prompt run in other chunks
/// gives slightly different numbers, and greedy decoding can then pick another token.
pub const PREFILL_CHUNK: usize = 64;

impl Engine {
    /// Advances every generation in `gens` by one batched forward pass. Returns, per
    /// generation, what it has to report after this step: new text; its `Done` once it has
    /// ended (it is then left out of the pass); an error, which ends it; or `None` (a prompt
    /// chunk ran, text is held back, or its `Done` was already reported).
    ///
    /// Greedy (or seeded) replies are the ones [`Generation`] gives alone, token for token.
    pub fn step_batch(&self, gens: &mut [&mut Generation<'_>]) -> Vec<Option<Result<Event>>> {
        let mut out: Vec<Option<Result<Event>>> = gens.iter().map(|_| None).collect();
        let mut live = Vec::new();
        for (i, g) in gens.iter_mut().enumerate() {
            if g.is_finished() {
                out[i] = g.take_done().map(Ok);
            } else {
                live.push(i);
            }
        }
        if live.is_empty() {
            return out;
        }
        let started = Instant::now();
        let mut ran = Vec::with_capacity(live.len());
        let result = {
            let mut rows = Vec::with_capacity(live.len());
            for g in gens.iter_mut().filter(|g| !g.is_finished()) {
                let row = g.batch_row();
                ran.push(row.tokens.len());
                rows.push(row);
            }
            self.backbone().forward_batch(&mut rows)
        };
        let logits = match result {
            Ok(l) => l,
            Err(e) => {
                // The pass is shared: every generation in it ends with the same error.
                let message = e.to_string();
                for &i in &live {
                    gens[i].fail();
                    out[i] = Some(Err(EngineError::Batch(message.clone())));
                }
                return out;
            }
        };
        for (k, &i) in live.iter().enumerate() {
            let g = &mut *gens[i];
            let step = logits
                .get(k)
                .map_err(EngineError::from)
                .and_then(|row| g.after_batch_row(ran[k], &row, started));
            out[i] = match step {
                Ok(Some(text)) => Some(Ok(Event::Text { text })),
                Ok(None) => g.take_done().map(Ok),
                Err(e) => {
                    g.fail();
                    Some(Err(e))
                }
            };
        }
        out
    }
}
