//! Training the manager's head on labelled turns: embed every turn once with the frozen encoder,
//! then fit the head on those features. Only the head changes, so this takes seconds and never
//! touches an adapter.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Instant;

use candle_core::Tensor;
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::head::{argmax_rows, EpochLog, HeadOptions, RoutingHead, Validation};
use super::{turn_features, DialogueManager, LabelledTurn, ManagerConfig, ManagerError};
use super::{SentenceEncoder, CONFIG_FILE};

/// Turns embedded per encoder call while training.
const EMBED_BATCH: usize = 64;
/// Share of self-contained turns that are also shown after an unrelated context, so the head
/// learns that a clear turn keeps its skill whatever came before.
const CONTEXT_MIX: f64 = 0.3;
/// A turn needs this many words to count as self-contained for that mixing.
const SELF_CONTAINED_WORDS: usize = 4;
/// Share of self-contained turns also shown with a conversational opener. The openers are the
/// same for every skill, so the head learns to look past them rather than at them.
const OPENER_MIX: f64 = 0.25;
const OPENERS: &[&str] = &[
    "so, ",
    "well, ",
    "by the way, ",
    "hey, ",
    "quick question: ",
    "random question: ",
    "just curious, ",
    "ok, ",
    "anyway, ",
    "also, ",
    "hmm, ",
    "oh and ",
];

#[derive(Debug, Clone, Serialize)]
pub struct TrainReport {
    pub skills: Vec<String>,
    pub rows: usize,
    /// Extra examples made by context mixing and openers.
    pub mixed_rows: usize,
    pub data_sha256: String,
    pub final_loss: f32,
    pub train_accuracy: f64,
    pub embed_seconds: f64,
    pub head_seconds: f64,
    /// Held-out turns scored after every epoch (0 when trained without).
    pub valid_rows: usize,
    /// The epoch whose head was kept: the best on the validation turns, or the last.
    pub best_epoch: usize,
    /// Accuracy on the validation turns of the head that was kept.
    pub valid_accuracy: Option<f64>,
    pub history: Vec<EpochLog>,
}

/// Trains a head on `rows` for `opts.epochs` epochs and writes it with its config to `out`
/// (replacing what was there only once everything is written). Returns the manager, ready to
/// route.
pub fn train_manager(
    encoder: SentenceEncoder,
    rows: &[LabelledTurn],
    opts: &HeadOptions,
    threshold: f32,
    out: &Path,
) -> Result<(DialogueManager, TrainReport), ManagerError> {
    train_manager_validated(encoder, rows, &[], opts, threshold, out)
}

/// As [`train_manager`], scoring the head on the held-out `valid` turns after every epoch and
/// keeping the best epoch's head (early stopping, `opts.patience`). Valid turns are never
/// trained on; with none, every epoch runs and the last head is kept.
pub fn train_manager_validated(
    encoder: SentenceEncoder,
    rows: &[LabelledTurn],
    valid: &[LabelledTurn],
    opts: &HeadOptions,
    threshold: f32,
    out: &Path,
) -> Result<(DialogueManager, TrainReport), ManagerError> {
    let skills: Vec<String> = rows
        .iter()
        .map(|r| r.skill.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if skills.len() < 2 {
        return Err(ManagerError::Data(format!(
            "the manager needs turns of at least two skills, got {skills:?}"
        )));
    }
    if opts.epochs == 0 {
        return Err(ManagerError::Data(
            "the head needs at least one epoch".into(),
        ));
    }
    let examples = augment(rows, opts.seed);
    let labels: Vec<u32> = examples
        .iter()
        .map(|(_, _, s)| skills.iter().position(|k| k == s).expect("skill listed") as u32)
        .collect();

    let mut valid_labels = Vec::with_capacity(valid.len());
    for r in valid {
        let Some(i) = skills.iter().position(|k| *k == r.skill) else {
            return Err(ManagerError::Data(format!(
                "validation turn {:?} is labelled `{}`, which the training turns lack ({skills:?})",
                r.text, r.skill
            )));
        };
        valid_labels.push(i as u32);
    }
    let valid_examples: Vec<_> = valid
        .iter()
        .map(|r| (r.text.clone(), r.context.clone(), r.skill.clone()))
        .collect();

    let t0 = Instant::now();
    let features = embed_all(&encoder, &examples)?;
    let valid_features = if valid.is_empty() {
        None
    } else {
        Some(embed_all(&encoder, &valid_examples)?)
    };
    let embed_seconds = t0.elapsed().as_secs_f64();

    let t1 = Instant::now();
    let bar = progress(opts.epochs as u64, "training head");
    let validation = valid_features.as_ref().map(|f| Validation {
        features: f,
        labels: &valid_labels,
    });
    let trained =
        RoutingHead::train_validated(&features, &labels, skills.len(), opts, validation, |log| {
            bar.set_message(match log.valid_accuracy {
                Some(a) => format!("loss {:.4}, valid {:.1}%", log.train_loss, a * 100.0),
                None => format!("loss {:.4}", log.train_loss),
            });
            bar.inc(1);
        })?;
    bar.finish_and_clear();
    let head_seconds = t1.elapsed().as_secs_f64();
    let head = trained.head;
    let kept = &trained.history[trained.best_epoch.max(1) - 1];
    let final_loss = kept.train_loss;

    let predicted = argmax_rows(&head.probabilities(&features)?)?;
    let correct = predicted
        .iter()
        .zip(&labels)
        .filter(|(p, l)| p == l)
        .count();
    let report = TrainReport {
        skills: skills.clone(),
        rows: rows.len(),
        mixed_rows: examples.len() - rows.len(),
        data_sha256: data_hash(rows),
        final_loss,
        train_accuracy: correct as f64 / labels.len() as f64,
        embed_seconds,
        head_seconds,
        valid_rows: valid.len(),
        best_epoch: trained.best_epoch,
        valid_accuracy: kept.valid_accuracy,
        history: trained.history.clone(),
    };
    let config = ManagerConfig {
        skills,
        threshold,
        encoder_dim: encoder.dim(),
        encoder_layers: Some(encoder.layers()),
        head: opts.clone(),
        training: serde_json::to_value(&report).map_err(|e| ManagerError::Data(e.to_string()))?,
    };
    save_dir(out, &head, &config)?;
    Ok((DialogueManager::from_parts(encoder, head, config), report))
}

/// The rows as (turn, context, skill), plus some self-contained turns again after a context
/// borrowed from another row, and some behind an opener (seeded, so training stays repeatable).
fn augment(rows: &[LabelledTurn], seed: u64) -> Vec<(String, Vec<String>, String)> {
    let mut out: Vec<_> = rows
        .iter()
        .map(|r| (r.text.clone(), r.context.clone(), r.skill.clone()))
        .collect();
    let contexts: Vec<&Vec<String>> = rows
        .iter()
        .map(|r| &r.context)
        .filter(|c| !c.is_empty())
        .collect();
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
    for r in rows {
        let words = r.text.split_whitespace().count();
        if !r.context.is_empty() || words < SELF_CONTAINED_WORDS {
            continue;
        }
        if !contexts.is_empty() && rng.random_bool(CONTEXT_MIX) {
            let ctx = contexts[rng.random_range(0..contexts.len())].clone();
            out.push((r.text.clone(), ctx, r.skill.clone()));
        }
        if rng.random_bool(OPENER_MIX) {
            let opener = OPENERS[rng.random_range(0..OPENERS.len())];
            let first_lower = r
                .text
                .chars()
                .next()
                .map(|c| c.to_lowercase().collect::<String>());
            let rest: String = r.text.chars().skip(1).collect();
            let text = format!("{opener}{}{rest}", first_lower.unwrap_or_default());
            out.push((text, Vec::new(), r.skill.clone()));
        }
    }
    out
}

fn embed_all(
    encoder: &SentenceEncoder,
    examples: &[(String, Vec<String>, String)],
) -> Result<Tensor, ManagerError> {
    let bar = progress(examples.len() as u64, "embedding turns");
    let mut parts = Vec::new();
    for chunk in examples.chunks(EMBED_BATCH) {
        let batch: Vec<(&str, &[String])> = chunk
            .iter()
            .map(|(t, c, _)| (t.as_str(), c.as_slice()))
            .collect();
        parts.push(turn_features(encoder, &batch)?);
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    Tensor::cat(&parts, 0).map_err(|e| ManagerError::Model(e.to_string()))
}

fn progress(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg} ({elapsed})")
            .expect("static template")
            .progress_chars("=> "),
    );
    bar.set_prefix(what.to_string());
    bar
}

fn data_hash(rows: &[LabelledTurn]) -> String {
    let mut h = Sha256::new();
    for r in rows {
        h.update(serde_json::to_vec(r).unwrap_or_default());
        h.update(b"\n");
    }
    format!("{:x}", h.finalize())
}

/// Writes head and config into a fresh folder beside `out`, then swaps it into place, so a
/// crash leaves either the old manager or the new one, never a mix.
fn save_dir(out: &Path, head: &RoutingHead, config: &ManagerConfig) -> Result<(), ManagerError> {
    let io = |what: &str, e: std::io::Error| ManagerError::Model(format!("{what}: {e}"));
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| io("creating the output folder", e))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "manager".into());
    let tmp = parent.join(format!(".{name}.{}.new", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| io("creating a temporary folder", e))?;
    let written = head.save(&tmp).and_then(|()| {
        let json =
            serde_json::to_vec_pretty(config).map_err(|e| ManagerError::Data(e.to_string()))?;
        adapterbot_engine::fsutil::write_atomic(&tmp.join(CONFIG_FILE), &json)
            .map_err(|e| ManagerError::Model(format!("writing manager.json: {e}")))
    });
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    adapterbot_engine::fsutil::swap_dir_into_place(&tmp, out).map_err(|e| {
        let _ = std::fs::remove_dir_all(&tmp);
        ManagerError::Model(format!("moving the new manager into place: {e}"))
    })
}
