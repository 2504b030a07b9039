//! AdamW with state that can be saved and restored, plus gradient clipping by global norm.
//!
//! candle-nn's `AdamW` keeps its moments and step counter private, so a checkpoint could not
//! hold them and a resumed run would restart the optimizer cold. This is the same update rule
//! (tested against candle-nn's below) with the state in the open. Weight decay applies to
//! matrices only, not to biases and LayerNorm parameters (the usual choice: decaying a norm's
//! gain towards zero is not regularisation).

use std::collections::HashMap;

use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};
pub use candle_nn::optim::ParamsAdamW;

use crate::error::{Result, TrainError};

pub struct AdamW {
    vars: Vec<Var>,
    first: Vec<Tensor>,
    second: Vec<Tensor>,
    decay: Vec<bool>,
    step: usize,
    pub params: ParamsAdamW,
}

impl AdamW {
    pub fn new(vars: Vec<Var>, params: ParamsAdamW) -> Result<Self> {
        let zeros = |v: &Var| v.as_tensor().zeros_like();
        Ok(Self {
            first: vars.iter().map(zeros).collect::<candle_core::Result<_>>()?,
            second: vars.iter().map(zeros).collect::<candle_core::Result<_>>()?,
            decay: vars.iter().map(|v| v.rank() >= 2).collect(),
            vars,
            step: 0,
            params,
        })
    }

    pub fn step_count(&self) -> usize {
        self.step
    }

    /// The gradients of the trained variables, in order; `None` where one got no gradient.
    pub fn gradients(&self, grads: &GradStore) -> Vec<Option<Tensor>> {
        self.vars.iter().map(|v| grads.get(v).cloned()).collect()
    }

    /// One update with `grads` (as from [`Self::gradients`]) at learning rate `lr`.
    pub fn step(&mut self, grads: &[Option<Tensor>], lr: f64) -> Result<()> {
        self.step += 1;
        let p = &self.params;
        let t = self.step as i32;
        let scale_m = 1.0 / (1.0 - p.beta1.powi(t));
        let scale_v = 1.0 / (1.0 - p.beta2.powi(t));
        for (i, var) in self.vars.iter().enumerate() {
            let Some(g) = &grads[i] else { continue };
            let m = ((&self.first[i] * p.beta1)? + (g * (1.0 - p.beta1))?)?;
            let v = ((&self.second[i] * p.beta2)? + (g.sqr()? * (1.0 - p.beta2))?)?;
            let decay = if self.decay[i] { p.weight_decay } else { 0.0 };
            let theta = (var.as_tensor() * (1.0 - lr * decay))?;
            let update = ((&m * scale_m)? / ((&v * scale_v)?.sqrt()? + p.eps)?)?;
            var.set(&(theta - (update * lr)?)?)?;
            self.first[i] = m;
            self.second[i] = v;
        }
        Ok(())
    }

    /// Moments by `prefix.{index}`, for a checkpoint.
    pub fn state_tensors(&self) -> HashMap<String, Tensor> {
        let mut out = HashMap::new();
        for (i, (m, v)) in self.first.iter().zip(&self.second).enumerate() {
            out.insert(format!("adam_m.{i}"), m.clone());
            out.insert(format!("adam_v.{i}"), v.clone());
        }
        out
    }

    /// Restores what [`Self::state_tensors`] saved, after `step` updates.
    pub fn restore(&mut self, tensors: &HashMap<String, Tensor>, step: usize) -> Result<()> {
        for i in 0..self.vars.len() {
            for (prefix, slot) in [
                ("adam_m", &mut self.first[i]),
                ("adam_v", &mut self.second[i]),
            ] {
                let key = format!("{prefix}.{i}");
                let t = tensors.get(&key).ok_or_else(|| {
                    TrainError::Config(format!("optimizer state `{key}` missing"))
                })?;
                if t.dims() != slot.dims() {
                    return Err(TrainError::Config(format!(
                        "optimizer state `{key}` has shape {:?}, expected {:?}",
                        t.dims(),
                        slot.dims()
                    )));
                }
                *slot = t.clone();
            }
        }
        self.step = step;
        Ok(())
    }
}

/// Scales `grads` in place so that their global L2 norm is at most `max_norm`; returns the
/// norm before clipping.
pub fn clip_global_norm(grads: &mut [Option<Tensor>], max_norm: f64) -> Result<f64> {
    let mut sq = 0.0f64;
    for g in grads.iter().flatten() {
        sq += g.sqr()?.sum_all()?.to_scalar::<f32>()? as f64;
    }
    let norm = sq.sqrt();
    if max_norm > 0.0 && norm > max_norm {
        let scale = max_norm / norm;
        for g in grads.iter_mut().flatten() {
            *g = (&*g * scale)?;
        }
    }
    Ok(norm)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;
    use candle_nn::Optimizer;

    #[test]
    fn matches_candle_nns_adamw_without_decay_and_survives_a_restore() -> Result<()> {
        let dev = Device::Cpu;
        let start = Tensor::new(&[[1.0f32, -2.0], [0.5, 3.0]], &dev)?;
        let target = Tensor::new(&[[0.0f32, 1.0], [2.0, -1.0]], &dev)?;
        let params = ParamsAdamW {
            lr: 0.1,
            weight_decay: 0.0,
            ..ParamsAdamW::default()
        };
        let loss = |v: &Var| (v.as_tensor() - &target).unwrap().sqr().unwrap().sum_all();

        let theirs = Var::from_tensor(&start)?;
        let mut reference = candle_nn::AdamW::new(vec![theirs.clone()], params.clone())?;
        let ours = Var::from_tensor(&start)?;
        let mut opt = AdamW::new(vec![ours.clone()], params.clone())?;
        for step in 0..5 {
            reference.backward_step(&loss(&theirs)?)?;
            let g = opt.gradients(&loss(&ours)?.backward()?);
            opt.step(&g, 0.1)?;
            if step == 2 {
                // Save and rebuild mid-way: the rest must not notice.
                let state = opt.state_tensors();
                opt = AdamW::new(vec![ours.clone()], params.clone())?;
                opt.restore(&state, 3)?;
            }
        }
        let d = (theirs.as_tensor() - ours.as_tensor())?
            .abs()?
            .max_all()?
            .to_scalar::<f32>()?;
        assert!(d < 1e-6, "differs from candle-nn's AdamW by {d}");
        Ok(())
    }

    #[test]
    fn clipping_bounds_the_global_norm() -> Result<()> {
        let dev = Device::Cpu;
        let mut g = vec![
            Some(Tensor::new(&[3.0f32], &dev)?),
            None,
            Some(Tensor::new(&[4.0f32], &dev)?),
        ];
        assert_eq!(clip_global_norm(&mut g, 10.0)?, 5.0);
        assert_eq!(clip_global_norm(&mut g, 1.0)?, 5.0);
        let after = clip_global_norm(&mut g, 0.0)?;
        assert!((after - 1.0).abs() < 1e-6, "{after}");
        Ok(())
    }
}
