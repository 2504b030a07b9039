//! The engine worker: ONE dedicated thread owns all model work. candle's CPU kernels spin-wait
//! between steps, so several threads decoding at once on a small machine collapse (docs/engine.md);
//! one thread decoding up to `max_concurrent` generations together, one batched forward pass per
//! token for all of them (`Engine::step_batch`, each with its own KV cache and adapter), keeps
//! every core busy with one job at a time.
//!
//! Admission is a semaphore of `max_concurrent + queue` permits taken with `try_acquire`: when
//! none is left the handler answers 429 at once. A permit travels with its request and is
//! released when the request ends, however it ends.
//!
//! Planning (dialogue manager + prompt build) runs on this thread too, as soon as a request
//! arrives: the manager is a candle model as well, so running it beside decoding would bring back
//! the contention; and planning before a slot is free lets a handler answer 4xx (or send the
//! `route` event) without waiting for a slot.

mod engine_loop;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use adapterbot_engine::{ChatMessage, Engine, FinishReason, Usage};
use adapterbot_skills::knowledge::RetrievalDecision;
use adapterbot_skills::{Passage, RouteDecision, TurnPlanner, TurnRequest};
use serde::Serialize;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::auth::KeyId;
use crate::error::ApiError;
use crate::metrics::Metrics;

/// What the engine thread sends back for one request, in this order:
/// `Planned`, then `Token`s, then `Done`; or `Failed` at any point, which ends it.
#[derive(Debug)]
pub enum WorkerEvent {
    Planned(Box<PlanSummary>),
    Token(String),
    Done(Box<ReplyDone>),
    Failed(ApiError),
}

/// What a client may show about how its turn was planned.
#[derive(Debug, Clone, Serialize)]
pub struct PlanSummary {
    pub route: RouteDecision,
    pub knowledge: Vec<Passage>,
    /// How the passages were found (rewritten query, abstained or not).
    pub retrieval: Option<RetrievalDecision>,
    pub prompt_tokens: usize,
    /// Oldest messages left out so that the prompt fits the context.
    pub dropped_messages: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReplyDone {
    pub finish_reason: FinishReason,
    pub usage: Usage,
    pub timings: ReplyTimings,
}

/// Times as the client sees them (wall clock, including waiting for other streams' tokens).
#[derive(Debug, Clone, Copy, Serialize, Default)]
pub struct ReplyTimings {
    /// From the request's arrival to the first reply token.
    pub ttft_ms: f64,
    /// Reply tokens after the first, per second since the first.
    pub tokens_per_s: f64,
    /// Waiting for a generation slot.
    pub queue_ms: f64,
    /// Dialogue manager + knowledge + prompt build.
    pub plan_ms: f64,
    /// Prompt processing (the first forward pass) on the engine.
    pub prefill_ms: f64,
    pub total_ms: f64,
}

#[derive(Debug, Clone, Copy)]
pub struct WorkerConfig {
    pub max_concurrent: usize,
    pub queue: usize,
    /// Requests one API key may have admitted at once; `None` = no cap.
    pub max_per_key: Option<usize>,
}

/// A request admitted to the worker, with its reply channel and admission permit.
struct Admitted {
    request: TurnRequest,
    request_id: String,
    received: Instant,
    events: UnboundedSender<WorkerEvent>,
    _permit: OwnedSemaphorePermit,
    _key_share: Option<KeyShare>,
}

/// Requests admitted per API key, for `max_per_key`.
type KeyCounts = Arc<Mutex<HashMap<KeyId, usize>>>;

/// One admitted request's place in its key's count, given back when the request ends, however it
/// ends (like the admission permit beside it).
struct KeyShare {
    key: KeyId,
    counts: KeyCounts,
}

impl Drop for KeyShare {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = counts.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.key);
            }
        }
    }
}

enum Inbox {
    Job(Box<Admitted>),
    /// Stop taking work; end what is still running after `grace`.
    Drain {
        grace: Duration,
    },
}

/// A reply that ended, with the conversation it answered.
struct FinishedReply {
    messages: Vec<ChatMessage>,
    reply: String,
}

/// Replies waiting for their next turn's context to be prepared; more are skipped, not queued.
const PREPARE_BACKLOG: usize = 8;

/// The preparing thread: embeds each finished conversation's next-turn context (see
/// `TurnPlanner::prepare_next_turn`) off the engine thread. Ends when the engine thread does.
fn prepare_loop(planner: &RwLock<TurnPlanner>, finished: mpsc::Receiver<FinishedReply>) {
    for f in finished {
        let planner = planner.read().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = planner.prepare_next_turn(&f.messages, &f.reply) {
            tracing::warn!(error = %e, "preparing the next turn's context failed");
        }
    }
}

/// State shared by the handle and the thread.
struct Shared {
    draining: AtomicBool,
    /// Moving average of a request's duration, in ms (0 until the first one ends).
    avg_request_ms: AtomicU64,
}

/// The handlers' side of the engine thread.
pub struct Worker {
    inbox: mpsc::Sender<Inbox>,
    permits: Arc<Semaphore>,
    key_counts: KeyCounts,
    shared: Arc<Shared>,
    metrics: Arc<Metrics>,
    config: WorkerConfig,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Worker {
    pub fn spawn(
        engine: Arc<Engine>,
        planner: Arc<RwLock<TurnPlanner>>,
        config: WorkerConfig,
        metrics: Arc<Metrics>,
    ) -> std::io::Result<Self> {
        let config = WorkerConfig {
            max_concurrent: config.max_concurrent.max(1),
            queue: config.queue,
            max_per_key: config.max_per_key.map(|n| n.max(1)),
        };
        let (tx, rx) = mpsc::channel();
        let shared = Arc::new(Shared {
            draining: AtomicBool::new(false),
            avg_request_ms: AtomicU64::new(0),
        });
        let (prepare_tx, prepare_rx) = mpsc::sync_channel(PREPARE_BACKLOG);
        {
            let planner = planner.clone();
            std::thread::Builder::new()
                .name("adapterbot-prepare".into())
                .spawn(move || prepare_loop(&planner, prepare_rx))?;
        }
        let thread = {
            let shared = shared.clone();
            let metrics = metrics.clone();
            std::thread::Builder::new()
                .name("adapterbot-engine".into())
                .spawn(move || {
                    engine_loop::run(&engine, &planner, rx, &shared, &metrics, config, prepare_tx);
                })?
        };
        Ok(Self {
            inbox: tx,
            permits: Arc::new(Semaphore::new(config.max_concurrent + config.queue)),
            key_counts: KeyCounts::default(),
            shared,
            metrics,
            config,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Admits a request or refuses it at once (429 when full or when its API key has its share
    /// in flight, 503 when shutting down).
    pub fn submit(
        &self,
        request: TurnRequest,
        request_id: String,
        received: Instant,
        key: Option<KeyId>,
    ) -> Result<UnboundedReceiver<WorkerEvent>, ApiError> {
        if self.shared.draining.load(Ordering::SeqCst) {
            self.metrics.rejected("shutting_down");
            return Err(ApiError::shutting_down());
        }
        let key_share = match (key, self.config.max_per_key) {
            (Some(key), Some(limit)) => Some(self.take_key_share(key, limit)?),
            _ => None,
        };
        let Ok(permit) = self.permits.clone().try_acquire_owned() else {
            self.metrics.rejected("overloaded");
            return Err(ApiError::overloaded(self.retry_after()));
        };
        let (events, rx) = unbounded_channel();
        let job = Admitted {
            request,
            request_id,
            received,
            events,
            _permit: permit,
            _key_share: key_share,
        };
        self.inbox
            .send(Inbox::Job(Box::new(job)))
            .map_err(|_| ApiError::internal("the engine has stopped", &"worker inbox closed"))?;
        Ok(rx)
    }

    /// Counts one more request for `key`, or refuses it when the key has `limit` in flight.
    fn take_key_share(&self, key: KeyId, limit: usize) -> Result<KeyShare, ApiError> {
        let mut counts = self.key_counts.lock().unwrap_or_else(|e| e.into_inner());
        let n = counts.entry(key).or_insert(0);
        if *n >= limit {
            drop(counts);
            self.metrics.rejected("key_limit");
            return Err(ApiError::key_limit(limit, self.retry_after()));
        }
        *n += 1;
        Ok(KeyShare {
            key,
            counts: self.key_counts.clone(),
        })
    }

    /// Seconds until a slot is likely free: the queue ahead, served `max_concurrent` at a time.
    pub fn retry_after(&self) -> u64 {
        let avg_s = self.shared.avg_request_ms.load(Ordering::Relaxed) as f64 / 1000.0;
        let rounds = (self.config.queue + 1) as f64 / self.config.max_concurrent as f64;
        ((avg_s * rounds).ceil() as u64).clamp(1, 60)
    }

    /// Refuses new requests from now on and ends running ones after `grace`.
    pub fn drain(&self, grace: Duration) {
        if !self.shared.draining.swap(true, Ordering::SeqCst) {
            let _ = self.inbox.send(Inbox::Drain { grace });
        }
    }

    pub fn is_draining(&self) -> bool {
        self.shared.draining.load(Ordering::SeqCst)
    }

    /// False once the engine thread has ended (it only ends on a bug or at shutdown).
    pub fn is_alive(&self) -> bool {
        self.thread
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .is_some_and(|t| !t.is_finished())
    }

    pub fn config(&self) -> WorkerConfig {
        self.config
    }
}
