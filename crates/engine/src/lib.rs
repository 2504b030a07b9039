//! AdapterBot's engine: one frozen llama-architecture backbone, residual skill adapters after
//! every block, sampling and a streaming decoding loop. It knows nothing of skills or HTTP.

pub mod adapter;
pub mod backbone;
mod batch;
pub mod chat_template;
pub mod config;
pub mod device;
mod engine;
pub mod error;
pub mod fsutil;
mod generate;
mod host_attention;
mod host_ops;
mod kv_cache;
mod linear;
pub mod load;
// `unsafe` is allowed in two places only: here (SIMD intrinsics, threads writing disjoint output
// columns) and in `parallel`.
#[allow(unsafe_code)]
pub mod packed;
// Threads handed disjoint items of one slice.
#[allow(unsafe_code)]
mod parallel;
mod rope;
mod run_batch;
pub mod sampling;
mod step;
mod stop;
pub mod testing;
pub mod tokenizer;
pub mod train_ops;

pub use adapter::{Adapter, AdapterBank, AdapterInit, AdapterManifest, DEFAULT_BOTTLENECK};
pub use backbone::{Backbone, BlockHook};
pub use batch::BatchRow;
pub use chat_template::{ChatMessage, ChatTemplate};
pub use config::LlamaConfig;
pub use device::{cuda_compiled, device_name, DeviceChoice, DeviceParseError};
pub use engine::Engine;
pub use error::{EngineError, Result};
pub use generate::{Event, FinishReason, Generation, Timings, Usage};
pub use kv_cache::KvCache;
pub use linear::FrozenLinear;
pub use load::{LoadOptions, WeightMode};
pub use run_batch::{FinishedReply, ReplyJob};
pub use sampling::{Sampler, SamplingParams};
pub use step::PREFILL_CHUNK;
pub use tokenizer::{StreamDetokenizer, Tokenizer};

pub use candle_core::{Device, Tensor};
