//! The input side of a packed matmul: each row quantized to 8 bits in blocks of 32 values, with
//! the block's scale and the scaled sum of its values (what the weights' minimum multiplies).

use super::BLOCK;

/// `rows` input rows of `cols` values, each block of 32 held as `q · scale` with `q` in
/// −127..=127.
pub(crate) struct QuantizedInput {
    pub(crate) rows: usize,
    blocks: usize,
    /// `[rows][cols]` quantized values.
    q: Vec<i8>,
    /// `[rows][blocks]` scale of each block.
    scale: Vec<f32>,
    /// `[rows][blocks]` `scale · Σ q` of each block.
    scaled_sum: Vec<f32>,
}

impl QuantizedInput {
    /// Quantizes `x` (`[rows][cols]`, `cols` a multiple of 32).
    pub(crate) fn new(x: &[f32], cols: usize) -> Self {
        debug_assert!(cols.is_multiple_of(BLOCK) && x.len().is_multiple_of(cols));
        let rows = x.len() / cols;
        let blocks = cols / BLOCK;
        let mut out = Self {
            rows,
            blocks,
            q: vec![0i8; x.len()],
            scale: vec![0f32; rows * blocks],
            scaled_sum: vec![0f32; rows * blocks],
        };
        // pulp compiles the loop for AVX2 / AVX-512 and picks one at run time.
        pulp::Arch::new().dispatch(Quantize { x, out: &mut out });
        out
    }

    /// The 32 quantized values of block `b` of row `r`.
    #[inline(always)]
    pub(crate) fn block(&self, r: usize, b: usize) -> &[i8; BLOCK] {
        let start = (r * self.blocks + b) * BLOCK;
        self.q[start..start + BLOCK]
            .try_into()
            .expect("a block is 32 values")
    }

    /// `(scale, scale · Σ q)` of block `b` of row `r`.
    #[inline(always)]
    pub(crate) fn scales(&self, r: usize, b: usize) -> (f32, f32) {
        let i = r * self.blocks + b;
        (self.scale[i], self.scaled_sum[i])
    }
}

/// The quantizing loop, as pulp's unit of vectorised work.
struct Quantize<'a> {
    x: &'a [f32],
    out: &'a mut QuantizedInput,
}

impl pulp::WithSimd for Quantize<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let blocks = self
            .x
            .chunks_exact(BLOCK)
            .zip(self.out.q.chunks_exact_mut(BLOCK));
        for (i, (src, dst)) in blocks.enumerate() {
            let amax = src.iter().fold(0f32, |m, v| m.max(v.abs()));
            let d = amax / 127.0;
            let inv = if d > 0.0 { 1.0 / d } else { 0.0 };
            let mut sum = 0i32;
            for (o, v) in dst.iter_mut().zip(src) {
                let qv = round_small(v * inv) as i8;
                *o = qv;
                sum += i32::from(qv);
            }
            self.out.scale[i] = d;
            self.out.scaled_sum[i] = d * sum as f32;
        }
    }
}

/// `v` (|v| ≤ 127) rounded to the nearest integer, ties away from zero, as `f32::round` and
/// llama.cpp's quantizer do (ties to even changed the reference prompt's logits by a mean 0.4).
/// Adding and subtracting 1.5·2²³ leaves no fraction bits (ties to even), and a tie is then
/// moved up. Unlike `f32::round` (a library call without SSE4.1) it vectorises.
#[inline(always)]
fn round_small(v: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0;
    let a = v.abs();
    let even = (a + MAGIC) - MAGIC;
    let away = if even - a == -0.5 { even + 1.0 } else { even };
    away.copysign(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_round_trip_within_half_a_step() {
        let x: Vec<f32> = (0..64)
            .map(|i| ((i * 37 % 23) as f32 - 11.0) * 0.3)
            .collect();
        let a = QuantizedInput::new(&x, 64);
        assert_eq!(a.rows, 1);
        for b in 0..2 {
            let (d, s) = a.scales(0, b);
            let q = a.block(0, b);
            let sum: i32 = q.iter().map(|&v| i32::from(v)).sum();
            assert!((s - d * sum as f32).abs() < 1e-6);
            for (j, &v) in q.iter().enumerate() {
                let err = (f32::from(v) * d - x[b * BLOCK + j]).abs();
                assert!(err <= d / 2.0 + 1e-6, "block {b} value {j}: error {err}");
            }
        }
        // The largest magnitude maps to ±127 exactly.
        assert!(a.block(0, 0).iter().any(|&v| v.abs() == 127));
    }

    #[test]
    fn small_values_round_to_the_nearest_integer() {
        for (v, want) in [
            (0.49, 0.0),
            (0.51, 1.0),
            (-0.51, -1.0),
            (126.6, 127.0),
            (-127.0, -127.0),
        ] {
            assert_eq!(round_small(v), want, "{v}");
        }
        // Ties go away from zero, as `f32::round` does.
        for v in [0.5f32, 1.5, -2.5, -4.5, 50.5, -94.5, 0.49999997] {
            assert_eq!(round_small(v), v.round(), "{v}");
        }
    }

    #[test]
    fn a_zero_block_has_zero_scale() {
        let a = QuantizedInput::new(&[0.0; 32], 32);
        assert_eq!(a.scales(0, 0), (0.0, 0.0));
        assert!(a.block(0, 0).iter().all(|&v| v == 0));
    }
}
