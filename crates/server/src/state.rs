//! What every handler shares. The model loads after the socket is bound (so `/health` answers
//! while it loads); until then `loaded()` is `None` and `/ready` says 503.

use std::sync::{Arc, OnceLock, RwLock, RwLockReadGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use adapterbot_engine::Engine;
use adapterbot_skills::TurnPlanner;

use crate::auth::ApiKeys;
use crate::config::ServerConfig;
use crate::metrics::Metrics;
use crate::worker::{Worker, WorkerConfig};

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    config: ServerConfig,
    keys: ApiKeys,
    metrics: Arc<Metrics>,
    loaded: OnceLock<Loaded>,
    /// Unix seconds at start-up (the `created` of `/v1/models` entries).
    started: u64,
}

/// The model and the skills, once loaded.
pub struct Loaded {
    pub engine: Arc<Engine>,
    /// Behind a lock because skills can be added or removed while serving. Never held across
    /// an `.await`.
    pub planner: Arc<RwLock<TurnPlanner>>,
    pub worker: Worker,
}

impl Loaded {
    pub fn planner(&self) -> RwLockReadGuard<'_, TurnPlanner> {
        self.planner.read().unwrap_or_else(|e| e.into_inner())
    }
}

impl AppState {
    /// A state with nothing loaded yet.
    pub fn new(config: ServerConfig) -> Self {
        let keys = ApiKeys::new(&config.api_keys);
        let started = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Self(Arc::new(Inner {
            config,
            keys,
            metrics: Arc::new(Metrics::new()),
            loaded: OnceLock::new(),
            started,
        }))
    }

    /// A state that is ready to serve.
    pub fn with_model(
        config: ServerConfig,
        engine: Arc<Engine>,
        planner: TurnPlanner,
    ) -> std::io::Result<Self> {
        let state = Self::new(config);
        state.set_model(engine, planner)?;
        Ok(state)
    }

    /// Starts the engine worker with the loaded model; from now on the server is ready.
    pub fn set_model(&self, engine: Arc<Engine>, planner: TurnPlanner) -> std::io::Result<()> {
        let planner = Arc::new(RwLock::new(planner));
        let worker = Worker::spawn(
            engine.clone(),
            planner.clone(),
            WorkerConfig {
                max_concurrent: self.0.config.max_concurrent,
                queue: self.0.config.queue,
                max_per_key: self.0.config.max_concurrent_per_key,
            },
            self.0.metrics.clone(),
        )?;
        let loaded = Loaded {
            engine,
            planner,
            worker,
        };
        if self.0.loaded.set(loaded).is_err() {
            return Err(std::io::Error::other("the model is already loaded"));
        }
        Ok(())
    }

    pub fn loaded(&self) -> Option<&Loaded> {
        self.0.loaded.get()
    }

    /// Loaded, the engine thread alive, and not shutting down.
    pub fn is_ready(&self) -> bool {
        self.loaded()
            .is_some_and(|l| l.worker.is_alive() && !l.worker.is_draining())
    }

    /// From now on new requests are refused; streams in flight get the grace period.
    pub fn begin_shutdown(&self) {
        if let Some(l) = self.loaded() {
            l.worker.drain(self.0.config.shutdown_grace);
        }
    }

    pub fn config(&self) -> &ServerConfig {
        &self.0.config
    }

    pub fn keys(&self) -> &ApiKeys {
        &self.0.keys
    }

    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    pub fn started_unix(&self) -> u64 {
        self.0.started
    }
}
