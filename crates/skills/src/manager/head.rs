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
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub weight_decay: f64,
    /// Share of input features dropped while training, so that no single direction of the
    /// embedding decides alone (helps on phrasings the data does not have).
    pub dropout: f32,
    pub seed: u64,
}

impl Default for HeadOptions {
    fn default() -> Self {
        Self {
            hidden: 128,
            epochs: 25,
            batch_size: 64,
            lr: 2e-3,
            weight_decay: 1e-2,
            dropout: 0.2,
            seed: 7,
        }
    }
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

    fn logits(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        self.out.forward(&self.hidden.forward(x)?.relu()?)
    }

    /// Probabilities, `[n, skills]`.
    pub fn probabilities(&self, features: &Tensor) -> Result<Tensor, ManagerError> {
        let logits = self.logits(features).map_err(err)?;
        candle_nn::ops::softmax_last_dim(&logits).map_err(err)
    }

    /// Trains a fresh head on `features` `[n, inputs]` with `labels` (skill indices); calls
    /// `on_epoch(epoch, mean_loss)` after each pass.
    pub fn train(
        features: &Tensor,
        labels: &[u32],
        skills: usize,
        opts: &HeadOptions,
        mut on_epoch: impl FnMut(usize, f32),
    ) -> Result<Self, ManagerError> {
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
        let mut order: Vec<u32> = (0..n as u32).collect();
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
            on_epoch(epoch, total / batches as f32);
        }
        Ok(head)
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
