//! Rotary position tables. Weights are kept in GGUF's layout (Q/K rows permuted for interleaved
//! pairs), so one `rope_i` path serves GGUF and safetensors models alike.

use candle_core::{DType, Device, Tensor};

use crate::config::{LlamaConfig, RopeScaling};
use crate::error::Result;

#[derive(Debug, Clone)]
pub struct Rope {
    cos: Tensor,
    sin: Tensor,
}

impl Rope {
    /// `freq_factors`: per-frequency divisors stored by Llama 3 GGUF files (`rope_freqs.weight`).
    pub fn new(
        cfg: &LlamaConfig,
        max_positions: usize,
        freq_factors: Option<&[f32]>,
        device: &Device,
    ) -> Result<Self> {
        let half = cfg.head_dim / 2;
        let mut inv_freq: Vec<f32> = (0..half)
            .map(|i| 1.0 / cfg.rope_theta.powf(2.0 * i as f32 / cfg.head_dim as f32))
            .collect();
        if let Some(factors) = freq_factors {
            for (f, d) in inv_freq.iter_mut().zip(factors) {
                *f /= d;
            }
        } else if let Some(s) = &cfg.rope_scaling {
            inv_freq.iter_mut().for_each(|f| *f = llama3_scaled(*f, s));
        }
        let inv_freq = Tensor::from_vec(inv_freq, (1, half), device)?;
        let positions = Tensor::arange(0u32, max_positions as u32, device)?
            .to_dtype(DType::F32)?
            .reshape((max_positions, 1))?;
        let angles = positions.broadcast_mul(&inv_freq)?;
        Ok(Self {
            cos: angles.cos()?,
            sin: angles.sin()?,
        })
    }

    /// The tables for the given positions (`[n]` u32), in that order: applied from offset 0,
    /// sequence index `i` is rotated for `positions[i]`. A batched step's tokens sit at their
    /// own rows' positions; each gets the table rows [`Rope::apply`] would give it alone.
    pub fn at(&self, positions: &Tensor) -> Result<Self> {
        Ok(Self {
            cos: self.cos.index_select(positions, 0)?,
            sin: self.sin.index_select(positions, 0)?,
        })
    }

    pub fn max_positions(&self) -> usize {
        self.cos.dims()[0]
    }

    /// `x`: `[batch, heads, seq, head_dim]`, positions `offset..offset+seq`.
    pub fn apply(&self, x: &Tensor, offset: usize, differentiable: bool) -> Result<Tensor> {
        let seq = x.dim(2)?;
        let cos = self.cos.narrow(0, offset, seq)?;
        let sin = self.sin.narrow(0, offset, seq)?;
        let x = x.contiguous()?;
        Ok(if differentiable {
            crate::train_ops::rope_i(&x, &cos, &sin)?
        } else {
            candle_nn::rotary_emb::rope_i(&x, &cos, &sin)?
        })
    }
}

/// Llama 3's frequency-dependent scaling of the rotary frequencies.
fn llama3_scaled(inv_freq: f32, s: &RopeScaling) -> f32 {
    let low_wavelen = s.original_max_position_embeddings as f32 / s.low_freq_factor;
    let high_wavelen = s.original_max_position_embeddings as f32 / s.high_freq_factor;
    let wavelen = 2.0 * std::f32::consts::PI / inv_freq;
    if wavelen < high_wavelen {
        inv_freq
    } else if wavelen > low_wavelen {
        inv_freq / s.factor
    } else {
        let smooth = (s.original_max_position_embeddings as f32 / wavelen - s.low_freq_factor)
            / (s.high_freq_factor - s.low_freq_factor);
        (1.0 - smooth) * inv_freq / s.factor + smooth * inv_freq
    }
}
