//! The dialogue manager: reads the user's turn in the context of the last few turns and gives a
//! probability for every skill it was trained on. Below a confidence threshold it falls back to a
//! configured default skill, and the decision says so.

pub mod data;
pub mod encoder;
pub mod eval;
pub mod head;
pub mod lexical;
pub mod train;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use adapterbot_engine::Device;
use candle_core::Tensor;
use serde::{Deserialize, Serialize};

pub use data::{read_turns, LabelledTurn, RowProblem};
pub use encoder::SentenceEncoder;
pub use eval::{evaluate, evaluate_with_default, ManagerEval, ThresholdScore};
pub use head::{EpochLog, HeadOptions, RoutingHead, Validation};
pub use train::{train_manager, train_manager_validated, TrainReport};

/// Where the trained manager lives by default, and the encoder it reads with.
pub const DEFAULT_MANAGER_DIR: &str = "models/manager";
pub const DEFAULT_ENCODER_DIR: &str = "models/minilm";
/// MiniLM layers the shipped manager reads with: the first 3 of 6, chosen on the validation
/// turns (97.6 % against 95.2 % with 2 and 96.9 % with 4), routing in about 4–8 ms instead of
/// 14 with all 6 (docs/manager.md).
pub const DEFAULT_ENCODER_LAYERS: usize = 3;
const CONFIG_FILE: &str = "manager.json";

/// How the skill for a turn was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RouteSource {
    /// The manager chose it.
    Auto,
    /// The caller named it.
    Manual,
    /// The manager was not confident enough (or there is none): the default skill answers.
    Fallback,
}

/// The manager's decision for one turn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RouteDecision {
    pub skill: String,
    pub source: RouteSource,
    /// Probability per skill id (empty when no manager was consulted).
    pub probabilities: BTreeMap<String, f32>,
    /// Time the manager took, in milliseconds.
    pub elapsed_ms: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum ManagerError {
    #[error("dialogue manager: {0}")]
    Model(String),
    #[error("manager data: {0}")]
    Data(String),
    #[error("no trained manager in {0}: run `adapterbot train manager` first")]
    Missing(PathBuf),
}

/// `manager.json`: what the head was trained on and how it decides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManagerConfig {
    /// Skill ids in the order of the head's outputs.
    pub skills: Vec<String>,
    /// Below this top probability the decision falls back to the default skill.
    pub threshold: f32,
    /// Embedding size of the encoder the head was trained with.
    pub encoder_dim: usize,
    /// Encoder layers the head was trained on (`None` in files from before: all of them).
    #[serde(default)]
    pub encoder_layers: Option<usize>,
    pub head: HeadOptions,
    /// Training summary (rows, data hash, accuracy, time).
    #[serde(default)]
    pub training: serde_json::Value,
}

impl ManagerConfig {
    /// Reads `dir/manager.json`; `Missing` when no manager was trained there.
    pub fn read(dir: &Path) -> Result<Self, ManagerError> {
        let path = dir.join(CONFIG_FILE);
        if !path.exists() {
            return Err(ManagerError::Missing(dir.to_path_buf()));
        }
        std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
            .map_err(|e| ManagerError::Model(format!("{}: {e}", path.display())))
    }
}

/// The trained classifier (sentence encoder + head). Cheap to share between threads.
pub struct DialogueManager {
    /// Shared with the manager a reload replaces, when both read with the same encoder.
    encoder: Arc<SentenceEncoder>,
    head: RoutingHead,
    config: ManagerConfig,
}

impl DialogueManager {
    /// Loads the head in `dir` (`models/manager`) and the encoder in `encoder_dir`.
    pub fn load(dir: &Path, encoder_dir: &Path, device: &Device) -> Result<Self, ManagerError> {
        Self::load_reusing(dir, encoder_dir, device, None)
    }

    /// [`DialogueManager::load`], reading with `previous` — the encoder of the manager this one
    /// replaces — when it is the one in `encoder_dir` with the layers the head wants, instead
    /// of loading it again: a reload then neither rereads the encoder nor holds two copies.
    pub fn load_reusing(
        dir: &Path,
        encoder_dir: &Path,
        device: &Device,
        previous: Option<Arc<SentenceEncoder>>,
    ) -> Result<Self, ManagerError> {
        let config = ManagerConfig::read(dir)?;
        let reusable = previous
            .filter(|e| e.dir() == encoder_dir && config.encoder_layers == Some(e.layers()));
        let encoder = match reusable {
            Some(e) => e,
            None => Arc::new(SentenceEncoder::load_layers(
                encoder_dir,
                device,
                config.encoder_layers,
            )?),
        };
        let head = Self::load_head(dir, &config, encoder_dir, encoder.dim(), device)?;
        Ok(Self {
            encoder,
            head,
            config,
        })
    }

    /// The head in `dir`, described by its `config`, for the encoder in `encoder_dir`, of
    /// `encoder_dim` dimensions: refused when it was trained on another encoder or does not fit
    /// the config.
    pub fn load_head(
        dir: &Path,
        config: &ManagerConfig,
        encoder_dir: &Path,
        encoder_dim: usize,
        device: &Device,
    ) -> Result<RoutingHead, ManagerError> {
        if encoder_dim != config.encoder_dim {
            return Err(ManagerError::Model(format!(
                "the head in {} was trained on {}-dimensional embeddings, but the encoder in {} gives {encoder_dim}",
                dir.display(),
                config.encoder_dim,
                encoder_dir.display(),
            )));
        }
        RoutingHead::load(dir, feature_dim(encoder_dim), config.skills.len(), device)
    }

    pub fn from_parts(encoder: SentenceEncoder, head: RoutingHead, config: ManagerConfig) -> Self {
        Self {
            encoder: Arc::new(encoder),
            head,
            config,
        }
    }

    pub fn config(&self) -> &ManagerConfig {
        &self.config
    }

    pub fn skills(&self) -> &[String] {
        &self.config.skills
    }

    pub fn encoder(&self) -> &SentenceEncoder {
        &self.encoder
    }

    /// The encoder, to share with the manager that replaces this one on a reload.
    pub fn shared_encoder(&self) -> Arc<SentenceEncoder> {
        self.encoder.clone()
    }

    /// Embeds `context` (oldest first) ahead of time, so that a turn read after it later only
    /// needs its own text encoded. The server calls this when a reply ends, with the messages
    /// the user's next turn will be read after.
    pub fn prepare_context(&self, context: &[String]) -> Result<(), ManagerError> {
        if let Some(text) = context_text(context) {
            self.encoder.embed_cached(&text)?;
        }
        Ok(())
    }

    pub fn set_threshold(&mut self, threshold: f32) {
        self.config.threshold = threshold;
    }

    /// Probabilities over the manager's skills for `turn`, read after `context` (oldest first).
    /// Below the threshold the decision falls back to `default_skill`.
    pub fn route(
        &self,
        turn: &str,
        context: &[String],
        default_skill: &str,
    ) -> Result<RouteDecision, ManagerError> {
        let start = Instant::now();
        let err = |e: candle_core::Error| ManagerError::Model(e.to_string());
        let turn_emb = self.encoder.embed_cached(turn)?;
        let ctx_emb = match context_text(context) {
            Some(text) => self.encoder.embed_cached(&text)?,
            None => turn_emb.zeros_like().map_err(err)?,
        };
        let features = assemble_features(&turn_emb, &ctx_emb, &[turn])?;
        let probs: Vec<f32> = self
            .head
            .probabilities(&features)?
            .squeeze(0)
            .and_then(|t| t.to_vec1())
            .map_err(|e| ManagerError::Model(e.to_string()))?;
        let (best, p) = probs
            .iter()
            .copied()
            .enumerate()
            .fold((0, f32::MIN), |a, b| if b.1 > a.1 { b } else { a });
        let confident = p >= self.config.threshold;
        Ok(RouteDecision {
            skill: if confident {
                self.config.skills[best].clone()
            } else {
                default_skill.to_string()
            },
            source: if confident {
                RouteSource::Auto
            } else {
                RouteSource::Fallback
            },
            probabilities: self.config.skills.iter().cloned().zip(probs).collect(),
            elapsed_ms: start.elapsed().as_secs_f64() * 1e3,
        })
    }
}

/// Size of the head's input for an encoder of `dim`.
pub fn feature_dim(dim: usize) -> usize {
    2 * dim + lexical::LEXICAL_DIM
}

/// The head's input for each (turn, context): the turn's embedding, the embedding of the
/// context joined into one text (zeros when there is none), and the turn's word features.
/// Keeping turn and context apart lets the head learn that a short turn ("Why?") takes its
/// meaning from what came before.
pub fn turn_features(
    encoder: &SentenceEncoder,
    turns: &[(&str, &[String])],
) -> Result<Tensor, ManagerError> {
    let err = |e: candle_core::Error| ManagerError::Model(e.to_string());
    let joined: Vec<String> = turns
        .iter()
        .map(|(_, c)| context_text(c).unwrap_or_default())
        .collect();
    let with_ctx: Vec<usize> = (0..turns.len())
        .filter(|&i| !joined[i].is_empty())
        .collect();
    // One encoder pass for turns and contexts together: one call costs less than two.
    let mut inputs: Vec<&str> = turns.iter().map(|(t, _)| *t).collect();
    inputs.extend(with_ctx.iter().map(|&i| joined[i].as_str()));
    let all = encoder.embed(&inputs)?;
    let turn_emb = all.narrow(0, 0, turns.len()).map_err(err)?;
    let ctx_emb = all.narrow(0, turns.len(), with_ctx.len()).map_err(err)?;
    let dim = encoder.dim();
    let mut ctx_rows = Vec::with_capacity(turns.len());
    let zeros = Tensor::zeros((1, dim), candle_core::DType::F32, turn_emb.device()).map_err(err)?;
    let mut k = 0;
    for i in 0..turns.len() {
        if with_ctx.get(k) == Some(&i) {
            ctx_rows.push(ctx_emb.narrow(0, k, 1).map_err(err)?);
            k += 1;
        } else {
            ctx_rows.push(zeros.clone());
        }
    }
    let ctx = Tensor::cat(&ctx_rows, 0).map_err(err)?;
    let texts: Vec<&str> = turns.iter().map(|(t, _)| *t).collect();
    assemble_features(&turn_emb, &ctx, &texts)
}

/// The context as the encoder reads it: its messages joined into one text; `None` when empty.
fn context_text(context: &[String]) -> Option<String> {
    let joined = context.join("\n");
    (!joined.is_empty()).then_some(joined)
}

/// `[turn embedding | context embedding | word features]` per row.
fn assemble_features(
    turn_emb: &Tensor,
    ctx_emb: &Tensor,
    turns: &[&str],
) -> Result<Tensor, ManagerError> {
    let err = |e: candle_core::Error| ManagerError::Model(e.to_string());
    let words: Vec<f32> = turns
        .iter()
        .flat_map(|t| lexical::lexical_features(t))
        .collect();
    let words = Tensor::from_vec(
        words,
        (turns.len(), lexical::LEXICAL_DIM),
        turn_emb.device(),
    )
    .map_err(err)?;
    Tensor::cat(&[turn_emb, ctx_emb, &words], 1).map_err(err)
}
