//! Tokens arrive one by one as they are generated, not in one lump at the end: seen through
//! `curl -N` (as a person would watch it) and through a raw byte stream.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use adapterbot_server::ServerConfig;
use common::{client, start, user, SseReader};
use serde_json::json;

fn body() -> String {
    json!({"messages": [user("Write a short poem about the sea.")], "max_tokens": 24,
           "temperature": 0, "skill": "chitchat"})
    .to_string()
}

/// Arrival times of the `token` events spread over the generation, several apart.
fn assert_spread(times: &[Instant], what: &str) {
    assert!(
        times.len() >= 8,
        "{what}: only {} token events",
        times.len()
    );
    let span = *times.last().unwrap() - times[0];
    let gaps = times
        .windows(2)
        .filter(|w| w[1] - w[0] >= Duration::from_millis(2))
        .count();
    assert!(
        span >= Duration::from_millis(50),
        "{what}: all tokens within {span:?}"
    );
    assert!(
        gaps >= times.len() / 2,
        "{what}: only {gaps} of {} tokens arrived apart",
        times.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_n_shows_tokens_arriving_one_by_one() {
    let s = start(ServerConfig::default()).await;
    let url = s.at("/api/chat");
    let times = tokio::task::spawn_blocking(move || {
        let mut child = Command::new("curl")
            .args([
                "-sN",
                "-H",
                "Content-Type: application/json",
                "-d",
                &body(),
                &url,
            ])
            .stdout(Stdio::piped())
            .spawn()
            .expect("curl is needed for this test: install it (scripts/test.sh does)");
        let mut times = Vec::new();
        let mut last_event = String::new();
        for line in BufReader::new(child.stdout.take().unwrap()).lines() {
            let line = line.unwrap();
            if let Some(name) = line.strip_prefix("event: ") {
                last_event = name.to_string();
                if name == "token" {
                    times.push(Instant::now());
                }
            }
        }
        assert!(child.wait().unwrap().success());
        assert_eq!(last_event, "done");
        times
    })
    .await
    .unwrap();
    assert_spread(&times, "curl -N");
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_token_is_its_own_chunk_on_the_wire() {
    let s = start(ServerConfig::default()).await;
    let res = client()
        .post(s.at("/api/chat"))
        .header("content-type", "application/json")
        .body(body())
        .send()
        .await
        .unwrap();
    let mut reader = SseReader::new(res);
    let mut times = Vec::new();
    while let Some(e) = reader.next().await {
        if e.event == "token" {
            times.push(e.at);
        }
    }
    assert_spread(&times, "byte stream");
    s.shutdown().await;
}
