//! Frozen projections in a layout made for this engine's CPU matmul.
//!
//! The file's 4-bit (Q4_1, Q4_0) or 8-bit (Q8_0) values are kept exactly, only regrouped: 16
//! output rows at a time, each block of 32 inputs stored as four (4-bit) or eight (8-bit) 64-byte
//! lines that hold 4 consecutive values of every one of the 16 rows. One AVX-512 VNNI instruction
//! then multiplies 4 inputs into all 16 rows, and a block's 16 dot products land in one register
//! without any horizontal sum. The layout is made once at load and the source tensor is dropped,
//! so nothing is held twice and there is no padding of the input width (SmolLM2's 576 is not a
//! multiple of 256, which candle's fast kernels need).
//!
//! Every value is `d · u + m` for an unsigned `u` (0..15 or 0..255) and per-(row, block) `d`, `m`
//! in f16: Q4_1 as stored; Q4_0's `d · (q − 8)` and Q8_0's `d · q` through a zero point
//! (`m = −8 d`, `u = q + 128`, `m = −128 d`). Inputs are quantized to 8 bits per block of 32, so a
//! block's dot product is `d · d_x · Σ u·q_x + m · d_x · Σ q_x`: an exact integer sum and two
//! multiply-adds.

mod activations;
mod kernel;

use std::ops::Range;

use candle_core::quantized::{GgmlDType, QTensor};
use half::f16;

pub(crate) use activations::QuantizedInput;
pub use kernel::Kernel;

/// Output rows per group.
pub const GROUP: usize = 16;
/// Input values per scale.
pub const BLOCK: usize = 32;
/// One cache line; the unit of the packed arrays, so every load is aligned.
const LINE: usize = 64;

#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([u8; LINE]);

impl Line {
    /// As a scale line: `(d, m)` of row `i` of its group.
    #[inline(always)]
    fn d_m(&self, i: usize) -> (f32, f32) {
        let half = |at: usize| f16::from_le_bytes([self.0[at], self.0[at + 1]]).to_f32();
        (half(2 * i), half(32 + 2 * i))
    }
}

/// How a matrix's values are held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bits {
    Four,
    Eight,
}

impl Bits {
    /// Lines per (group, block): 16 rows × 32 values × bits / 8 / 64.
    const fn lines(self) -> usize {
        match self {
            Self::Four => 4,
            Self::Eight => 8,
        }
    }
}

/// `[rows, cols]` weights, regrouped for [`PackedMatrix::matmul`].
pub struct PackedMatrix {
    rows: usize,
    cols: usize,
    bits: Bits,
    /// The integer zero point of Q4_0 / Q8_0 sources: rows are dequantized as `d · (u − z)`,
    /// exactly as the source type does, rather than `d · u + m`.
    zero_point: Option<u8>,
    /// `[group][block][lines]` packed values.
    values: Vec<Line>,
    /// `[group][block]` one line each: 16 × `d` then 16 × `m`, f16.
    scales: Vec<Line>,
}

impl std::fmt::Debug for PackedMatrix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackedMatrix")
            .field("rows", &self.rows)
            .field("cols", &self.cols)
            .field("bits", &self.bits)
            .finish()
    }
}

/// One block of one row as it comes out of the source: unsigned values, `d`, `m`.
struct SourceBlock {
    values: [u8; BLOCK],
    d: f16,
    m: f16,
}

impl PackedMatrix {
    /// Whether `dtype` can be packed as it is (other types are converted to Q8_0 first).
    pub fn packs_exactly(dtype: GgmlDType) -> bool {
        matches!(dtype, GgmlDType::Q4_1 | GgmlDType::Q4_0 | GgmlDType::Q8_0)
    }

    /// Packs a `[rows, cols]` Q4_1, Q4_0 or Q8_0 tensor (`cols` a multiple of 32) without
    /// changing any value.
    pub fn pack(q: &QTensor) -> candle_core::Result<Self> {
        let (rows, cols) = q.shape().dims2()?;
        if !cols.is_multiple_of(BLOCK) {
            candle_core::bail!("packed weights need a multiple of {BLOCK} columns, got {cols}");
        }
        let (bits, zero_point, block_bytes) = match q.dtype() {
            GgmlDType::Q4_1 => (Bits::Four, None, 20),
            GgmlDType::Q4_0 => (Bits::Four, Some(8), 18),
            GgmlDType::Q8_0 => (Bits::Eight, Some(128), 34),
            other => candle_core::bail!("cannot pack {other:?} weights"),
        };
        let data = q.data()?;
        let blocks = cols / BLOCK;
        if data.len() != rows * blocks * block_bytes {
            candle_core::bail!("packed weights: {} bytes for {rows}×{cols}", data.len());
        }
        let read = |r: usize, b: usize| -> SourceBlock {
            let raw = &data[(r * blocks + b) * block_bytes..][..block_bytes];
            let d = f16::from_le_bytes([raw[0], raw[1]]);
            let mut values = [0u8; BLOCK];
            match q.dtype() {
                GgmlDType::Q4_1 | GgmlDType::Q4_0 => {
                    let qs = &raw[block_bytes - 16..];
                    for j in 0..16 {
                        values[j] = qs[j] & 0x0F;
                        values[j + 16] = qs[j] >> 4;
                    }
                }
                _ => {
                    for (v, &s) in values.iter_mut().zip(&raw[2..]) {
                        *v = (s as i8 as i16 + 128) as u8;
                    }
                }
            }
            let m = match zero_point {
                None => f16::from_le_bytes([raw[2], raw[3]]),
                Some(z) => f16::from_f32(-f32::from(z) * d.to_f32()),
            };
            SourceBlock { values, d, m }
        };
        Ok(Self::from_blocks(rows, cols, bits, zero_point, read))
    }

    fn from_blocks(
        rows: usize,
        cols: usize,
        bits: Bits,
        zero_point: Option<u8>,
        read: impl Fn(usize, usize) -> SourceBlock,
    ) -> Self {
        let blocks = cols / BLOCK;
        let groups = rows.div_ceil(GROUP);
        let mut values = vec![Line([0; LINE]); groups * blocks * bits.lines()];
        let mut scales = vec![Line([0; LINE]); groups * blocks];
        for g in 0..groups {
            for b in 0..blocks {
                let gb = g * blocks + b;
                let lines = &mut values[gb * bits.lines()..][..bits.lines()];
                for i in 0..GROUP.min(rows - g * GROUP) {
                    let src = read(g * GROUP + i, b);
                    scales[gb].0[2 * i..2 * i + 2].copy_from_slice(&src.d.to_le_bytes());
                    scales[gb].0[32 + 2 * i..34 + 2 * i].copy_from_slice(&src.m.to_le_bytes());
                    for (k, line) in lines.iter_mut().enumerate() {
                        for j in 0..4 {
                            line.0[4 * i + j] = match bits {
                                // Low nibble: value 4k + j; high nibble: value 16 + 4k + j.
                                Bits::Four => {
                                    src.values[4 * k + j] | (src.values[16 + 4 * k + j] << 4)
                                }
                                Bits::Eight => src.values[4 * k + j],
                            };
                        }
                    }
                }
            }
        }
        Self {
            rows,
            cols,
            bits,
            zero_point,
            values,
            scales,
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    fn blocks(&self) -> usize {
        self.cols / BLOCK
    }

    fn groups(&self) -> usize {
        self.rows.div_ceil(GROUP)
    }

    /// The packed lines of group `g`, block `b`.
    #[inline(always)]
    fn lines(&self, g: usize, b: usize) -> &[Line] {
        let n = self.bits.lines();
        &self.values[(g * self.blocks() + b) * n..][..n]
    }

    /// `(d, m)` of the 16 rows of group `g` in block `b`, as f16 bits.
    #[inline(always)]
    fn scale_line(&self, g: usize, b: usize) -> &Line {
        &self.scales[g * self.blocks() + b]
    }

    /// Row `r`'s unsigned value `j` of block `b` (0..32).
    fn value(&self, r: usize, b: usize, j: usize) -> u8 {
        let lines = self.lines(r / GROUP, b);
        let i = r % GROUP;
        match self.bits {
            Bits::Four if j < 16 => lines[j / 4].0[4 * i + j % 4] & 0x0F,
            Bits::Four => lines[(j - 16) / 4].0[4 * i + j % 4] >> 4,
            Bits::Eight => lines[j / 4].0[4 * i + j % 4],
        }
    }

    /// Row `r` in f32, computed as its source type computes it (the embedding lookup of a tied
    /// output head reads it from here).
    pub fn dequantize_row(&self, r: usize, out: &mut [f32]) {
        assert!(r < self.rows && out.len() == self.cols);
        for (b, chunk) in out.chunks_exact_mut(BLOCK).enumerate() {
            let (d, m) = self.scale_line(r / GROUP, b).d_m(r % GROUP);
            for (j, o) in chunk.iter_mut().enumerate() {
                let u = self.value(r, b, j);
                *o = match self.zero_point {
                    Some(z) => (i32::from(u) - i32::from(z)) as f32 * d,
                    None => f32::from(u) * d + m,
                };
            }
        }
    }

    /// `rows` one after another in f32 (`[rows.len()][cols]`).
    pub fn dequantize_rows(&self, rows: impl ExactSizeIterator<Item = usize>) -> Vec<f32> {
        let mut out = vec![0f32; rows.len() * self.cols];
        for (r, dst) in rows.zip(out.chunks_exact_mut(self.cols)) {
            self.dequantize_row(r, dst);
        }
        out
    }

    /// `out[r][n] = Σ_k x[r][k] · W[n][k]` for `x` of `[rows][cols]` values, with the fastest
    /// kernel this CPU has.
    pub fn matmul(&self, x: &[f32], out: &mut [f32]) {
        self.matmul_with(Kernel::best(), x, out)
    }

    /// [`PackedMatrix::matmul`] with a chosen kernel (tests compare them).
    pub fn matmul_with(&self, kernel: Kernel, x: &[f32], out: &mut [f32]) {
        assert!(
            x.len().is_multiple_of(self.cols),
            "input width must be {}",
            self.cols
        );
        let input = QuantizedInput::new(x, self.cols);
        assert_eq!(out.len(), input.rows * self.rows, "output size");
        let out = OutPtr(out.as_mut_ptr());
        let run = |groups: Range<usize>| {
            // SAFETY: the ranges are disjoint column ranges of `out`, which outlives this call.
            unsafe { kernel.run(self, &input, groups, &out) }
        };
        /// Multiply-adds below which handing work to other threads costs more than it saves.
        const MIN_SHARED: usize = 1 << 18;
        if input.rows * self.rows * self.cols < MIN_SHARED {
            run(0..self.groups());
        } else {
            // candle's pool of spinning threads (sized by CANDLE_NUM_THREADS), which its own
            // quantized matmuls use: a hand-off costs about a microsecond, where waking rayon's
            // sleeping workers costs tens for every one of a token's ~120 products.
            candle_core::utils::barrier_pool().execute_chunked(self.groups(), run);
        }
    }
}

/// Where the kernels write: `[input rows][matrix rows]` f32.
pub(crate) struct OutPtr(*mut f32);
// SAFETY: each thread writes its own columns only (see `matmul_with`).
unsafe impl Sync for OutPtr {}

impl OutPtr {
    /// Writes the first `n` of `values` at `(row, col)` of a `[_][width]` output.
    ///
    /// # Safety
    /// The span must lie inside the output and no other thread may write it.
    #[inline(always)]
    pub(crate) unsafe fn write(&self, row: usize, width: usize, col: usize, values: &[f32]) {
        unsafe {
            std::ptr::copy_nonoverlapping(
                values.as_ptr(),
                self.0.add(row * width + col),
                values.len(),
            );
        }
    }
}

#[cfg(test)]
mod tests;
