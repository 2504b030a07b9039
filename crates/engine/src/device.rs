//! Choosing where the backbone runs: `auto`, `cpu` or `cuda[:N]`.
//!
//! `auto` takes GPU 0 when the binary was built with the `cuda` feature and that GPU works (it
//! is opened and runs one small kernel), and the CPU otherwise; either way it logs what it chose
//! and why. Asking for `cuda` explicitly never falls back: it is an error with the reason.

use std::fmt;
use std::str::FromStr;

use candle_core::Device;

use crate::error::{EngineError, Result};

/// A device as the user names it, before it is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceChoice {
    /// CUDA GPU 0 when this build has CUDA and the GPU works, else the CPU.
    #[default]
    Auto,
    Cpu,
    /// The CUDA GPU with this index (as `nvidia-smi` and `CUDA_VISIBLE_DEVICES` number them).
    Cuda(usize),
}

/// Whether this binary was built with candle's CUDA backend (`--features cuda`).
pub const fn cuda_compiled() -> bool {
    cfg!(feature = "cuda")
}

/// `cpu` or `cuda:N` (`metal:N`): an opened device, spelled as `--device` takes it.
pub fn device_name(device: &Device) -> String {
    match device.location() {
        candle_core::DeviceLocation::Cpu => "cpu".into(),
        candle_core::DeviceLocation::Cuda { gpu_id } => format!("cuda:{gpu_id}"),
        candle_core::DeviceLocation::Metal { gpu_id } => format!("metal:{gpu_id}"),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown device `{given}`: use auto, cpu, cuda or cuda:N (N = the GPU's index, e.g. cuda:1)"
)]
pub struct DeviceParseError {
    given: String,
}

impl FromStr for DeviceChoice {
    type Err = DeviceParseError;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        let bad = || DeviceParseError {
            given: s.to_string(),
        };
        match lower.as_str() {
            "auto" => Ok(Self::Auto),
            "cpu" => Ok(Self::Cpu),
            "cuda" | "gpu" => Ok(Self::Cuda(0)),
            other => {
                let index = other
                    .strip_prefix("cuda:")
                    .or_else(|| other.strip_prefix("gpu:"))
                    .ok_or_else(bad)?;
                // Digits only: `parse` would also take "+1".
                if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                index.parse().map(Self::Cuda).map_err(|_| bad())
            }
        }
    }
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Auto => f.write_str("auto"),
            Self::Cpu => f.write_str("cpu"),
            Self::Cuda(i) => write!(f, "cuda:{i}"),
        }
    }
}

impl DeviceChoice {
    /// Opens the device, logging which one was chosen.
    pub fn open(self) -> Result<Device> {
        match self {
            Self::Cpu => {
                tracing::info!("device: CPU (asked for)");
                Ok(Device::Cpu)
            }
            Self::Cuda(index) => {
                let device = open_cuda(index)?;
                tracing::info!("device: CUDA GPU {index} (asked for)");
                Ok(device)
            }
            Self::Auto if !cuda_compiled() => {
                tracing::info!(
                    "device: CPU (auto: this binary was built without CUDA; see docs/gpu.md)"
                );
                Ok(Device::Cpu)
            }
            Self::Auto => match open_cuda(0) {
                Ok(device) => {
                    tracing::info!("device: CUDA GPU 0 (auto)");
                    Ok(device)
                }
                Err(e) => {
                    // A CUDA build that ends up on the CPU is worth a warning: it is much slower.
                    tracing::warn!("device: CPU (auto: no usable GPU: {e})");
                    Ok(Device::Cpu)
                }
            },
        }
    }
}

/// Opens CUDA GPU `index` and runs one small kernel on it, so that a driver too old for this
/// build's kernels shows up here, named, rather than in the middle of the first reply.
fn open_cuda(index: usize) -> Result<Device> {
    if !cuda_compiled() {
        return Err(EngineError::CudaNotCompiled);
    }
    let unavailable = |e: candle_core::Error| EngineError::CudaUnavailable {
        index,
        reason: e.to_string(),
    };
    let device = Device::new_cuda(index).map_err(unavailable)?;
    let probe = candle_core::Tensor::new(&[1f32, 2.0, 3.0], &device)
        .and_then(|t| (t * 2.0)?.sum_all()?.to_scalar::<f32>())
        .map_err(unavailable)?;
    if probe != 12.0 {
        return Err(EngineError::CudaUnavailable {
            index,
            reason: format!("a test kernel computed {probe} instead of 12"),
        });
    }
    Ok(device)
}

/// The CPU threads model work uses when none are asked for: candle's default (the physical
/// cores, within this process's CPU mask).
pub fn default_cpu_threads() -> usize {
    candle_core::utils::get_num_threads()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_documented_form() {
        for (text, want) in [
            ("auto", DeviceChoice::Auto),
            ("cpu", DeviceChoice::Cpu),
            ("CPU", DeviceChoice::Cpu),
            (" cuda ", DeviceChoice::Cuda(0)),
            ("cuda:0", DeviceChoice::Cuda(0)),
            ("cuda:3", DeviceChoice::Cuda(3)),
            ("CUDA:12", DeviceChoice::Cuda(12)),
            ("gpu", DeviceChoice::Cuda(0)),
            ("gpu:1", DeviceChoice::Cuda(1)),
        ] {
            assert_eq!(text.parse::<DeviceChoice>(), Ok(want), "{text}");
        }
    }

    #[test]
    fn display_round_trips() {
        for d in [
            DeviceChoice::Auto,
            DeviceChoice::Cpu,
            DeviceChoice::Cuda(0),
            DeviceChoice::Cuda(7),
        ] {
            assert_eq!(d.to_string().parse::<DeviceChoice>(), Ok(d));
        }
    }

    #[test]
    fn bad_values_are_refused_with_the_accepted_forms() {
        for text in [
            "", "cuda:", "cuda:x", "cuda:-1", "cuda:+1", "cuda:1.5", "cuda0", "metal", "tpu:0",
            "cpu:0",
        ] {
            let e = text.parse::<DeviceChoice>().expect_err(text).to_string();
            assert!(e.contains(&format!("`{text}`")), "{e}");
            assert!(e.contains("auto, cpu, cuda or cuda:N"), "{e}");
        }
    }

    #[test]
    fn cpu_opens_the_cpu() {
        let cpu = DeviceChoice::Cpu.open().unwrap();
        assert!(cpu.is_cpu());
        assert_eq!(device_name(&cpu), "cpu");
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn without_the_cuda_feature_auto_is_the_cpu_and_cuda_says_how_to_build_it() {
        assert!(!cuda_compiled());
        assert!(DeviceChoice::Auto.open().unwrap().is_cpu());
        for d in [DeviceChoice::Cuda(0), DeviceChoice::Cuda(1)] {
            let e = d.open().expect_err("no CUDA in this build").to_string();
            assert!(e.contains("--features cuda"), "{e}");
            assert!(e.contains("scripts/build_cuda.sh"), "{e}");
        }
    }
}
