//! `adapterbot serve`: the HTTP server (native SSE chat API, OpenAI-compatible API, web page).
//! Every flag has an `ADAPTERBOT_…` environment variable.

use std::path::PathBuf;
use std::time::Duration;

use adapterbot_server::{auth::read_key_file, LoadSpec, ServeConfig, ServerConfig};

use crate::model_args::{ModelArgs, PlannerArgs};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Address to listen on (0.0.0.0 for every interface, e.g. in a container).
    #[arg(long, env = "ADAPTERBOT_HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "ADAPTERBOT_PORT", default_value_t = 8080)]
    pub port: u16,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub planner: PlannerArgs,
    /// Replies generated at once: one batched forward pass per token decodes all of them (each
    /// with its own skill adapter) on one engine thread.
    #[arg(long, env = "ADAPTERBOT_MAX_CONCURRENT", default_value_t = 4,
          value_parser = clap::value_parser!(u32).range(1..=256))]
    pub max_concurrent: u32,
    /// Requests that may wait for a free slot; past that the server answers 429 at once.
    #[arg(long, env = "ADAPTERBOT_QUEUE", default_value_t = 16)]
    pub queue: usize,
    /// Require `Authorization: Bearer <KEY>` on the API and /metrics (repeatable; the variable
    /// takes a comma-separated list). /health, /ready and the web page stay open.
    #[arg(
        long = "api-key",
        env = "ADAPTERBOT_API_KEY",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub api_keys: Vec<String>,
    /// With API keys: requests one key may have in flight at once (running or waiting for a
    /// slot); past it that key gets 429 while the others are still served. Off when unset.
    #[arg(long, env = "ADAPTERBOT_MAX_CONCURRENT_PER_KEY",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_concurrent_per_key: Option<u32>,
    /// Read API keys from a file, one per line ('#' comments).
    #[arg(long, env = "ADAPTERBOT_API_KEY_FILE")]
    pub api_key_file: Option<PathBuf>,
    /// Let web pages from this origin call the API (repeatable, comma-separated in the
    /// variable; `*` for any). Without it only the server's own page can.
    #[arg(
        long = "cors-origin",
        env = "ADAPTERBOT_CORS_ORIGIN",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,
    /// Largest request body, in bytes.
    #[arg(long, env = "ADAPTERBOT_BODY_LIMIT", default_value_t = 1024 * 1024)]
    pub body_limit: usize,
    /// On SIGINT/SIGTERM, seconds that replies in flight may take to finish before they are
    /// ended with an error event.
    #[arg(long, env = "ADAPTERBOT_SHUTDOWN_GRACE", default_value_t = 10.0)]
    pub shutdown_grace: f64,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let mut api_keys: Vec<String> = args
        .api_keys
        .iter()
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty())
        .collect();
    if let Some(file) = &args.api_key_file {
        api_keys.extend(read_key_file(file)?);
    }
    anyhow::ensure!(
        args.shutdown_grace.is_finite() && args.shutdown_grace >= 0.0,
        "--shutdown-grace must be a number of seconds ≥ 0"
    );
    anyhow::ensure!(
        args.max_concurrent_per_key.is_none() || !api_keys.is_empty(),
        "--max-concurrent-per-key counts requests by API key: set --api-key or --api-key-file too"
    );
    let config = ServeConfig {
        host: args.host,
        port: args.port,
        server: ServerConfig {
            max_concurrent: args.max_concurrent as usize,
            queue: args.queue,
            api_keys,
            max_concurrent_per_key: args.max_concurrent_per_key.map(|n| n as usize),
            cors_origins: args.cors_origins,
            body_limit: args.body_limit,
            shutdown_grace: Duration::from_secs_f64(args.shutdown_grace),
            ..ServerConfig::default()
        },
        load: LoadSpec {
            model: args.model.model.clone(),
            load_options: args.model.load_options()?,
            planner: args.planner.paths(true),
        },
    };
    adapterbot_server::run(config)
}
