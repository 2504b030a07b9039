//! Building a [`Backbone`] from files: GGUF (quantized) or Hugging Face safetensors.

mod gguf;
mod safetensors;

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use sha2::{Digest, Sha256};

pub use gguf::{load_gguf, GgufFile};
pub use safetensors::{from_interleaved, load_safetensors_dir};

use crate::error::{EngineError, Result};
use crate::linear::FrozenLinear;
use crate::packed::{Kernel, PackedMatrix};

/// How the frozen projections are held in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WeightMode {
    /// `packed` where this CPU has a SIMD kernel for it (AVX2 or better), else `q8_0`.
    #[default]
    Auto,
    /// The file's 4-bit / 8-bit values exactly as stored, in the engine's own layout and kernels
    /// ([`crate::packed`]); other types are converted to Q8_0 first. CPU only: on a GPU the same
    /// as `q8_0`.
    Packed,
    /// Re-quantize every projection to Q8_0 at load for candle's kernels (padded for its VNNI
    /// kernels unless `compact`).
    Q8_0,
    /// Smaller and about as fast for decoding; a little less faithful.
    Q4_0,
    /// Keep the file's quantization as it is.
    AsStored,
    /// Dequantize everything to f32: the differentiable training path (and the slowest).
    F32,
}

impl std::str::FromStr for WeightMode {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "packed" => Ok(Self::Packed),
            "q8_0" | "q8" => Ok(Self::Q8_0),
            "q4_0" | "q4" => Ok(Self::Q4_0),
            "as-stored" | "stored" => Ok(Self::AsStored),
            "f32" => Ok(Self::F32),
            other => Err(format!(
                "unknown weight mode `{other}` (auto, packed, q8_0, q4_0, as-stored, f32)"
            )),
        }
    }
}

#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub device: Device,
    pub weights: WeightMode,
    /// Cap on the context (prompt + reply); the model's own length when larger is not needed.
    pub max_context: usize,
    /// Skip the zero-padding that lets Q8_0 projections use candle's VNNI kernels: about 40 %
    /// less memory (those kernels keep a second, repacked copy of the weights), several times
    /// slower prompt processing.
    pub compact: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            device: Device::Cpu,
            weights: WeightMode::default(),
            max_context: 8192,
            compact: false,
        }
    }
}

impl WeightMode {
    /// `Auto` decided for `device`: what the loaders actually do.
    pub fn resolve(self, device: &Device) -> Self {
        match self {
            Self::Auto if device.is_cpu() && Kernel::best().is_fast() => Self::Packed,
            Self::Auto => Self::Q8_0,
            Self::Packed if !device.is_cpu() => Self::Q8_0,
            other => other,
        }
    }
}

/// Turns one stored projection into the form `mode` asks for.
pub(crate) fn make_linear(q: QTensor, opts: &LoadOptions) -> Result<FrozenLinear> {
    let device = &opts.device;
    let in_dim = q.shape().dims()[q.shape().rank() - 1];
    let target = match opts.weights.resolve(device) {
        WeightMode::F32 => return Ok(FrozenLinear::Dense(q.dequantize(device)?)),
        WeightMode::AsStored => return keep(q, device),
        WeightMode::Packed if in_dim.is_multiple_of(crate::packed::BLOCK) => {
            return Ok(FrozenLinear::Packed(Arc::new(pack(q)?)))
        }
        // Cannot be re-blocked: keep what the file has.
        WeightMode::Packed => return keep(q, device),
        WeightMode::Q8_0 | WeightMode::Auto => GgmlDType::Q8_0,
        WeightMode::Q4_0 => GgmlDType::Q4_0,
    };
    if !in_dim.is_multiple_of(target.block_size()) {
        // Cannot be re-blocked: keep what the file has.
        return keep(q, device);
    }
    // candle's fastest x86 Q8_0 kernels (AVX-512 VNNI / AVX-VNNI, picked at run time) need the
    // input width to be a multiple of 256. SmolLM2's 576 is not: padding to 768 with zero columns
    // does a third more arithmetic but runs about twice as fast as the generic kernel. A GPU's
    // kernels need no padding, so there it would only cost memory and time.
    let pad = if target == GgmlDType::Q8_0 && !opts.compact && device.is_cpu() && vnni_available() {
        in_dim.next_multiple_of(VNNI_K) - in_dim
    } else {
        0
    };
    if q.dtype() == target && pad == 0 {
        return keep(q, device);
    }
    let q = Arc::new(requantize_in_chunks(&q, target, pad, device)?);
    FrozenLinear::quantized_padded(q, pad)
}

/// `q` in the packed layout: its own values when they pack exactly, else converted to Q8_0.
pub(crate) fn pack(q: QTensor) -> Result<PackedMatrix> {
    if PackedMatrix::packs_exactly(q.dtype()) {
        return Ok(PackedMatrix::pack(&q)?);
    }
    let q8 = requantize_in_chunks(&q, GgmlDType::Q8_0, 0, &Device::Cpu)?;
    drop(q);
    Ok(PackedMatrix::pack(&q8)?)
}

/// `q` as it is, on `device` (the loaders read every tensor onto the host first).
fn keep(q: QTensor, device: &Device) -> Result<FrozenLinear> {
    FrozenLinear::quantized(Arc::new(onto_device(q, device)?))
}

/// Re-quantizes `q` to `target` (appending `pad` zero columns) a few thousand rows at a time, so
/// converting the 49 152-row output head never holds it whole in f32 (that alone was 150 MB of
/// peak memory).
fn requantize_in_chunks(
    q: &QTensor,
    target: GgmlDType,
    pad: usize,
    device: &Device,
) -> Result<QTensor> {
    const ROWS: usize = 4096;
    let (rows, cols) = q.shape().dims2()?;
    let src = q.data()?;
    let src_row_bytes = src.len() / rows;
    let mut parts = Vec::new();
    for start in (0..rows).step_by(ROWS) {
        let n = ROWS.min(rows - start);
        let bytes = &src[start * src_row_bytes..(start + n) * src_row_bytes];
        let storage =
            candle_core::quantized::QStorage::from_data(bytes.into(), &Device::Cpu, q.dtype())?;
        let dense = QTensor::new(storage, (n, cols))?.dequantize(&Device::Cpu)?;
        let dense = if pad > 0 {
            dense.pad_with_zeros(1, 0, pad)?
        } else {
            dense
        };
        parts.push(QTensor::quantize(&dense, target)?);
    }
    onto_device(stack_rows(parts, &Device::Cpu)?, device)
}

/// A byte-for-byte copy of `q` on `device`.
pub(crate) fn copy_to(q: &QTensor, device: &Device) -> Result<QTensor> {
    let storage = candle_core::quantized::QStorage::from_data(q.data()?, device, q.dtype())?;
    Ok(QTensor::new(storage, q.shape().clone())?)
}

/// `q` moved onto `device` (itself when that is the CPU, where it already is).
pub(crate) fn onto_device(q: QTensor, device: &Device) -> Result<QTensor> {
    if device.is_cpu() {
        Ok(q)
    } else {
        copy_to(&q, device)
    }
}

/// The k-block of candle's repacked x86 kernels.
const VNNI_K: usize = 256;

/// Whether this CPU has the VNNI dot-product instructions candle's repacked kernels use.
fn vnni_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        (std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vnni"))
            || std::arch::is_x86_feature_detected!("avxvnni")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Stacks projections that read the same input (Q/K/V, gate/up) into one matrix, so each
/// layer runs one matmul instead of three. Byte-level concatenation when the types agree keeps
/// the stored values exactly; mixed types go through f32.
pub(crate) fn stack_rows(parts: Vec<QTensor>, device: &Device) -> Result<QTensor> {
    let dtype = parts[0].dtype();
    let cols = parts[0].shape().dims()[1];
    let rows: usize = parts.iter().map(|p| p.shape().dims()[0]).sum();
    if parts
        .iter()
        .all(|p| p.dtype() == dtype && p.shape().dims()[1] == cols)
    {
        let mut bytes = Vec::new();
        for p in &parts {
            bytes.extend_from_slice(&p.data()?);
        }
        let storage = candle_core::quantized::QStorage::from_data(bytes.into(), device, dtype)?;
        return Ok(QTensor::new(storage, (rows, cols))?);
    }
    let dense = parts
        .iter()
        .map(|p| p.dequantize(device))
        .collect::<candle_core::Result<Vec<_>>>()?;
    Ok(QTensor::quantize(&Tensor::cat(&dense, 0)?, GgmlDType::F32)?)
}

/// sha256 of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).map_err(|e| EngineError::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| EngineError::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(format!("{:x}", hasher.finalize()))
}

pub(crate) fn ensure_exists(path: &Path) -> Result<()> {
    if path.exists() {
        Ok(())
    } else {
        Err(EngineError::ModelNotFound {
            path: path.to_path_buf(),
        })
    }
}
