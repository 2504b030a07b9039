//! The sentence encoder the manager reads turns with: all-MiniLM-L6-v2 (a 6-layer BERT) run by
//! candle-transformers' `BertModel`, mean-pooled over real tokens and L2-normalised, as the model
//! was trained to be used.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use adapterbot_engine::Device;
use candle_core::{DType, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use lru::LruCache;
use tokenizers::{Tokenizer, TruncationParams};

use super::ManagerError;

/// Longest input the encoder reads, in word pieces; longer text is cut (the head only needs the
/// gist, and attention cost grows with the square of the length).
const MAX_TOKENS: usize = 128;

/// Texts whose embeddings are kept (1.5 KB each). In a conversation the context a turn is read
/// after was known when the previous reply ended, so it can be embedded then and found here.
const CACHE_ENTRIES: NonZeroUsize = NonZeroUsize::new(4096).unwrap();

pub struct SentenceEncoder {
    model: BertModel,
    /// Every tensor of the file (shared storage with `model`'s): an encoder over more of its
    /// layers is made from these without reading or holding the weights twice.
    tensors: HashMap<String, Tensor>,
    /// The model's config, with the layers this encoder reads.
    config: Config,
    /// Layers the file holds.
    file_layers: usize,
    tokenizer: Tokenizer,
    device: Device,
    dir: PathBuf,
    /// text → its `[1, dim]` embedding, least recently used dropped first.
    cache: Mutex<LruCache<String, Tensor>>,
}

fn model_err(what: &str, dir: &Path, e: impl std::fmt::Display) -> ManagerError {
    ManagerError::Model(format!("{what} in {}: {e}", dir.display()))
}

/// `layers` of a file with `available` (`None`: all), refused when there are not that many.
fn checked_layers(
    dir: &Path,
    available: usize,
    layers: Option<usize>,
) -> Result<usize, ManagerError> {
    match layers {
        None => Ok(available),
        Some(n) if n == 0 || n > available => Err(ManagerError::Model(format!(
            "the encoder in {} has {available} layers; {n} cannot be used",
            dir.display()
        ))),
        Some(n) => Ok(n),
    }
}

impl SentenceEncoder {
    /// Loads `config.json`, `tokenizer.json` and `model.safetensors` from `dir`
    /// (`models/minilm`, fetched by `models/fetch.sh`), with all its layers.
    pub fn load(dir: &Path, device: &Device) -> Result<Self, ManagerError> {
        Self::load_layers(dir, device, None)
    }

    /// As `load`, keeping only the first `layers` transformer layers (`None`: all). Embeddings
    /// from fewer layers are cheaper and, for routing, no worse (docs/manager.md).
    pub fn load_layers(
        dir: &Path,
        device: &Device,
        layers: Option<usize>,
    ) -> Result<Self, ManagerError> {
        let read = |name: &str| {
            let p = dir.join(name);
            if p.exists() {
                Ok(p)
            } else {
                Err(ManagerError::Model(format!(
                    "{} is missing: run models/fetch.sh to fetch the sentence encoder",
                    p.display()
                )))
            }
        };
        let mut config: Config = serde_json::from_slice(
            &std::fs::read(read("config.json")?).map_err(|e| model_err("config.json", dir, e))?,
        )
        .map_err(|e| model_err("config.json", dir, e))?;
        let file_layers = config.num_hidden_layers;
        config.num_hidden_layers = checked_layers(dir, file_layers, layers)?;
        let mut tokenizer = Tokenizer::from_file(read("tokenizer.json")?)
            .map_err(|e| model_err("tokenizer.json", dir, e))?;
        // The shipped tokenizer pads every input to 128; padding is done per batch here instead.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(|e| model_err("tokenizer.json", dir, e))?;
        let weights = read("model.safetensors")?;
        // Read into memory rather than memory-mapped: mapping needs `unsafe`, which the
        // workspace denies, and the file is only 90 MB.
        let tensors = candle_core::safetensors::load(&weights, device)
            .map_err(|e| model_err("model.safetensors", dir, e))?;
        Self::build(tensors, file_layers, config, tokenizer, dir, device)
    }

    /// An encoder over the first `layers` layers (`None`: all) of this one's file, sharing its
    /// weights (nothing is read or copied) but not its cache.
    pub fn with_layers(&self, layers: Option<usize>) -> Result<Self, ManagerError> {
        let mut config = self.config.clone();
        config.num_hidden_layers = checked_layers(&self.dir, self.file_layers, layers)?;
        Self::build(
            self.tensors.clone(),
            self.file_layers,
            config,
            self.tokenizer.clone(),
            &self.dir,
            &self.device,
        )
    }

    fn build(
        tensors: HashMap<String, Tensor>,
        file_layers: usize,
        config: Config,
        tokenizer: Tokenizer,
        dir: &Path,
        device: &Device,
    ) -> Result<Self, ManagerError> {
        // The builder gets handles to the same storage; the model keeps the layers it reads.
        let vb = VarBuilder::from_tensors(tensors.clone(), DType::F32, device);
        let model = BertModel::load(vb, &config).map_err(|e| model_err("the encoder", dir, e))?;
        Ok(Self {
            model,
            tensors,
            tokenizer,
            device: device.clone(),
            config,
            file_layers,
            dir: dir.to_path_buf(),
            cache: Mutex::new(LruCache::new(CACHE_ENTRIES)),
        })
    }

    /// Transformer layers this encoder reads with.
    pub fn layers(&self) -> usize {
        self.config.num_hidden_layers
    }

    /// Size of one embedding (384 for MiniLM).
    pub fn dim(&self) -> usize {
        self.config.hidden_size
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The `[1, dim]` embedding of one text, from the cache when it was embedded before. The
    /// text is encoded alone, so no padding is computed for it.
    pub fn embed_cached(&self, text: &str) -> Result<Tensor, ManagerError> {
        if let Some(t) = self.lock_cache().get(text) {
            return Ok(t.clone());
        }
        // Encoded outside the lock: two threads may both encode a new text, which is harmless.
        let embedding = self.embed(&[text])?;
        self.lock_cache().put(text.to_string(), embedding.clone());
        Ok(embedding)
    }

    /// Forgets every cached embedding (for measuring the encoder itself).
    pub fn clear_cache(&self) {
        self.lock_cache().clear();
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, LruCache<String, Tensor>> {
        // A panic while holding the lock cannot leave the cache half-written: put/get are atomic.
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One unit-length embedding per text, as a `[texts.len(), dim]` tensor. An empty slice gives
    /// a `[0, dim]` tensor.
    pub fn embed(&self, texts: &[&str]) -> Result<Tensor, ManagerError> {
        let err = |e: candle_core::Error| ManagerError::Model(format!("encoder: {e}"));
        if texts.is_empty() {
            return Tensor::zeros((0, self.dim()), DType::F32, &self.device).map_err(err);
        }
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| ManagerError::Model(format!("tokenizing: {e}")))?;
        let len = encodings.iter().map(|e| e.len()).max().unwrap_or(1).max(1);
        let mut ids = Vec::with_capacity(texts.len() * len);
        let mut mask = Vec::with_capacity(texts.len() * len);
        for e in &encodings {
            let n = e.len();
            ids.extend(e.get_ids().iter().copied());
            ids.extend(std::iter::repeat_n(0u32, len - n));
            mask.extend(std::iter::repeat_n(1u32, n));
            mask.extend(std::iter::repeat_n(0u32, len - n));
        }
        let shape = (texts.len(), len);
        let ids = Tensor::from_vec(ids, shape, &self.device).map_err(err)?;
        let mask = Tensor::from_vec(mask, shape, &self.device).map_err(err)?;
        let types = ids.zeros_like().map_err(err)?;
        let hidden = self.model.forward(&ids, &types, Some(&mask)).map_err(err)?;
        mean_pool_normalised(&hidden, &mask).map_err(err)
    }
}

/// Mean over the real (unpadded) tokens, then scaled to unit length.
fn mean_pool_normalised(hidden: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
    let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
    let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
    let counts = mask.sum(1)?.clamp(1.0, f64::MAX)?;
    let mean = summed.broadcast_div(&counts)?;
    let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
    mean.broadcast_div(&norm)
}
