//! Tiny random-weight models written in the real file formats, for fast tests here and in the
//! crates above. They go through the same loaders as the real model.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;

use candle_core::quantized::{gguf_file, GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use rand::SeedableRng;

use crate::config::LlamaConfig;
use crate::error::Result;

const SPECIALS: [&str; 3] = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];
/// A few byte-level merges so that the tiny tokenizer really merges.
const MERGES: [(&str, &str); 12] = [
    ("Ġ", "t"),
    ("h", "e"),
    ("i", "n"),
    ("Ġ", "a"),
    ("e", "r"),
    ("o", "n"),
    ("Ġt", "he"),
    ("r", "e"),
    ("a", "t"),
    ("e", "n"),
    ("o", "u"),
    ("Ġ", "s"),
];

/// Vocabulary of the tiny tokenizer: specials, the 256 byte-level symbols, then the merges.
pub fn tiny_vocab() -> (Vec<String>, Vec<i32>) {
    let mut alphabet: Vec<char> = tokenizers::pre_tokenizers::byte_level::ByteLevel::alphabet()
        .into_iter()
        .collect();
    alphabet.sort_unstable();
    let mut tokens: Vec<String> = SPECIALS.iter().map(|s| s.to_string()).collect();
    let mut types = vec![3; SPECIALS.len()];
    tokens.extend(alphabet.iter().map(|c| c.to_string()));
    tokens.extend(MERGES.iter().map(|(a, b)| format!("{a}{b}")));
    types.resize(tokens.len(), 1);
    (tokens, types)
}

/// Random weights for `cfg`, in the GGUF layout, `[out, in]` like the file's matrices.
pub fn tiny_weights(cfg: &LlamaConfig, seed: u64) -> Result<HashMap<String, Tensor>> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut t = |shape: &[usize], std: f32, mean: f32| {
        crate::adapter::normal_tensor(&mut rng, mean, std, shape, &Device::Cpu)
    };
    let (h, f, hd) = (cfg.hidden_size, cfg.intermediate_size, cfg.head_dim);
    let mut w = HashMap::new();
    w.insert(
        "token_embd.weight".to_string(),
        t(&[cfg.vocab_size, h], 0.5, 0.0)?,
    );
    w.insert("output_norm.weight".to_string(), t(&[h], 0.1, 1.0)?);
    for i in 0..cfg.num_layers {
        let mut put = |name: &str, shape: &[usize], std: f32, mean: f32| -> Result<()> {
            w.insert(format!("blk.{i}.{name}.weight"), t(shape, std, mean)?);
            Ok(())
        };
        let s = 1.0 / (h as f32).sqrt();
        put("attn_norm", &[h], 0.1, 1.0)?;
        put("attn_q", &[cfg.num_heads * hd, h], s, 0.0)?;
        put("attn_k", &[cfg.num_kv_heads * hd, h], s, 0.0)?;
        put("attn_v", &[cfg.num_kv_heads * hd, h], s, 0.0)?;
        put("attn_output", &[h, cfg.num_heads * hd], s, 0.0)?;
        put("ffn_norm", &[h], 0.1, 1.0)?;
        put("ffn_gate", &[f, h], s, 0.0)?;
        put("ffn_up", &[f, h], s, 0.0)?;
        put("ffn_down", &[h, f], 1.0 / (f as f32).sqrt(), 0.0)?;
    }
    Ok(w)
}

/// Writes a tiny llama GGUF (f32 tensors, tied embeddings, ChatML template) to `path`.
pub fn write_tiny_gguf(path: &Path, cfg: &LlamaConfig, seed: u64) -> Result<()> {
    use gguf_file::Value as V;
    let (tokens, types) = tiny_vocab();
    assert_eq!(
        tokens.len(),
        cfg.vocab_size,
        "tiny config must match the tiny vocabulary"
    );
    let u = |x: usize| V::U32(x as u32);
    let meta: Vec<(&str, V)> = vec![
        ("general.architecture", V::String("llama".into())),
        ("llama.block_count", u(cfg.num_layers)),
        ("llama.context_length", u(cfg.context_length)),
        ("llama.embedding_length", u(cfg.hidden_size)),
        ("llama.feed_forward_length", u(cfg.intermediate_size)),
        ("llama.attention.head_count", u(cfg.num_heads)),
        ("llama.attention.head_count_kv", u(cfg.num_kv_heads)),
        ("llama.rope.dimension_count", u(cfg.head_dim)),
        ("llama.rope.freq_base", V::F32(cfg.rope_theta)),
        (
            "llama.attention.layer_norm_rms_epsilon",
            V::F32(cfg.rms_norm_eps as f32),
        ),
        ("tokenizer.ggml.model", V::String("gpt2".into())),
        ("tokenizer.ggml.pre", V::String("smollm".into())),
        (
            "tokenizer.ggml.tokens",
            V::Array(tokens.into_iter().map(V::String).collect()),
        ),
        (
            "tokenizer.ggml.token_type",
            V::Array(types.into_iter().map(V::I32).collect()),
        ),
        (
            "tokenizer.ggml.merges",
            V::Array(
                MERGES
                    .iter()
                    .map(|(a, b)| V::String(format!("{a} {b}")))
                    .collect(),
            ),
        ),
        ("tokenizer.ggml.eos_token_id", V::U32(2)),
        (
            "tokenizer.chat_template",
            V::String(crate::chat_template::CHATML.into()),
        ),
    ];
    let weights = tiny_weights(cfg, seed)?;
    let mut names: Vec<&String> = weights.keys().collect();
    names.sort();
    let qtensors: Vec<(&str, QTensor)> = names
        .iter()
        .map(|n| Ok((n.as_str(), QTensor::quantize(&weights[*n], GgmlDType::F32)?)))
        .collect::<Result<_>>()?;
    let meta_refs: Vec<(&str, &V)> = meta.iter().map(|(k, v)| (*k, v)).collect();
    let tensor_refs: Vec<(&str, &QTensor)> = qtensors.iter().map(|(k, v)| (*k, v)).collect();
    let mut f = File::create(path).map_err(|e| crate::EngineError::io(path, e))?;
    gguf_file::write(&mut f, &meta_refs, &tensor_refs)?;
    Ok(())
}

/// Writes the same tiny model as a Hugging Face checkpoint folder (`config.json`,
/// `model.safetensors` with Q/K in the rotate-half layout, `tokenizer.json`).
pub fn write_tiny_hf_dir(dir: &Path, cfg: &LlamaConfig, seed: u64, gguf_path: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| crate::EngineError::io(dir, e))?;
    let w = tiny_weights(cfg, seed)?;
    let mut out = HashMap::new();
    out.insert(
        "model.embed_tokens.weight".to_string(),
        w["token_embd.weight"].clone(),
    );
    out.insert(
        "model.norm.weight".to_string(),
        w["output_norm.weight"].clone(),
    );
    for i in 0..cfg.num_layers {
        let g = |n: &str| w[&format!("blk.{i}.{n}.weight")].clone();
        let p = format!("model.layers.{i}");
        let q = crate::load::from_interleaved(&g("attn_q"), cfg.num_heads)?;
        let k = crate::load::from_interleaved(&g("attn_k"), cfg.num_kv_heads)?;
        for (name, t) in [
            ("input_layernorm", g("attn_norm")),
            ("self_attn.q_proj", q),
            ("self_attn.k_proj", k),
            ("self_attn.v_proj", g("attn_v")),
            ("self_attn.o_proj", g("attn_output")),
            ("post_attention_layernorm", g("ffn_norm")),
            ("mlp.gate_proj", g("ffn_gate")),
            ("mlp.up_proj", g("ffn_up")),
            ("mlp.down_proj", g("ffn_down")),
        ] {
            out.insert(format!("{p}.{name}.weight"), t);
        }
    }
    candle_core::safetensors::save(&out, dir.join("model.safetensors"))?;
    let config = serde_json::json!({
        "model_type": "llama",
        "vocab_size": cfg.vocab_size,
        "hidden_size": cfg.hidden_size,
        "intermediate_size": cfg.intermediate_size,
        "num_hidden_layers": cfg.num_layers,
        "num_attention_heads": cfg.num_heads,
        "num_key_value_heads": cfg.num_kv_heads,
        "rms_norm_eps": cfg.rms_norm_eps,
        "rope_theta": cfg.rope_theta,
        "max_position_embeddings": cfg.context_length,
        "tie_word_embeddings": true,
    });
    std::fs::write(dir.join("config.json"), config.to_string())
        .map_err(|e| crate::EngineError::io(dir, e))?;
    // The tokenizer rebuilt from the GGUF, saved in the tokenizer.json format.
    let gguf = crate::load::GgufFile::open(gguf_path)?;
    let tok = crate::tokenizer::Tokenizer::from_gguf(&gguf.content)?;
    tok.save_json(&dir.join("tokenizer.json"))?;
    Ok(())
}

/// Largest absolute difference between two tensors of the same shape.
pub fn max_abs_diff(a: &Tensor, b: &Tensor) -> Result<f32> {
    Ok((a - b)?.abs()?.max_all()?.to_scalar::<f32>()?)
}

/// Damage done to a valid file by a fuzz case: bytes overwritten, bytes inserted, and the
/// file cut short. Positions are taken modulo the file's length, so any numbers make a case.
#[derive(Debug, Clone, Default)]
pub struct Damage {
    /// (position, new byte)
    pub overwrite: Vec<(usize, u8)>,
    /// (position, bytes inserted there)
    pub insert: Vec<(usize, Vec<u8>)>,
    /// Keep only this many bytes (modulo the length + 1).
    pub cut: Option<usize>,
}

impl Damage {
    /// `seed` with the damage done.
    pub fn apply(&self, seed: &[u8]) -> Vec<u8> {
        let mut out = seed.to_vec();
        for &(at, byte) in &self.overwrite {
            if !out.is_empty() {
                let i = at % out.len();
                out[i] = byte;
            }
        }
        for (at, bytes) in &self.insert {
            let i = at % (out.len() + 1);
            out.splice(i..i, bytes.iter().copied());
        }
        if let Some(cut) = self.cut {
            out.truncate(cut % (out.len() + 1));
        }
        out
    }
}

/// Proptest strategies for the fuzz tests of every crate: a valid file, damaged.
#[cfg(feature = "fuzz")]
pub mod fuzz {
    use proptest::prelude::*;

    use super::Damage;

    /// Damage of every kind: up to 7 bytes overwritten and up to 2 runs inserted (random bytes,
    /// or JSON punctuation, digits and letters, which reach further into a JSON reader), most
    /// of it within the first `focus` bytes (where a binary file's structure is), and a cut in
    /// one case of five.
    pub fn damage(focus: usize) -> impl Strategy<Value = Damage> {
        let at = prop_oneof![4 => 0..focus.max(1), 1 => any::<usize>()];
        let bytes = prop_oneof![
            prop::collection::vec(any::<u8>(), 1..9),
            "[\\[\\]{}:,\"0-9a-z.\\\\\n-]{1,8}".prop_map(String::into_bytes),
        ];
        (
            prop::collection::vec((at.clone(), any::<u8>()), 0..8),
            prop::collection::vec((at, bytes), 0..3),
            prop::option::weighted(0.2, any::<usize>()),
        )
            .prop_map(|(overwrite, insert, cut)| Damage {
                overwrite,
                insert,
                cut,
            })
    }

    /// The bytes of a file to read: `seed` damaged (nine cases in ten, see [`damage`]), or
    /// bytes of no format at all.
    pub fn damaged(seed: &'static [u8], focus: usize) -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            9 => damage(focus).prop_map(move |d| d.apply(seed)),
            1 => prop::collection::vec(any::<u8>(), 0..256),
        ]
    }
}
