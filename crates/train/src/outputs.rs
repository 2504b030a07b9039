//! What a finished run leaves behind: the training summary that goes into `skill.json`, the loss
//! curve, and the adapter, written in that order and each replaced atomically.

use adapterbot_engine::fsutil;
use adapterbot_engine::{Adapter, AdapterManifest};
use serde::{Deserialize, Serialize};

use crate::checkpoint::LoopState;
use crate::error::{Result, TrainError};
use crate::loss_curve::{svg, Series};
use crate::skill_data::FileSummary;
use crate::trainer::{TrainConfig, TrainRun};

pub const LOSS_CURVE_FILE: &str = "loss.svg";

/// The `training` section written into `skill.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingSummary {
    pub data_sha256: String,
    pub data: Vec<FileSummary>,
    pub config: TrainConfig,
    pub steps: usize,
    pub epochs: f64,
    pub stop_reason: String,
    /// The step whose adapter was kept (the best on validation; 0 = the backbone alone won).
    pub best_step: usize,
    pub final_train_loss: Option<f64>,
    /// Validation loss (mean per reply token) of the kept adapter.
    pub final_valid_loss: Option<f64>,
    /// Validation loss of the backbone alone, for comparison.
    pub backbone_valid_loss: Option<f64>,
    pub train_seconds: f64,
    pub total_seconds: f64,
    pub tokens: usize,
    pub tokens_per_s: f64,
    pub reply_tokens_per_s: f64,
    pub finished: String,
    pub loss_curve: String,
}

/// The `training` section of `skill.json` for a finished run.
pub(crate) fn summarize(
    run: &TrainRun<'_>,
    state: &LoopState,
    steps_per_epoch: usize,
    data_sha256: String,
) -> TrainingSummary {
    let cfg = run.config;
    let has_valid = run.data.valid.is_some();
    let stop_reason = if state.stopped_early {
        format!("no better validation loss for {} evaluations", cfg.patience)
    } else if cfg.max_steps.is_some_and(|m| state.step >= m) {
        "max steps".to_string()
    } else {
        "epochs done".to_string()
    };
    let mut data = vec![run.data.train.summary.clone()];
    data.extend(run.data.valid.as_ref().map(|v| v.summary.clone()));
    let per_s = |n: usize| round(n as f64 / state.train_seconds.max(1e-9), 1);
    TrainingSummary {
        data_sha256,
        data,
        config: cfg.clone(),
        steps: state.step,
        epochs: round(state.step as f64 / steps_per_epoch.max(1) as f64, 2),
        stop_reason,
        best_step: if has_valid {
            state.best_step
        } else {
            state.step
        },
        final_train_loss: state.train_history.last().map(|&(_, l)| round(l, 4)),
        final_valid_loss: state.best_valid.map(|l| round(l, 4)),
        backbone_valid_loss: state.valid_history.first().map(|&(_, l)| round(l, 4)),
        train_seconds: round(state.train_seconds, 1),
        total_seconds: round(state.total_seconds, 1),
        tokens: state.tokens,
        tokens_per_s: per_s(state.tokens),
        reply_tokens_per_s: per_s(state.target_tokens),
        finished: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        loss_curve: LOSS_CURVE_FILE.to_string(),
    }
}

/// Writes the loss curve, the adapter and `skill.json` into a copy of the skill's folder, then
/// swaps that copy into place in one atomic step: a crash or a `kill -9` at any point leaves
/// the old skill whole or the new one whole, never new weights beside an old manifest. The copy
/// is built in `.updating-<id>-<pid>/<id>` beside the folder (no `skill.json` at its top, so a
/// registry scan never takes it for a skill); its files are hard links to the old ones.
pub(crate) fn write_outputs(
    run: &TrainRun<'_>,
    adapter: &Adapter,
    summary: &TrainingSummary,
    state: &LoopState,
) -> Result<()> {
    let target = run.skill_dir;
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| run.skill_id.to_string());
    let staging = parent.join(format!(".updating-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    let dir = &staging.join(&name);
    let result = (|| {
        if target.is_dir() {
            fsutil::link_copy_dir(target, dir, &[crate::trainer::CHECKPOINT_FILE])?;
        } else {
            std::fs::create_dir_all(dir).map_err(|e| TrainError::io(dir, e))?;
        }
        write_into(run, dir, adapter, summary, state)?;
        fsutil::swap_dir_into_place(dir, target)?;
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&staging);
    result
}

/// The outputs of a run, written into `dir`.
fn write_into(
    run: &TrainRun<'_>,
    dir: &std::path::Path,
    adapter: &Adapter,
    summary: &TrainingSummary,
    state: &LoopState,
) -> Result<()> {
    let title = format!("{}: reply loss per token", run.skill_id);
    let picture = svg(
        &title,
        &[
            Series {
                name: "train",
                color: "#1f77b4",
                points: &state.train_history,
            },
            Series {
                name: "valid",
                color: "#d62728",
                points: &state.valid_history,
            },
        ],
    );
    fsutil::write_atomic(&dir.join(LOSS_CURVE_FILE), picture.as_bytes())?;
    let manifest_path = dir.join(adapterbot_engine::adapter::MANIFEST_FILE);
    let mut manifest = if manifest_path.exists() {
        AdapterManifest::read(&manifest_path)?
    } else {
        AdapterManifest {
            id: run.skill_id.to_string(),
            ..AdapterManifest::default()
        }
    };
    manifest.created = String::new(); // a new adapter: save_dir stamps the time
    manifest.training = Some(serde_json::to_value(summary).expect("the summary always serializes"));
    adapter.save_dir(dir, run.engine.backbone(), manifest)?;
    Ok(())
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}
