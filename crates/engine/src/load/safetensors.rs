//! Hugging Face checkpoints: `config.json` + `model*.safetensors` (+ `tokenizer.json`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{DType, Device, Tensor};
use sha2::{Digest, Sha256};

use super::{ensure_exists, make_linear, sha256_file, LoadOptions, WeightMode};
use crate::backbone::{Backbone, Block, Embedding};
use crate::config::LlamaConfig;
use crate::error::{EngineError, Result};
use crate::linear::FrozenLinear;
use crate::rope::Rope;

pub fn load_safetensors_dir(dir: &Path, opts: &LoadOptions) -> Result<Backbone> {
    ensure_exists(dir)?;
    let config_path = dir.join("config.json");
    let text =
        std::fs::read_to_string(&config_path).map_err(|e| EngineError::io(&config_path, e))?;
    let cfg = LlamaConfig::from_hf_json(&text)?;
    let files = weight_files(dir)?;
    let mut tensors = HashMap::new();
    let mut fingerprint = Sha256::new();
    for f in &files {
        fingerprint.update(sha256_file(f)?.as_bytes());
        let loaded = candle_core::safetensors::load(f, &Device::Cpu).map_err(|e| {
            EngineError::ModelCorrupt {
                path: f.clone(),
                reason: e.to_string(),
            }
        })?;
        tensors.extend(loaded);
    }
    let mut take = |name: &str| -> Result<Tensor> {
        let t = tensors
            .remove(name)
            .ok_or_else(|| EngineError::ModelCorrupt {
                path: dir.to_path_buf(),
                reason: format!("tensor `{name}` is missing"),
            })?;
        Ok(t.to_dtype(DType::F32)?)
    };
    let dev = &opts.device;
    let linear = |t: Tensor| -> Result<FrozenLinear> {
        make_linear(QTensor::quantize(&t, GgmlDType::F32)?, opts)
    };

    let mut blocks = Vec::with_capacity(cfg.num_layers);
    for i in 0..cfg.num_layers {
        let p = format!("model.layers.{i}");
        let q = to_interleaved(
            &take(&format!("{p}.self_attn.q_proj.weight"))?,
            cfg.num_heads,
        )?;
        let k = to_interleaved(
            &take(&format!("{p}.self_attn.k_proj.weight"))?,
            cfg.num_kv_heads,
        )?;
        let v = take(&format!("{p}.self_attn.v_proj.weight"))?;
        let gate = take(&format!("{p}.mlp.gate_proj.weight"))?;
        let up = take(&format!("{p}.mlp.up_proj.weight"))?;
        blocks.push(Block {
            attn_norm: take(&format!("{p}.input_layernorm.weight"))?.to_device(dev)?,
            qkv: linear(Tensor::cat(&[q, k, v], 0)?)?,
            attn_out: linear(take(&format!("{p}.self_attn.o_proj.weight"))?)?,
            ffn_norm: take(&format!("{p}.post_attention_layernorm.weight"))?.to_device(dev)?,
            gate_up: linear(Tensor::cat(&[gate, up], 0)?)?,
            down: linear(take(&format!("{p}.mlp.down_proj.weight"))?)?,
        });
    }
    let embed_w = take("model.embed_tokens.weight")?;
    let lm_head = match take("lm_head.weight") {
        Ok(w) => linear(w)?,
        Err(_) => linear(embed_w.clone())?,
    };
    let embed = match opts.weights {
        WeightMode::F32 => Embedding::Dense(embed_w.to_device(dev)?),
        // f16 rows: an embedding lookup needs no SIMD kernel, and f16 halves the memory.
        _ => Embedding::Quantized(std::sync::Arc::new(QTensor::quantize_onto(
            &embed_w,
            GgmlDType::F16,
            dev,
        )?)),
    };
    let rope = Rope::new(&cfg, cfg.context_length.min(opts.max_context), None, dev)?;
    Ok(Backbone {
        final_norm: take("model.norm.weight")?.to_device(dev)?,
        embed,
        lm_head,
        blocks,
        rope,
        device: dev.clone(),
        fingerprint: format!("{:x}", fingerprint.finalize()),
        cfg,
    })
}

fn weight_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| EngineError::io(dir, e))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "safetensors")
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("model"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(EngineError::ModelNotFound {
            path: dir.join("model.safetensors"),
        });
    }
    Ok(files)
}

/// Hugging Face Q/K rows pair dimension `i` with `i + head_dim/2` (rotate-half RoPE); GGUF and
/// this engine pair `2i` with `2i + 1`. Reorder the rows once at load.
fn to_interleaved(w: &Tensor, heads: usize) -> Result<Tensor> {
    let (out, inp) = w.dims2()?;
    let hd = out / heads;
    Ok(w.reshape((heads, 2, hd / 2, inp))?
        .transpose(1, 2)?
        .reshape((out, inp))?)
}

/// The inverse of [`to_interleaved`]: used by tests that write HF checkpoints.
pub fn from_interleaved(w: &Tensor, heads: usize) -> Result<Tensor> {
    let (out, inp) = w.dims2()?;
    let hd = out / heads;
    Ok(w.reshape((heads, hd / 2, 2, inp))?
        .transpose(1, 2)?
        .reshape((out, inp))?)
}
