//! LayerNorm with trainable weight and bias (the adapters' input norm):
//! `y = (x − μ) · r · w + b`, `r = 1 / sqrt(var(x) + eps)`.

use candle_core::{CpuStorage, CustomOp3, Layout, Shape, Tensor};
use rayon::prelude::*;

use super::{backward, f32_slice};

/// Rows per chunk when the weight and bias gradients are summed over rows. Fixed, so that the
/// sums are added in the same order whatever the thread count: the same seed gives the same
/// adapter bytes.
const ROWS_PER_CHUNK: usize = 64;

pub(super) struct LayerNorm {
    pub(super) eps: f32,
}

/// `((x − μ) · r, r)` of one row, into `out`.
fn normalize(x: &[f32], eps: f32, out: &mut [f32]) -> f32 {
    let n = x.len() as f32;
    let mean = x.iter().sum::<f32>() / n;
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
    let r = 1.0 / (var + eps).sqrt();
    for (o, v) in out.iter_mut().zip(x) {
        *o = (v - mean) * r;
    }
    r
}

impl CustomOp3 for LayerNorm {
    fn name(&self) -> &'static str {
        "train-layer-norm"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        ws: &CpuStorage,
        wl: &Layout,
        bs: &CpuStorage,
        bl: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (x, w, b) = (f32_slice(xs, xl)?, f32_slice(ws, wl)?, f32_slice(bs, bl)?);
        let n = w.len();
        let mut out = vec![0f32; x.len()];
        out.par_chunks_mut(n)
            .zip(x.par_chunks(n))
            .for_each(|(y, x)| {
                normalize(x, self.eps, y);
                for ((y, w), b) in y.iter_mut().zip(w).zip(b) {
                    *y = *y * w + b;
                }
            });
        Ok((CpuStorage::F32(out), xl.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _b: &Tensor,
        _y: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let n = w.elem_count();
        let rows = x.elem_count() / n;
        let w = w.contiguous()?.flatten_all()?.to_vec1::<f32>()?;
        let packed = backward(
            "train-layer-norm-grad",
            x,
            grad,
            Shape::from((rows + 2, n)),
            |x, g| gradients(x, g, &w, self.eps),
        )?;
        // Packed as `[rows + 2, n]`: the input's gradient, then the weight's, then the bias's.
        let dx = packed.narrow(0, 0, rows)?.reshape(x.shape())?;
        let dw = packed.narrow(0, rows, 1)?.reshape(n)?;
        let db = packed.narrow(0, rows + 1, 1)?.reshape(n)?;
        Ok((Some(dx), Some(dw), Some(db)))
    }
}

/// The input's gradient per row, then the weight's and the bias's summed over rows, as one
/// `[rows + 2, n]` buffer.
fn gradients(x: &[f32], g: &[f32], w: &[f32], eps: f32) -> Vec<f32> {
    let n = w.len();
    let rows = x.len() / n;
    let mut out = vec![0f32; x.len() + 2 * n];
    let (dx_all, _) = out.split_at_mut(x.len());
    // Per chunk of rows: the input gradients, and the chunk's sums for the weight and bias.
    let partials: Vec<Vec<f32>> = dx_all
        .par_chunks_mut(ROWS_PER_CHUNK * n)
        .zip(x.par_chunks(ROWS_PER_CHUNK * n))
        .zip(g.par_chunks(ROWS_PER_CHUNK * n))
        .map(|((dx, x), g)| {
            let mut sums = vec![0f32; 2 * n];
            let mut xhat = vec![0f32; n];
            for ((dx, x), g) in dx.chunks_mut(n).zip(x.chunks(n)).zip(g.chunks(n)) {
                let r = normalize(x, eps, &mut xhat);
                let (mut mean_gh, mut mean_gh_xhat) = (0f32, 0f32);
                for i in 0..n {
                    let gh = g[i] * w[i];
                    mean_gh += gh;
                    mean_gh_xhat += gh * xhat[i];
                    sums[i] += g[i] * xhat[i];
                    sums[n + i] += g[i];
                }
                mean_gh /= n as f32;
                mean_gh_xhat /= n as f32;
                for i in 0..n {
                    dx[i] = r * (g[i] * w[i] - mean_gh - xhat[i] * mean_gh_xhat);
                }
            }
            sums
        })
        .collect();
    let tail = &mut out[rows * n..];
    for part in &partials {
        for (t, p) in tail.iter_mut().zip(part) {
            *t += p;
        }
    }
    out
}
