//! A training checkpoint: one safetensors file (replaced atomically) holding the adapter being
//! trained, the best adapter so far, the optimizer's moments, and — in its metadata — the loop's
//! position and history. The data order is a pure function of (seed, epoch), so the position
//! (epoch, batch) is the whole random state.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainError};

const STATE_KEY: &str = "adapterbot_train_state";

/// Where the loop stands, and what it has seen.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LoopState {
    /// Identifies the run (config, data, base model, skill): a checkpoint from another run is
    /// refused.
    pub run_key: String,
    /// Updates done.
    pub step: usize,
    pub epoch: usize,
    /// Next batch within `epoch`.
    pub batch: usize,
    pub best_valid: Option<f64>,
    pub best_step: usize,
    pub evals_without_improvement: usize,
    /// `(step, mean train loss since the previous point)`.
    pub train_history: Vec<(usize, f64)>,
    pub valid_history: Vec<(usize, f64)>,
    /// Train loss × targets and targets since the last history point.
    pub interval_loss_sum: f64,
    pub interval_targets: usize,
    pub tokens: usize,
    pub target_tokens: usize,
    /// Seconds spent in training steps (not validation), over every resumed part of the run.
    pub train_seconds: f64,
    pub total_seconds: f64,
    pub stopped_early: bool,
}

pub struct Checkpoint {
    pub state: LoopState,
    pub current: Vec<Tensor>,
    /// `None` while the identity adapter (the backbone alone) is still the best.
    pub best: Option<Vec<Tensor>>,
    pub optimizer: HashMap<String, Tensor>,
}

impl Checkpoint {
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut tensors: Vec<(String, Tensor)> = Vec::new();
        for (i, t) in self.current.iter().enumerate() {
            tensors.push((format!("adapter.{i}"), t.clone()));
        }
        for (i, t) in self.best.iter().flatten().enumerate() {
            tensors.push((format!("best.{i}"), t.clone()));
        }
        tensors.extend(self.optimizer.iter().map(|(k, v)| (k.clone(), v.clone())));
        let state = serde_json::to_string(&self.state).expect("state always serializes");
        let meta = HashMap::from([(STATE_KEY.to_string(), state)]);
        adapterbot_engine::fsutil::replace_atomic(path, |tmp| {
            safetensors::serialize_to_file(tensors.iter().map(|(k, v)| (k, v)), Some(meta), tmp)
                .map_err(std::io::Error::other)?;
            std::fs::File::open(tmp)?.sync_all()
        })?;
        Ok(())
    }

    /// Reads a checkpoint holding `n_vars` adapter tensors.
    pub fn load(path: &Path, n_vars: usize, device: &Device) -> Result<Self> {
        let bad = |reason: String| TrainError::Checkpoint {
            path: path.to_path_buf(),
            reason,
        };
        let bytes = std::fs::read(path).map_err(|e| TrainError::io(path, e))?;
        let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes)
            .map_err(|e| bad(format!("not a readable safetensors file: {e}")))?;
        let state_json = meta
            .metadata()
            .as_ref()
            .and_then(|m| m.get(STATE_KEY))
            .ok_or_else(|| bad("no training state in the metadata".into()))?;
        let state: LoopState = serde_json::from_str(state_json)
            .map_err(|e| bad(format!("unreadable training state: {e}")))?;
        let mut tensors = candle_core::safetensors::load_buffer(&bytes, device)
            .map_err(|e| bad(format!("unreadable tensors: {e}")))?;
        let mut take_all = |prefix: &str| -> Option<Vec<Tensor>> {
            (0..n_vars)
                .map(|i| tensors.remove(&format!("{prefix}.{i}")))
                .collect()
        };
        let current =
            take_all("adapter").ok_or_else(|| bad(format!("expected {n_vars} adapter tensors")))?;
        let best = take_all("best");
        Ok(Self {
            state,
            current,
            best,
            optimizer: tensors,
        })
    }
}
