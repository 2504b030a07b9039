//! The backbone's tokenizer, rebuilt from GGUF metadata (or read from `tokenizer.json`), and a
//! streaming detokenizer that never emits half a UTF-8 character.

use std::path::Path;

use candle_core::quantized::gguf_file;
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::BPE;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::{AddedToken, SplitDelimiterBehavior};

use crate::error::{EngineError, Result};

/// GGUF token type of control tokens (`<|im_start|>` …): they must be matched whole.
const TOKEN_TYPE_CONTROL: i32 = 3;
const TOKEN_TYPE_USER_DEFINED: i32 = 4;
/// Llama 3's pre-tokenizer split pattern.
const LLAMA3_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
/// End-of-turn markers of common chat templates; any that the vocabulary has also stop a reply.
const END_OF_TURN: &[&str] = &[
    "<|im_end|>",
    "<|eot_id|>",
    "<|end|>",
    "<end_of_turn>",
    "<|endoftext|>",
];

#[derive(Clone)]
pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
    stop_ids: Vec<u32>,
    bos: Option<(u32, String)>,
    eos: Option<(u32, String)>,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("vocab", &self.vocab_size())
            .field("stop_ids", &self.stop_ids)
            .finish()
    }
}

fn tok_err(e: impl ToString) -> EngineError {
    EngineError::Tokenizer(e.to_string())
}

impl Tokenizer {
    pub fn from_gguf(content: &gguf_file::Content) -> Result<Self> {
        let meta = |k: &str| content.metadata.get(k);
        let model = meta("tokenizer.ggml.model")
            .ok_or_else(|| tok_err("GGUF has no tokenizer.ggml.model"))?
            .to_string()?
            .clone();
        if model != "gpt2" {
            return Err(EngineError::Unsupported(format!(
                "GGUF tokenizer model `{model}`; only byte-level BPE (`gpt2`) is built from GGUF. \
                 Put the model's tokenizer.json beside it instead"
            )));
        }
        let tokens: Vec<String> = meta("tokenizer.ggml.tokens")
            .ok_or_else(|| tok_err("GGUF has no tokenizer.ggml.tokens"))?
            .to_vec()?
            .iter()
            .map(|v| v.to_string().cloned())
            .collect::<candle_core::Result<_>>()?;
        let merges: Vec<(String, String)> = meta("tokenizer.ggml.merges")
            .ok_or_else(|| tok_err("GGUF has no tokenizer.ggml.merges"))?
            .to_vec()?
            .iter()
            .map(|v| {
                let s = v.to_string()?;
                s.split_once(' ')
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .ok_or_else(|| candle_core::Error::Msg(format!("bad merge `{s}`")))
            })
            .collect::<candle_core::Result<_>>()?;
        let types: Vec<i32> = match meta("tokenizer.ggml.token_type") {
            Some(v) => v
                .to_vec()?
                .iter()
                .map(|t| t.to_i32())
                .collect::<candle_core::Result<_>>()?,
            None => vec![1; tokens.len()],
        };
        let vocab: tokenizers::models::bpe::Vocab = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let bpe = BPE::builder()
            .vocab_and_merges(vocab, merges)
            .build()
            .map_err(tok_err)?;
        let mut inner = tokenizers::Tokenizer::new(bpe);
        let pre = meta("tokenizer.ggml.pre")
            .and_then(|v| v.to_string().ok().cloned())
            .unwrap_or_default();
        inner.with_pre_tokenizer(Some(pre_tokenizer(&pre)?));
        inner.with_decoder(Some(ByteLevelDecoder::default()));
        let specials: Vec<AddedToken> = tokens
            .iter()
            .zip(&types)
            .filter(|(_, &t)| t == TOKEN_TYPE_CONTROL || t == TOKEN_TYPE_USER_DEFINED)
            .map(|(tok, _)| AddedToken::from(tok.clone(), true))
            .collect();
        inner.add_special_tokens(&specials);

        let id_meta = |k: &str| meta(k).and_then(|v| v.to_u32().ok());
        let named =
            |id: Option<u32>| id.and_then(|i| tokens.get(i as usize).map(|t| (i, t.clone())));
        let add_bos = meta("tokenizer.ggml.add_bos_token")
            .and_then(|v| v.to_bool().ok())
            .unwrap_or(false);
        let eos = named(id_meta("tokenizer.ggml.eos_token_id"));
        let bos = named(id_meta("tokenizer.ggml.bos_token_id")).filter(|_| add_bos);
        Ok(Self::finish(inner, bos, eos))
    }

    /// `tokenizer.json` (with `tokenizer_config.json` beside it for BOS/EOS when present).
    pub fn from_file(path: &Path) -> Result<Self> {
        let inner = tokenizers::Tokenizer::from_file(path)
            .map_err(|e| EngineError::Tokenizer(format!("{}: {e}", path.display())))?;
        let cfg = path.with_file_name("tokenizer_config.json");
        let cfg: serde_json::Value = std::fs::read_to_string(&cfg)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        let named = |key: &str| {
            let text = match &cfg[key] {
                serde_json::Value::String(s) => Some(s.clone()),
                v => v["content"].as_str().map(str::to_string),
            }?;
            inner.token_to_id(&text).map(|id| (id, text))
        };
        let (bos, eos) = (named("bos_token"), named("eos_token"));
        Ok(Self::finish(inner, bos, eos))
    }

    fn finish(
        inner: tokenizers::Tokenizer,
        bos: Option<(u32, String)>,
        eos: Option<(u32, String)>,
    ) -> Self {
        let mut stop_ids: Vec<u32> = END_OF_TURN
            .iter()
            .filter_map(|t| inner.token_to_id(t))
            .collect();
        stop_ids.extend(eos.as_ref().map(|(id, _)| *id));
        stop_ids.sort_unstable();
        stop_ids.dedup();
        Self {
            inner,
            stop_ids,
            bos,
            eos,
        }
    }

    /// Token ids of `text`; special-token text such as `<|im_start|>` becomes its single id.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let enc = self.inner.encode(text, false).map_err(tok_err)?;
        Ok(enc.get_ids().to_vec())
    }

    pub fn decode(&self, ids: &[u32], skip_special: bool) -> Result<String> {
        self.inner.decode(ids, skip_special).map_err(tok_err)
    }

    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    /// Writes the tokenizer in the `tokenizer.json` format.
    pub fn save_json(&self, path: &Path) -> Result<()> {
        self.inner.save(path, false).map_err(tok_err)
    }

    /// The text of every special token (`<|im_start|>` …), longest first.
    pub fn special_tokens(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .inner
            .get_added_tokens_decoder()
            .into_values()
            .filter(|t| t.special)
            .map(|t| t.content)
            .collect();
        out.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        out
    }

    /// Tokens that end a reply: EOS and the chat template's end-of-turn marker.
    pub fn stop_ids(&self) -> &[u32] {
        &self.stop_ids
    }

    /// BOS text when the model wants one prepended (not SmolLM2).
    pub fn bos_token(&self) -> Option<&str> {
        self.bos.as_ref().map(|(_, t)| t.as_str())
    }

    pub fn eos_token(&self) -> Option<&str> {
        self.eos.as_ref().map(|(_, t)| t.as_str())
    }
}

fn pre_tokenizer(pre: &str) -> Result<PreTokenizerWrapper> {
    Ok(match pre {
        "llama-bpe" | "llama3" | "llama-v3" => {
            let split = Split::new(
                SplitPattern::Regex(LLAMA3_SPLIT.to_string()),
                SplitDelimiterBehavior::Isolated,
                false,
            )
            .map_err(tok_err)?;
            Sequence::new(vec![
                split.into(),
                ByteLevel::new(false, true, false).into(),
            ])
            .into()
        }
        // SmolLM2 and the StarCoder family split every digit, then apply GPT-2's byte level.
        "smollm" | "starcoder" | "refact" => Sequence::new(vec![
            Digits::new(true).into(),
            ByteLevel::new(false, true, true).into(),
        ])
        .into(),
        _ => ByteLevel::new(false, true, true).into(),
    })
}

/// Turns a stream of token ids into text pieces. Holds back bytes until they form whole
/// characters, so no piece ever contains a broken UTF-8 sequence or a replacement character
/// that the full decode would not have.
#[derive(Debug, Default, Clone)]
pub struct StreamDetokenizer {
    ids: Vec<u32>,
    /// Text already emitted for `ids[..]` (decoded from `prefix_start`).
    emitted: String,
    prefix_start: usize,
}

impl StreamDetokenizer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one token; returns the new text it completes, if any.
    pub fn push(&mut self, tok: &Tokenizer, id: u32) -> Result<Option<String>> {
        self.ids.push(id);
        let text = tok.decode(&self.ids[self.prefix_start..], false)?;
        if text.len() > self.emitted.len() && !text.ends_with('\u{FFFD}') {
            let piece = match text.get(self.emitted.len()..) {
                Some(p) if text.starts_with(&self.emitted) => p.to_string(),
                // The decode of the window changed earlier text (rare, after byte merges):
                // emit only what is new past the common prefix.
                _ => text.chars().skip(self.emitted.chars().count()).collect(),
            };
            // Keep the window short: restart it after the last complete token.
            self.prefix_start = self.ids.len() - 1;
            self.emitted = tok.decode(&self.ids[self.prefix_start..], false)?;
            return Ok(Some(piece));
        }
        Ok(None)
    }

    /// At the end of the stream: whatever was held back (text that ends in U+FFFD, which may
    /// be a real replacement character or bytes that never completed).
    pub fn flush(&mut self, tok: &Tokenizer) -> Result<Option<String>> {
        let text = tok.decode(&self.ids[self.prefix_start..], false)?;
        let rest = match text.strip_prefix(self.emitted.as_str()) {
            Some(rest) => rest.to_string(),
            None => text.chars().skip(self.emitted.chars().count()).collect(),
        };
        self.emitted = text;
        Ok((!rest.is_empty()).then_some(rest))
    }
}
