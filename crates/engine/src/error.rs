//! The engine's error type: every failure names the problem and, where there is one, the fix.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("model file {path} not found; run `models/fetch.sh` to fetch the default model or pass --model PATH")]
    ModelNotFound { path: PathBuf },

    #[error("model file {path} is not a usable model: {reason}")]
    ModelCorrupt { path: PathBuf, reason: String },

    #[error("unsupported model: {0}")]
    Unsupported(String),

    #[error("tokenizer: {0}")]
    Tokenizer(String),

    #[error("chat template: {0}")]
    Template(String),

    #[error("adapter {path}: {reason}")]
    AdapterInvalid { path: PathBuf, reason: String },

    #[error("adapter {path} was trained for base model {expected}, but the loaded model is {actual}; retrain the adapter for this model or load the model it was made for")]
    AdapterBaseMismatch {
        path: PathBuf,
        expected: String,
        actual: String,
    },

    #[error("unknown skill adapter `{id}`; known: {known}")]
    UnknownAdapter { id: String, known: String },

    #[error("the prompt has {prompt_tokens} tokens but the model's context holds {context_length}; shorten the conversation")]
    PromptTooLong {
        prompt_tokens: usize,
        context_length: usize,
    },

    #[error("the prompt is empty")]
    EmptyPrompt,

    #[error("invalid sampling parameter: {0}")]
    InvalidSampling(String),

    #[error("this binary was built without CUDA; build it with `--features cuda` (scripts/build_cuda.sh does it all, see docs/gpu.md) or use --device cpu")]
    CudaNotCompiled,

    #[error("CUDA GPU {index} cannot be used: {reason}; check `nvidia-smi`, the driver version (docs/gpu.md) and CUDA_VISIBLE_DEVICES, or use --device cpu")]
    CudaUnavailable { index: usize, reason: String },

    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(transparent)]
    Candle(#[from] candle_core::Error),

    /// A batched step failed; every generation in it gets this copy of the error.
    #[error("the batched decoding step failed: {0}")]
    Batch(String),
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;

impl EngineError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
