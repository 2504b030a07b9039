//! Choosing the next token from the logits: greedy, temperature, top-k, top-p, repetition
//! penalty, all seeded. Sampling itself is candle-transformers' `LogitsProcessor`.

use candle_core::{Device, Tensor};
use candle_transformers::generation::{LogitsProcessor, Sampling};
use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};

/// How far back the repetition penalty looks.
const PENALTY_WINDOW: usize = 64;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SamplingParams {
    /// 0 means greedy (always the most likely token).
    pub temperature: f64,
    /// Keep only the k most likely tokens (0 = no limit).
    pub top_k: usize,
    /// Keep the smallest set of tokens whose probability reaches p (1.0 = no limit).
    pub top_p: f64,
    /// > 1 discourages tokens seen in the last 64 positions; 1.0 turns it off.
    pub repetition_penalty: f32,
    pub seed: u64,
    pub max_tokens: usize,
    /// The reply ends before the first occurrence of any of these strings.
    pub stop: Vec<String>,
}

impl Default for SamplingParams {
    fn default() -> Self {
        Self {
            temperature: 0.0,
            top_k: 0,
            top_p: 1.0,
            repetition_penalty: 1.0,
            seed: 299_792_458,
            max_tokens: 256,
            stop: Vec::new(),
        }
    }
}

impl SamplingParams {
    pub fn greedy(max_tokens: usize) -> Self {
        Self {
            max_tokens,
            ..Self::default()
        }
    }

    /// Refuses values that make no sense, naming the field.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(EngineError::InvalidSampling(m));
        if !(0.0..=5.0).contains(&self.temperature) || self.temperature.is_nan() {
            return bad(format!(
                "temperature must be between 0 and 5, got {}",
                self.temperature
            ));
        }
        if !(self.top_p > 0.0 && self.top_p <= 1.0) {
            return bad(format!("top_p must be in (0, 1], got {}", self.top_p));
        }
        if !(self.repetition_penalty >= 1.0 && self.repetition_penalty <= 10.0) {
            return bad(format!(
                "repetition_penalty must be between 1 and 10, got {}",
                self.repetition_penalty
            ));
        }
        if self.max_tokens == 0 {
            return bad("max_tokens must be at least 1".into());
        }
        if self.stop.iter().any(String::is_empty) {
            return bad("stop strings must not be empty".into());
        }
        Ok(())
    }
}

pub struct Sampler {
    processor: LogitsProcessor,
    penalty: f32,
}

impl Sampler {
    pub fn new(p: &SamplingParams) -> Result<Self> {
        p.validate()?;
        let t = p.temperature;
        let sampling = match (t, p.top_k, p.top_p) {
            (0.0, _, _) => Sampling::ArgMax,
            (t, 0, p) if p >= 1.0 => Sampling::All { temperature: t },
            (t, 0, p) => Sampling::TopP { p, temperature: t },
            (t, k, p) if p >= 1.0 => Sampling::TopK { k, temperature: t },
            (t, k, p) => Sampling::TopKThenTopP {
                k,
                p,
                temperature: t,
            },
        };
        Ok(Self {
            processor: LogitsProcessor::from_sampling(p.seed, sampling),
            penalty: p.repetition_penalty,
        })
    }

    /// `logits`: `[vocab]` f32 on any device; `history`: every token so far (prompt and reply).
    /// Sampling runs on the host: the logits of a GPU backbone are copied over once per token.
    pub fn sample(&mut self, logits: &Tensor, history: &[u32]) -> Result<u32> {
        let host;
        let logits = if logits.device().is_cpu() {
            logits
        } else {
            host = logits.to_device(&Device::Cpu)?;
            &host
        };
        let logits = if self.penalty != 1.0 {
            let recent = &history[history.len().saturating_sub(PENALTY_WINDOW)..];
            candle_transformers::utils::apply_repeat_penalty(logits, self.penalty, recent)?
        } else {
            logits.clone()
        };
        Ok(self.processor.sample(&logits)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logits() -> Tensor {
        Tensor::new(&[0.1f32, 3.0, 2.9, -1.0, 0.5], &Device::Cpu).unwrap()
    }

    #[test]
    fn greedy_takes_the_argmax() {
        let mut s = Sampler::new(&SamplingParams::greedy(4)).unwrap();
        assert_eq!(s.sample(&logits(), &[]).unwrap(), 1);
    }

    #[test]
    fn repetition_penalty_moves_greedy_off_a_seen_token() {
        let p = SamplingParams {
            repetition_penalty: 1.5,
            ..SamplingParams::greedy(4)
        };
        let mut s = Sampler::new(&p).unwrap();
        assert_eq!(s.sample(&logits(), &[1]).unwrap(), 2);
    }

    #[test]
    fn top_k_one_is_greedy_and_same_seed_repeats() {
        let p = SamplingParams {
            temperature: 1.0,
            top_k: 1,
            ..SamplingParams::default()
        };
        assert_eq!(Sampler::new(&p).unwrap().sample(&logits(), &[]).unwrap(), 1);
        let p = SamplingParams {
            temperature: 1.5,
            seed: 7,
            ..SamplingParams::default()
        };
        let draw = |p: &SamplingParams| {
            let mut s = Sampler::new(p).unwrap();
            (0..20)
                .map(|_| s.sample(&logits(), &[]).unwrap())
                .collect::<Vec<_>>()
        };
        let a = draw(&p);
        assert_eq!(a, draw(&p), "same seed, same draws");
        assert!(
            a.iter().any(|&t| t != a[0]),
            "temperature 1.5 should not always pick one token"
        );
    }

    #[test]
    fn nonsense_values_are_refused_by_name() {
        for (p, field) in [
            (
                SamplingParams {
                    temperature: -1.0,
                    ..Default::default()
                },
                "temperature",
            ),
            (
                SamplingParams {
                    top_p: 0.0,
                    ..Default::default()
                },
                "top_p",
            ),
            (
                SamplingParams {
                    repetition_penalty: 0.5,
                    ..Default::default()
                },
                "repetition_penalty",
            ),
            (
                SamplingParams {
                    max_tokens: 0,
                    ..Default::default()
                },
                "max_tokens",
            ),
            (
                SamplingParams {
                    stop: vec![String::new()],
                    ..Default::default()
                },
                "stop",
            ),
        ] {
            let e = Sampler::new(&p).err().expect("must refuse").to_string();
            assert!(e.contains(field), "{e}");
        }
    }
}
