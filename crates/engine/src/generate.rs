//! The decoding loop: prefill the prompt, then sample one token at a time. A [`Generation`] is
//! an iterator; dropping it (or simply not asking for the next item) cancels between tokens.

use std::sync::Arc;
use std::time::{Duration, Instant};

use candle_core::Tensor;
use serde::Serialize;

use crate::adapter::Adapter;
use crate::batch::BatchRow;
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::kv_cache::KvCache;
use crate::sampling::{Sampler, SamplingParams};
use crate::step::PREFILL_CHUNK;
use crate::stop::StopMatcher;
use crate::tokenizer::StreamDetokenizer;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// End of turn, EOS, or a stop string.
    Stop,
    /// `max_tokens` or the context ran out.
    Length,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct Usage {
    pub prompt_tokens: usize,
    pub completion_tokens: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct Timings {
    /// Prompt processing, which is also the time to the first token.
    pub prefill: Duration,
    /// Every later forward pass.
    pub decode: Duration,
}

impl Timings {
    pub fn decode_tokens_per_s(&self, completion_tokens: usize) -> f64 {
        let steps = completion_tokens.saturating_sub(1);
        if steps == 0 || self.decode.is_zero() {
            0.0
        } else {
            steps as f64 / self.decode.as_secs_f64()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Event {
    /// New reply text (never half a character, never part of a stop string).
    Text { text: String },
    Done {
        finish_reason: FinishReason,
        usage: Usage,
        timings: Timings,
    },
}

/// The adapter a generation runs with: borrowed for the generation's life, or shared, so that a
/// long-lived owner of many generations (a server's engine worker) needs no borrow to outlive them.
#[derive(Debug, Clone)]
pub(crate) enum AdapterRef<'a> {
    Borrowed(&'a Adapter),
    Shared(Arc<Adapter>),
}

impl AdapterRef<'_> {
    fn get(&self) -> &Adapter {
        match self {
            AdapterRef::Borrowed(a) => a,
            AdapterRef::Shared(a) => a,
        }
    }
}

pub struct Generation<'a> {
    engine: &'a Engine,
    adapter: Option<AdapterRef<'a>>,
    sampler: Sampler,
    params: SamplingParams,
    cache: KvCache,
    detok: StreamDetokenizer,
    stop: StopMatcher,
    /// Prompt and reply tokens so far.
    history: Vec<u32>,
    /// Tokens not yet run through the model.
    pending_input: Vec<u32>,
    usage: Usage,
    timings: Timings,
    finished: Option<FinishReason>,
    done_sent: bool,
}

impl<'a> Generation<'a> {
    pub(crate) fn new(
        engine: &'a Engine,
        prompt: Vec<u32>,
        params: SamplingParams,
        adapter: Option<AdapterRef<'a>>,
    ) -> Result<Self> {
        if prompt.is_empty() {
            return Err(EngineError::EmptyPrompt);
        }
        let context = engine.backbone().context_length();
        // Room for the prompt and at least one generated token.
        if prompt.len() >= context {
            return Err(EngineError::PromptTooLong {
                prompt_tokens: prompt.len(),
                context_length: context,
            });
        }
        Ok(Self {
            sampler: Sampler::new(&params)?,
            stop: StopMatcher::new(params.stop.clone()),
            cache: engine.backbone().new_cache(),
            detok: StreamDetokenizer::new(),
            usage: Usage {
                prompt_tokens: prompt.len(),
                completion_tokens: 0,
            },
            history: prompt.clone(),
            pending_input: prompt,
            timings: Timings::default(),
            finished: None,
            done_sent: false,
            engine,
            adapter,
            params,
        })
    }

    pub fn usage(&self) -> Usage {
        self.usage
    }

    /// Runs one forward pass — a batch of one, the very pass a batched step runs for this
    /// generation (`Engine::step_batch`), so a reply is the same alone or batched — and, once
    /// the prompt is used up, samples one token; returns text that became final, if any.
    fn step(&mut self) -> Result<Option<String>> {
        let started = Instant::now();
        let engine = self.engine;
        let mut row = self.batch_row();
        let ran = row.tokens.len();
        let logits = engine
            .backbone()
            .forward_batch(std::slice::from_mut(&mut row))?;
        self.after_batch_row(ran, &logits.get(0)?, started)
    }

    /// Whether the generation has ended (its `Done` may still be unsent).
    pub fn is_finished(&self) -> bool {
        self.finished.is_some()
    }

    /// What the next forward pass runs for this generation: its pending input, at most
    /// [`PREFILL_CHUNK`] tokens of it, with its cache and adapter.
    pub(crate) fn batch_row(&mut self) -> BatchRow<'_> {
        let n = self.pending_input.len().min(PREFILL_CHUNK);
        BatchRow {
            tokens: &self.pending_input[..n],
            cache: &mut self.cache,
            adapter: self.adapter.as_ref().map(|a| a.get()),
        }
    }

    /// After a batched pass ran `ran` tokens of the pending input: samples the next token when
    /// the input is used up (else the prompt has more chunks to go and nothing is sampled).
    pub(crate) fn after_batch_row(
        &mut self,
        ran: usize,
        logits: &Tensor,
        started: Instant,
    ) -> Result<Option<String>> {
        self.pending_input.drain(..ran);
        if !self.pending_input.is_empty() {
            self.timings.prefill += started.elapsed();
            return Ok(None);
        }
        self.accept_logits(logits, started)
    }

    /// Marks the generation failed: it ends without a `Done`.
    pub(crate) fn fail(&mut self) {
        self.finished = Some(FinishReason::Stop);
        self.done_sent = true;
    }

    /// The `Done` event once the generation has ended, if it was not sent yet.
    pub(crate) fn take_done(&mut self) -> Option<Event> {
        let reason = self.finished?;
        if self.done_sent {
            return None;
        }
        self.done_sent = true;
        Some(Event::Done {
            finish_reason: reason,
            usage: self.usage,
            timings: self.timings,
        })
    }

    /// Samples from `logits` (the last position's) and handles the token: end of turn, stop
    /// strings, `max_tokens`, the context's end. Returns text that became final, if any.
    fn accept_logits(&mut self, logits: &Tensor, started: Instant) -> Result<Option<String>> {
        let token = self.sampler.sample(logits, &self.history)?;
        if self.usage.completion_tokens == 0 {
            self.timings.prefill += started.elapsed();
        } else {
            self.timings.decode += started.elapsed();
        }
        self.usage.completion_tokens += 1;

        let tokenizer = self.engine.tokenizer();
        if tokenizer.stop_ids().contains(&token) {
            self.finished = Some(FinishReason::Stop);
            return self.flush_all();
        }
        self.history.push(token);
        self.pending_input.push(token);
        let mut out = String::new();
        if let Some(piece) = self.detok.push(tokenizer, token)? {
            let (ready, hit) = self.stop.feed(&piece);
            out = ready;
            if hit {
                self.finished = Some(FinishReason::Stop);
                return Ok(Some(out).filter(|s| !s.is_empty()));
            }
        }
        let context_full = self.cache.len() + 1 >= self.engine.backbone().context_length();
        if self.usage.completion_tokens >= self.params.max_tokens || context_full {
            self.finished = Some(FinishReason::Length);
            out.push_str(&self.flush_all()?.unwrap_or_default());
        }
        Ok(Some(out).filter(|s| !s.is_empty()))
    }

    /// At the end of a reply: text the detokenizer and the stop matcher still hold.
    fn flush_all(&mut self) -> Result<Option<String>> {
        let mut out = String::new();
        if let Some(rest) = self.detok.flush(self.engine.tokenizer())? {
            let (ready, hit) = self.stop.feed(&rest);
            out.push_str(&ready);
            if hit {
                return Ok(Some(out).filter(|s| !s.is_empty()));
            }
        }
        out.push_str(&self.stop.flush().unwrap_or_default());
        Ok(Some(out).filter(|s| !s.is_empty()))
    }
}

impl Iterator for Generation<'_> {
    type Item = Result<Event>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.finished.is_some() {
                return self.take_done().map(Ok);
            }
            match self.step() {
                Ok(Some(text)) => return Some(Ok(Event::Text { text })),
                Ok(None) => continue,
                Err(e) => {
                    // An error ends the generation; no Done follows it.
                    self.fail();
                    return Some(Err(e));
                }
            }
        }
    }
}
