//! Interleaved rotary embedding: each pair `(x₂ₖ, x₂ₖ₊₁)` at position `t` is rotated by the
//! angle whose cosine and sine are `cos[t, k]`, `sin[t, k]`. Its gradient is the rotation back.

use candle_core::{CpuStorage, CustomOp1, Layout, Shape, Tensor};
use rayon::prelude::*;

use super::{f32_slice, host_vec};
use crate::error::Result;

pub(super) struct RopeI {
    cos: Vec<f32>,
    sin: Vec<f32>,
    seq: usize,
    head_dim: usize,
    /// Rotate by the negative angle (the backward pass).
    inverse: bool,
}

impl RopeI {
    pub(super) fn new(x: &Tensor, cos: &Tensor, sin: &Tensor) -> Result<Self> {
        let (_, _, seq, head_dim) = x.dims4()?;
        if cos.dims() != [seq, head_dim / 2] || sin.dims() != cos.dims() {
            return Err(candle_core::Error::Msg(format!(
                "rope tables {:?} do not fit input {:?}",
                cos.dims(),
                x.dims()
            ))
            .into());
        }
        Ok(Self {
            cos: host_vec(cos)?,
            sin: host_vec(sin)?,
            seq,
            head_dim,
            inverse: false,
        })
    }

    fn rotate(&self, x: &[f32]) -> Vec<f32> {
        let (d, half) = (self.head_dim, self.head_dim / 2);
        let sign = if self.inverse { -1.0 } else { 1.0 };
        let mut out = vec![0f32; x.len()];
        out.par_chunks_mut(self.seq * d)
            .zip(x.par_chunks(self.seq * d))
            .for_each(|(y, x)| {
                for t in 0..self.seq {
                    let (c, s) = (&self.cos[t * half..], &self.sin[t * half..]);
                    let (y, x) = (&mut y[t * d..(t + 1) * d], &x[t * d..(t + 1) * d]);
                    for k in 0..half {
                        let (a, b) = (x[2 * k], x[2 * k + 1]);
                        let (c, s) = (c[k], sign * s[k]);
                        y[2 * k] = a * c - b * s;
                        y[2 * k + 1] = a * s + b * c;
                    }
                }
            });
        out
    }
}

impl CustomOp1 for RopeI {
    fn name(&self) -> &'static str {
        "train-rope-i"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let out = self.rotate(f32_slice(s, l)?);
        Ok((CpuStorage::F32(out), l.shape().clone()))
    }

    fn bwd(&self, _x: &Tensor, _y: &Tensor, grad: &Tensor) -> candle_core::Result<Option<Tensor>> {
        let back = RopeI {
            cos: self.cos.clone(),
            sin: self.sin.clone(),
            inverse: !self.inverse,
            ..*self
        };
        Ok(Some(grad.contiguous()?.apply_op1_no_bwd(&back)?))
    }
}
