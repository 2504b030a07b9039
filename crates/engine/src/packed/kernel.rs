//! The packed matmul's inner loops: AVX-512 VNNI where the CPU has it, portable Rust elsewhere.
//! Both compute every output with the same operations in the same order (an exact integer dot
//! product per block, then `acc = i·(d·d_x) + acc` and `acc = m·s_x + acc` as fused
//! multiply-adds), so they agree bit for bit; the tests hold them to that.
//!
//! Written by hand: no maintained crate offers an unsigned × signed 8-bit dot product (VNNI) over
//! a layout of our choosing.

use std::ops::Range;
use std::sync::OnceLock;

use half::f16;

use super::{Bits, OutPtr, PackedMatrix, QuantizedInput, GROUP};

/// Input rows computed together against one loaded weight block.
const TILE: usize = 4;

/// Which inner loop runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// Plain Rust: any CPU.
    Portable,
    /// AVX-512 with VNNI (`vpdpbusd`), 16 rows per instruction.
    Avx512Vnni,
}

impl Kernel {
    /// The fastest kernel this CPU runs.
    pub fn best() -> Self {
        static BEST: OnceLock<Kernel> = OnceLock::new();
        *BEST.get_or_init(|| {
            Self::available()
                .into_iter()
                .last()
                .unwrap_or(Self::Portable)
        })
    }

    /// Every kernel this CPU runs, slowest first.
    pub fn available() -> Vec<Self> {
        let mut out = vec![Self::Portable];
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vnni")
        {
            out.push(Self::Avx512Vnni);
        }
        out
    }

    /// Whether this is a SIMD kernel (the portable one is for correctness, not speed).
    pub fn is_fast(self) -> bool {
        self != Self::Portable
    }

    /// Computes the columns of `groups` for every input row.
    ///
    /// # Safety
    /// `out` must be `[input.rows][w.rows]` and no other thread may write these columns; the
    /// kernel must be one of [`Kernel::available`].
    pub(crate) unsafe fn run(
        self,
        w: &PackedMatrix,
        input: &QuantizedInput,
        groups: Range<usize>,
        out: &OutPtr,
    ) {
        let mut tile = [[0f32; GROUP]; TILE];
        for g in groups {
            let valid = GROUP.min(w.rows - g * GROUP);
            for r0 in (0..input.rows).step_by(TILE) {
                let n = TILE.min(input.rows - r0);
                match self {
                    Self::Portable => portable(w, g, input, r0, &mut tile[..n]),
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: the caller checked that the CPU has these features.
                    Self::Avx512Vnni => unsafe { avx512::tile(w, g, input, r0, &mut tile[..n]) },
                    #[cfg(not(target_arch = "x86_64"))]
                    Self::Avx512Vnni => unreachable!("AVX-512 is never available off x86-64"),
                }
                for (i, row) in tile[..n].iter().enumerate() {
                    // SAFETY: passed on from the caller.
                    unsafe { out.write(r0 + i, w.rows, g * GROUP, &row[..valid]) };
                }
            }
        }
    }
}

/// The 16 rows of group `g` against input rows `r0..r0 + out.len()`.
fn portable(w: &PackedMatrix, g: usize, x: &QuantizedInput, r0: usize, out: &mut [[f32; GROUP]]) {
    for o in out.iter_mut() {
        o.fill(0.0);
    }
    for b in 0..w.blocks() {
        let lines = w.lines(g, b);
        let scales = &w.scale_line(g, b).0;
        for (t, o) in out.iter_mut().enumerate() {
            let q = x.block(r0 + t, b);
            let (dx, sx) = x.scales(r0 + t, b);
            for (i, acc) in o.iter_mut().enumerate() {
                let mut dot = 0i32;
                for k in 0..w.bits.lines() {
                    for j in 0..4 {
                        let byte = i32::from(lines[k].0[4 * i + j]);
                        dot += match w.bits {
                            Bits::Four => {
                                (byte & 0x0F) * i32::from(q[4 * k + j])
                                    + (byte >> 4) * i32::from(q[16 + 4 * k + j])
                            }
                            Bits::Eight => byte * i32::from(q[4 * k + j]),
                        };
                    }
                }
                let d = f16::from_le_bytes([scales[2 * i], scales[2 * i + 1]]).to_f32();
                let m = f16::from_le_bytes([scales[32 + 2 * i], scales[33 + 2 * i]]).to_f32();
                *acc = (dot as f32).mul_add(d * dx, *acc);
                *acc = m.mul_add(sx, *acc);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    use super::super::{Bits, PackedMatrix, QuantizedInput, GROUP};

    /// Four input values as one 32-bit lane, repeated across the register.
    #[inline(always)]
    unsafe fn broadcast4(q: &[i8], at: usize) -> __m512i {
        let four = &q[at..at + 4];
        _mm512_set1_epi32(i32::from_le_bytes([
            four[0] as u8,
            four[1] as u8,
            four[2] as u8,
            four[3] as u8,
        ]))
    }

    /// [`super::portable`] on 16 lanes: one lane per weight row.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub(super) unsafe fn tile(
        w: &PackedMatrix,
        g: usize,
        x: &QuantizedInput,
        r0: usize,
        out: &mut [[f32; GROUP]],
    ) {
        match out.len() {
            4 => unsafe { tile_n::<4>(w, g, x, r0, out) },
            3 => unsafe { tile_n::<3>(w, g, x, r0, out) },
            2 => unsafe { tile_n::<2>(w, g, x, r0, out) },
            _ => unsafe { tile_n::<1>(w, g, x, r0, out) },
        }
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    unsafe fn tile_n<const N: usize>(
        w: &PackedMatrix,
        g: usize,
        x: &QuantizedInput,
        r0: usize,
        out: &mut [[f32; GROUP]],
    ) {
        let nibble = _mm512_set1_epi8(0x0F);
        let mut acc = [_mm512_setzero_ps(); N];
        for b in 0..w.blocks() {
            let lines = w.lines(g, b);
            let q: [&[i8; 32]; N] = std::array::from_fn(|t| x.block(r0 + t, b));
            // Two integer sums per input row keep the dependency chains short.
            let mut lo = [_mm512_setzero_si512(); N];
            let mut hi = [_mm512_setzero_si512(); N];
            match w.bits {
                Bits::Four => {
                    for (k, line) in lines.iter().enumerate() {
                        // SAFETY: a line is 64 aligned bytes.
                        let v = unsafe { _mm512_load_si512(line.0.as_ptr().cast()) };
                        let low = _mm512_and_si512(v, nibble);
                        let high = _mm512_and_si512(_mm512_srli_epi16::<4>(v), nibble);
                        for t in 0..N {
                            let a = unsafe { broadcast4(q[t], 4 * k) };
                            let c = unsafe { broadcast4(q[t], 16 + 4 * k) };
                            lo[t] = _mm512_dpbusd_epi32(lo[t], low, a);
                            hi[t] = _mm512_dpbusd_epi32(hi[t], high, c);
                        }
                    }
                }
                Bits::Eight => {
                    for k in (0..8).step_by(2) {
                        let v0 = unsafe { _mm512_load_si512(lines[k].0.as_ptr().cast()) };
                        let v1 = unsafe { _mm512_load_si512(lines[k + 1].0.as_ptr().cast()) };
                        for t in 0..N {
                            let a = unsafe { broadcast4(q[t], 4 * k) };
                            let c = unsafe { broadcast4(q[t], 4 * k + 4) };
                            lo[t] = _mm512_dpbusd_epi32(lo[t], v0, a);
                            hi[t] = _mm512_dpbusd_epi32(hi[t], v1, c);
                        }
                    }
                }
            }
            let scales = w.scale_line(g, b).0.as_ptr();
            // SAFETY: a scale line is 16 f16 `d` then 16 f16 `m`, 64 aligned bytes.
            let d = unsafe { _mm512_cvtph_ps(_mm256_load_si256(scales.cast())) };
            let m = unsafe { _mm512_cvtph_ps(_mm256_load_si256(scales.add(32).cast())) };
            for t in 0..N {
                let (dx, sx) = x.scales(r0 + t, b);
                let dot = _mm512_cvtepi32_ps(_mm512_add_epi32(lo[t], hi[t]));
                acc[t] = _mm512_fmadd_ps(dot, _mm512_mul_ps(d, _mm512_set1_ps(dx)), acc[t]);
                acc[t] = _mm512_fmadd_ps(m, _mm512_set1_ps(sx), acc[t]);
            }
        }
        for t in 0..N {
            // SAFETY: a row of the tile is 16 f32.
            unsafe { _mm512_storeu_ps(out[t].as_mut_ptr(), acc[t]) };
        }
    }
}
