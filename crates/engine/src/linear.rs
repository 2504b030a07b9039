//! Frozen projections of the backbone: quantized for serving, dense f32 for training.
//!
//! The dense form multiplies through a custom op whose backward pass returns only the gradient of
//! the input. candle's own matmul also computes the gradient of the (frozen) weight, which wastes
//! half of a training step and a lot of memory.

use std::sync::Arc;

use candle_core::quantized::{QMatMul, QTensor};
use candle_core::{CpuStorage, CustomOp1, Layout, Module, Shape, Storage, Tensor};

use crate::error::Result;
use crate::packed::PackedMatrix;

#[derive(Debug, Clone)]
pub enum FrozenLinear {
    /// The file's quantized values in this engine's own CPU layout (see [`crate::packed`]).
    Packed(Arc<PackedMatrix>),
    /// `pad` zero columns were appended to the weights; the input gets as many zeros.
    Quantized { matmul: QMatMul, pad: usize },
    /// `[out, in]` f32 weights.
    Dense(Tensor),
}

impl FrozenLinear {
    pub fn quantized(t: Arc<QTensor>) -> Result<Self> {
        Ok(Self::Quantized {
            matmul: QMatMul::from_arc(t)?,
            pad: 0,
        })
    }

    /// Weights whose input width was padded with `pad` zero columns.
    pub(crate) fn quantized_padded(t: Arc<QTensor>, pad: usize) -> Result<Self> {
        Ok(Self::Quantized {
            matmul: QMatMul::from_arc(t)?,
            pad,
        })
    }

    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(match self {
            Self::Packed(w) => x.contiguous()?.apply_op1_no_bwd(&PackedMatmul(w.clone()))?,
            Self::Quantized { matmul, pad: 0 } => matmul.forward(x)?,
            Self::Quantized { matmul, pad } => {
                matmul.forward(&x.pad_with_zeros(candle_core::D::Minus1, 0, *pad)?)?
            }
            Self::Dense(w) if x.device().is_cpu() => x.apply_op1(FrozenMatmul { w: w.clone() })?,
            // Other devices: plain matmul (the weight gradient is computed and discarded).
            Self::Dense(w) => x.broadcast_matmul(&w.t()?)?,
        })
    }

    /// `[out, in]` f32 weights (dequantized when needed), for tests and conversions.
    pub fn dense_weight(&self) -> Result<Tensor> {
        let (w, pad) = match self {
            Self::Packed(p) => (dense_rows(p)?, 0),
            Self::Quantized {
                matmul: QMatMul::QTensor(q),
                pad,
            } => (q.dequantize(&q.device())?, *pad),
            Self::Quantized {
                matmul: QMatMul::Tensor(t) | QMatMul::TensorF16(t),
                pad,
            } => (t.to_dtype(candle_core::DType::F32)?, *pad),
            Self::Dense(w) => (w.clone(), 0),
        };
        let cols = w.dim(1)?;
        Ok(w.narrow(1, 0, cols - pad)?)
    }
}

/// Every row of `p` in f32, `[rows, cols]`.
fn dense_rows(p: &PackedMatrix) -> Result<Tensor> {
    Ok(Tensor::from_vec(
        p.dequantize_rows(0..p.rows()),
        (p.rows(), p.cols()),
        &candle_core::Device::Cpu,
    )?)
}

/// `x · Wᵀ` through the packed kernels (inference only: no backward pass).
struct PackedMatmul(Arc<PackedMatrix>);

impl CustomOp1 for PackedMatmul {
    fn name(&self) -> &'static str {
        "packed-matmul"
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = crate::host_ops::contiguous_f32(storage, layout, self.name())?;
        let w = &self.0;
        let mut dims = layout.shape().dims().to_vec();
        if dims.last() != Some(&w.cols()) {
            candle_core::bail!("packed-matmul: input {dims:?} against {} columns", w.cols());
        }
        let mut out = vec![0f32; x.len() / w.cols() * w.rows()];
        w.matmul(x, &mut out);
        *dims.last_mut().expect("checked above") = w.rows();
        Ok((CpuStorage::F32(out), Shape::from(dims)))
    }
}

/// `x · Wᵀ` with a backward pass for `x` only.
struct FrozenMatmul {
    w: Tensor,
}

impl CustomOp1 for FrozenMatmul {
    fn name(&self) -> &'static str {
        "frozen-matmul"
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        // Rebuild a (non-tracked) tensor over the input and let candle's gemm do the work.
        let x = match layout.contiguous_offsets() {
            Some((start, end)) => {
                let data = &storage.as_slice::<f32>()?[start..end];
                Tensor::from_slice(data, layout.shape(), &candle_core::Device::Cpu)?
            }
            None => candle_core::bail!("frozen-matmul expects a contiguous input"),
        };
        let y = x.broadcast_matmul(&self.w.t()?)?;
        let shape = y.shape().clone();
        let (storage, _) = y.storage_and_layout();
        match &*storage {
            Storage::Cpu(s) => Ok((s.clone(), shape)),
            _ => candle_core::bail!("frozen-matmul produced a non-CPU tensor"),
        }
    }

    fn bwd(
        &self,
        _arg: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> candle_core::Result<Option<Tensor>> {
        Ok(Some(grad_res.broadcast_matmul(&self.w)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    #[test]
    fn frozen_matmul_matches_matmul_and_gives_input_gradient_only() -> Result<()> {
        let dev = Device::Cpu;
        let w = Tensor::randn(0f32, 1.0, (5, 3), &dev)?;
        let x = Var::randn(0f32, 1.0, (2, 4, 3), &dev)?;
        let lin = FrozenLinear::Dense(w.clone());
        let y = lin.forward(x.as_tensor())?;
        let reference = x.as_tensor().broadcast_matmul(&w.t()?)?;
        let diff = (&y - &reference)?.abs()?.max_all()?.to_scalar::<f32>()?;
        assert!(diff < 1e-5, "diff {diff}");

        let grads = y.sum_all()?.backward()?;
        let gx = grads.get(x.as_tensor()).expect("input gradient");
        // d(sum(x Wᵀ))/dx = 1 · W, summed over outputs: each row equals column sums of W.
        let expected = w.sum(0)?.broadcast_as((2, 4, 3))?;
        let diff = (gx - expected)?.abs()?.max_all()?.to_scalar::<f32>()?;
        assert!(diff < 1e-5, "grad diff {diff}");
        assert!(
            grads.get(&w).is_none(),
            "the frozen weight must get no gradient"
        );
        Ok(())
    }
}
