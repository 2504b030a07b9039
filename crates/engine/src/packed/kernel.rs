//! The packed matmul's inner loops: AVX-512 VNNI, AVX-VNNI or AVX2 where the CPU has them,
//! portable Rust elsewhere.
//! Both compute every output with the same operations in the same order (an exact integer dot
//! product per block, then `acc = i·(d·d_x) + acc` and `acc = m·s_x + acc` as fused
//! multiply-adds), so they agree bit for bit; the tests hold them to that.
//!
//! Written by hand: no maintained crate offers an unsigned × signed 8-bit dot product (VNNI) over
//! a layout of our choosing.

use std::ops::Range;
use std::sync::OnceLock;

use super::{Bits, OutPtr, PackedMatrix, QuantizedInput, GROUP};

/// Input rows computed together against one loaded weight block.
const TILE: usize = 4;

/// Which inner loop runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// Plain Rust: any CPU.
    Portable,
    /// AVX2 (`vpmaddubsw` + `vpmaddwd` for each 4-byte dot product), 8 rows per instruction.
    Avx2,
    /// AVX-VNNI (`vpdpbusd` on 256 bits, e.g. CPUs with AVX2 but no AVX-512), 8 rows.
    AvxVnni,
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
        if std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
            && std::arch::is_x86_feature_detected!("f16c")
        {
            out.push(Self::Avx2);
            if std::arch::is_x86_feature_detected!("avxvnni") {
                out.push(Self::AvxVnni);
            }
        }
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
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: as above.
                    Self::AvxVnni => unsafe { avx2::tile_vnni(w, g, input, r0, &mut tile[..n]) },
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: as above.
                    Self::Avx2 => unsafe { avx2::tile_avx2(w, g, input, r0, &mut tile[..n]) },
                    #[cfg(not(target_arch = "x86_64"))]
                    _ => unreachable!("only the portable kernel exists off x86-64"),
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
        let scales = w.scale_line(g, b);
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
                let (d, m) = scales.d_m(i);
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

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::super::{Bits, PackedMatrix, QuantizedInput, GROUP};

    /// Sums 4 unsigned × 4 signed bytes per 32-bit lane into it.
    trait Dot4 {
        /// Weights of at most 15 (4-bit values or one nibble of an 8-bit value).
        unsafe fn nibbles(acc: __m256i, w: __m256i, x: __m256i) -> __m256i;
        /// Any unsigned bytes.
        unsafe fn bytes(acc: __m256i, w: __m256i, x: __m256i) -> __m256i;
    }

    /// AVX-VNNI: one instruction for either.
    struct Vnni;

    impl Dot4 for Vnni {
        #[inline(always)]
        unsafe fn nibbles(acc: __m256i, w: __m256i, x: __m256i) -> __m256i {
            _mm256_dpbusd_avx_epi32(acc, w, x)
        }

        #[inline(always)]
        unsafe fn bytes(acc: __m256i, w: __m256i, x: __m256i) -> __m256i {
            _mm256_dpbusd_avx_epi32(acc, w, x)
        }
    }

    /// Plain AVX2: byte pairs summed to 16 bits, then to 32. The pairs saturate above 32 767,
    /// which 15 · 127 · 2 never reaches, so 8-bit weights go through as two nibbles.
    struct Madd;

    impl Dot4 for Madd {
        #[inline(always)]
        unsafe fn nibbles(acc: __m256i, w: __m256i, x: __m256i) -> __m256i {
            let pairs = _mm256_maddubs_epi16(w, x);
            _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, _mm256_set1_epi16(1)))
        }

        #[inline(always)]
        unsafe fn bytes(acc: __m256i, w: __m256i, x: __m256i) -> __m256i {
            let nibble = _mm256_set1_epi8(0x0F);
            let zero = _mm256_setzero_si256();
            unsafe {
                let lo = Self::nibbles(zero, _mm256_and_si256(w, nibble), x);
                let hi =
                    Self::nibbles(zero, _mm256_and_si256(_mm256_srli_epi16::<4>(w), nibble), x);
                _mm256_add_epi32(acc, _mm256_add_epi32(lo, _mm256_slli_epi32::<4>(hi)))
            }
        }
    }

    /// Four input values as one 32-bit lane, repeated across the register.
    #[inline(always)]
    unsafe fn broadcast4(q: &[i8], at: usize) -> __m256i {
        let four = &q[at..at + 4];
        _mm256_set1_epi32(i32::from_le_bytes([
            four[0] as u8,
            four[1] as u8,
            four[2] as u8,
            four[3] as u8,
        ]))
    }

    #[target_feature(enable = "avx2,fma,f16c,avxvnni")]
    pub(super) unsafe fn tile_vnni(
        w: &PackedMatrix,
        g: usize,
        x: &QuantizedInput,
        r0: usize,
        out: &mut [[f32; GROUP]],
    ) {
        unsafe { tile::<Vnni>(w, g, x, r0, out) }
    }

    #[target_feature(enable = "avx2,fma,f16c")]
    pub(super) unsafe fn tile_avx2(
        w: &PackedMatrix,
        g: usize,
        x: &QuantizedInput,
        r0: usize,
        out: &mut [[f32; GROUP]],
    ) {
        unsafe { tile::<Madd>(w, g, x, r0, out) }
    }

    #[inline(always)]
    unsafe fn tile<D: Dot4>(
        w: &PackedMatrix,
        g: usize,
        x: &QuantizedInput,
        r0: usize,
        out: &mut [[f32; GROUP]],
    ) {
        // Two input rows at a time at most: with 16 registers (not AVX-512's 32), four rows'
        // sums no longer fit and spill (measured: 8 rows of the 8-bit head 3× slower).
        let (pair, rest) = out.split_at_mut(out.len().min(2));
        unsafe {
            match pair.len() {
                2 => tile_n::<D, 2>(w, g, x, r0, pair),
                _ => tile_n::<D, 1>(w, g, x, r0, pair),
            }
            if !rest.is_empty() {
                tile::<D>(w, g, x, r0 + 2, rest);
            }
        }
    }

    /// [`super::portable`] on 8 lanes: the 16 rows of a group as two halves (the first and
    /// second 32 bytes of every line).
    #[inline(always)]
    unsafe fn tile_n<D: Dot4, const N: usize>(
        w: &PackedMatrix,
        g: usize,
        x: &QuantizedInput,
        r0: usize,
        out: &mut [[f32; GROUP]],
    ) {
        let nibble = _mm256_set1_epi8(0x0F);
        for half in 0..2 {
            let mut acc = [_mm256_setzero_ps(); N];
            for b in 0..w.blocks() {
                let lines = w.lines(g, b);
                let q: [&[i8; 32]; N] = std::array::from_fn(|t| x.block(r0 + t, b));
                let mut lo = [_mm256_setzero_si256(); N];
                let mut hi = [_mm256_setzero_si256(); N];
                // SAFETY (loads): a line is 64 aligned bytes; each half is 32 of them.
                match w.bits {
                    Bits::Four => {
                        for (k, line) in lines.iter().enumerate() {
                            let v =
                                unsafe { _mm256_load_si256(line.0.as_ptr().add(32 * half).cast()) };
                            let low = _mm256_and_si256(v, nibble);
                            let high = _mm256_and_si256(_mm256_srli_epi16::<4>(v), nibble);
                            for t in 0..N {
                                let a = unsafe { broadcast4(q[t], 4 * k) };
                                let c = unsafe { broadcast4(q[t], 16 + 4 * k) };
                                lo[t] = unsafe { D::nibbles(lo[t], low, a) };
                                hi[t] = unsafe { D::nibbles(hi[t], high, c) };
                            }
                        }
                    }
                    Bits::Eight => {
                        for k in (0..8).step_by(2) {
                            let (v0, v1) = unsafe {
                                (
                                    _mm256_load_si256(lines[k].0.as_ptr().add(32 * half).cast()),
                                    _mm256_load_si256(
                                        lines[k + 1].0.as_ptr().add(32 * half).cast(),
                                    ),
                                )
                            };
                            for t in 0..N {
                                let a = unsafe { broadcast4(q[t], 4 * k) };
                                let c = unsafe { broadcast4(q[t], 4 * k + 4) };
                                lo[t] = unsafe { D::bytes(lo[t], v0, a) };
                                hi[t] = unsafe { D::bytes(hi[t], v1, c) };
                            }
                        }
                    }
                }
                let scales = w.scale_line(g, b).0.as_ptr();
                // SAFETY: 8 f16 `d` of this half at 16·half, its 8 `m` 32 bytes further.
                let (d, m) = unsafe {
                    (
                        _mm256_cvtph_ps(_mm_load_si128(scales.add(16 * half).cast())),
                        _mm256_cvtph_ps(_mm_load_si128(scales.add(32 + 16 * half).cast())),
                    )
                };
                for t in 0..N {
                    let (dx, sx) = x.scales(r0 + t, b);
                    let dot = _mm256_cvtepi32_ps(_mm256_add_epi32(lo[t], hi[t]));
                    acc[t] = _mm256_fmadd_ps(dot, _mm256_mul_ps(d, _mm256_set1_ps(dx)), acc[t]);
                    acc[t] = _mm256_fmadd_ps(m, _mm256_set1_ps(sx), acc[t]);
                }
            }
            for t in 0..N {
                // SAFETY: 8 of the tile row's 16 f32.
                unsafe { _mm256_storeu_ps(out[t].as_mut_ptr().add(8 * half), acc[t]) };
            }
        }
    }
}
