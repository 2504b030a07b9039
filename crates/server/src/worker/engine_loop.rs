//! The engine thread's loop: take requests, plan them, and decode the active generations in one
//! batched forward pass per round (a token each, or a prompt chunk for one that just joined). A
//! client that went away (its channel closed) is noticed before its next token is computed, so
//! its generation is dropped within one token and its slot freed.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::{mpsc, RwLock};
use std::time::Instant;

use adapterbot_engine::{Engine, Event, FinishReason, Generation, Usage};
use adapterbot_skills::{DecidedReply, PlannedTurn, RouteSource, TurnPlanner};

use super::{
    Admitted, FinishedReply, Inbox, PlanSummary, ReplyDone, ReplyTimings, Shared, WorkerConfig,
    WorkerEvent,
};
use crate::error::ApiError;
use crate::metrics::Metrics;

/// Planned, waiting for a slot.
struct Waiting {
    job: Box<Admitted>,
    turn: PlannedTurn,
    plan_ms: f64,
}

/// Being decoded.
struct Slot<'e> {
    job: Box<Admitted>,
    generation: Generation<'e>,
    /// The reply so far, handed on when it ends so the next turn's context can be prepared.
    text: String,
    plan_ms: f64,
    started: Instant,
    first_token: Option<Instant>,
    last_token: Option<Instant>,
}

struct EngineLoop<'e> {
    engine: &'e Engine,
    planner: &'e RwLock<TurnPlanner>,
    shared: &'e Shared,
    metrics: &'e Metrics,
    config: WorkerConfig,
    prepare: mpsc::SyncSender<FinishedReply>,
    waiting: VecDeque<Waiting>,
    active: Vec<Slot<'e>>,
    /// Set by a drain: when running work is ended.
    deadline: Option<Instant>,
}

pub(super) fn run(
    engine: &Engine,
    planner: &RwLock<TurnPlanner>,
    inbox: mpsc::Receiver<Inbox>,
    shared: &Shared,
    metrics: &Metrics,
    config: WorkerConfig,
    prepare: mpsc::SyncSender<FinishedReply>,
) {
    let mut lp = EngineLoop {
        engine,
        planner,
        shared,
        metrics,
        config,
        prepare,
        waiting: VecDeque::new(),
        active: Vec::new(),
        deadline: None,
    };
    let mut inbox_open = true;
    loop {
        if lp.is_idle() {
            // Nothing to decode: sleep until something arrives.
            match inbox.recv() {
                Ok(m) => lp.accept(m),
                Err(_) => break,
            }
        }
        while inbox_open {
            match inbox.try_recv() {
                Ok(m) => lp.accept(m),
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => inbox_open = false,
            }
        }
        if lp.deadline.is_some_and(|d| Instant::now() >= d) {
            lp.end_everything();
        }
        lp.fill_slots();
        lp.round();
        if !inbox_open && lp.is_idle() {
            break;
        }
    }
    tracing::debug!("engine worker stopped");
}

impl<'e> EngineLoop<'e> {
    fn is_idle(&self) -> bool {
        self.active.is_empty() && self.waiting.is_empty()
    }

    fn accept(&mut self, message: Inbox) {
        match message {
            Inbox::Drain { grace } => {
                tracing::info!(
                    active = self.active.len(),
                    waiting = self.waiting.len(),
                    grace_s = grace.as_secs_f64(),
                    "draining: no new requests; running ones may finish within the grace period"
                );
                self.deadline = Some(Instant::now() + grace);
            }
            Inbox::Job(job) => self.plan(job),
        }
    }

    fn plan(&mut self, job: Box<Admitted>) {
        if self.deadline.is_some() {
            self.metrics.rejected("shutting_down");
            let _ = job
                .events
                .send(WorkerEvent::Failed(ApiError::shutting_down()));
            return;
        }
        if job.events.is_closed() {
            return;
        }
        let started = Instant::now();
        let planned = catch_unwind(AssertUnwindSafe(|| {
            let planner = self.planner.read().unwrap_or_else(|e| e.into_inner());
            planner.plan(self.engine, &job.request)
        }));
        let plan_ms = ms(started.elapsed());
        let turn = match planned {
            Ok(Ok(turn)) => turn,
            Ok(Err(e)) => {
                let _ = job.events.send(WorkerEvent::Failed(e.into()));
                return;
            }
            Err(panic) => {
                let err = ApiError::internal("planning the reply failed", &panic_text(&panic));
                let _ = job.events.send(WorkerEvent::Failed(err));
                return;
            }
        };
        let source = match turn.route.source {
            RouteSource::Auto => "auto",
            RouteSource::Manual => "manual",
            RouteSource::Fallback => "fallback",
        };
        self.metrics.skill_chosen(&turn.route.skill, source);
        tracing::info!(
            request_id = %job.request_id,
            skill = %turn.route.skill,
            source,
            prompt_tokens = turn.prompt.ids.len(),
            plan_ms,
            "turn planned"
        );
        let summary = PlanSummary {
            route: turn.route.clone(),
            knowledge: turn.knowledge.clone(),
            retrieval: turn.retrieval.clone(),
            prompt_tokens: turn.prompt.ids.len(),
            dropped_messages: turn.prompt.dropped_messages,
        };
        if job
            .events
            .send(WorkerEvent::Planned(Box::new(summary)))
            .is_err()
        {
            return;
        }
        if let Some(reply) = &turn.decided_reply {
            self.send_decided(&job, reply, plan_ms);
        } else {
            self.waiting.push_back(Waiting { job, turn, plan_ms });
            self.metrics.queue_depth.increment(1.0);
        }
    }

    /// A reply decided without the model: sent whole, at once, as one token event and `done`.
    fn send_decided(&self, job: &Admitted, reply: &DecidedReply, plan_ms: f64) {
        let total_ms = ms(job.received.elapsed());
        let done = ReplyDone {
            finish_reason: FinishReason::Stop,
            usage: Usage {
                prompt_tokens: 0,
                completion_tokens: reply.tokens,
            },
            timings: ReplyTimings {
                ttft_ms: total_ms,
                plan_ms,
                total_ms,
                ..ReplyTimings::default()
            },
        };
        tracing::info!(request_id = %job.request_id, "reply decided without the model");
        self.metrics.generation_ended("decided");
        self.record_duration(total_ms);
        if job
            .events
            .send(WorkerEvent::Token(reply.text.clone()))
            .is_ok()
        {
            let _ = job.events.send(WorkerEvent::Done(Box::new(done)));
        }
    }

    fn fill_slots(&mut self) {
        while self.active.len() < self.config.max_concurrent {
            let Some(w) = self.waiting.pop_front() else {
                break;
            };
            self.metrics.queue_depth.decrement(1.0);
            if w.job.events.is_closed() {
                self.metrics.generation_ended("cancelled");
                continue;
            }
            let turn = w.turn;
            match self
                .engine
                .generate_shared(turn.prompt.ids, turn.sampling, turn.adapter)
            {
                Ok(generation) => {
                    self.metrics.active_generations.increment(1.0);
                    self.active.push(Slot {
                        job: w.job,
                        generation,
                        text: String::new(),
                        plan_ms: w.plan_ms,
                        started: Instant::now(),
                        first_token: None,
                        last_token: None,
                    });
                }
                Err(e) => {
                    self.metrics.generation_ended("error");
                    let err = ApiError::internal("the reply could not start", &e);
                    let _ = w.job.events.send(WorkerEvent::Failed(err));
                }
            }
        }
    }

    /// One batched forward pass for every active generation (`Engine::step_batch`): a token
    /// for each decoding reply, a prompt chunk for each one still prefilling.
    fn round(&mut self) {
        let mut active = std::mem::take(&mut self.active);
        // A client that went away is dropped before its next token is computed.
        active.retain(|slot| {
            let gone = slot.job.events.is_closed();
            if gone {
                self.end(slot, "cancelled");
            }
            !gone
        });
        if active.is_empty() {
            return;
        }
        self.metrics.batch_size.record(active.len() as f64);
        let engine = self.engine;
        let stepped = catch_unwind(AssertUnwindSafe(|| {
            let mut gens: Vec<&mut Generation<'e>> =
                active.iter_mut().map(|s| &mut s.generation).collect();
            engine.step_batch(&mut gens)
        }));
        let events = match stepped {
            Ok(events) => events,
            Err(panic) => {
                let text = panic_text(&panic);
                for slot in active {
                    self.end(&slot, "error");
                    let err = ApiError::internal("generating the reply failed", &text);
                    let _ = slot.job.events.send(WorkerEvent::Failed(err));
                }
                return;
            }
        };
        let now = Instant::now();
        for (mut slot, event) in active.into_iter().zip(events) {
            if self.handle(&mut slot, event, now) {
                self.active.push(slot);
            }
        }
    }

    /// Passes on what a step gave one generation; false when it has ended.
    fn handle(
        &self,
        slot: &mut Slot<'e>,
        event: Option<adapterbot_engine::Result<Event>>,
        now: Instant,
    ) -> bool {
        match event {
            // A prompt chunk ran, or the detokenizer holds text back: nothing to send yet.
            None => true,
            Some(Ok(Event::Text { text })) => {
                self.note_token(slot, now);
                slot.text.push_str(&text);
                if slot.job.events.send(WorkerEvent::Token(text)).is_err() {
                    self.end(slot, "cancelled");
                    return false;
                }
                true
            }
            Some(Ok(Event::Done {
                finish_reason,
                usage,
                timings,
            })) => {
                if slot.first_token.is_none() {
                    self.note_token(slot, now);
                }
                let first = slot.first_token.unwrap_or(now);
                let last = slot.last_token.unwrap_or(now);
                let after_first = usage.completion_tokens.saturating_sub(1);
                let span = last.duration_since(first).as_secs_f64();
                let total_ms = ms(now.duration_since(slot.job.received));
                let done = ReplyDone {
                    finish_reason,
                    usage,
                    timings: ReplyTimings {
                        ttft_ms: ms(first.duration_since(slot.job.received)),
                        tokens_per_s: if span > 0.0 {
                            after_first as f64 / span
                        } else {
                            0.0
                        },
                        queue_ms: ms(slot.started.duration_since(slot.job.received)) - slot.plan_ms,
                        plan_ms: slot.plan_ms,
                        prefill_ms: ms(timings.prefill),
                        total_ms,
                    },
                };
                tracing::info!(
                    request_id = %slot.job.request_id,
                    ?finish_reason,
                    completion_tokens = usage.completion_tokens,
                    ttft_ms = done.timings.ttft_ms,
                    tokens_per_s = done.timings.tokens_per_s,
                    "reply done"
                );
                // Accounting first, so a client that reads /metrics after `done` sees it.
                self.record_duration(total_ms);
                self.end(slot, finish_outcome(finish_reason));
                let _ = slot.job.events.send(WorkerEvent::Done(Box::new(done)));
                self.prepare_next_turn(slot);
                false
            }
            Some(Err(e)) => {
                self.end(slot, "error");
                let err = ApiError::internal("generating the reply failed", &e);
                let _ = slot.job.events.send(WorkerEvent::Failed(err));
                false
            }
        }
    }

    /// Hands the finished conversation to the preparing thread, which embeds the context of the
    /// user's next turn while this thread decodes. Best effort: when that thread is behind, the
    /// work is skipped and the next turn is routed with nothing cached.
    fn prepare_next_turn(&self, slot: &mut Slot<'e>) {
        let finished = FinishedReply {
            messages: slot.job.request.messages.clone(),
            reply: std::mem::take(&mut slot.text),
        };
        let _ = self.prepare.try_send(finished);
    }

    fn note_token(&self, slot: &mut Slot<'e>, now: Instant) {
        match slot.last_token {
            None => self
                .metrics
                .ttft
                .record(now.duration_since(slot.job.received).as_secs_f64()),
            Some(prev) => self
                .metrics
                .inter_token
                .record(now.duration_since(prev).as_secs_f64()),
        }
        slot.first_token.get_or_insert(now);
        slot.last_token = Some(now);
    }

    /// Accounting when a generation ends; the slot itself is dropped by the caller.
    fn end(&self, slot: &Slot<'e>, outcome: &'static str) {
        self.metrics.active_generations.decrement(1.0);
        let usage = slot.generation.usage();
        self.metrics
            .generated_tokens
            .increment(usage.completion_tokens as u64);
        self.metrics
            .prompt_tokens
            .increment(usage.prompt_tokens as u64);
        self.metrics.generation_ended(outcome);
        if outcome == "cancelled" {
            tracing::info!(
                request_id = %slot.job.request_id,
                completion_tokens = usage.completion_tokens,
                "client went away: generation dropped"
            );
        }
    }

    fn record_duration(&self, total_ms: f64) {
        let avg = &self.shared.avg_request_ms;
        let old = avg.load(Ordering::Relaxed) as f64;
        let new = if old == 0.0 {
            total_ms
        } else {
            0.8 * old + 0.2 * total_ms
        };
        avg.store(new.round() as u64, Ordering::Relaxed);
    }

    /// The grace period is over: every running or waiting request ends with an error event.
    fn end_everything(&mut self) {
        for slot in std::mem::take(&mut self.active) {
            self.end(&slot, "shutdown");
            let _ = slot
                .job
                .events
                .send(WorkerEvent::Failed(ApiError::shutting_down()));
        }
        for w in std::mem::take(&mut self.waiting) {
            self.metrics.queue_depth.decrement(1.0);
            self.metrics.generation_ended("shutdown");
            let _ = w
                .job
                .events
                .send(WorkerEvent::Failed(ApiError::shutting_down()));
        }
    }
}

fn finish_outcome(reason: adapterbot_engine::FinishReason) -> &'static str {
    match reason {
        adapterbot_engine::FinishReason::Stop => "stop",
        adapterbot_engine::FinishReason::Length => "length",
    }
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}
