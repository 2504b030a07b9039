//! RMSNorm with a frozen weight: `y = x · r · w`, `r = 1 / sqrt(mean(x²) + eps)`.

use candle_core::{CpuStorage, CustomOp1, Layout, Shape, Tensor};
use rayon::prelude::*;

use super::{backward, f32_slice, host_vec};
use crate::error::Result;

pub(super) struct RmsNorm {
    w: Vec<f32>,
    eps: f32,
}

impl RmsNorm {
    pub(super) fn new(w: &Tensor, eps: f32) -> Result<Self> {
        Ok(Self {
            w: host_vec(w)?,
            eps,
        })
    }

    fn inv_rms(&self, x: &[f32]) -> f32 {
        let mean_sq = x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32;
        1.0 / (mean_sq + self.eps).sqrt()
    }
}

impl CustomOp1 for RmsNorm {
    fn name(&self) -> &'static str {
        "train-rms-norm"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = f32_slice(s, l)?;
        let n = self.w.len();
        let mut out = vec![0f32; x.len()];
        out.par_chunks_mut(n)
            .zip(x.par_chunks(n))
            .for_each(|(y, x)| {
                let r = self.inv_rms(x);
                for ((y, x), w) in y.iter_mut().zip(x).zip(&self.w) {
                    *y = x * r * w;
                }
            });
        Ok((CpuStorage::F32(out), l.shape().clone()))
    }

    /// `dx = r · w · g − x · r³ / n · Σ (g · w · x)` per row.
    fn bwd(&self, x: &Tensor, _y: &Tensor, grad: &Tensor) -> candle_core::Result<Option<Tensor>> {
        let n = self.w.len();
        let dx = backward("train-rms-norm-grad", x, grad, x.shape().clone(), |x, g| {
            let mut out = vec![0f32; x.len()];
            out.par_chunks_mut(n)
                .zip(x.par_chunks(n).zip(g.par_chunks(n)))
                .for_each(|(dx, (x, g))| {
                    let r = self.inv_rms(x);
                    let dot: f32 = x
                        .iter()
                        .zip(g)
                        .zip(&self.w)
                        .map(|((x, g), w)| x * g * w)
                        .sum();
                    let c = r * r * r * dot / n as f32;
                    for (i, d) in dx.iter_mut().enumerate() {
                        *d = r * self.w[i] * g[i] - x[i] * c;
                    }
                });
            out
        })?;
        Ok(Some(dx))
    }
}
