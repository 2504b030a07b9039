//! The frozen llama-architecture decoder, with a hook after every transformer block where a
//! skill adapter (or nothing) is applied.

use candle_core::{DType, Device, Tensor};

use crate::config::LlamaConfig;
use crate::error::{EngineError, Result};
use crate::host_attention::{attend_rows, Heads, RowQueries};
use crate::kv_cache::KvCache;
use crate::linear::FrozenLinear;
use crate::rope::Rope;
use crate::train_ops;

/// What runs after each transformer block: `h ← hook(layer, h)`. Skill adapters implement it.
pub trait BlockHook {
    fn after_block(&self, layer: usize, hidden: &Tensor, differentiable: bool) -> Result<Tensor>;
}

#[derive(Debug, Clone)]
pub enum Embedding {
    /// Rows read from the packed output head it is tied to (one copy for both).
    Packed(std::sync::Arc<crate::packed::PackedMatrix>),
    Quantized(std::sync::Arc<candle_core::quantized::QTensor>),
    /// `[vocab, hidden]` f32.
    Dense(Tensor),
}

impl Embedding {
    pub(crate) fn forward(&self, ids: &Tensor) -> Result<Tensor> {
        Ok(match self {
            Self::Packed(p) => {
                let ids_flat = ids.flatten_all()?.to_vec1::<u32>()?;
                if let Some(id) = ids_flat.iter().find(|&&id| id as usize >= p.rows()) {
                    return Err(candle_core::Error::Msg(format!(
                        "token id {id} is outside the vocabulary"
                    ))
                    .into());
                }
                let data = p.dequantize_rows(ids_flat.iter().map(|&id| id as usize));
                let mut dims = ids.dims().to_vec();
                dims.push(p.cols());
                Tensor::from_vec(data, dims, ids.device())?
            }
            Self::Quantized(q) => q.embedding(ids)?,
            Self::Dense(w) => {
                let mut dims = ids.dims().to_vec();
                dims.push(w.dim(1)?);
                w.index_select(&ids.flatten_all()?, 0)?.reshape(dims)?
            }
        })
    }
}

#[derive(Debug, Clone)]
pub struct Block {
    pub attn_norm: Tensor,
    /// Q, K and V projections fused into one `[q + k + v, hidden]` matrix.
    pub qkv: FrozenLinear,
    pub attn_out: FrozenLinear,
    pub ffn_norm: Tensor,
    /// Gate and up projections fused into one `[2 · ffn, hidden]` matrix.
    pub gate_up: FrozenLinear,
    pub down: FrozenLinear,
}

#[derive(Debug, Clone)]
pub struct Backbone {
    pub(crate) cfg: LlamaConfig,
    pub(crate) embed: Embedding,
    pub(crate) blocks: Vec<Block>,
    pub(crate) final_norm: Tensor,
    pub(crate) lm_head: FrozenLinear,
    pub(crate) rope: Rope,
    pub(crate) device: Device,
    /// Identifies the weights; adapters record it and refuse other backbones.
    pub(crate) fingerprint: String,
}

impl Backbone {
    pub fn config(&self) -> &LlamaConfig {
        &self.cfg
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// sha256 of the model file(s): what an adapter's `base_model_sha256` must equal.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Longest prompt + reply this backbone accepts (the model's context, capped at load).
    pub fn context_length(&self) -> usize {
        self.rope.max_positions()
    }

    /// Every dense backbone tensor (norms, f32 projections, f32 embedding): the tensors that
    /// must never receive a gradient.
    pub fn frozen_tensors(&self) -> Vec<Tensor> {
        let mut out = vec![self.final_norm.clone()];
        if let Embedding::Dense(w) = &self.embed {
            out.push(w.clone());
        }
        let mut linear = |l: &FrozenLinear| {
            if let FrozenLinear::Dense(w) = l {
                out.push(w.clone());
            }
        };
        linear(&self.lm_head);
        for b in &self.blocks {
            for l in [&b.qkv, &b.attn_out, &b.gate_up, &b.down] {
                linear(l);
            }
        }
        for b in &self.blocks {
            out.push(b.attn_norm.clone());
            out.push(b.ffn_norm.clone());
        }
        out
    }

    pub fn new_cache(&self) -> KvCache {
        KvCache::new(self.cfg.num_layers)
    }

    /// Runs `ids` after what `cache` holds and returns the logits of the last position
    /// (`[vocab]`, f32). The serving path: fused, non-differentiable kernels.
    pub fn forward_last(
        &self,
        ids: &[u32],
        cache: &mut KvCache,
        hook: Option<&dyn BlockHook>,
    ) -> Result<Tensor> {
        if ids.is_empty() {
            return Err(EngineError::EmptyPrompt);
        }
        let offset = cache.len();
        if offset + ids.len() > self.context_length() {
            return Err(EngineError::PromptTooLong {
                prompt_tokens: offset + ids.len(),
                context_length: self.context_length(),
            });
        }
        let ids_t = Tensor::new(ids, &self.device)?.unsqueeze(0)?;
        let hidden = self.run_blocks(&ids_t, offset, Some(cache), hook, false)?;
        cache.advance(ids.len());
        let last = hidden.narrow(1, ids.len() - 1, 1)?;
        let logits = self.head(&last, false)?;
        Ok(logits.flatten_all()?.to_dtype(DType::F32)?)
    }

    /// Logits for every position of `ids` (`[batch, seq]` u32 → `[batch, seq, vocab]`), with
    /// differentiable ops so gradients reach the hook's tensors. The training path.
    pub fn forward_train(&self, ids: &Tensor, hook: Option<&dyn BlockHook>) -> Result<Tensor> {
        let seq = ids.dim(1)?;
        if seq > self.context_length() {
            return Err(EngineError::PromptTooLong {
                prompt_tokens: seq,
                context_length: self.context_length(),
            });
        }
        let hidden = self.run_blocks(ids, 0, None, hook, true)?;
        self.head(&hidden, true)
    }

    /// Like [`Self::forward_train`], but the output head runs only at `positions` (u32 indices
    /// into the flattened `[batch · seq]` rows), giving `[positions, vocab]`. Training needs the
    /// logits of the reply tokens only; the head is a fifth of the work per position.
    pub fn forward_train_at(
        &self,
        ids: &Tensor,
        positions: &Tensor,
        hook: Option<&dyn BlockHook>,
    ) -> Result<Tensor> {
        let seq = ids.dim(1)?;
        if seq > self.context_length() {
            return Err(EngineError::PromptTooLong {
                prompt_tokens: seq,
                context_length: self.context_length(),
            });
        }
        let hidden = self.run_blocks(ids, 0, None, hook, true)?;
        let (b, s, h) = hidden.dims3()?;
        let rows = hidden.reshape((b * s, h))?.index_select(positions, 0)?;
        self.head(&rows, true)
    }

    pub(crate) fn head(&self, hidden: &Tensor, differentiable: bool) -> Result<Tensor> {
        let h = rms_norm(
            hidden,
            &self.final_norm,
            self.cfg.rms_norm_eps,
            differentiable,
        )?;
        self.lm_head.forward(&h)
    }

    fn run_blocks(
        &self,
        ids: &Tensor,
        offset: usize,
        mut cache: Option<&mut KvCache>,
        hook: Option<&dyn BlockHook>,
        differentiable: bool,
    ) -> Result<Tensor> {
        let (_, seq) = ids.dims2()?;
        let mut h = self.embed.forward(ids)?;
        // The training path's softmax is causal by index (`train_ops::causal_softmax`) and the
        // host attention by construction: no mask for either.
        let batch = ids.dim(0)?;
        let mask = if differentiable || self.attends_on_host(batch, cache.is_some(), differentiable)
        {
            None
        } else {
            causal_mask(
                seq,
                offset,
                self.cfg.num_heads / self.cfg.num_kv_heads,
                &self.device,
            )?
        };
        for (layer, block) in self.blocks.iter().enumerate() {
            let cache = cache.as_deref_mut();
            h = self.block_forward(
                layer,
                block,
                &h,
                offset,
                cache,
                mask.as_ref(),
                differentiable,
            )?;
            if let Some(hook) = hook {
                h = hook.after_block(layer, &h, differentiable)?;
            }
        }
        Ok(h)
    }

    #[allow(clippy::too_many_arguments)]
    fn block_forward(
        &self,
        layer: usize,
        block: &Block,
        x: &Tensor,
        offset: usize,
        cache: Option<&mut KvCache>,
        mask: Option<&Tensor>,
        differentiable: bool,
    ) -> Result<Tensor> {
        let normed = rms_norm(x, &block.attn_norm, self.cfg.rms_norm_eps, differentiable)?;
        let qkv = block.qkv.forward(&normed)?;
        let attn = self.attention(layer, &qkv, offset, cache, mask, differentiable)?;
        self.block_tail(block, x, &attn, differentiable)
    }

    /// Self-attention of one sequence's new positions: `qkv` `[b, seq, (heads + 2 · kv_heads) ·
    /// head_dim]` at positions `offset..`, after what `cache` holds (and appended to it) →
    /// `[b, seq, heads · head_dim]`.
    pub(crate) fn attention(
        &self,
        layer: usize,
        qkv: &Tensor,
        offset: usize,
        cache: Option<&mut KvCache>,
        mask: Option<&Tensor>,
        differentiable: bool,
    ) -> Result<Tensor> {
        let (q, k, v) = self.split_heads(qkv)?;
        let q = self.rope.apply(&q, offset, differentiable)?;
        let k = self.rope.apply(&k, offset, differentiable)?;
        self.attend(layer, &q, &k, &v.contiguous()?, cache, mask, differentiable)
    }

    /// `qkv` `[b, seq, …]` → Q `[b, heads, seq, head_dim]`, K and V `[b, kv_heads, seq, head_dim]`.
    pub(crate) fn split_heads(&self, qkv: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
        let cfg = &self.cfg;
        let (b, seq, _) = qkv.dims3()?;
        let (nh, nkv, hd) = (cfg.num_heads, cfg.num_kv_heads, cfg.head_dim);
        let heads = |start: usize, n: usize| -> Result<Tensor> {
            Ok(qkv
                .narrow(2, start * hd, n * hd)?
                .reshape((b, seq, n, hd))?
                .transpose(1, 2)?)
        };
        Ok((heads(0, nh)?, heads(nh, nkv)?, heads(nh + nkv, nkv)?))
    }

    /// Attention of rotated `q` over `cache` plus rotated `k` and `v` (appended to the cache).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn attend(
        &self,
        layer: usize,
        q: &Tensor,
        k: &Tensor,
        v: &Tensor,
        cache: Option<&mut KvCache>,
        mask: Option<&Tensor>,
        differentiable: bool,
    ) -> Result<Tensor> {
        let cfg = &self.cfg;
        let (b, nh, seq, hd) = q.dims4()?;
        let nkv = cfg.num_kv_heads;
        let (k, v) = match cache {
            Some(c) if self.attends_on_host(b, true, differentiable) => {
                return self.host_attend(layer, q, k, v, &mut [(c, seq)]);
            }
            Some(c) => c.append(layer, k, v)?,
            None => (k.clone(), v.clone()),
        };

        // Grouped-query attention without copying K/V per head: the query heads that share a
        // K/V head are stacked along the sequence axis, `[b, kv_heads, n_rep · seq, head_dim]`.
        let n_rep = nh / nkv;
        let q = q.reshape((b, nkv, n_rep * seq, hd))?;
        let scale = 1.0 / (hd as f64).sqrt();
        let scores = q.matmul(&k.t()?)?;
        let probs = if differentiable {
            // The training path: causal by construction (the mask is for the serving path).
            let offset = k.dim(2)? - seq;
            train_ops::causal_softmax(&scores, scale as f32, seq, offset)?
        } else {
            let scores = (scores * scale)?;
            let scores = match mask {
                Some(m) => scores.broadcast_add(m)?,
                None => scores,
            };
            candle_nn::ops::softmax_last_dim(&scores)?
        };
        Ok(probs
            .matmul(&v)?
            .reshape((b, nh, seq, hd))?
            .transpose(1, 2)?
            .reshape((b, seq, nh * hd))?)
    }

    /// Whether attention of a `batch` runs through [`Self::host_attend`]: the CPU's serving path
    /// (one sequence, with a cache, no gradients).
    pub(crate) fn attends_on_host(
        &self,
        batch: usize,
        has_cache: bool,
        differentiable: bool,
    ) -> bool {
        has_cache && !differentiable && batch == 1 && self.device.is_cpu()
    }

    /// The CPU serving path of attention for the rows of a step: rotated `q` `[1, heads, tokens,
    /// head_dim]`, `k` and `v` `[1, kv_heads, tokens, head_dim]` of every row's new tokens in row
    /// order; each row's `(cache, tokens)` gets its keys and values appended →
    /// `[1, tokens, heads · head_dim]`.
    pub(crate) fn host_attend(
        &self,
        layer: usize,
        q: &Tensor,
        k: &Tensor,
        v: &Tensor,
        rows: &mut [(&mut KvCache, usize)],
    ) -> Result<Tensor> {
        let cfg = &self.cfg;
        let shape = Heads {
            heads: cfg.num_heads,
            kv_heads: cfg.num_kv_heads,
            head_dim: cfg.head_dim,
        };
        let token_major = |t: &Tensor| -> Result<Vec<f32>> {
            Ok(t.transpose(1, 2)?
                .contiguous()?
                .flatten_all()?
                .to_vec1::<f32>()?)
        };
        let (q, k, v) = (token_major(q)?, token_major(k)?, token_major(v)?);
        let per_q = shape.heads * shape.head_dim;
        let per_kv = shape.kv_heads * shape.head_dim;
        let mut start = 0;
        for (cache, n) in rows.iter_mut() {
            let span = start * per_kv..(start + *n) * per_kv;
            cache
                .host_layer_mut(layer)
                .append(&k[span.clone()], &v[span], per_kv);
            start += *n;
        }
        let mut out = vec![0f32; q.len()];
        let mut queries = Vec::with_capacity(rows.len());
        let (mut rest, mut start) = (&mut out[..], 0);
        for (cache, n) in rows.iter() {
            let (mine, tail) = rest.split_at_mut(n * per_q);
            rest = tail;
            queries.push(RowQueries {
                q: &q[start * per_q..(start + n) * per_q],
                kv: cache.host_layer(layer),
                out: mine,
            });
            start += n;
        }
        attend_rows(shape, queries);
        Ok(Tensor::from_vec(out, (1, start, per_q), &self.device)?)
    }

    /// The rest of a block once attention is done: output projection, residual, feed-forward.
    pub(crate) fn block_tail(
        &self,
        block: &Block,
        x: &Tensor,
        attn: &Tensor,
        differentiable: bool,
    ) -> Result<Tensor> {
        let cfg = &self.cfg;
        let x = (x + block.attn_out.forward(attn)?)?;
        let normed = rms_norm(&x, &block.ffn_norm, cfg.rms_norm_eps, differentiable)?;
        let gate_up = block.gate_up.forward(&normed)?;
        let ffn = cfg.intermediate_size;
        let act = if differentiable {
            train_ops::swiglu(&gate_up, ffn)?
        } else {
            let gate = gate_up.narrow(2, 0, ffn)?;
            let up = gate_up.narrow(2, ffn, ffn)?;
            (candle_nn::ops::silu(&gate)? * up)?
        };
        Ok((x + block.down.forward(&act)?)?)
    }
}

pub(crate) fn rms_norm(x: &Tensor, w: &Tensor, eps: f64, differentiable: bool) -> Result<Tensor> {
    Ok(if differentiable {
        train_ops::rms_norm(x, w, eps as f32)?
    } else {
        candle_nn::ops::rms_norm(&x.contiguous()?, w, eps as f32)?
    })
}

/// Additive causal mask `[n_rep · seq, offset + seq]` matching the stacked query layout, or
/// `None` for a single new token (it may attend to everything cached).
pub(crate) fn causal_mask(
    seq: usize,
    offset: usize,
    n_rep: usize,
    device: &Device,
) -> Result<Option<Tensor>> {
    if seq == 1 {
        return Ok(None);
    }
    let total = offset + seq;
    let row: Vec<f32> = (0..seq)
        .flat_map(|i| {
            (0..total).map(move |j| {
                if j > offset + i {
                    f32::NEG_INFINITY
                } else {
                    0.0
                }
            })
        })
        .collect();
    let one = Tensor::from_vec(row, (seq, total), device)?;
    Ok(Some(Tensor::cat(&vec![one; n_rep], 0)?))
}
