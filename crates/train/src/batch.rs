//! Groups examples into padded batches under a token budget and computes the reply-only loss.

use adapterbot_engine::{Backbone, BlockHook, Device, Tensor};

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

/// Summed negative log-likelihood and token count of the reply tokens of `examples` (no
/// gradients are kept: pass a frozen adapter, not a trainable one).
pub fn reply_nll(
    backbone: &Backbone,
    hook: Option<&dyn BlockHook>,
    examples: &[Example],
    batch_tokens: usize,
) -> Result<(f64, usize)> {
    let order: Vec<usize> = (0..examples.len()).collect();
    let mut sum = 0.0;
    let mut count = 0;
    for group in group_batches(examples, &order, batch_tokens) {
        let refs: Vec<&Example> = group.iter().map(|&i| &examples[i]).collect();
        let batch = Batch::new(&refs, backbone.device())?;
        let mean = batch.loss(backbone, hook)?.to_scalar::<f32>()? as f64;
        sum += mean * batch.targets as f64;
        count += batch.targets;
    }
    Ok((sum, count))
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
