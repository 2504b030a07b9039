//! What the end-to-end tests share: the real model (loaded once per test binary), a server on a
//! real socket, and a small SSE reader.
#![allow(dead_code)] // each test binary uses its own part of this

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use adapterbot_engine::{Engine, LoadOptions};
use adapterbot_server::{AppState, ServerConfig};
use adapterbot_skills::{SkillRegistry, TurnPlanner};
use futures::StreamExt;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn engine() -> Arc<Engine> {
    static ENGINE: OnceLock<Arc<Engine>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let model = repo().join("models/SmolLM2-135M-Instruct.Q4_1.gguf");
            assert!(
                model.exists(),
                "the real model is missing: run models/fetch.sh"
            );
            Arc::new(Engine::load(&model, &LoadOptions::default()).expect("the model loads"))
        })
        .clone()
}

/// The shipped skills, with the manager and knowledge store when they are built.
pub fn planner() -> TurnPlanner {
    let engine = engine();
    let (registry, problems) =
        SkillRegistry::load_dir(&repo().join("models/skills"), engine.backbone()).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let spec_dir = |d: &str| repo().join(d);
    let manager = adapterbot_skills::manager::DialogueManager::load(
        &spec_dir("models/manager"),
        &spec_dir("models/minilm"),
        &adapterbot_engine::Device::Cpu,
    )
    .ok();
    let knowledge =
        adapterbot_skills::knowledge::KnowledgeStore::open(&spec_dir("models/knowledge")).ok();
    TurnPlanner {
        registry,
        manager,
        knowledge,
        default_skill: "chitchat".into(),
        persona_order: adapterbot_skills::load_persona_order(&spec_dir("models/minilm")),
    }
}

/// The knowledge index the shipped server reads (models/knowledge), which some tests need:
/// scripts/test.sh builds it when it is missing or stale (`adapterbot knowledge build`). A test
/// that needs it fails here, saying so, rather than passing without it.
pub fn knowledge_store() -> adapterbot_skills::knowledge::KnowledgeStore {
    let dir = repo().join("models/knowledge");
    adapterbot_skills::knowledge::KnowledgeStore::open(&dir).unwrap_or_else(|e| {
        panic!(
            "this test needs the knowledge index in {}: {e}. Build it with \
             `adapterbot knowledge build` after data/fetch.sh (scripts/test.sh does both)",
            dir.display()
        )
    })
}

/// The shipped skills with the shipped manager and the knowledge index, both required: what a
/// deployed server runs with.
pub fn full_planner() -> TurnPlanner {
    let mut planner = planner();
    let manager = adapterbot_skills::manager::DialogueManager::load(
        &repo().join("models/manager"),
        &repo().join("models/minilm"),
        &adapterbot_engine::Device::Cpu,
    )
    .unwrap_or_else(|e| panic!("the shipped manager (models/manager) does not load: {e}"));
    // Re-ranked with the manager's encoder and abstaining, as `serve` loads it.
    let encoder = manager.shared_encoder();
    planner.manager = Some(manager);
    planner.knowledge = Some(adapterbot_skills::planner_load::rerank(
        knowledge_store(),
        Some(encoder),
        &repo().join("models/minilm"),
    ));
    planner
}

pub struct TestServer {
    pub url: String,
    pub state: AppState,
    stop: Option<oneshot::Sender<()>>,
    handle: JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// Sends the shutdown signal and waits for the server to return.
    pub async fn shutdown(mut self) -> Duration {
        let started = Instant::now();
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(60), &mut self.handle)
            .await
            .expect("the server stops")
            .unwrap()
            .unwrap();
        started.elapsed()
    }

    /// Starts the shutdown without waiting for it.
    pub fn begin_shutdown(&mut self) {
        let _ = self.stop.take().unwrap().send(());
    }

    pub async fn join(self) {
        tokio::time::timeout(Duration::from_secs(60), self.handle)
            .await
            .expect("the server stops")
            .unwrap()
            .unwrap();
    }

    pub async fn metrics(&self) -> String {
        self.state.metrics().render()
    }
}

/// A ready server with the real model.
pub async fn start(config: ServerConfig) -> TestServer {
    let state = AppState::with_model(config, engine(), planner()).unwrap();
    start_with(state).await
}

/// A ready server with the real model, the shipped manager and the knowledge index.
pub async fn start_full(config: ServerConfig) -> TestServer {
    let state = AppState::with_model(config, engine(), full_planner()).unwrap();
    start_with(state).await
}

pub async fn start_with(state: AppState) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(adapterbot_server::serve(
        listener,
        state.clone(),
        async move {
            let _ = rx.await;
        },
    ));
    TestServer {
        url,
        state,
        stop: Some(tx),
        handle,
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
}

pub fn user(text: &str) -> Value {
    serde_json::json!({"role": "user", "content": text})
}

#[derive(Debug, Clone)]
pub struct SseEvent {
    pub event: String,
    pub data: String,
    pub at: Instant,
}

impl SseEvent {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or_else(|e| {
            panic!("event {} data is not JSON ({e}): {}", self.event, self.data)
        })
    }
}

/// Reads a whole event stream, noting when each event arrived.
pub async fn read_sse(resp: reqwest::Response) -> Vec<SseEvent> {
    let mut reader = SseReader::new(resp);
    let mut out = Vec::new();
    while let Some(e) = reader.next().await {
        out.push(e);
    }
    out
}

/// Reads events one at a time (so a test can stop part way).
pub struct SseReader {
    body: futures::stream::BoxStream<'static, reqwest::Result<axum::body::Bytes>>,
    buf: String,
}

impl SseReader {
    pub fn new(resp: reqwest::Response) -> Self {
        Self {
            body: resp.bytes_stream().boxed(),
            buf: String::new(),
        }
    }

    pub async fn next(&mut self) -> Option<SseEvent> {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut event = String::from("message");
                let mut data = Vec::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim_start().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push(v.strip_prefix(' ').unwrap_or(v).to_string());
                    }
                }
                if data.is_empty() {
                    continue; // a keep-alive comment
                }
                return Some(SseEvent {
                    event,
                    data: data.join("\n"),
                    at: Instant::now(),
                });
            }
            match self.body.next().await {
                Some(Ok(chunk)) => self.buf.push_str(&String::from_utf8_lossy(&chunk)),
                _ => return None,
            }
        }
    }
}

/// The value of one sample line of the Prometheus text (`name{labels} value`).
pub fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// Waits until `f` holds (polling), or panics with `what`.
pub async fn eventually(what: &str, timeout: Duration, mut f: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting until {what}");
}
