//! Causal softmax of scaled attention scores in the stacked grouped-query layout.

use candle_core::{CpuStorage, CustomOp1, Layout, Shape, Tensor, D};
use rayon::prelude::*;

use super::{backward, f32_slice};
use crate::error::Result;

pub(super) struct CausalSoftmax {
    scale: f32,
    /// Query positions per head group; rows repeat every `seq` (one block per stacked head).
    seq: usize,
    offset: usize,
    keys: usize,
}

impl CausalSoftmax {
    pub(super) fn new(scores: &Tensor, scale: f32, seq: usize, offset: usize) -> Result<Self> {
        let keys = scores.dim(D::Minus1)?;
        let rows = scores.dim(D::Minus2)?;
        if seq == 0 || rows % seq != 0 || keys != offset + seq {
            return Err(candle_core::Error::Msg(format!(
                "causal softmax: scores {:?} do not fit {seq} queries after {offset} keys",
                scores.dims()
            ))
            .into());
        }
        Ok(Self {
            scale,
            seq,
            offset,
            keys,
        })
    }

    /// Keys visible to flat row `row`.
    fn visible(&self, row: usize) -> usize {
        self.offset + row % self.seq + 1
    }
}

impl CustomOp1 for CausalSoftmax {
    fn name(&self) -> &'static str {
        "train-causal-softmax"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = f32_slice(s, l)?;
        let mut out = vec![0f32; x.len()];
        out.par_chunks_mut(self.keys)
            .zip(x.par_chunks(self.keys))
            .enumerate()
            .for_each(|(row, (y, x))| {
                let n = self.visible(row);
                let max = x[..n].iter().fold(f32::NEG_INFINITY, |m, v| m.max(*v));
                let mut sum = 0f32;
                for (y, x) in y[..n].iter_mut().zip(&x[..n]) {
                    *y = ((x - max) * self.scale).exp();
                    sum += *y;
                }
                let inv = 1.0 / sum;
                y[..n].iter_mut().for_each(|y| *y *= inv);
            });
        Ok((CpuStorage::F32(out), l.shape().clone()))
    }

    /// `dx = scale · y · (g − Σ g · y)` per row (masked keys have `y = 0`, so no gradient).
    fn bwd(&self, _x: &Tensor, y: &Tensor, grad: &Tensor) -> candle_core::Result<Option<Tensor>> {
        let keys = self.keys;
        let dx = backward("train-softmax-grad", y, grad, y.shape().clone(), |y, g| {
            let mut out = vec![0f32; y.len()];
            out.par_chunks_mut(keys)
                .zip(y.par_chunks(keys).zip(g.par_chunks(keys)))
                .for_each(|(dx, (y, g))| {
                    let dot: f32 = y.iter().zip(g).map(|(y, g)| y * g).sum();
                    for ((d, y), g) in dx.iter_mut().zip(y).zip(g) {
                        *d = self.scale * y * (g - dot);
                    }
                });
            out
        })?;
        Ok(Some(dx))
    }
}
