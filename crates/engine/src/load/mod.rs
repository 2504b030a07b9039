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

/// How the frozen projections are held in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WeightMode {
    /// Re-quantize every projection to Q8_0 at load: SIMD kernels exist for it (there are none
    /// for Q4_1 on x86) and it loses almost nothing against the stored 4-bit weights.
    #[default]
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
            "q8_0" | "q8" => Ok(Self::Q8_0),
            "q4_0" | "q4" => Ok(Self::Q4_0),
            "as-stored" | "stored" => Ok(Self::AsStored),
            "f32" => Ok(Self::F32),
            other => Err(format!("unknown weight mode `{other}` (q8_0, q4_0, as-stored, f32)")),
        }
    }
}

#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub device: Device,
    pub weights: WeightMode,
    /// Cap on the context (prompt + reply); the model's own length when larger is not needed.
    pub max_context: usize,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            device: Device::Cpu,
            weights: WeightMode::default(),
            max_context: 8192,
        }
    }
}

/// Turns one stored projection into the form `mode` asks for.
pub(crate) fn make_linear(q: QTensor, mode: WeightMode, device: &Device) -> Result<FrozenLinear> {
    let target = match mode {
        WeightMode::F32 => return Ok(FrozenLinear::Dense(q.dequantize(device)?)),
        WeightMode::AsStored => return FrozenLinear::quantized(Arc::new(q)),
        WeightMode::Q8_0 => GgmlDType::Q8_0,
        WeightMode::Q4_0 => GgmlDType::Q4_0,
    };
    if q.dtype() == target {
        return FrozenLinear::quantized(Arc::new(q));
    }
    let in_dim = q.shape().dims()[q.shape().rank() - 1];
    if in_dim % target.block_size() != 0 {
        // Cannot be re-blocked: fall back to what the file has.
        return FrozenLinear::quantized(Arc::new(q));
    }
    let dense = q.dequantize(&Device::Cpu)?;
    FrozenLinear::quantized(Arc::new(QTensor::quantize_onto(&dense, target, device)?))
}

/// Stacks projections that read the same input (Q/K/V, gate/up) into one matrix, so each
/// layer runs one matmul instead of three. Byte-level concatenation when the types agree keeps
/// the stored values exactly; mixed types go through f32.
pub(crate) fn stack_rows(parts: Vec<QTensor>, device: &Device) -> Result<QTensor> {
    let dtype = parts[0].dtype();
    let cols = parts[0].shape().dims()[1];
    let rows: usize = parts.iter().map(|p| p.shape().dims()[0]).sum();
    if parts.iter().all(|p| p.dtype() == dtype && p.shape().dims()[1] == cols) {
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
