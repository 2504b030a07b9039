//! GGUF: quantized llama weights plus metadata (config, tokenizer, chat template).

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use candle_core::quantized::{gguf_file, QTensor};
use candle_core::Device;

use super::{
    copy_to, ensure_exists, make_linear, onto_device, pack, sha256_file, stack_rows, LoadOptions,
    WeightMode,
};
use crate::backbone::{Backbone, Block, Embedding};
use crate::config::LlamaConfig;
use crate::error::{EngineError, Result};
use crate::linear::FrozenLinear;
use crate::rope::Rope;

/// The parsed header of a GGUF file: metadata and tensor index.
pub struct GgufFile {
    pub content: gguf_file::Content,
    reader: BufReader<File>,
    path: std::path::PathBuf,
}

impl GgufFile {
    pub fn open(path: &Path) -> Result<Self> {
        ensure_exists(path)?;
        let file = File::open(path).map_err(|e| EngineError::io(path, e))?;
        let mut reader = BufReader::new(file);
        let content = gguf_file::Content::read(&mut reader).map_err(|e| corrupt(path, e))?;
        Ok(Self {
            content,
            reader,
            path: path.to_path_buf(),
        })
    }

    /// The tensor `name`, refused before it is read unless its shape is `dims` (rows first), so
    /// that a damaged index never sizes an allocation.
    pub fn tensor(&mut self, name: &str, dims: &[usize]) -> Result<QTensor> {
        let Some(info) = self.content.tensor_infos.get(name) else {
            return Err(corrupt(&self.path, format!("tensor `{name}` is missing")));
        };
        if info.shape.dims() != dims {
            return Err(corrupt(
                &self.path,
                format!(
                    "tensor `{name}` has shape {:?}, the config implies {dims:?}",
                    info.shape.dims()
                ),
            ));
        }
        self.content
            .tensor(&mut self.reader, name, &Device::Cpu)
            .map_err(|e| corrupt(&self.path, format!("tensor `{name}`: {e}")))
    }

    fn has(&self, name: &str) -> bool {
        self.content.tensor_infos.contains_key(name)
    }
}

fn corrupt(path: &Path, reason: impl ToString) -> EngineError {
    EngineError::ModelCorrupt {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

pub fn load_gguf(path: &Path, opts: &LoadOptions) -> Result<(Backbone, GgufFile)> {
    let mut file = GgufFile::open(path)?;
    let cfg = LlamaConfig::from_gguf(&file.content)?;
    let dev = &opts.device;
    let (hidden, inter) = (cfg.hidden_size, cfg.intermediate_size);
    let (q_rows, kv_rows) = (
        cfg.num_heads * cfg.head_dim,
        cfg.num_kv_heads * cfg.head_dim,
    );
    // Small tensors (norms) are dequantized to f32 where they are used.
    let f32_tensor = |file: &mut GgufFile, name: &str, len: usize| -> Result<candle_core::Tensor> {
        Ok(file.tensor(name, &[len])?.dequantize(dev)?)
    };

    let mut blocks = Vec::with_capacity(cfg.num_layers);
    for i in 0..cfg.num_layers {
        let mut t = |suffix: &str, dims: [usize; 2]| {
            file.tensor(&format!("blk.{i}.{suffix}.weight"), &dims)
        };
        let qkv = stack_rows(
            vec![
                t("attn_q", [q_rows, hidden])?,
                t("attn_k", [kv_rows, hidden])?,
                t("attn_v", [kv_rows, hidden])?,
            ],
            &Device::Cpu,
        )?;
        let gate_up = stack_rows(
            vec![
                t("ffn_gate", [inter, hidden])?,
                t("ffn_up", [inter, hidden])?,
            ],
            &Device::Cpu,
        )?;
        let attn_out = t("attn_output", [hidden, q_rows])?;
        let down = t("ffn_down", [hidden, inter])?;
        blocks.push(Block {
            attn_norm: f32_tensor(&mut file, &format!("blk.{i}.attn_norm.weight"), hidden)?,
            qkv: make_linear(qkv, opts)?,
            attn_out: make_linear(attn_out, opts)?,
            ffn_norm: f32_tensor(&mut file, &format!("blk.{i}.ffn_norm.weight"), hidden)?,
            gate_up: make_linear(gate_up, opts)?,
            down: make_linear(down, opts)?,
        });
    }

    let token_embd = file.tensor("token_embd.weight", &[cfg.vocab_size, hidden])?;
    let tied = !file.has("output.weight");
    let packs = opts.weights.resolve(dev) == WeightMode::Packed
        && hidden.is_multiple_of(crate::packed::BLOCK);
    let (lm_head, embed) = if tied && packs {
        // Tied embeddings (SmolLM2) in the packed layout: the head's matrix is the lookup table.
        let packed = std::sync::Arc::new(pack(token_embd)?);
        (
            FrozenLinear::Packed(packed.clone()),
            Embedding::Packed(packed),
        )
    } else {
        let lm_head_q = if tied {
            // Tied embeddings: the output head is the embedding matrix.
            copy_to(&token_embd, &Device::Cpu)?
        } else {
            file.tensor("output.weight", &[cfg.vocab_size, hidden])?
        };
        let lm_head = make_linear(lm_head_q, opts)?;
        let embed = match (&lm_head, opts.weights) {
            // Share the dense matrix with the tied head rather than holding it twice.
            (FrozenLinear::Dense(w), WeightMode::F32) if tied => Embedding::Dense(w.clone()),
            (_, WeightMode::F32) => Embedding::Dense(token_embd.dequantize(dev)?),
            _ => Embedding::Quantized(std::sync::Arc::new(onto_device(token_embd, dev)?)),
        };
        (lm_head, embed)
    };
    let freq_factors = if file.has("rope_freqs.weight") {
        Some(f32_tensor(&mut file, "rope_freqs.weight", cfg.head_dim / 2)?.to_vec1::<f32>()?)
    } else {
        None
    };
    let rope = Rope::new(
        &cfg,
        cfg.context_length.min(opts.max_context),
        freq_factors.as_deref(),
        dev,
    )?;
    let backbone = Backbone {
        final_norm: f32_tensor(&mut file, "output_norm.weight", hidden)?,
        embed,
        lm_head,
        blocks,
        rope,
        device: dev.clone(),
        fingerprint: sha256_file(path)?,
        cfg,
    };
    Ok((backbone, file))
}
