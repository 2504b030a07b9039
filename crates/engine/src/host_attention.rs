//! Serving attention on the CPU in one pass over every row of a step, over caches held as plain
//! host memory. Done with candle ops it took about a dozen small ops per row and layer (append,
//! narrow, matmul, scale, mask, softmax, matmul, reshapes). Measured: one sequence within noise
//! of that, eight batched sequences ~25 % faster together with sharing rows over the threads.
//!
//! Each row's queries attend over its own cache causally; a row's values depend on nothing else
//! in the step, so a reply is the same batched as alone.

use crate::kv_cache::GROW_BY;

/// One layer's cached keys and values of one sequence, token-major:
/// `[position][kv_head][head_dim]`, so appending a step's tokens is a copy onto the end.
#[derive(Debug, Clone, Default)]
pub(crate) struct HostLayerKv {
    pub(crate) k: Vec<f32>,
    pub(crate) v: Vec<f32>,
}

impl HostLayerKv {
    /// Appends `k`, `v` (`[tokens][kv_heads][head_dim]`) of `per_position` values each, growing
    /// by [`GROW_BY`] positions so a reply neither reallocates every few tokens nor reserves the
    /// whole context.
    pub(crate) fn append(&mut self, k: &[f32], v: &[f32], per_position: usize) {
        let needed = self.k.len() + k.len();
        if needed > self.k.capacity() {
            let target = needed.div_ceil(per_position * GROW_BY) * per_position * GROW_BY;
            self.k.reserve_exact(target - self.k.len());
            self.v.reserve_exact(target - self.v.len());
        }
        self.k.extend_from_slice(k);
        self.v.extend_from_slice(v);
    }
}

/// Head counts and width.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Heads {
    pub(crate) heads: usize,
    pub(crate) kv_heads: usize,
    pub(crate) head_dim: usize,
}

/// One row of a step: its new tokens' rotated queries `[tokens][heads][head_dim]`, its layer
/// cache (already holding the new keys and values), and where its output goes.
pub(crate) struct RowQueries<'a> {
    pub(crate) q: &'a [f32],
    pub(crate) kv: &'a HostLayerKv,
    pub(crate) out: &'a mut [f32],
}

/// Causal attention of every row; outputs `[tokens][heads][head_dim]` per row. Rows are
/// independent, so the threads share them out.
pub(crate) fn attend_rows(shape: Heads, mut rows: Vec<RowQueries<'_>>) {
    crate::parallel::for_each_mut(&mut rows, |row| {
        // pulp compiles the loops for AVX2 / AVX-512 and picks one at run time.
        pulp::Arch::new().dispatch(AttendRow { shape, row })
    });
}

struct AttendRow<'a, 'b> {
    shape: Heads,
    row: &'a mut RowQueries<'b>,
}

impl pulp::WithSimd for AttendRow<'_, '_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let Heads {
            heads,
            kv_heads,
            head_dim: hd,
        } = self.shape;
        let row = self.row;
        let n_rep = heads / kv_heads;
        let stride = kv_heads * hd;
        let scale = (1.0 / (hd as f64).sqrt()) as f32;
        let mut scores = Vec::new();
        let tokens = row.q.len() / (heads * hd);
        let cached = row.kv.k.len() / stride;
        let offset = cached - tokens;
        for t in 0..tokens {
            let visible = offset + t + 1;
            scores.resize(visible, 0f32);
            for h in 0..heads {
                let g = h / n_rep;
                let q = &row.q[(t * heads + h) * hd..][..hd];
                let mut max = f32::NEG_INFINITY;
                for (p, s) in scores.iter_mut().enumerate() {
                    let k = &row.kv.k[p * stride + g * hd..][..hd];
                    *s = dot(q, k) * scale;
                    max = max.max(*s);
                }
                let mut sum = 0f32;
                for s in scores.iter_mut() {
                    *s = (*s - max).exp();
                    sum += *s;
                }
                let out = &mut row.out[(t * heads + h) * hd..][..hd];
                out.fill(0.0);
                for (p, &w) in scores.iter().enumerate() {
                    let v = &row.kv.v[p * stride + g * hd..][..hd];
                    for (o, x) in out.iter_mut().zip(v) {
                        *o += w * x;
                    }
                }
                let inv = 1.0 / sum;
                for o in out.iter_mut() {
                    *o *= inv;
                }
            }
        }
    }
}

#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    crate::host_ops::dot_with(a, b, |x| x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Attention written the plain way, for one row.
    fn reference(shape: Heads, q: &[f32], kv: &HostLayerKv) -> Vec<f32> {
        let (nh, nkv, hd) = (shape.heads, shape.kv_heads, shape.head_dim);
        let tokens = q.len() / (nh * hd);
        let cached = kv.k.len() / (nkv * hd);
        let mut out = vec![0f32; q.len()];
        for t in 0..tokens {
            let visible = cached - tokens + t + 1;
            for h in 0..nh {
                let g = h / (nh / nkv);
                let qv = &q[(t * nh + h) * hd..][..hd];
                let s: Vec<f64> = (0..visible)
                    .map(|p| {
                        let k = &kv.k[(p * nkv + g) * hd..][..hd];
                        qv.iter().zip(k).map(|(a, b)| f64::from(a * b)).sum::<f64>()
                            / (hd as f64).sqrt()
                    })
                    .collect();
                let max = s.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = s.iter().map(|x| (x - max).exp()).collect();
                let sum: f64 = e.iter().sum();
                for d in 0..hd {
                    let v: f64 = (0..visible)
                        .map(|p| e[p] * f64::from(kv.v[(p * nkv + g) * hd + d]))
                        .sum();
                    out[(t * nh + h) * hd + d] = (v / sum) as f32;
                }
            }
        }
        out
    }

    fn values(n: usize, seed: u32) -> Vec<f32> {
        (0..n as u32)
            .map(|i| ((i.wrapping_mul(2_654_435_761) ^ seed) % 1000) as f32 / 500.0 - 1.0)
            .collect()
    }

    #[test]
    fn rows_match_plain_attention_and_do_not_depend_on_each_other() {
        let shape = Heads {
            heads: 4,
            kv_heads: 2,
            head_dim: 24,
        };
        let per_position = 2 * 24;
        // Row 0: 5 cached positions, 3 new tokens (a prompt chunk); row 1: 9 cached, 1 new.
        let mut kv0 = HostLayerKv::default();
        kv0.append(
            &values(8 * per_position, 1),
            &values(8 * per_position, 2),
            per_position,
        );
        let mut kv1 = HostLayerKv::default();
        kv1.append(
            &values(10 * per_position, 3),
            &values(10 * per_position, 4),
            per_position,
        );
        let (q0, q1) = (values(3 * 4 * 24, 5), values(4 * 24, 6));
        let (mut o0, mut o1) = (vec![0f32; q0.len()], vec![0f32; q1.len()]);
        attend_rows(
            shape,
            vec![
                RowQueries {
                    q: &q0,
                    kv: &kv0,
                    out: &mut o0,
                },
                RowQueries {
                    q: &q1,
                    kv: &kv1,
                    out: &mut o1,
                },
            ],
        );
        for (got, want) in [
            (&o0, reference(shape, &q0, &kv0)),
            (&o1, reference(shape, &q1, &kv1)),
        ] {
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 1e-5, "{g} vs {w}");
            }
        }
        let mut alone = vec![0f32; q1.len()];
        attend_rows(
            shape,
            vec![RowQueries {
                q: &q1,
                kv: &kv1,
                out: &mut alone,
            }],
        );
        assert_eq!(
            alone, o1,
            "a row's output must not depend on the others in its step"
        );
    }

    #[test]
    fn the_cache_grows_in_chunks_of_positions() {
        let mut kv = HostLayerKv::default();
        kv.append(&[1.0; 6], &[2.0; 6], 6);
        assert_eq!(kv.k.capacity(), 6 * GROW_BY);
        assert_eq!(kv.k.len(), 6);
        kv.append(&vec![0.5; 6 * GROW_BY], &vec![0.5; 6 * GROW_BY], 6);
        assert_eq!(kv.k.capacity(), 6 * 2 * GROW_BY);
    }
}
