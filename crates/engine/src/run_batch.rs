//! Many replies, generated together: an offline job (an evaluation, a benchmark) hands over every
//! prompt at once and gets every reply back, decoded in batches of up to `width` sequences the
//! way the server decodes its live replies ([`Engine::step_batch`]): a sequence that ends frees
//! its place for the next prompt at once.

use crate::adapter::Adapter;
use crate::engine::Engine;
use crate::error::Result;
use crate::generate::{Event, FinishReason, Generation, Usage};
use crate::sampling::SamplingParams;

/// One reply to generate: its prompt (token ids), sampling and adapter (or none).
#[derive(Debug, Clone)]
pub struct ReplyJob<'a> {
    pub prompt: Vec<u32>,
    pub params: SamplingParams,
    pub adapter: Option<&'a Adapter>,
}

/// A whole reply, as its events told it.
#[derive(Debug, Clone, PartialEq)]
pub struct FinishedReply {
    pub text: String,
    pub finish_reason: FinishReason,
    pub usage: Usage,
}

impl Engine {
    /// Generates a reply to every job, at most `width` (≥ 1) at a time in one batched pass per
    /// step, and returns them in the jobs' order. A job that cannot start (an empty or too long
    /// prompt) or fails gets its error; the others go on. Greedy and seeded replies are the
    /// ones each job gets alone.
    pub fn generate_many(
        &self,
        jobs: Vec<ReplyJob<'_>>,
        width: usize,
    ) -> Vec<Result<FinishedReply>> {
        let width = width.max(1);
        let mut out: Vec<Option<Result<FinishedReply>>> = jobs.iter().map(|_| None).collect();
        let mut queue = jobs.into_iter().enumerate();
        // (job index, generation, text so far)
        let mut running: Vec<(usize, Generation<'_>, String)> = Vec::with_capacity(width);
        loop {
            while running.len() < width {
                let Some((i, job)) = queue.next() else { break };
                match self.generate(job.prompt, job.params, job.adapter) {
                    Ok(g) => running.push((i, g, String::new())),
                    Err(e) => out[i] = Some(Err(e)),
                }
            }
            if running.is_empty() {
                break;
            }
            let events = {
                let mut gens: Vec<&mut Generation<'_>> =
                    running.iter_mut().map(|(_, g, _)| g).collect();
                self.step_batch(&mut gens)
            };
            let mut ended = Vec::new();
            for (k, event) in events.into_iter().enumerate() {
                let (i, _, text) = &mut running[k];
                match event {
                    None => {}
                    Some(Ok(Event::Text { text: t })) => text.push_str(&t),
                    Some(Ok(Event::Done {
                        finish_reason,
                        usage,
                        ..
                    })) => {
                        out[*i] = Some(Ok(FinishedReply {
                            text: std::mem::take(text),
                            finish_reason,
                            usage,
                        }));
                        ended.push(k);
                    }
                    Some(Err(e)) => {
                        out[*i] = Some(Err(e));
                        ended.push(k);
                    }
                }
            }
            for k in ended.into_iter().rev() {
                running.swap_remove(k);
            }
        }
        out.into_iter()
            .map(|r| r.expect("every job ends with a reply or an error"))
            .collect()
    }
}
