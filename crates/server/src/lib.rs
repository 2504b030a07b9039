//! AdapterBot's HTTP server: a native chat API over server-sent events, an OpenAI-compatible
//! API, the embedded web page, and operations (health, readiness, metrics, keys, CORS, limits,
//! graceful shutdown). `app(state)` is the router the binary serves and the tests call; model
//! work happens on one engine thread (see `worker`).

pub mod auth;
pub mod config;
pub mod error;
pub mod load;
pub mod metrics;
pub mod request;
pub mod routes;
pub mod serve;
pub mod state;
mod web;
pub mod worker;

pub use config::{LoadSpec, ServeConfig, ServerConfig};
pub use error::ApiError;
pub use routes::app;
pub use serve::{run, serve};
pub use state::AppState;
