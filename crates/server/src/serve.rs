//! Running the server: bind, say where to open it, load the model in the background (so `/health`
//! answers at once and `/ready` turns 200 when loading is done), and shut down gracefully on
//! SIGINT or SIGTERM.

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::config::ServeConfig;
use crate::routes::app;
use crate::state::AppState;

/// Extra time, after the grace period, for connections to close before serving returns anyway.
const CLOSE_MARGIN: Duration = Duration::from_secs(5);

/// Serves `app(state)` on `listener` until `shutdown` resolves. Then new requests are refused
/// (503), streams in flight may finish within the grace period and are ended with an `error`
/// event after it, and this returns once the connections have closed.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stopping_tx, mut stopping_rx) = tokio::sync::watch::channel(false);
    let grace = state.config().shutdown_grace;
    let graceful = axum::serve(listener, app(state.clone())).with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down: refusing new requests, finishing the ones in flight");
        state.begin_shutdown();
        let _ = stopping_tx.send(true);
    });
    let hard_stop = async move {
        if stopping_rx.wait_for(|s| *s).await.is_err() {
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(grace + CLOSE_MARGIN).await;
    };
    tokio::select! {
        r = graceful.into_future() => r,
        _ = hard_stop => {
            tracing::warn!("connections still open after the grace period; closing them");
            Ok(())
        }
    }
}

/// `adapterbot serve`: runs until SIGINT/SIGTERM.
pub fn run(config: ServeConfig) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("adapterbot-http")
        .build()
        .context("starting the async runtime")?;
    let result = runtime.block_on(run_async(config));
    // A model still loading when a signal came must not hold up the exit.
    runtime.shutdown_timeout(Duration::from_secs(1));
    result
}

async fn run_async(config: ServeConfig) -> anyhow::Result<()> {
    let listener = TcpListener::bind((config.host.as_str(), config.port))
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}:{} (in use? try --port)",
                config.host, config.port
            )
        })?;
    let addr = listener.local_addr()?;
    let url = browser_url(addr);
    println!("AdapterBot is listening on {url} (loading the model…)");
    if addr.ip().is_unspecified() {
        println!("(on every network interface, port {})", addr.port());
    }
    let state = AppState::new(config.server.clone());
    let (failed_tx, failed_rx) = tokio::sync::oneshot::channel::<anyhow::Error>();
    let loader = {
        let state = state.clone();
        let spec = config.load.clone();
        let url = url.clone();
        tokio::task::spawn_blocking(move || {
            let loaded = crate::load::load(&spec).and_then(|(engine, planner)| {
                state
                    .set_model(engine, planner)
                    .context("starting the engine thread")
            });
            match loaded {
                Ok(()) => println!("Ready: open {url} in a browser"),
                Err(e) => {
                    let _ = failed_tx.send(e);
                }
            }
        })
    };
    let load_error = std::sync::Arc::new(std::sync::Mutex::new(None));
    let shutdown = {
        let load_error = load_error.clone();
        async move {
            tokio::select! {
                _ = signal() => {}
                Ok(e) = failed_rx => {
                    *load_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                }
            }
        }
    };
    serve(listener, state, shutdown).await?;
    loader.abort();
    if let Some(e) = load_error.lock().unwrap_or_else(|p| p.into_inner()).take() {
        return Err(e);
    }
    Ok(())
}

/// The address to open: a wildcard bind is reachable on localhost.
pub fn browser_url(addr: SocketAddr) -> String {
    let mut addr = addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    format!("http://{addr}/")
}

/// SIGINT (Ctrl-C) or SIGTERM (container stop).
async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_bind_is_opened_on_localhost() {
        assert_eq!(
            browser_url("0.0.0.0:8080".parse().unwrap()),
            "http://127.0.0.1:8080/"
        );
        assert_eq!(browser_url("[::]:9".parse().unwrap()), "http://[::1]:9/");
        assert_eq!(
            browser_url("10.0.0.2:80".parse().unwrap()),
            "http://10.0.0.2:80/"
        );
    }
}
