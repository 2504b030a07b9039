//! The training path's row-wise ops, each one pass over memory with a hand-written backward.
//!
//! candle's differentiable forms of these (`rms_norm_slow`, `layer_norm_slow`, `rope_i_slow`, `softmax`, `silu` ×
//! up, `cross_entropy`) are chains of a dozen element-wise ops whose backward passes allocate and
//! walk every intermediate: measured on SmolLM2 at 4 × 128 tokens they cost more than the
//! matmuls of a training step (docs/training.md, "Where a training step's time goes"). The ops
//! here compute the same values and the same input gradients (checked against the slow forms in
//! `tests/train_ops.rs`), in parallel over rows. Only the inputs' gradients are produced: the
//! backbone's weights are frozen. Off the CPU the slow forms run instead.

mod cross_entropy;
mod layer_norm;
mod rms_norm;
mod rope;
mod softmax;
mod swiglu;

use candle_core::{CpuStorage, CustomOp2, Layout, Shape, Tensor};

use crate::error::Result;

/// `x · rsqrt(mean(x²) + eps) · w` over the last axis, `w` frozen.
pub fn rms_norm(x: &Tensor, w: &Tensor, eps: f32) -> Result<Tensor> {
    if !x.device().is_cpu() {
        return Ok(candle_nn::ops::rms_norm_slow(x, w, eps)?);
    }
    let op = rms_norm::RmsNorm::new(w, eps)?;
    Ok(x.contiguous()?.apply_op1(op)?)
}

/// `(x − mean(x)) / sqrt(var(x) + eps) · w + b` over the last axis, with gradients for all
/// three (the adapters' trainable norm).
pub fn layer_norm(x: &Tensor, w: &Tensor, b: &Tensor, eps: f32) -> Result<Tensor> {
    if !x.device().is_cpu() {
        return Ok(candle_nn::ops::layer_norm_slow(x, w, b, eps)?);
    }
    let op = layer_norm::LayerNorm { eps };
    Ok(x.contiguous()?
        .apply_op3(&w.contiguous()?, &b.contiguous()?, op)?)
}

/// Interleaved rotary embedding of `x` `[batch, heads, seq, head_dim]` with tables `[seq,
/// head_dim / 2]`.
pub fn rope_i(x: &Tensor, cos: &Tensor, sin: &Tensor) -> Result<Tensor> {
    if !x.device().is_cpu() {
        return Ok(candle_nn::rotary_emb::rope_i_slow(
            &x.contiguous()?,
            cos,
            sin,
        )?);
    }
    let op = rope::RopeI::new(x, cos, sin)?;
    Ok(x.contiguous()?.apply_op1(op)?)
}

/// Causal softmax of `scale · scores` over the last axis, for scores `[…, n_rep · seq, offset +
/// seq]` in the stacked grouped-query layout: row `r` is query `r mod seq`, which sees keys
/// `0..=offset + r mod seq`. The same values as adding the causal mask and taking the softmax.
pub fn causal_softmax(scores: &Tensor, scale: f32, seq: usize, offset: usize) -> Result<Tensor> {
    if !scores.device().is_cpu() {
        let n_rep = scores.dim(candle_core::D::Minus2)? / seq;
        let scores = (scores * scale as f64)?;
        let scores = match crate::backbone::causal_mask(seq, offset, n_rep, scores.device())? {
            Some(m) => scores.broadcast_add(&m)?,
            None => scores,
        };
        return Ok(candle_nn::ops::softmax(&scores, candle_core::D::Minus1)?);
    }
    let op = softmax::CausalSoftmax::new(scores, scale, seq, offset)?;
    Ok(scores.contiguous()?.apply_op1(op)?)
}

/// `silu(gate) · up` for `gate_up` `[…, 2 · ffn]` holding gate then up → `[…, ffn]`.
pub fn swiglu(gate_up: &Tensor, ffn: usize) -> Result<Tensor> {
    if !gate_up.device().is_cpu() {
        let last = gate_up.rank() - 1;
        let gate = gate_up.narrow(last, 0, ffn)?;
        let up = gate_up.narrow(last, ffn, ffn)?;
        return Ok((candle_nn::ops::silu(&gate)? * up)?);
    }
    let op = swiglu::SwiGlu::new(gate_up, ffn)?;
    Ok(gate_up.contiguous()?.apply_op1(op)?)
}

/// Mean cross-entropy of `logits` `[n, vocab]` against `labels` `[n]` (u32): a scalar.
pub fn cross_entropy(logits: &Tensor, labels: &Tensor) -> Result<Tensor> {
    if !logits.device().is_cpu() {
        return Ok(candle_nn::loss::cross_entropy(logits, labels)?);
    }
    let op = cross_entropy::NllRows::new(logits, labels)?;
    Ok(logits.contiguous()?.apply_op1(op)?.mean_all()?)
}

/// The contiguous f32 data of a custom op's input.
fn f32_slice<'a>(storage: &'a CpuStorage, layout: &Layout) -> candle_core::Result<&'a [f32]> {
    match layout.contiguous_offsets() {
        Some((start, end)) => Ok(&storage.as_slice::<f32>()?[start..end]),
        None => candle_core::bail!("training op expects a contiguous f32 input"),
    }
}

/// The host values of a small f32 tensor (weights, tables) for a custom op to hold.
fn host_vec(t: &Tensor) -> Result<Vec<f32>> {
    Ok(t.flatten_all()?.to_vec1::<f32>()?)
}

/// Runs a backward pass as one CPU op: `f(saved, grad)` → the input's gradient, of `shape`.
/// `saved` is what the forward op keeps for it (its input or its output).
fn backward(
    name: &'static str,
    saved: &Tensor,
    grad: &Tensor,
    shape: Shape,
    f: impl Fn(&[f32], &[f32]) -> Vec<f32>,
) -> candle_core::Result<Tensor> {
    saved.apply_op2_no_bwd(&grad.contiguous()?, &Backward { name, shape, f })
}

struct Backward<F> {
    name: &'static str,
    shape: Shape,
    f: F,
}

impl<F: Fn(&[f32], &[f32]) -> Vec<f32>> CustomOp2 for Backward<F> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn cpu_fwd(
        &self,
        ss: &CpuStorage,
        sl: &Layout,
        gs: &CpuStorage,
        gl: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let out = (self.f)(f32_slice(ss, sl)?, f32_slice(gs, gl)?);
        if out.len() != self.shape.elem_count() {
            candle_core::bail!(
                "{}: {} values for shape {:?}",
                self.name,
                out.len(),
                self.shape
            );
        }
        Ok((CpuStorage::F32(out), self.shape.clone()))
    }
}
