//! What the server is told at start-up. The CLI's `serve` flags fill these; tests build them
//! directly.

use std::path::PathBuf;
use std::time::Duration;

use adapterbot_engine::LoadOptions;
use adapterbot_skills::PlannerPaths;

/// How the HTTP side behaves once the model is loaded.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Generations decoded at once: the batch size of the engine thread's batched pass.
    pub max_concurrent: usize,
    /// Requests admitted beyond the active ones, waiting for a slot. Past this: 429.
    pub queue: usize,
    /// Bearer keys; empty = no authentication.
    pub api_keys: Vec<String>,
    /// With keys on: requests one key may have admitted at once (running or waiting), so one
    /// client cannot take every slot; past it that key gets 429. `None` = no per-key cap.
    pub max_concurrent_per_key: Option<usize>,
    /// Origins allowed to call the API from a browser; `*` allows any; empty = same origin only.
    pub cors_origins: Vec<String>,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// On SIGINT/SIGTERM, how long streams in flight may go on before they are ended with an
    /// `error` event.
    pub shutdown_grace: Duration,
    /// Interval of SSE keep-alive comments while a stream waits.
    pub keep_alive: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_concurrent: 4,
            queue: 16,
            api_keys: Vec::new(),
            max_concurrent_per_key: None,
            cors_origins: Vec::new(),
            body_limit: 1024 * 1024,
            shutdown_grace: Duration::from_secs(10),
            keep_alive: Duration::from_secs(15),
        }
    }
}

/// What to load: the backbone and the skill parts.
#[derive(Debug, Clone)]
pub struct LoadSpec {
    pub model: PathBuf,
    pub load_options: LoadOptions,
    /// The skills, the dialogue manager (absent = `auto` always answers with the default
    /// skill) and the knowledge index (absent = `knowledge` answers without passages).
    pub planner: PlannerPaths,
}

/// Everything `adapterbot serve` needs.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub host: String,
    pub port: u16,
    pub server: ServerConfig,
    pub load: LoadSpec,
}
