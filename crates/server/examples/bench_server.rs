//! What the HTTP/SSE layer costs: time to first token and tokens/s through `POST /api/chat`
//! (a real socket, SSE parsed by the client) against the engine alone on the same prompt, in the
//! same process and run, alternating so a noisy machine hurts both alike. Then 4 clients at once.
//!
//! cargo run --release -p adapterbot-server --example bench_server -- [--runs 5] [--max-tokens 128]
//!     [--model models/SmolLM2-135M-Instruct.Q4_1.gguf] [--skills-dir models/skills] [--json]
//! (scripts/bench_server.sh runs it beside `adapterbot bench`.)

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use adapterbot_engine::{ChatMessage, Engine, Event, Generation, LoadOptions};
use adapterbot_server::{AppState, ServerConfig};
use adapterbot_skills::turn::SamplingOverrides;
use adapterbot_skills::{SkillChoice, SkillRegistry, TurnPlanner, TurnRequest};
use futures::StreamExt;
use serde_json::json;

/// The engine bench's reference turn.
const TURN: &str = "I just lost my job and I feel terrible. What should I do?";

struct Args {
    runs: usize,
    max_tokens: usize,
    model: PathBuf,
    skills_dir: PathBuf,
    json: bool,
}

fn args() -> Args {
    let mut a = Args {
        runs: 5,
        max_tokens: 128,
        model: "models/SmolLM2-135M-Instruct.Q4_1.gguf".into(),
        skills_dir: "models/skills".into(),
        json: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().expect("a value after the flag");
        match flag.as_str() {
            "--runs" => a.runs = value().parse().expect("--runs N"),
            "--max-tokens" => a.max_tokens = value().parse().expect("--max-tokens N"),
            "--model" => a.model = value().into(),
            "--skills-dir" => a.skills_dir = value().into(),
            "--json" => a.json = true,
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

/// One reply's numbers, measured the same way on both paths.
#[derive(Debug, Clone, Copy)]
struct Sample {
    ttft_ms: f64,
    tokens_per_s: f64,
    tokens: usize,
}

fn sample(start: Instant, token_times: &[Instant], tokens: usize) -> Sample {
    let first = token_times[0];
    let last = *token_times.last().unwrap();
    let span = (last - first).as_secs_f64();
    Sample {
        ttft_ms: (first - start).as_secs_f64() * 1000.0,
        tokens_per_s: if span > 0.0 {
            (tokens.saturating_sub(1)) as f64 / span
        } else {
            0.0
        },
        tokens,
    }
}

fn planner(engine: &Engine, skills_dir: &std::path::Path) -> TurnPlanner {
    let (registry, _) = SkillRegistry::load_dir(skills_dir, engine.backbone()).unwrap();
    TurnPlanner {
        registry,
        manager: None,
        knowledge: None,
        default_skill: "chitchat".into(),
        persona_order: None,
    }
}

fn request(max_tokens: usize) -> TurnRequest {
    TurnRequest {
        messages: vec![ChatMessage::new("user", TURN)],
        skill: SkillChoice::Manual("chitchat".into()),
        persona: vec![],
        sampling: SamplingOverrides {
            temperature: Some(0.0),
            max_tokens: Some(max_tokens),
            ..Default::default()
        },
    }
}

/// The engine alone: plan the same turn, then time the generation.
fn engine_alone(engine: &Engine, planner: &TurnPlanner, max_tokens: usize) -> Sample {
    let start = Instant::now();
    let turn = planner.plan(engine, &request(max_tokens)).unwrap();
    let mut times = Vec::new();
    let mut tokens = 0;
    for ev in engine
        .generate_shared(turn.prompt.ids, turn.sampling, turn.adapter)
        .unwrap()
    {
        match ev.unwrap() {
            Event::Text { .. } => times.push(Instant::now()),
            Event::Done { usage, .. } => tokens = usage.completion_tokens,
        }
    }
    sample(start, &times, tokens)
}

/// The engine alone with `n` replies decoded together, one batched pass per token
/// (`Engine::step_batch`), as the server's engine thread does: per-stream samples and tokens/s
/// in all.
fn engine_batched(
    engine: &Engine,
    planner: &TurnPlanner,
    max_tokens: usize,
    n: usize,
) -> (Vec<Sample>, f64) {
    let start = Instant::now();
    let mut gens = Vec::new();
    for _ in 0..n {
        let turn = planner.plan(engine, &request(max_tokens)).unwrap();
        gens.push(Some(
            engine
                .generate_shared(turn.prompt.ids, turn.sampling, turn.adapter)
                .unwrap(),
        ));
    }
    let mut times = vec![Vec::new(); n];
    let mut tokens = vec![0; n];
    while gens.iter().any(Option::is_some) {
        let (ids, mut running): (Vec<usize>, Vec<&mut Generation<'_>>) = gens
            .iter_mut()
            .enumerate()
            .filter_map(|(i, g)| g.as_mut().map(|g| (i, g)))
            .unzip();
        let events = engine.step_batch(&mut running);
        drop(running);
        for (i, event) in ids.into_iter().zip(events) {
            match event {
                Some(Ok(Event::Text { .. })) => times[i].push(Instant::now()),
                Some(Ok(Event::Done { usage, .. })) => {
                    tokens[i] = usage.completion_tokens;
                    gens[i] = None;
                }
                Some(Err(e)) => panic!("{e}"),
                None => {}
            }
        }
    }
    let wall = start.elapsed().as_secs_f64();
    let samples = (0..n)
        .map(|i| sample(start, &times[i], tokens[i]))
        .collect();
    (samples, tokens.iter().sum::<usize>() as f64 / wall)
}

/// One request through the API, timed at the client.
async fn through_api(client: &reqwest::Client, url: &str, max_tokens: usize) -> Sample {
    let body = json!({"messages": [{"role": "user", "content": TURN}], "skill": "chitchat",
                      "temperature": 0, "max_tokens": max_tokens});
    let start = Instant::now();
    let res = client.post(url).json(&body).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let mut stream = res.bytes_stream();
    let mut buf = String::new();
    let mut times = Vec::new();
    let mut tokens = 0;
    while let Some(chunk) = stream.next().await {
        buf.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            if block.starts_with("event: token") {
                times.push(Instant::now());
            } else if block.starts_with("event: done") {
                let data = block
                    .lines()
                    .find_map(|l| l.strip_prefix("data: "))
                    .unwrap();
                let v: serde_json::Value = serde_json::from_str(data).unwrap();
                tokens = v["usage"]["completion_tokens"].as_u64().unwrap() as usize;
            } else if block.starts_with("event: error") {
                panic!("error event: {block}");
            }
        }
    }
    sample(start, &times, tokens)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let a = args();
    let engine = Arc::new(Engine::load(&a.model, &LoadOptions::default()).expect("model loads"));
    let direct_planner = Arc::new(planner(&engine, &a.skills_dir));
    let state = AppState::with_model(
        ServerConfig::default(),
        engine.clone(),
        planner(&engine, &a.skills_dir),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/chat", listener.local_addr().unwrap());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(adapterbot_server::serve(listener, state, async move {
        let _ = stop_rx.await;
    }));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .unwrap();

    // Warm-up: the first forward pass builds the repacked weights.
    let (e, p) = (engine.clone(), direct_planner.clone());
    tokio::task::spawn_blocking(move || engine_alone(&e, &p, 4))
        .await
        .unwrap();
    through_api(&client, &url, 4).await;

    // One client: engine and API alternate.
    let (mut eng, mut api) = (Vec::new(), Vec::new());
    for _ in 0..a.runs {
        let (e, p, n) = (engine.clone(), direct_planner.clone(), a.max_tokens);
        eng.push(
            tokio::task::spawn_blocking(move || engine_alone(&e, &p, n))
                .await
                .unwrap(),
        );
        api.push(through_api(&client, &url, a.max_tokens).await);
    }

    // Four clients at once (batched on the engine thread), alternating with four replies
    // batched on the engine alone.
    let mut per_stream = Vec::new();
    let mut aggregate = Vec::new();
    let (mut eng4, mut eng4_total) = (Vec::new(), Vec::new());
    for _ in 0..a.runs {
        let (e, p, n) = (engine.clone(), direct_planner.clone(), a.max_tokens);
        let (samples, total) = tokio::task::spawn_blocking(move || engine_batched(&e, &p, n, 4))
            .await
            .unwrap();
        eng4.extend(samples);
        eng4_total.push(total);
        let started = Instant::now();
        let samples =
            futures::future::join_all((0..4).map(|_| through_api(&client, &url, a.max_tokens)))
                .await;
        let wall = started.elapsed().as_secs_f64();
        aggregate.push(samples.iter().map(|s| s.tokens).sum::<usize>() as f64 / wall);
        per_stream.extend(samples);
    }
    let _ = stop_tx.send(());
    server.await.unwrap().unwrap();

    let ttft = |v: &[Sample]| median(v.iter().map(|s| s.ttft_ms).collect());
    let tps = |v: &[Sample]| median(v.iter().map(|s| s.tokens_per_s).collect());
    let (e_ttft, e_tps) = (ttft(&eng), tps(&eng));
    let (a_ttft, a_tps) = (ttft(&api), tps(&api));
    let (c_ttft, c_tps) = (ttft(&per_stream), tps(&per_stream));
    let agg = median(aggregate);
    let (e4_ttft, e4_tps, e4_total) = (ttft(&eng4), tps(&eng4), median(eng4_total));
    let threads = std::env::var("CANDLE_NUM_THREADS").unwrap_or_else(|_| "all".into());
    println!(
        "server bench: {} runs, {} tokens max (reply: {} tokens), model threads: {threads}",
        a.runs, a.max_tokens, eng[0].tokens
    );
    println!(
        "| path | TTFT ms (median) | tokens/s per stream (median) | × engine (TTFT / tok/s) |"
    );
    println!("|---|---|---|---|");
    println!("| engine alone | {e_ttft:.1} | {e_tps:.1} | 1.00 / 1.00 |");
    println!(
        "| API, 1 client | {a_ttft:.1} | {a_tps:.1} | {:.3} / {:.3} |",
        a_ttft / e_ttft,
        a_tps / e_tps
    );
    println!("| engine alone, 4 batched | {e4_ttft:.1} | {e4_tps:.1} | 1.00 / 1.00 (base for 4) |");
    println!(
        "| API, 4 clients | {c_ttft:.1} | {c_tps:.1} | {:.3} / {:.3} (vs 4 batched) |",
        c_ttft / e4_ttft,
        c_tps / e4_tps
    );
    println!(
        "4 streams, tokens/s in all: engine alone {e4_total:.1}, API {agg:.1} ({:.3}×); one stream on the engine alone: {e_tps:.1}",
        agg / e4_total
    );
    if a.json {
        println!(
            "{}",
            json!({
                "runs": a.runs, "max_tokens": a.max_tokens, "reply_tokens": eng[0].tokens,
                "engine": {"ttft_ms": e_ttft, "tokens_per_s": e_tps},
                "api_1": {"ttft_ms": a_ttft, "tokens_per_s": a_tps},
                "engine_4": {"ttft_ms": e4_ttft, "tokens_per_s_per_stream": e4_tps, "tokens_per_s_total": e4_total},
                "api_4": {"ttft_ms": c_ttft, "tokens_per_s_per_stream": c_tps, "tokens_per_s_total": agg},
            })
        );
    }
}
