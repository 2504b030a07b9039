//! Per-row negative log-likelihood of the label under `softmax(logits)`.

use candle_core::{CpuStorage, CustomOp1, Layout, Shape, Tensor};
use rayon::prelude::*;

use super::{backward, f32_slice};
use crate::error::Result;

pub(super) struct NllRows {
    labels: Vec<u32>,
    vocab: usize,
}

impl NllRows {
    pub(super) fn new(logits: &Tensor, labels: &Tensor) -> Result<Self> {
        let (rows, vocab) = logits.dims2()?;
        let labels = labels.to_vec1::<u32>()?;
        if labels.len() != rows || labels.iter().any(|&l| l as usize >= vocab) {
            return Err(candle_core::Error::Msg(format!(
                "cross entropy: {} labels (< {vocab}) for {rows} rows of logits",
                labels.len()
            ))
            .into());
        }
        Ok(Self { labels, vocab })
    }
}

/// `log Σ exp(x)`, stable.
fn log_sum_exp(x: &[f32]) -> f32 {
    let max = x.iter().fold(f32::NEG_INFINITY, |m, v| m.max(*v));
    max + x.iter().map(|v| (v - max).exp()).sum::<f32>().ln()
}

impl CustomOp1 for NllRows {
    fn name(&self) -> &'static str {
        "train-nll-rows"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = f32_slice(s, l)?;
        let out: Vec<f32> = x
            .par_chunks(self.vocab)
            .zip(self.labels.par_iter())
            .map(|(row, &label)| log_sum_exp(row) - row[label as usize])
            .collect();
        Ok((CpuStorage::F32(out), Shape::from(self.labels.len())))
    }

    /// `dx = g · (softmax(x) − onehot(label))` per row. The forward's result gives each row's
    /// log-sum-exp back (`nll + x[label]`), so it is not summed over the vocabulary again.
    fn bwd(&self, x: &Tensor, nll: &Tensor, grad: &Tensor) -> candle_core::Result<Option<Tensor>> {
        let nll = nll.to_vec1::<f32>()?;
        let dx = backward("train-nll-grad", x, grad, x.shape().clone(), |x, g| {
            let mut out = vec![0f32; x.len()];
            out.par_chunks_mut(self.vocab)
                .zip(x.par_chunks(self.vocab))
                .zip(g.par_iter().zip(self.labels.par_iter().zip(&nll)))
                .for_each(|((dx, x), (&g, (&label, &nll)))| {
                    let lse = nll + x[label as usize];
                    for (d, x) in dx.iter_mut().zip(x) {
                        *d = g * (x - lse).exp();
                    }
                    dx[label as usize] -= g;
                });
            out
        })?;
        Ok(Some(dx))
    }
}
