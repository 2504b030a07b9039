//! The feed-forward gate: `silu(gate) · up` from the fused gate-and-up projection.

use candle_core::{CpuStorage, CustomOp1, Layout, Shape, Tensor, D};
use rayon::prelude::*;

use super::{backward, f32_slice};
use crate::error::Result;

pub(super) struct SwiGlu {
    ffn: usize,
}

impl SwiGlu {
    pub(super) fn new(gate_up: &Tensor, ffn: usize) -> Result<Self> {
        if gate_up.dim(D::Minus1)? != 2 * ffn {
            return Err(candle_core::Error::Msg(format!(
                "swiglu: last axis of {:?} is not 2 × {ffn}",
                gate_up.dims()
            ))
            .into());
        }
        Ok(Self { ffn })
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

impl CustomOp1 for SwiGlu {
    fn name(&self) -> &'static str {
        "train-swiglu"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = f32_slice(s, l)?;
        let f = self.ffn;
        let mut out = vec![0f32; x.len() / 2];
        out.par_chunks_mut(f)
            .zip(x.par_chunks(2 * f))
            .for_each(|(y, x)| {
                let (gate, up) = x.split_at(f);
                for ((y, g), u) in y.iter_mut().zip(gate).zip(up) {
                    *y = g * sigmoid(*g) * u;
                }
            });
        let mut dims = l.shape().dims().to_vec();
        *dims.last_mut().expect("checked rank") = f;
        Ok((CpuStorage::F32(out), Shape::from(dims)))
    }

    /// `d gate = g · up · silu'(gate)`, `d up = g · silu(gate)`, side by side like the input.
    fn bwd(&self, x: &Tensor, _y: &Tensor, grad: &Tensor) -> candle_core::Result<Option<Tensor>> {
        let f = self.ffn;
        let dx = backward("train-swiglu-grad", x, grad, x.shape().clone(), |x, g| {
            let mut out = vec![0f32; x.len()];
            out.par_chunks_mut(2 * f)
                .zip(x.par_chunks(2 * f).zip(g.par_chunks(f)))
                .for_each(|(dx, (x, g))| {
                    let (gate, up) = x.split_at(f);
                    let (d_gate, d_up) = dx.split_at_mut(f);
                    for k in 0..f {
                        let s = sigmoid(gate[k]);
                        d_gate[k] = g[k] * up[k] * s * (1.0 + gate[k] * (1.0 - s));
                        d_up[k] = g[k] * gate[k] * s;
                    }
                });
            out
        })?;
        Ok(Some(dx))
    }
}
