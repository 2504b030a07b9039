//! One forward pass for many sequences at once: each row brings its next tokens (one while
//! decoding, a chunk of its prompt while prefilling), its own KV cache at its own position, and
//! its own adapter or none. The projections and the feed-forward run once over every row's
//! tokens together, which reads each weight once per step instead of once per sequence;
//! attention runs per row, over that row's cache (on the CPU, every row in one host pass).
//!
//! A row gets exactly the values it gets alone ([`Backbone::forward_last`]): every op is either
//! row-wise (norms, projections, the fused adapter) or the single-sequence attention itself.

use candle_core::{DType, Tensor};

use crate::adapter::{apply_mixed, Adapter};
use crate::backbone::{causal_mask, rms_norm, Backbone, BlockHook};
use crate::error::{EngineError, Result};
use crate::kv_cache::KvCache;

/// One sequence's part of a batched step.
pub struct BatchRow<'a> {
    /// The tokens to run after what `cache` holds (at least one).
    pub tokens: &'a [u32],
    pub cache: &'a mut KvCache,
    pub adapter: Option<&'a Adapter>,
}

impl Backbone {
    /// Runs every row's tokens after its cache (and appends them to it); returns the logits of
    /// each row's last new position, `[rows, vocab]` f32, in row order.
    pub fn forward_batch(&self, rows: &mut [BatchRow<'_>]) -> Result<Tensor> {
        if rows.is_empty() || rows.iter().any(|r| r.tokens.is_empty()) {
            return Err(EngineError::EmptyPrompt);
        }
        for r in rows.iter() {
            let end = r.cache.len() + r.tokens.len();
            if end > self.context_length() {
                return Err(EngineError::PromptTooLong {
                    prompt_tokens: end,
                    context_length: self.context_length(),
                });
            }
        }
        let ids: Vec<u32> = rows.iter().flat_map(|r| r.tokens.iter().copied()).collect();
        let ids = Tensor::new(ids.as_slice(), &self.device)?.unsqueeze(0)?;
        let n_rep = self.cfg.num_heads / self.cfg.num_kv_heads;
        let offsets: Vec<usize> = rows.iter().map(|r| r.cache.len()).collect();
        // The CPU attends through host memory (causal by construction); other devices mask.
        // Every row is one sequence with a cache, run without gradients.
        let on_host = self.attends_on_host(1, true, false);
        let masks = rows
            .iter()
            .zip(&offsets)
            .filter(|_| !on_host)
            .map(|(r, &offset)| causal_mask(r.tokens.len(), offset, n_rep, &self.device))
            .collect::<Result<Vec<_>>>()?;
        let positions: Vec<u32> = rows
            .iter()
            .zip(&offsets)
            .flat_map(|(r, &o)| (o..o + r.tokens.len()).map(|p| p as u32))
            .collect();
        // Gathered once per step: every layer rotates the same positions.
        let rope = self
            .rope
            .at(&Tensor::new(positions.as_slice(), &self.device)?)?;
        let all_decoding = rows.iter().all(|r| r.tokens.len() == 1);
        let any_adapter = rows.iter().any(|r| r.adapter.is_some());

        let mut h = self.embed.forward(&ids)?;
        for (layer, block) in self.blocks.iter().enumerate() {
            let normed = rms_norm(&h, &block.attn_norm, self.cfg.rms_norm_eps, false)?;
            let qkv = block.qkv.forward(&normed)?;
            // Heads split and rotated once for every row's tokens, each at its own position.
            let (q, k, v) = self.split_heads(&qkv)?;
            let q = rope.apply(&q, 0, false)?;
            let k = rope.apply(&k, 0, false)?;
            let v = v.contiguous()?;
            let attn = if on_host {
                let mut caches: Vec<(&mut KvCache, usize)> = rows
                    .iter_mut()
                    .map(|r| (&mut *r.cache, r.tokens.len()))
                    .collect();
                self.host_attend(layer, &q, &k, &v, &mut caches)?
            } else {
                let mut parts = Vec::with_capacity(rows.len());
                let mut start = 0;
                for (i, r) in rows.iter_mut().enumerate() {
                    let n = r.tokens.len();
                    let row = |t: &Tensor| t.narrow(2, start, n);
                    parts.push(self.attend(
                        layer,
                        &row(&q)?,
                        &row(&k)?,
                        &row(&v)?,
                        Some(&mut *r.cache),
                        masks[i].as_ref(),
                        false,
                    )?);
                    start += n;
                }
                Tensor::cat(&parts, 1)?
            };
            h = self.block_tail(block, &h, &attn, false)?;
            if any_adapter {
                h = self.adapters_after(layer, &h, rows, all_decoding)?;
            }
        }
        let mut last = Vec::with_capacity(rows.len());
        let mut end = 0u32;
        for r in rows.iter_mut() {
            r.cache.advance(r.tokens.len());
            end += r.tokens.len() as u32;
            last.push(end - 1);
        }
        let last = Tensor::new(last.as_slice(), &self.device)?;
        let hidden = h.squeeze(0)?.index_select(&last, 0)?;
        Ok(self.head(&hidden, false)?.to_dtype(DType::F32)?)
    }

    /// Every row's adapter after block `layer`: one fused pass when every row is a single
    /// decoding token, else row by row (each row as it would be alone).
    fn adapters_after(
        &self,
        layer: usize,
        h: &Tensor,
        rows: &[BatchRow<'_>],
        all_decoding: bool,
    ) -> Result<Tensor> {
        if all_decoding {
            let adapters: Vec<Option<&Adapter>> = rows.iter().map(|r| r.adapter).collect();
            if let Some(out) = apply_mixed(layer, h, &adapters)? {
                return Ok(out);
            }
        }
        let mut parts = Vec::with_capacity(rows.len());
        let mut start = 0;
        for r in rows {
            let n = r.tokens.len();
            let part = h.narrow(1, start, n)?;
            parts.push(match r.adapter {
                Some(a) => a.after_block(layer, &part, false)?,
                None => part,
            });
            start += n;
        }
        Ok(Tensor::cat(&parts, 1)?)
    }
}
