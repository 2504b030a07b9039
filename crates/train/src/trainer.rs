//! Trains one skill's adapter on the frozen backbone: reply-only loss, AdamW, gradient clipping,
//! warm-up + cosine schedule, periodic validation with early stopping, resumable checkpoints.
//! Nothing in the skill folder changes until the run has finished: an interrupted run leaves
//! the previous adapter as it was.

use std::path::{Path, PathBuf};
use std::time::Instant;

use adapterbot_engine::{Adapter, AdapterInit, Engine, Tensor};
use candle_core::Var;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::batch::{group_batches, loss_and_gradients, reply_nll, Gradients};
use crate::checkpoint::{Checkpoint, LoopState};
use crate::encode::Example;
use crate::error::{Result, TrainError};
use crate::optim::{clip_global_norm, AdamW, ParamsAdamW};
use crate::outputs::{summarize, write_outputs};
pub use crate::outputs::{TrainingSummary, LOSS_CURVE_FILE};
use crate::schedule::LrSchedule;
use crate::skill_data::{hex, SkillData};

pub const CHECKPOINT_FILE: &str = "train-checkpoint.safetensors";
/// Updates per point of the train loss curve.
const TRAIN_POINT_EVERY: usize = 10;
/// Examples sorted by length within windows of this many before batching.
const LENGTH_WINDOW: usize = 32;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub bottleneck: usize,
    pub epochs: usize,
    /// Stop after this many updates even if epochs remain.
    pub max_steps: Option<usize>,
    /// Peak learning rate.
    pub lr: f64,
    /// Warm-up updates; default 5 % of the run.
    pub warmup_steps: Option<usize>,
    /// Final learning rate as a fraction of the peak.
    pub lr_floor: f64,
    pub weight_decay: f64,
    /// Clip the gradients' global L2 norm to this (0 = no clipping).
    pub clip_norm: f64,
    /// Padded tokens per batch (batch size × longest example).
    pub batch_tokens: usize,
    /// Longest example (prompt + reply); older turns are dropped to fit, as when serving.
    pub max_len: usize,
    pub seed: u64,
    /// Validate (and checkpoint) every this many updates.
    pub eval_every: usize,
    /// Stop after this many validations without a new best.
    pub patience: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            bottleneck: adapterbot_engine::DEFAULT_BOTTLENECK,
            epochs: 3,
            max_steps: None,
            lr: 1e-3,
            warmup_steps: None,
            lr_floor: 0.1,
            weight_decay: 0.01,
            clip_norm: 1.0,
            batch_tokens: 512,
            max_len: 384,
            seed: 0,
            eval_every: 50,
            patience: 3,
        }
    }
}

impl TrainConfig {
    pub fn validate(&self) -> Result<()> {
        let bad = |m: &str| Err(TrainError::Config(m.into()));
        if self.bottleneck == 0 {
            return bad("--bottleneck must be at least 1");
        }
        if self.epochs == 0 || self.max_steps == Some(0) {
            return bad("--epochs and --max-steps must be at least 1");
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad("--lr must be a positive number");
        }
        let decay_ok = self.weight_decay.is_finite() && self.weight_decay >= 0.0;
        if !(0.0..=1.0).contains(&self.lr_floor) || !decay_ok {
            return bad("the learning-rate floor must be in [0, 1] and weight decay ≥ 0");
        }
        if !(self.clip_norm.is_finite() && self.clip_norm >= 0.0) {
            return bad("--clip-norm must be ≥ 0");
        }
        if self.batch_tokens == 0 || self.max_len < 2 || self.eval_every == 0 {
            return bad("--batch-tokens, --max-len and --eval-every must be positive");
        }
        Ok(())
    }
}

/// What one update did, for a progress display.
#[derive(Debug, Clone, Copy)]
pub struct StepReport {
    pub step: usize,
    pub total_steps: usize,
    pub epoch: usize,
    pub loss: f64,
    pub lr: f64,
    pub grad_norm: f64,
    /// Input tokens per second of training over the whole run so far.
    pub tokens_per_s: f64,
}

/// Watches a run. `step` returning an error stops the run with that error (nothing is written).
pub trait Observer {
    fn start(&mut self, _total_steps: usize, _resumed_at: usize) {}
    fn step(&mut self, _report: &StepReport) -> Result<()> {
        Ok(())
    }
    fn eval(&mut self, _step: usize, _valid_loss: f64, _improved: bool) {}
    fn finish(&mut self) {}
}

/// An observer that does nothing.
pub struct Quiet;
impl Observer for Quiet {}

pub struct TrainRun<'a> {
    /// Loaded with f32 weights (quantized projections pass no gradient).
    pub engine: &'a Engine,
    pub skill_id: &'a str,
    /// Where `adapter.safetensors`, `skill.json` and the loss curve go.
    pub skill_dir: &'a Path,
    pub data: &'a SkillData,
    pub config: &'a TrainConfig,
    pub checkpoint: PathBuf,
    /// Continue from `checkpoint` if it exists (it must come from the same run settings).
    pub resume: bool,
}

/// Trains, then writes the loss curve, `adapter.safetensors` and `skill.json` (keeping the
/// skill's own fields). Returns the summary written into `skill.json`.
pub fn train(run: TrainRun<'_>, observer: &mut dyn Observer) -> Result<TrainingSummary> {
    let cfg = run.config;
    cfg.validate()?;
    let backbone = run.engine.backbone();
    let train = &run.data.train.examples;
    let valid = run.data.valid.as_ref().map(|v| &v.examples[..]);
    let data_sha256 = run.data.sha256();
    let run_key = run_key(cfg, &data_sha256, backbone.fingerprint(), run.skill_id);

    let fresh = Adapter::new(
        run.skill_id,
        backbone.config(),
        cfg.bottleneck,
        AdapterInit::Identity { seed: cfg.seed },
        backbone.device(),
    )?;
    let (trainable, vars) = fresh.to_trainable()?;
    let params = ParamsAdamW {
        lr: cfg.lr,
        weight_decay: cfg.weight_decay,
        ..ParamsAdamW::default()
    };
    let mut opt = AdamW::new(vars.clone(), params)?;

    let plan = EpochPlan::new(train, cfg);
    let total_steps = plan.total_steps;
    let schedule = LrSchedule {
        peak: cfg.lr,
        warmup_steps: cfg.warmup_steps.unwrap_or((total_steps / 20).max(1)),
        total_steps,
        floor: cfg.lr_floor,
    };

    if let Some(dir) = run
        .checkpoint
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|e| TrainError::io(dir, e))?;
    }
    let (mut state, mut best) = match resume_from(&run, &vars, &mut opt, &run_key)? {
        Some(ck) => ck,
        None => (
            LoopState {
                run_key,
                ..LoopState::default()
            },
            None,
        ),
    };
    observer.start(total_steps, state.step);
    if let (Some(valid), true) = (valid, state.step == 0 && state.valid_history.is_empty()) {
        // Step 0: the identity adapter is exactly the backbone alone.
        let loss = mean_nll(run.engine, None, valid, cfg.batch_tokens)?;
        state.valid_history.push((0, loss));
        state.best_valid = Some(loss);
        observer.eval(0, loss, true);
    }

    let mut segment_start = Instant::now();
    let mut segment_train = 0.0;
    let mut batches = (state.epoch, plan.batches(state.epoch));
    while state.step < total_steps && !state.stopped_early {
        if batches.0 != state.epoch {
            batches = (state.epoch, plan.batches(state.epoch));
        }
        let t0 = Instant::now();
        let refs: Vec<&Example> = batches.1[state.batch].iter().map(|&i| &train[i]).collect();
        let lr = schedule.at(state.step);
        let Gradients {
            loss,
            mut grads,
            tokens,
            targets,
        } = loss_and_gradients(backbone, &trainable, &vars, &refs)?;
        if let Some(i) = grads.iter().position(Option::is_none) {
            return Err(TrainError::Config(format!(
                "adapter tensor {i} received no gradient: load the backbone with f32 weights (--weights f32)"
            )));
        }
        let grad_norm = clip_global_norm(&mut grads, cfg.clip_norm)?;
        opt.step(&grads, lr)?;
        segment_train += t0.elapsed().as_secs_f64();

        state.step += 1;
        state.batch += 1;
        if state.batch == batches.1.len() {
            state.epoch += 1;
            state.batch = 0;
        }
        state.tokens += tokens;
        state.target_tokens += targets;
        state.interval_loss_sum += loss * targets as f64;
        state.interval_targets += targets;
        observer.step(&StepReport {
            step: state.step,
            total_steps,
            epoch: state.epoch,
            loss,
            lr,
            grad_norm,
            tokens_per_s: state.tokens as f64 / (state.train_seconds + segment_train).max(1e-9),
        })?;
        let eval_due = state.step % cfg.eval_every == 0 || state.step == total_steps;
        if eval_due || state.step % TRAIN_POINT_EVERY == 0 {
            // A point of the train curve: the mean loss per reply token since the last one.
            let mean = state.interval_loss_sum / state.interval_targets.max(1) as f64;
            state.train_history.push((state.step, mean));
            state.interval_loss_sum = 0.0;
            state.interval_targets = 0;
        }
        if !eval_due {
            continue;
        }
        if let Some(valid) = valid {
            let frozen = trainable.frozen_copy()?;
            let loss = mean_nll(run.engine, Some(&frozen), valid, cfg.batch_tokens)?;
            state.valid_history.push((state.step, loss));
            let improved = state.best_valid.is_none_or(|b| loss < b);
            if improved {
                state.best_valid = Some(loss);
                state.best_step = state.step;
                state.evals_without_improvement = 0;
                best = Some(snapshot(&vars)?);
            } else {
                state.evals_without_improvement += 1;
                state.stopped_early = state.evals_without_improvement >= cfg.patience;
            }
            observer.eval(state.step, loss, improved);
        }
        state.train_seconds += segment_train;
        state.total_seconds += segment_start.elapsed().as_secs_f64();
        segment_train = 0.0;
        segment_start = Instant::now();
        Checkpoint {
            state: state.clone(),
            current: snapshot(&vars)?,
            best: best.clone(),
            optimizer: opt.state_tensors(),
        }
        .save(&run.checkpoint)?;
    }
    state.train_seconds += segment_train;
    state.total_seconds += segment_start.elapsed().as_secs_f64();
    observer.finish();

    // The adapter kept: the best on validation, or the last one without validation data.
    let kept = match (&best, valid) {
        (Some(b), _) => adapter_from(&trainable, b)?,
        (None, Some(_)) => fresh.frozen_copy()?,
        (None, None) => trainable.frozen_copy()?,
    };
    let summary = summarize(&run, &state, plan.steps_per_epoch, data_sha256);
    write_outputs(&run, &kept, &summary, &state)?;
    let _ = std::fs::remove_file(&run.checkpoint);
    Ok(summary)
}

/// Loads the checkpoint when resuming; returns the loop state and the best adapter so far.
fn resume_from(
    run: &TrainRun<'_>,
    vars: &[Var],
    opt: &mut AdamW,
    run_key: &str,
) -> Result<Option<(LoopState, Option<Vec<Tensor>>)>> {
    if !run.checkpoint.exists() {
        if run.resume {
            tracing::warn!(path = %run.checkpoint.display(), "no checkpoint to resume from; starting afresh");
        }
        return Ok(None);
    }
    if !run.resume {
        tracing::warn!(path = %run.checkpoint.display(), "a checkpoint from a stopped run exists; starting afresh (pass --resume to continue it)");
        return Ok(None);
    }
    let ck = Checkpoint::load(&run.checkpoint, vars.len(), run.engine.backbone().device())?;
    if ck.state.run_key != run_key {
        return Err(TrainError::Checkpoint {
            path: run.checkpoint.clone(),
            reason: "it was made with other settings, data or base model".into(),
        });
    }
    for (var, t) in vars.iter().zip(&ck.current) {
        if var.dims() != t.dims() {
            return Err(TrainError::Checkpoint {
                path: run.checkpoint.clone(),
                reason: format!(
                    "tensor shape {:?} where {:?} is needed",
                    t.dims(),
                    var.dims()
                ),
            });
        }
        var.set(t)?;
    }
    opt.restore(&ck.optimizer, ck.state.step)?;
    tracing::info!(step = ck.state.step, "resumed from checkpoint");
    Ok(Some((ck.state, ck.best)))
}

/// The batches of every epoch: the examples in a seeded shuffle per epoch, packed under the
/// token budget. A pure function of (seed, epoch), so a resumed run sees the same order.
struct EpochPlan<'a> {
    examples: &'a [Example],
    seed: u64,
    batch_tokens: usize,
    steps_per_epoch: usize,
    total_steps: usize,
}

impl<'a> EpochPlan<'a> {
    fn new(examples: &'a [Example], cfg: &TrainConfig) -> Self {
        let mut plan = Self {
            examples,
            seed: cfg.seed,
            batch_tokens: cfg.batch_tokens,
            steps_per_epoch: 0,
            total_steps: 0,
        };
        let per_epoch: Vec<usize> = (0..cfg.epochs).map(|e| plan.batches(e).len()).collect();
        plan.steps_per_epoch = per_epoch.first().copied().unwrap_or(0);
        let all: usize = per_epoch.iter().sum();
        plan.total_steps = cfg.max_steps.map_or(all, |m| m.min(all));
        plan
    }

    fn batches(&self, epoch: usize) -> Vec<Vec<usize>> {
        let mut order: Vec<usize> = (0..self.examples.len()).collect();
        let seed = self
            .seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(epoch as u64);
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        order.shuffle(&mut rng);
        // Examples of similar length share a batch (less padding): sort within windows of the
        // shuffled order, then shuffle the batches so lengths do not come in waves.
        for window in order.chunks_mut(LENGTH_WINDOW) {
            window.sort_by_key(|&i| self.examples[i].ids.len());
        }
        let mut batches = group_batches(self.examples, &order, self.batch_tokens);
        batches.shuffle(&mut rng);
        batches
    }
}

fn mean_nll(
    engine: &Engine,
    adapter: Option<&Adapter>,
    examples: &[Example],
    batch_tokens: usize,
) -> Result<f64> {
    let hook = adapter.map(|a| a as &(dyn adapterbot_engine::BlockHook + Sync));
    let (sum, n) = reply_nll(engine.backbone(), hook, examples, batch_tokens)?;
    Ok(sum / n.max(1) as f64)
}

fn snapshot(vars: &[Var]) -> Result<Vec<Tensor>> {
    Ok(vars
        .iter()
        .map(|v| v.as_tensor().detach().copy())
        .collect::<candle_core::Result<_>>()?)
}

/// A frozen adapter shaped like `template` holding `values` (in variable order).
fn adapter_from(template: &Adapter, values: &[Tensor]) -> Result<Adapter> {
    let (copy, vars) = template.to_trainable()?;
    for (v, t) in vars.iter().zip(values) {
        v.set(t)?;
    }
    Ok(copy.frozen_copy()?)
}

fn run_key(cfg: &TrainConfig, data_sha256: &str, base: &str, skill: &str) -> String {
    let mut h = Sha256::new();
    h.update(serde_json::to_vec(cfg).expect("config serializes"));
    for part in [data_sha256, base, skill] {
        h.update([0]);
        h.update(part.as_bytes());
    }
    hex(&h.finalize())
}
