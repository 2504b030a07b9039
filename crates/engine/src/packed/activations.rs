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
        let mut q = vec![0i8; x.len()];
        let mut scale = vec![0f32; rows * blocks];
        let mut scaled_sum = vec![0f32; rows * blocks];
        for (i, (src, dst)) in x
            .chunks_exact(BLOCK)
            .zip(q.chunks_exact_mut(BLOCK))
            .enumerate()
        {
            let amax = src.iter().fold(0f32, |m, v| m.max(v.abs()));
            let d = amax / 127.0;
            let inv = if d > 0.0 { 1.0 / d } else { 0.0 };
            let mut sum = 0i32;
            for (o, v) in dst.iter_mut().zip(src) {
                let qv = (v * inv).round() as i8;
                *o = qv;
                sum += i32::from(qv);
            }
            scale[i] = d;
            scaled_sum[i] = d * sum as f32;
        }
        Self {
            rows,
            blocks,
            q,
            scale,
            scaled_sum,
        }
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
    fn a_zero_block_has_zero_scale() {
        let a = QuantizedInput::new(&[0.0; 32], 32);
        assert_eq!(a.scales(0, 0), (0.0, 0.0));
        assert!(a.block(0, 0).iter().all(|&v| v == 0));
    }
}
