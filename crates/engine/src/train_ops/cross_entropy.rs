//! Per-row negative log-likelihood of the label under `softmax(logits)`.

use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Shape, Tensor};
use rayon::prelude::*;

use super::f32_slice;
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

    fn bwd(&self, x: &Tensor, _y: &Tensor, grad: &Tensor) -> candle_core::Result<Option<Tensor>> {
        let op = NllGrad {
            labels: self.labels.clone(),
            vocab: self.vocab,
        };
        Ok(Some(x.apply_op2_no_bwd(&grad.contiguous()?, &op)?))
    }
}

/// `dx = g · (softmax(x) − onehot(label))` per row.
struct NllGrad {
    labels: Vec<u32>,
    vocab: usize,
}

impl CustomOp2 for NllGrad {
    fn name(&self) -> &'static str {
        "train-nll-grad"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        gs: &CpuStorage,
        gl: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (x, g) = (f32_slice(xs, xl)?, f32_slice(gs, gl)?);
        let mut out = vec![0f32; x.len()];
        out.par_chunks_mut(self.vocab)
            .zip(x.par_chunks(self.vocab))
            .zip(g.par_iter().zip(self.labels.par_iter()))
            .for_each(|((dx, x), (&g, &label))| {
                let lse = log_sum_exp(x);
                for (d, x) in dx.iter_mut().zip(x) {
                    *d = g * (x - lse).exp();
                }
                dx[label as usize] -= g;
            });
        Ok((CpuStorage::F32(out), xl.shape().clone()))
    }
}
