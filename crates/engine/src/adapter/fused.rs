//! The serving path of one adapter layer as a single CPU op. Done as ~6 candle ops per layer,
//! the adapter cost a third of the decode speed in per-op overhead; fused, it is one pass over
//! each row.

use candle_core::{CpuStorage, CustomOp1, Layout, Shape, Tensor};
use half::bf16;

use super::AdapterLayer;
use crate::error::Result;

/// Host copies of one layer's weights, laid out for row-wise loops. The two projections are
/// held as bf16 bits: once the loop runs on wide vectors, streaming them is the adapter's cost
/// (8.8 MB a token in f32, more than the caches keep). bf16 halves the bytes and widens back to
/// f32 with a shift, which the compiler vectorises.
#[derive(Debug, Clone)]
pub(crate) struct HostLayer {
    hidden: usize,
    bottleneck: usize,
    norm_weight: Vec<f32>,
    norm_bias: Vec<f32>,
    /// `[bottleneck][hidden]`: row j is the j-th down projection.
    down: Vec<u16>,
    down_bias: Vec<f32>,
    /// `[bottleneck][hidden]`: up projection transposed, so row j is added scaled by z_j.
    up_t: Vec<u16>,
    up_bias: Vec<f32>,
    eps: f32,
}

impl HostLayer {
    pub(crate) fn new(l: &AdapterLayer, eps: f32) -> Result<Self> {
        let v = |t: &Tensor| -> Result<Vec<f32>> { Ok(t.flatten_all()?.to_vec1::<f32>()?) };
        let narrow = |t: &Tensor| -> Result<Vec<u16>> {
            Ok(v(t)?
                .into_iter()
                .map(|x| bf16::from_f32(x).to_bits())
                .collect())
        };
        let (bottleneck, hidden) = l.down_weight.dims2()?;
        Ok(Self {
            hidden,
            bottleneck,
            norm_weight: v(&l.norm_weight)?,
            norm_bias: v(&l.norm_bias)?,
            down: narrow(&l.down_weight)?,
            down_bias: v(&l.down_bias)?,
            up_t: narrow(&l.up_weight.t()?.contiguous()?)?,
            up_bias: v(&l.up_bias)?,
            eps,
        })
    }

    #[inline(always)]
    fn apply_row(&self, x: &[f32], out: &mut [f32], normed: &mut [f32]) {
        let n = self.hidden as f32;
        let mean = x.iter().sum::<f32>() / n;
        let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
        let inv = 1.0 / (var + self.eps).sqrt();
        for (i, v) in normed.iter_mut().enumerate() {
            *v = (x[i] - mean) * inv * self.norm_weight[i] + self.norm_bias[i];
        }
        out.copy_from_slice(x);
        for (o, b) in out.iter_mut().zip(&self.up_bias) {
            *o += b;
        }
        for j in 0..self.bottleneck {
            let row = j * self.hidden..(j + 1) * self.hidden;
            let z = (dot(&self.down[row.clone()], normed) + self.down_bias[j]).max(0.0);
            if z != 0.0 {
                for (o, &u) in out.iter_mut().zip(&self.up_t[row]) {
                    *o += z * widen(u);
                }
            }
        }
    }
}

/// A bf16 value (its bits) as f32: exact.
#[inline(always)]
fn widen(bits: u16) -> f32 {
    f32::from_bits(u32::from(bits) << 16)
}

/// `Σ a[i] · b[i]` for bf16 `a`.
#[inline(always)]
fn dot(a: &[u16], b: &[f32]) -> f32 {
    crate::host_ops::dot_with(a, b, widen)
}

/// The fused adapter over rows that may run different adapters (or none): row `r` goes through
/// `rows[r]`, or is copied unchanged when that is `None`. One decoding row alone and a batch of
/// decoding rows take this same op, so a row gets the same values batched as alone.
pub(crate) struct MixedAdapterOp<'a> {
    pub(crate) hidden: usize,
    pub(crate) rows: Vec<Option<&'a HostLayer>>,
}

impl CustomOp1 for MixedAdapterOp<'_> {
    fn name(&self) -> &'static str {
        "mixed-fused-adapter"
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = crate::host_ops::contiguous_f32(storage, layout, self.name())?;
        if x.len() != self.rows.len() * self.hidden {
            candle_core::bail!(
                "mixed-fused-adapter: {} values for {} rows of {}",
                x.len(),
                self.rows.len(),
                self.hidden
            );
        }
        let mut out = vec![0f32; x.len()];
        let mut rows: Vec<AdapterRow<'_>> = x
            .chunks_exact(self.hidden)
            .zip(out.chunks_exact_mut(self.hidden))
            .zip(&self.rows)
            .map(|((x, out), layer)| AdapterRow {
                x,
                out,
                layer: *layer,
            })
            .collect();
        // Rows are independent: the threads share them out, each computed as it is alone.
        crate::parallel::for_each_mut(&mut rows, |row| {
            // pulp compiles the loop for AVX2 / AVX-512 as well and picks one at run time, so
            // the release binary needs no target-cpu flag to get wide vectors here. It must be
            // a `WithSimd` whose method is inlined: a closure stays a separate function compiled
            // for the baseline CPU (measured: SSE code, 13 µs per layer).
            pulp::Arch::new().dispatch(row)
        });
        drop(rows);
        Ok((CpuStorage::F32(out), layout.shape().clone()))
    }
}

/// One row of a [`MixedAdapterOp`] call, as pulp's unit of vectorised work.
struct AdapterRow<'a> {
    x: &'a [f32],
    out: &'a mut [f32],
    layer: Option<&'a HostLayer>,
}

impl pulp::WithSimd for &mut AdapterRow<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        match self.layer {
            Some(layer) => {
                let mut normed = vec![0f32; self.x.len()];
                layer.apply_row(self.x, self.out, &mut normed)
            }
            None => self.out.copy_from_slice(self.x),
        }
    }
}
