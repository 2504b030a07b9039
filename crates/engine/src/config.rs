//! Shape and hyper-parameters of a llama-architecture backbone, read from GGUF metadata or a
//! Hugging Face `config.json`.

use candle_core::quantized::gguf_file;
use serde::Deserialize;

use crate::error::{EngineError, Result};

/// Llama 3 style RoPE frequency scaling (Llama 3.x checkpoints use it; SmolLM2 does not).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RopeScaling {
    pub factor: f32,
    pub low_freq_factor: f32,
    pub high_freq_factor: f32,
    pub original_max_position_embeddings: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LlamaConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_layers: usize,
    pub num_heads: usize,
    pub num_kv_heads: usize,
    pub head_dim: usize,
    pub rms_norm_eps: f64,
    pub rope_theta: f32,
    pub rope_scaling: Option<RopeScaling>,
    /// Longest sequence (prompt + reply) the model was trained for.
    pub context_length: usize,
}

impl LlamaConfig {
    pub fn from_gguf(content: &gguf_file::Content) -> Result<Self> {
        let get = |key: &str| {
            content
                .metadata
                .get(key)
                .ok_or_else(|| EngineError::Unsupported(format!("GGUF metadata lacks `{key}`")))
        };
        let arch = get("general.architecture")?.to_string()?.clone();
        if arch != "llama" {
            return Err(EngineError::Unsupported(format!(
                "architecture `{arch}`; only llama-architecture models are supported"
            )));
        }
        let u =
            |key: &str| -> Result<usize> { Ok(get(&format!("llama.{key}"))?.to_u32()? as usize) };
        let num_heads = u("attention.head_count")?;
        let hidden_size = u("embedding_length")?;
        let head_dim = u("rope.dimension_count")
            .unwrap_or_else(|_| hidden_size.checked_div(num_heads).unwrap_or(0));
        let vocab_size = match u("vocab_size") {
            Ok(v) => v,
            Err(_) => get("tokenizer.ggml.tokens")?.to_vec()?.len(),
        };
        Ok(Self {
            vocab_size,
            hidden_size,
            intermediate_size: u("feed_forward_length")?,
            num_layers: u("block_count")?,
            num_heads,
            num_kv_heads: u("attention.head_count_kv").unwrap_or(num_heads),
            head_dim,
            rms_norm_eps: get("llama.attention.layer_norm_rms_epsilon")?.to_f32()? as f64,
            rope_theta: get("llama.rope.freq_base")
                .and_then(|v| Ok(v.to_f32()?))
                .unwrap_or(10_000.0),
            // GGUF stores Llama 3 scaling as a `rope_freqs.weight` tensor, read by the loader.
            rope_scaling: None,
            context_length: u("context_length")?,
        })
        .and_then(Self::validated)
    }

    pub fn from_hf_json(text: &str) -> Result<Self> {
        #[derive(Deserialize)]
        struct Hf {
            vocab_size: usize,
            hidden_size: usize,
            intermediate_size: usize,
            num_hidden_layers: usize,
            num_attention_heads: usize,
            num_key_value_heads: Option<usize>,
            head_dim: Option<usize>,
            rms_norm_eps: f64,
            rope_theta: Option<f32>,
            rope_scaling: Option<serde_json::Value>,
            max_position_embeddings: usize,
            model_type: Option<String>,
        }
        let hf: Hf = serde_json::from_str(text)
            .map_err(|e| EngineError::Unsupported(format!("config.json: {e}")))?;
        if let Some(t) = &hf.model_type {
            if t != "llama" {
                return Err(EngineError::Unsupported(format!(
                    "model_type `{t}`; only llama-architecture models are supported"
                )));
            }
        }
        let rope_scaling = match hf.rope_scaling {
            Some(v) if v.get("rope_type").and_then(|t| t.as_str()) == Some("llama3") => Some(
                serde_json::from_value(v)
                    .map_err(|e| EngineError::Unsupported(format!("rope_scaling: {e}")))?,
            ),
            Some(serde_json::Value::Null) | None => None,
            Some(other) => {
                return Err(EngineError::Unsupported(format!(
                    "rope_scaling {other}; only llama3 scaling is supported"
                )))
            }
        };
        Self {
            vocab_size: hf.vocab_size,
            hidden_size: hf.hidden_size,
            intermediate_size: hf.intermediate_size,
            num_layers: hf.num_hidden_layers,
            num_heads: hf.num_attention_heads,
            num_kv_heads: hf.num_key_value_heads.unwrap_or(hf.num_attention_heads),
            head_dim: hf
                .head_dim
                .unwrap_or(hf.hidden_size / hf.num_attention_heads),
            rms_norm_eps: hf.rms_norm_eps,
            rope_theta: hf.rope_theta.unwrap_or(10_000.0),
            rope_scaling,
            context_length: hf.max_position_embeddings,
        }
        .validated()
    }

    fn validated(self) -> Result<Self> {
        let bad = |what: &str| Err(EngineError::Unsupported(what.to_string()));
        if self.num_layers == 0 || self.hidden_size == 0 || self.num_heads == 0 {
            return bad("a model with no layers, heads or hidden size");
        }
        if self.num_kv_heads == 0 || !self.num_heads.is_multiple_of(self.num_kv_heads) {
            return bad("attention heads that are not a multiple of the key/value heads");
        }
        if self.head_dim == 0 || !self.head_dim.is_multiple_of(2) {
            return bad("an odd or zero attention head size (RoPE needs pairs)");
        }
        // Sizes a damaged file could claim: each product below must fit in memory, and no real
        // llama model comes near these bounds.
        let fits = |x: Option<usize>| x.is_some_and(|x| x <= 1 << 34);
        if self.num_layers > 4096
            || !fits(self.vocab_size.checked_mul(self.hidden_size))
            || !fits(self.intermediate_size.checked_mul(self.hidden_size))
            || !fits(self.num_heads.checked_mul(self.head_dim))
            || !fits(
                self.hidden_size
                    .checked_mul(self.num_heads.saturating_mul(self.head_dim)),
            )
            || self.vocab_size == 0
            || self.intermediate_size == 0
        {
            return bad("layer or matrix sizes no llama model has (a damaged file?)");
        }
        Ok(self)
    }

    /// Tiny shapes for fast unit tests on random weights.
    pub fn tiny_for_tests() -> Self {
        Self {
            vocab_size: 271, // 3 specials + 256 byte symbols + 12 merges (testing.rs)
            hidden_size: 64,
            intermediate_size: 96,
            num_layers: 2,
            num_heads: 4,
            num_kv_heads: 2,
            head_dim: 16,
            rms_norm_eps: 1e-5,
            rope_theta: 10_000.0,
            rope_scaling: None,
            context_length: 128,
        }
    }
}
