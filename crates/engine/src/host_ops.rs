//! Small pieces shared by the engine's CPU custom ops (the packed matmul, the fused adapter, the
//! host attention).

use candle_core::{CpuStorage, Layout};

/// The f32 values of a contiguous input to op `op`; an error names the op otherwise.
pub(crate) fn contiguous_f32<'a>(
    storage: &'a CpuStorage,
    layout: &Layout,
    op: &str,
) -> candle_core::Result<&'a [f32]> {
    let Some((start, end)) = layout.contiguous_offsets() else {
        candle_core::bail!("{op} expects a contiguous input")
    };
    Ok(&storage.as_slice::<f32>()?[start..end])
}

/// `Σ widen(a[i]) · b[i]` with sixteen independent accumulators, so the compiler vectorises the
/// sum (inside a function compiled for wide vectors, e.g. a pulp `WithSimd`).
#[inline(always)]
pub(crate) fn dot_with<T: Copy>(a: &[T], b: &[f32], widen: impl Fn(T) -> f32) -> f32 {
    let mut acc = [0f32; 16];
    let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(&x, y)| widen(x) * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..16 {
            acc[k] += widen(x[k]) * y[k];
        }
    }
    acc.iter().sum::<f32>() + tail
}
