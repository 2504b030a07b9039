//! Admission control, disconnects and graceful shutdown, with the real model.

mod common;

use std::time::{Duration, Instant};

use adapterbot_server::{AppState, ServerConfig};
use common::{
    client, eventually, metric, read_sse, start, start_with, user, SseReader, TestServer,
};
use serde_json::{json, Value};

fn long_reply(max_tokens: usize) -> Value {
    // Greedy and `stop`-free, so the reply runs to max_tokens unless the model ends its turn.
    json!({"messages": [user("Write a long story about a dragon who learns to cook.")],
           "max_tokens": max_tokens, "temperature": 0, "skill": "chitchat"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_slots_and_the_queue_requests_get_429_at_once_and_the_rest_complete() {
    let s = start(ServerConfig {
        max_concurrent: 1,
        queue: 1,
        ..ServerConfig::default()
    })
    .await;
    let c = client();
    let fire = |i: usize| {
        let c = c.clone();
        let url = s.at("/api/chat");
        async move {
            let sent = Instant::now();
            let res = c.post(url).json(&long_reply(24)).send().await.unwrap();
            let status = res.status().as_u16();
            let head_after = sent.elapsed();
            let retry = res
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
            let body = if status == 200 {
                read_sse(res)
                    .await
                    .last()
                    .map(|e| e.event.clone())
                    .unwrap_or_default()
            } else {
                res.json::<Value>().await.unwrap()["error"]["code"].to_string()
            };
            (i, status, head_after, retry, body)
        }
    };
    let results = futures::future::join_all((0..6).map(fire)).await;
    let admitted: Vec<_> = results.iter().filter(|r| r.1 == 200).collect();
    let refused: Vec<_> = results.iter().filter(|r| r.1 == 429).collect();
    assert_eq!(admitted.len() + refused.len(), 6, "{results:?}");
    assert_eq!(admitted.len(), 2, "one slot + one queue place: {results:?}");
    for r in &admitted {
        assert_eq!(r.4, "done", "admitted requests complete: {r:?}");
    }
    for r in &refused {
        let secs: u64 = r.3.as_deref().expect("Retry-After").parse().unwrap();
        assert!(secs >= 1, "{r:?}");
        assert_eq!(r.4, "\"overloaded\"", "{r:?}");
        assert!(
            r.2 < Duration::from_secs(2),
            "429 must come at once, took {:?}",
            r.2
        );
    }
    let m = s.metrics().await;
    assert_eq!(
        metric(
            &m,
            r#"adapterbot_rejected_requests_total{reason="overloaded"}"#
        ),
        Some(4.0),
        "{m}"
    );
    // Capacity is back: a new request is served.
    let again = c
        .post(s.at("/api/chat"))
        .json(&long_reply(2))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(read_sse(again).await.last().unwrap().event, "done");
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_drops_mid_stream_frees_its_slot_and_the_engine_moves_on() {
    let s = start(ServerConfig {
        max_concurrent: 1,
        queue: 0,
        ..ServerConfig::default()
    })
    .await;
    let c = client();
    let res = c
        .post(s.at("/api/chat"))
        .json(&long_reply(2000))
        .send()
        .await
        .unwrap();
    let mut reader = SseReader::new(res);
    let mut tokens = 0;
    while tokens < 3 {
        let e = reader.next().await.expect("the stream goes on");
        tokens += usize::from(e.event == "token");
    }
    let m = s.metrics().await;
    assert_eq!(
        metric(&m, "adapterbot_active_generations"),
        Some(1.0),
        "{m}"
    );
    // The only slot is taken: another request is refused.
    let busy = c
        .post(s.at("/api/chat"))
        .json(&long_reply(2))
        .send()
        .await
        .unwrap();
    assert_eq!(busy.status(), 429);

    drop(reader); // the client goes away mid-stream
    eventually(
        "the active-generations gauge is back to 0",
        Duration::from_secs(10),
        async || metric(&s.metrics().await, "adapterbot_active_generations") == Some(0.0),
    )
    .await;
    let m = s.metrics().await;
    assert_eq!(
        metric(&m, r#"adapterbot_generations_total{outcome="cancelled"}"#),
        Some(1.0),
        "{m}"
    );
    let generated = metric(&m, "adapterbot_generated_tokens_total").unwrap();
    assert!(
        generated < 200.0,
        "the generation stopped early ({generated} tokens)"
    );

    let next = c
        .post(s.at("/api/chat"))
        .json(&long_reply(3))
        .send()
        .await
        .unwrap();
    assert_eq!(next.status(), 200, "the slot was freed");
    assert_eq!(read_sse(next).await.last().unwrap().event, "done");
    s.shutdown().await;
}

/// A server whose `chitchat` skill answers with the backbone alone: every trained adapter ends
/// its turn within a few dozen tokens, so a stream that must outlast a signal needs the backbone,
/// which writes a long story on for hundreds of tokens.
async fn start_with_untrained_chitchat(config: ServerConfig) -> TestServer {
    let mut planner = common::planner();
    let mut chitchat = planner
        .registry
        .remove("chitchat")
        .expect("the shipped chitchat skill");
    chitchat.adapter = None;
    planner.registry.add(chitchat);
    start_with(AppState::with_model(config, common::engine(), planner).unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_a_long_stream_with_an_error_event_after_the_grace_period() {
    let mut s = start_with_untrained_chitchat(ServerConfig {
        shutdown_grace: Duration::from_millis(300),
        ..ServerConfig::default()
    })
    .await;
    let res = client()
        .post(s.at("/api/chat"))
        .json(&long_reply(2000))
        .send()
        .await
        .unwrap();
    let mut reader = SseReader::new(res);
    assert_eq!(reader.next().await.unwrap().event, "route");
    assert_eq!(reader.next().await.unwrap().event, "token");
    let stopping = Instant::now();
    s.begin_shutdown();
    let mut last = None;
    while let Some(e) = reader.next().await {
        last = Some(e);
    }
    let last = last.expect("events after the signal");
    assert_eq!(last.event, "error", "{last:?}");
    assert_eq!(last.json()["code"], "shutting_down", "{last:?}");
    assert!(
        stopping.elapsed() < Duration::from_secs(10),
        "ended after the grace period"
    );
    s.join().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_a_short_stream_finish_and_refuses_new_requests() {
    let mut s = start(ServerConfig {
        shutdown_grace: Duration::from_secs(30),
        ..ServerConfig::default()
    })
    .await;
    let c = client();
    let res = c
        .post(s.at("/api/chat"))
        .json(&long_reply(16))
        .send()
        .await
        .unwrap();
    let mut reader = SseReader::new(res);
    assert_eq!(reader.next().await.unwrap().event, "route");
    let url = s.at("/ready");
    s.begin_shutdown();
    // Not ready any more (or no longer listening at all).
    eventually(
        "the server says it is not ready",
        Duration::from_secs(5),
        async || match c.get(&url).send().await {
            Ok(r) => r.status() == 503,
            Err(_) => true,
        },
    )
    .await;
    let mut last = None;
    while let Some(e) = reader.next().await {
        last = Some(e);
    }
    assert_eq!(last.unwrap().event, "done", "the stream in flight finished");
    s.join().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_api_key_cannot_take_every_slot_past_its_share() {
    let s = start_with_untrained_chitchat(ServerConfig {
        max_concurrent: 2,
        queue: 2,
        api_keys: vec!["key-a".into(), "key-b".into()],
        max_concurrent_per_key: Some(1),
        ..ServerConfig::default()
    })
    .await;
    let c = client();
    let send = |key: &'static str, body: Value| {
        c.post(s.at("/api/chat"))
            .bearer_auth(key)
            .json(&body)
            .send()
    };
    // Key a holds its one share with a long stream.
    let mut a_stream = SseReader::new(send("key-a", long_reply(2000)).await.unwrap());
    let first = a_stream.next().await.expect("key a's stream starts");
    assert_eq!(first.event, "route");

    // Its second request is refused at once, naming the limit, though slots are free...
    let refused = send("key-a", long_reply(2)).await.unwrap();
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "key_limit", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("--max-concurrent-per-key 1"), "{message}");
    // ...on the OpenAI API too...
    let refused = c
        .post(s.at("/v1/chat/completions"))
        .bearer_auth("key-a")
        .json(&json!({"model": "chitchat", "messages": [user("Hi")], "max_tokens": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 429);
    // ...while key b is served beside it.
    let b = send("key-b", long_reply(3)).await.unwrap();
    assert_eq!(b.status(), 200);
    assert_eq!(read_sse(b).await.last().unwrap().event, "done");
    let m = s.metrics().await;
    assert_eq!(
        metric(
            &m,
            r#"adapterbot_rejected_requests_total{reason="key_limit"}"#
        ),
        Some(2.0),
        "{m}"
    );

    // Once key a's stream ends (its client goes away), its share is back.
    drop(a_stream);
    eventually(
        "key a is served again",
        Duration::from_secs(10),
        async || send("key-a", long_reply(2)).await.unwrap().status() == 200,
    )
    .await;
    s.shutdown().await;
}
