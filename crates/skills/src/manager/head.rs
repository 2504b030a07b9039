//! The manager's trained part: a small MLP from [turn embedding, context embedding] to one logit
//! per skill. The encoder stays frozen, so adding a skill retrains only this, in seconds.

use std::collections::HashMap;
use std::path::Path;

use adapterbot_engine::Device;
use candle_core::{DType, Tensor, Var, D};
use candle_nn::{AdamW, Linear, Module, Optimizer, ParamsAdamW, VarBuilder};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use super::ManagerError;

const HEAD_FILE: &str = "head.safetensors";

fn err(e: candle_core::Error) -> ManagerError {
    ManagerError::Model(format!("head: {e}"))
}

pub struct RoutingHead {
    hidden: Linear,
    out: Linear,
}

/// How the head is trained.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct HeadOptions {
    pub hidden: usize,
    /// Most passes over the data. With a validation set training keeps the head of the epoch
    /// that routed it best and stops after `patience` epochs without a better one.
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub weight_decay: f64,
    /// Share of input features dropped while training, so that no single direction of the
    /// embedding decides alone (helps on phrasings the data does not have).
    pub dropout: f32,
    pub seed: u64,
    /// Epochs without a better validation score before training stops (with a validation set).
    #[serde(default = "default_patience")]
    pub patience: usize,
}

fn default_patience() -> usize {
    HeadOptions::default().patience
}

impl Default for HeadOptions {
    fn default() -> Self {
        // Chosen on data/manager/valid.jsonl (docs/manager.md): 256 hidden units, the best epoch
        // of at most 25 with a patience of 6.
        Self {
            hidden: 256,
            epochs: 25,
            batch_size: 64,
            lr: 2e-3,
            weight_decay: 1e-2,
            dropout: 0.2,
            seed: 7,
            patience: 6,
        }
    }
}

/// Held-out features and labels the head is scored on after every epoch.
#[derive(Clone, Copy)]
pub struct Validation<'a> {
    pub features: &'a Tensor,
    pub labels: &'a [u32],
}

/// One epoch of training: the mean training loss, and the validation scores when there is a
/// validation set.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EpochLog {
    /// Counted from 1.
    pub epoch: usize,
    pub train_loss: f32,
    pub valid_loss: Option<f32>,
    pub valid_accuracy: Option<f64>,
}

/// A trained head with the epoch it was taken from.
pub struct TrainedHead {
    pub head: RoutingHead,
    /// The epoch whose weights were kept (counted from 1): the best on validation, or the last.
    pub best_epoch: usize,
    pub history: Vec<EpochLog>,
}

/// A linear layer's weight and bias drawn from a seeded host RNG (candle cannot seed its CPU
/// RNG), uniform in ±1/√inputs as PyTorch does, so training is repeatable.
fn seeded_linear(
    rng: &mut StdRng,
    inputs: usize,
    outputs: usize,
    dev: &Device,
) -> candle_core::Result<(Var, Var)> {
    let bound = 1.0 / (inputs as f32).sqrt();
    let mut draw =
        |n: usize| -> Vec<f32> { (0..n).map(|_| rng.random_range(-bound..bound)).collect() };
    let w = Var::from_vec(draw(inputs * outputs), (outputs, inputs), dev)?;
    let b = Var::from_vec(draw(outputs), outputs, dev)?;
    Ok((w, b))
}

/// Inverted dropout with a mask from the seeded RNG.
fn dropout(x: &Tensor, p: f32, rng: &mut StdRng) -> candle_core::Result<Tensor> {
    let keep = 1.0 - p;
    let mask: Vec<f32> = (0..x.elem_count())
        .map(|_| {
            if rng.random::<f32>() < keep {
                1.0 / keep
            } else {
                0.0
            }
        })
        .collect();
    x.mul(&Tensor::from_vec(mask, x.shape(), x.device())?)
}

impl RoutingHead {
    fn build(
        vb: VarBuilder,
        inputs: usize,
        hidden: usize,
        skills: usize,
    ) -> candle_core::Result<Self> {
        Ok(Self {
            hidden: candle_nn::linear(inputs, hidden, vb.pp("hidden"))?,
            out: candle_nn::linear(hidden, skills, vb.pp("out"))?,
        })
    }

    /// A deep copy of the weights and biases (the optimiser updates them in place).
    fn snapshot(&self) -> Result<[Tensor; 4], ManagerError> {
        let bias = |l: &Linear| {
            l.bias()
                .ok_or_else(|| ManagerError::Model("head: a layer has no bias".into()))
                .and_then(|b| b.copy().map_err(err))
        };
        Ok([
            self.hidden.weight().copy().map_err(err)?,
            bias(&self.hidden)?,
            self.out.weight().copy().map_err(err)?,
            bias(&self.out)?,
        ])
    }

    fn logits(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        self.out.forward(&self.hidden.forward(x)?.relu()?)
    }

    /// Probabilities, `[n, skills]`.
    pub fn probabilities(&self, features: &Tensor) -> Result<Tensor, ManagerError> {
        let logits = self.logits(features).map_err(err)?;
        candle_nn::ops::softmax_last_dim(&logits).map_err(err)
    }

    /// Trains a fresh head on `features` `[n, inputs]` with `labels` (skill indices) for
    /// `opts.epochs` passes; calls `on_epoch(epoch, mean_loss)` after each pass.
    pub fn train(
        features: &Tensor,
        labels: &[u32],
        skills: usize,
        opts: &HeadOptions,
        mut on_epoch: impl FnMut(usize, f32),
    ) -> Result<Self, ManagerError> {
        let trained = Self::train_validated(features, labels, skills, opts, None, |log| {
            on_epoch(log.epoch - 1, log.train_loss)
        })?;
        Ok(trained.head)
    }

    /// Trains a fresh head; with `valid`, scores it on the validation set after every epoch,
    /// keeps the weights of the best epoch (highest accuracy, then lowest loss) and stops after
    /// `opts.patience` epochs without a better one. Without, it runs `opts.epochs` and keeps
    /// the last.
    pub fn train_validated(
        features: &Tensor,
        labels: &[u32],
        skills: usize,
        opts: &HeadOptions,
        valid: Option<Validation>,
        mut on_epoch: impl FnMut(&EpochLog),
    ) -> Result<TrainedHead, ManagerError> {
        let device = features.device();
        let (n, inputs) = features.dims2().map_err(err)?;
        if n != labels.len() || n == 0 {
            return Err(ManagerError::Data(format!(
                "{n} feature rows for {} labels",
                labels.len()
            )));
        }
        let mut rng = StdRng::seed_from_u64(opts.seed);
        let (w1, b1) = seeded_linear(&mut rng, inputs, opts.hidden, device).map_err(err)?;
        let (w2, b2) = seeded_linear(&mut rng, opts.hidden, skills, device).map_err(err)?;
        let head = Self {
            hidden: Linear::new(w1.as_tensor().clone(), Some(b1.as_tensor().clone())),
            out: Linear::new(w2.as_tensor().clone(), Some(b2.as_tensor().clone())),
        };
        let mut opt = AdamW::new(
            vec![w1, b1, w2, b2],
            ParamsAdamW {
                lr: opts.lr,
                weight_decay: opts.weight_decay,
                ..Default::default()
            },
        )
        .map_err(err)?;
        let labels_t = Tensor::from_slice(labels, n, device).map_err(err)?;
        let valid_labels = match valid {
            Some(v) if v.labels.is_empty() => None,
            Some(v) => Some(Tensor::from_slice(v.labels, v.labels.len(), device).map_err(err)?),
            None => None,
        };
        let mut order: Vec<u32> = (0..n as u32).collect();
        let mut history = Vec::new();
        // (accuracy, loss, epoch, weights) of the best epoch so far on validation.
        let mut best: Option<(f64, f32, usize, [Tensor; 4])> = None;
        for epoch in 0..opts.epochs {
            order.shuffle(&mut rng);
            let mut total = 0.0;
            let mut batches = 0;
            for chunk in order.chunks(opts.batch_size.max(1)) {
                let idx = Tensor::from_slice(chunk, chunk.len(), device).map_err(err)?;
                let x = features.index_select(&idx, 0).map_err(err)?;
                let y = labels_t.index_select(&idx, 0).map_err(err)?;
                let x = dropout(&x, opts.dropout, &mut rng).map_err(err)?;
                let logits = head.logits(&x).map_err(err)?;
                let loss = candle_nn::loss::cross_entropy(&logits, &y).map_err(err)?;
                opt.backward_step(&loss).map_err(err)?;
                total += loss.to_scalar::<f32>().map_err(err)?;
                batches += 1;
            }
            let mut log = EpochLog {
                epoch: epoch + 1,
                train_loss: total / batches as f32,
                valid_loss: None,
                valid_accuracy: None,
            };
            if let (Some(v), Some(y)) = (valid, &valid_labels) {
                let logits = head.logits(v.features).map_err(err)?;
                let loss = candle_nn::loss::cross_entropy(&logits, y)
                    .and_then(|l| l.to_scalar::<f32>())
                    .map_err(err)?;
                let predicted = argmax_rows(&logits)?;
                let correct = predicted
                    .iter()
                    .zip(v.labels)
                    .filter(|(p, l)| p == l)
                    .count();
                let accuracy = correct as f64 / v.labels.len() as f64;
                log.valid_loss = Some(loss);
                log.valid_accuracy = Some(accuracy);
                let better = best
                    .as_ref()
                    .is_none_or(|(a, l, _, _)| accuracy > *a || (accuracy == *a && loss < *l));
                if better {
                    best = Some((accuracy, loss, epoch + 1, head.snapshot()?));
                }
            }
            on_epoch(&log);
            history.push(log);
            if let Some((_, _, best_epoch, _)) = &best {
                if epoch + 1 - best_epoch >= opts.patience.max(1) {
                    break;
                }
            }
        }
        Ok(match best {
            Some((_, _, best_epoch, [w1, b1, w2, b2])) => TrainedHead {
                head: Self {
                    hidden: Linear::new(w1, Some(b1)),
                    out: Linear::new(w2, Some(b2)),
                },
                best_epoch,
                history,
            },
            None => TrainedHead {
                head,
                best_epoch: history.len(),
                history,
            },
        })
    }

    pub fn save(&self, dir: &Path) -> Result<(), ManagerError> {
        let tensors: HashMap<String, Tensor> = [
            ("hidden.weight", self.hidden.weight()),
            ("out.weight", self.out.weight()),
        ]
        .into_iter()
        .map(|(k, t)| (k.to_string(), t.clone()))
        .chain(
            [
                ("hidden.bias", self.hidden.bias()),
                ("out.bias", self.out.bias()),
            ]
            .into_iter()
            .filter_map(|(k, t)| t.map(|t| (k.to_string(), t.clone()))),
        )
        .collect();
        candle_core::safetensors::save(&tensors, dir.join(HEAD_FILE))
            .map_err(|e| ManagerError::Model(format!("writing {HEAD_FILE}: {e}")))
    }

    /// Loads a head and checks it maps `inputs` features to `skills` outputs.
    pub fn load(
        dir: &Path,
        inputs: usize,
        skills: usize,
        device: &Device,
    ) -> Result<Self, ManagerError> {
        let path = dir.join(HEAD_FILE);
        let tensors = candle_core::safetensors::load(&path, device)
            .map_err(|e| ManagerError::Model(format!("{}: {e}", path.display())))?;
        let hidden = tensors
            .get("hidden.weight")
            .map(|t| t.dim(0).unwrap_or(0))
            .unwrap_or(0);
        let vb = VarBuilder::from_tensors(tensors, DType::F32, device);
        Self::build(vb, inputs, hidden, skills).map_err(|e| {
            ManagerError::Model(format!(
                "{}: does not fit {inputs} inputs and {skills} skills ({e})",
                path.display()
            ))
        })
    }
}

/// Index of the largest value in each row.
pub fn argmax_rows(probs: &Tensor) -> Result<Vec<u32>, ManagerError> {
    probs.argmax(D::Minus1).map_err(err)?.to_vec1().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two classes told apart by the sign of the first feature, with noise features.
    fn data(n: usize, seed: u64) -> (Tensor, Vec<u32>) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut x = Vec::with_capacity(n * 8);
        let mut y = Vec::with_capacity(n);
        for _ in 0..n {
            let label = rng.random_bool(0.5) as u32;
            x.push(if label == 1 { 1.0 } else { -1.0 } + rng.random_range(-0.9..0.9f32));
            x.extend((0..7).map(|_| rng.random_range(-1.0..1.0f32)));
            y.push(label);
        }
        (Tensor::from_vec(x, (n, 8), &Device::Cpu).unwrap(), y)
    }

    #[test]
    fn early_stopping_keeps_the_best_validation_epoch() {
        let (x, y) = data(200, 1);
        let (vx, vy) = data(100, 2);
        let opts = HeadOptions {
            hidden: 8,
            epochs: 30,
            patience: 3,
            batch_size: 16,
            ..HeadOptions::default()
        };
        let valid = Validation {
            features: &vx,
            labels: &vy,
        };
        let trained = RoutingHead::train_validated(&x, &y, 2, &opts, Some(valid), |_| {}).unwrap();
        let scores: Vec<f64> = trained
            .history
            .iter()
            .map(|h| h.valid_accuracy.unwrap())
            .collect();
        let best = scores.iter().copied().fold(0.0, f64::max);
        assert_eq!(scores[trained.best_epoch - 1], best, "{scores:?}");
        // Stopped `patience` epochs after the best one, unless it ran out of epochs.
        assert!(
            trained.history.len() == opts.epochs
                || trained.history.len() == trained.best_epoch + opts.patience,
            "{} epochs, best {}",
            trained.history.len(),
            trained.best_epoch
        );
        // The head handed back is that epoch's, not the last one's.
        let predicted = argmax_rows(&trained.head.probabilities(&vx).unwrap()).unwrap();
        let correct = predicted.iter().zip(&vy).filter(|(p, l)| p == l).count();
        assert_eq!(correct as f64 / vy.len() as f64, best);

        // Without a validation set every epoch runs and the last head is kept.
        let plain = RoutingHead::train_validated(&x, &y, 2, &opts, None, |_| {}).unwrap();
        assert_eq!(plain.history.len(), opts.epochs);
        assert_eq!(plain.best_epoch, opts.epochs);
        assert!(plain.history.iter().all(|h| h.valid_accuracy.is_none()));
    }
}
