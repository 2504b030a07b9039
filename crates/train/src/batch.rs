//! Groups examples into padded batches under a token budget and computes the reply-only loss
//! and, for training, its gradients.

use adapterbot_engine::{Backbone, BlockHook, Device, Tensor};
use candle_core::Var;
use rayon::prelude::*;

use crate::encode::Example;
use crate::error::Result;

/// Indices of `examples` (taken in `order`) grouped so that each batch's padded size
/// (`count × longest`) stays within `batch_tokens`; an example longer than that goes alone.
pub fn group_batches(
    examples: &[Example],
    order: &[usize],
    batch_tokens: usize,
) -> Vec<Vec<usize>> {
    let mut batches = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let mut longest = 0;
    for &i in order {
        let len = examples[i].ids.len() - 1;
        let new_longest = longest.max(len);
        if !current.is_empty() && (current.len() + 1) * new_longest > batch_tokens {
            batches.push(std::mem::take(&mut current));
            longest = len;
        } else {
            longest = new_longest;
        }
        current.push(i);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

/// One batch as tensors: inputs right-padded (causal attention never looks at the padding),
/// and the flattened positions whose next token is a reply token, with those tokens.
pub struct Batch {
    pub inputs: Tensor,
    pub positions: Tensor,
    pub labels: Tensor,
    /// Real (unpadded) input tokens.
    pub tokens: usize,
    /// Tokens the loss is computed on.
    pub targets: usize,
}

impl Batch {
    pub fn new(examples: &[&Example], device: &Device) -> Result<Self> {
        let seq = examples.iter().map(|e| e.ids.len() - 1).max().unwrap_or(0);
        let mut inputs = Vec::with_capacity(examples.len() * seq);
        let mut positions = Vec::new();
        let mut labels = Vec::new();
        let mut tokens = 0;
        for (b, e) in examples.iter().enumerate() {
            let n = e.ids.len() - 1;
            tokens += n;
            inputs.extend_from_slice(&e.ids[..n]);
            inputs.resize((b + 1) * seq, 0);
            // Position t predicts ids[t + 1]; the first reply token is predicted at prompt_len - 1.
            for t in e.prompt_len - 1..n {
                positions.push((b * seq + t) as u32);
                labels.push(e.ids[t + 1]);
            }
        }
        let targets = labels.len();
        Ok(Self {
            inputs: Tensor::from_vec(inputs, (examples.len(), seq), device)?,
            positions: Tensor::from_vec(positions, targets, device)?,
            labels: Tensor::from_vec(labels, targets, device)?,
            tokens,
            targets,
        })
    }

    /// Mean cross-entropy over the reply tokens (a scalar tensor, differentiable through `hook`).
    pub fn loss(&self, backbone: &Backbone, hook: Option<&dyn BlockHook>) -> Result<Tensor> {
        let logits = backbone.forward_train_at(&self.inputs, &self.positions, hook)?;
        Ok(adapterbot_engine::train_ops::cross_entropy(
            &logits,
            &self.labels,
        )?)
    }
}

/// Micro-batches an update's examples are split into (when it has that many).
pub const MICRO_BATCHES: usize = 2;

/// One update's loss and gradients.
pub struct Gradients {
    /// Mean cross-entropy over the update's reply tokens.
    pub loss: f64,
    /// The gradient of that mean for each variable, in order; `None` where one got none.
    pub grads: Vec<Option<Tensor>>,
    pub tokens: usize,
    pub targets: usize,
}

/// The mean reply loss of `examples` through `hook` and its gradient for each of `vars`.
///
/// The examples are split into up to [`MICRO_BATCHES`] runs of consecutive examples, each padded
/// to its own longest and differentiated on its own thread. Two threads each running a whole
/// pass wait for each other far less than two threads sharing every op, and a shorter
/// micro-batch pads less. The parts' gradients are summed in part order, and the split depends
/// only on the examples, so the result is the same whatever the thread count.
pub fn loss_and_gradients(
    backbone: &Backbone,
    hook: &(dyn BlockHook + Sync),
    vars: &[Var],
    examples: &[&Example],
) -> Result<Gradients> {
    let per_part = examples.len().div_ceil(MICRO_BATCHES).max(1);
    let parts = examples
        .chunks(per_part)
        .map(|chunk| Batch::new(chunk, backbone.device()))
        .collect::<Result<Vec<_>>>()?;
    let targets: usize = parts.iter().map(|b| b.targets).sum();
    let tokens: usize = parts.iter().map(|b| b.tokens).sum();
    let results = parts
        .par_iter()
        .map(|part| {
            // Each part's mean, weighted by its share of the reply tokens: the parts' sum is
            // the whole update's mean.
            let share = part.targets as f64 / targets.max(1) as f64;
            let loss = (part.loss(backbone, Some(hook))? * share)?;
            let store = loss.backward()?;
            let grads: Vec<Option<Tensor>> = vars.iter().map(|v| store.get(v).cloned()).collect();
            Ok((loss.to_scalar::<f32>()? as f64, grads))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut loss = 0.0;
    let mut grads: Vec<Option<Tensor>> = vec![None; vars.len()];
    for (part_loss, part_grads) in results {
        loss += part_loss;
        for (sum, g) in grads.iter_mut().zip(part_grads) {
            *sum = match (sum.take(), g) {
                (Some(a), Some(b)) => Some((a + b)?),
                (a, b) => a.or(b),
            };
        }
    }
    Ok(Gradients {
        loss,
        grads,
        tokens,
        targets,
    })
}

/// Summed negative log-likelihood and token count of the reply tokens of `examples` (no
/// gradients are kept: pass a frozen adapter, not a trainable one). The batches run side by side
/// on rayon's threads; their sums are added in batch order, so the thread count does not change
/// the result.
pub fn reply_nll(
    backbone: &Backbone,
    hook: Option<&(dyn BlockHook + Sync)>,
    examples: &[Example],
    batch_tokens: usize,
) -> Result<(f64, usize)> {
    let order: Vec<usize> = (0..examples.len()).collect();
    let per_batch = group_batches(examples, &order, batch_tokens)
        .par_iter()
        .map(|group| {
            let refs: Vec<&Example> = group.iter().map(|&i| &examples[i]).collect();
            let batch = Batch::new(&refs, backbone.device())?;
            let hook = hook.map(|h| h as &dyn BlockHook);
            let mean = batch.loss(backbone, hook)?.to_scalar::<f32>()? as f64;
            Ok((mean * batch.targets as f64, batch.targets))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(per_batch
        .into_iter()
        .fold((0.0, 0), |(sum, count), (s, n)| (sum + s, count + n)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(len: usize, prompt_len: usize) -> Example {
        Example {
            ids: (0..len as u32).collect(),
            prompt_len,
        }
    }

    #[test]
    fn batches_respect_the_padded_budget() {
        let e = vec![ex(11, 5), ex(21, 5), ex(6, 2), ex(51, 5), ex(11, 5)];
        let order: Vec<usize> = (0..e.len()).collect();
        let b = group_batches(&e, &order, 40);
        // [10, 20] → 2×20 = 40 fits; + 5 → 3×20 > 40; 5 alone, +50 → alone; 10.
        assert_eq!(b, vec![vec![0, 1], vec![2], vec![3], vec![4]]);
    }

    #[test]
    fn targets_are_the_reply_tokens_only() {
        let (a, b) = (ex(6, 4), ex(4, 2));
        let batch = Batch::new(&[&a, &b], &Device::Cpu).unwrap();
        assert_eq!(batch.inputs.dims(), &[2, 5]);
        assert_eq!(
            batch
                .inputs
                .flatten_all()
                .unwrap()
                .to_vec1::<u32>()
                .unwrap(),
            vec![0, 1, 2, 3, 4, 0, 1, 2, 0, 0]
        );
        // a: predict ids 4, 5 at positions 3, 4; b: predict ids 2, 3 at 5 + 1, 5 + 2.
        assert_eq!(batch.positions.to_vec1::<u32>().unwrap(), vec![3, 4, 6, 7]);
        assert_eq!(batch.labels.to_vec1::<u32>().unwrap(), vec![4, 5, 2, 3]);
        assert_eq!((batch.tokens, batch.targets), (8, 4));
    }
}
