//! The native and operational API over a real socket with the real model.

mod common;

use std::time::Duration;

use adapterbot_server::{AppState, ServerConfig};
use common::{client, metric, read_sse, start, start_full, start_with, user, SseEvent};
use serde_json::{json, Value};

fn chat(max_tokens: usize, skill: &str, text: &str) -> Value {
    json!({"messages": [user(text)], "skill": skill, "max_tokens": max_tokens, "temperature": 0})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_is_route_then_tokens_then_done_with_their_fields() {
    let s = start(ServerConfig::default()).await;
    let res = client()
        .post(s.at("/api/chat"))
        .header("x-request-id", "test-req-1")
        .json(&chat(8, "auto", "Hi! How are you today?"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    assert_eq!(
        res.headers()["x-request-id"],
        "test-req-1",
        "the caller's id comes back"
    );
    let events = read_sse(res).await;
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names.first(), Some(&"route"), "{names:?}");
    assert_eq!(names.last(), Some(&"done"), "{names:?}");
    assert!(
        names[1..names.len() - 1].iter().all(|n| *n == "token"),
        "{names:?}"
    );
    assert!(names.len() >= 3, "at least one token: {names:?}");

    let route = events[0].json();
    assert!(route["skill"].is_string());
    assert!(
        ["auto", "fallback"].contains(&route["source"].as_str().unwrap()),
        "{route}"
    );
    assert!(
        route["probabilities"].is_object() && route["knowledge"].is_array(),
        "{route}"
    );
    let text: String = events[1..events.len() - 1]
        .iter()
        .map(|e| e.json()["text"].as_str().unwrap().to_string())
        .collect();
    assert!(!text.trim().is_empty());

    let done = events.last().unwrap().json();
    assert!(
        ["stop", "length"].contains(&done["finish_reason"].as_str().unwrap()),
        "{done}"
    );
    let completion = done["usage"]["completion_tokens"].as_u64().unwrap();
    assert!((1..=8).contains(&completion), "{done}");
    assert!(
        done["usage"]["prompt_tokens"].as_u64().unwrap() > 5,
        "{done}"
    );
    assert!(done["timings"]["ttft_ms"].as_f64().unwrap() > 0.0, "{done}");
    assert!(
        done["timings"]["tokens_per_s"].as_f64().unwrap() >= 0.0,
        "{done}"
    );
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_skill_named_by_hand_answers_and_auto_goes_through_the_manager() {
    let s = start(ServerConfig::default()).await;
    let manual = client()
        .post(s.at("/api/chat"))
        .json(&chat(3, "empathetic", "I feel a bit down today."))
        .send()
        .await
        .unwrap();
    let route = read_sse(manual).await[0].json();
    assert_eq!(route["skill"], "empathetic", "{route}");
    assert_eq!(route["source"], "manual", "{route}");

    let skills: Value = client()
        .get(s.at("/api/skills"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = skills["skills"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    for id in ["chitchat", "empathetic", "knowledge", "persona"] {
        assert!(ids.contains(&id), "{skills}");
    }
    for s in skills["skills"].as_array().unwrap() {
        assert!(
            !s["title"].as_str().unwrap().is_empty()
                && !s["description"].as_str().unwrap().is_empty(),
            "{s}"
        );
    }

    let auto = client()
        .post(s.at("/api/chat"))
        .json(&chat(3, "auto", "What is the capital of Australia?"))
        .send()
        .await
        .unwrap();
    let route = read_sse(auto).await[0].json();
    // The shipped manager (models/manager, committed) decides: a probability for every skill,
    // summing to one, and the most likely skill answers.
    assert_eq!(
        skills["manager"], true,
        "the shipped manager did not load: {skills}"
    );
    assert_eq!(route["source"], "auto", "{route}");
    let probs = route["probabilities"].as_object().unwrap();
    for id in &ids {
        assert!(probs.contains_key(*id), "no probability for {id}: {route}");
    }
    let sum: f64 = probs.values().map(|p| p.as_f64().unwrap()).sum();
    assert!((sum - 1.0).abs() < 1e-3, "{route}");
    let best = probs
        .iter()
        .max_by(|a, b| a.1.as_f64().partial_cmp(&b.1.as_f64()).unwrap())
        .unwrap()
        .0;
    assert_eq!(route["skill"], best.as_str(), "{route}");
    assert_eq!(route["skill"], "knowledge", "{route}");
    s.shutdown().await;
}

/// The reply's text: the `token` events of a stream, joined.
fn reply_text(events: &[SseEvent]) -> String {
    events
        .iter()
        .filter(|e| e.event == "token")
        .map(|e| e.json()["text"].as_str().unwrap().to_string())
        .collect()
}

// With the knowledge index (scripts/test.sh builds it): a factual question goes to the knowledge
// skill by the manager's own choice, the passage that answers it reaches the client in the
// route event, and the reply uses it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_sends_a_capital_question_to_knowledge_with_the_passage_and_the_reply_names_it() {
    let s = start_full(ServerConfig::default()).await;
    let res = client()
        .post(s.at("/api/chat"))
        .json(&chat(40, "auto", "What is the capital of Australia?"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let events = read_sse(res).await;
    assert_eq!(events[0].event, "route", "{events:?}");
    let route = events[0].json();
    assert_eq!(route["skill"], "knowledge", "{route}");
    assert_eq!(route["source"], "auto", "{route}");
    let passages = route["knowledge"].as_array().unwrap();
    assert!(
        passages
            .iter()
            .any(|p| p["text"].as_str().unwrap().contains("Canberra")),
        "no retrieved passage names Canberra: {route}"
    );
    let reply = reply_text(&events);
    assert!(reply.contains("Canberra"), "the reply: {reply:?} ({route})");
    s.shutdown().await;
}

// A follow-up names neither the country nor the field on its own: retrieval carries them over
// from the turn before, says so in the route event, and the reply uses the right country's row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_up_is_retrieved_in_its_conversation() {
    let s = start_full(ServerConfig::default()).await;
    let body = json!({
        "messages": [
            user("What is the capital of Australia?"),
            {"role": "assistant", "content": "The capital of Australia is Canberra."},
            user("And what about Canada?"),
        ],
        "skill": "knowledge", "max_tokens": 40, "temperature": 0,
    });
    let events = read_sse(
        client()
            .post(s.at("/api/chat"))
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let route = events[0].json();
    let retrieval = &route["retrieval"];
    assert_eq!(
        retrieval["query"]["text"], "What is the capital of Canada?",
        "{route}"
    );
    assert_eq!(retrieval["query"]["rewritten"], true, "{route}");
    assert_eq!(retrieval["abstained"], false, "{route}");
    assert_eq!(
        route["knowledge"][0]["id"], "factbook/ca/capital",
        "{route}"
    );
    let reply = reply_text(&events);
    assert!(reply.contains("Ottawa"), "the reply: {reply:?} ({route})");
    s.shutdown().await;
}

// A question the sources cannot answer gets no passages and the skill's own "I don't know",
// not a reply made up from another country's rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_no_passage_answers_is_declined() {
    let s = start_full(ServerConfig::default()).await;
    let res = client()
        .post(s.at("/api/chat"))
        .json(&chat(40, "knowledge", "What is the capital of Wakanda?"))
        .send()
        .await
        .unwrap();
    let events = read_sse(res).await;
    let route = events[0].json();
    assert_eq!(route["retrieval"]["abstained"], true, "{route}");
    assert!(route["knowledge"].as_array().unwrap().is_empty(), "{route}");
    let reply = reply_text(&events);
    let settings: Value = serde_json::from_str(
        &std::fs::read_to_string(common::repo().join("models/skills/knowledge/skill.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        reply,
        settings["no_facts_reply"].as_str().unwrap(),
        "{events:?}"
    );
    let done = events.last().unwrap();
    assert_eq!(done.event, "done", "{events:?}");
    assert_eq!(done.json()["finish_reason"], "stop");
    assert!(done.json()["usage"]["completion_tokens"].as_u64().unwrap() > 0);
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_sends_bad_news_to_empathetic() {
    let s = start_full(ServerConfig::default()).await;
    let res = client()
        .post(s.at("/api/chat"))
        .json(&chat(4, "auto", "My grandmother passed away last week."))
        .send()
        .await
        .unwrap();
    let events = read_sse(res).await;
    let route = events[0].json();
    assert_eq!(route["skill"], "empathetic", "{route}");
    assert_eq!(route["source"], "auto", "{route}");
    assert!(
        route["knowledge"].as_array().unwrap().is_empty(),
        "the empathetic skill reads no passages: {route}"
    );
    assert!(!reply_text(&events).trim().is_empty(), "{events:?}");
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_false_gives_the_same_reply_as_one_json_answer() {
    let s = start(ServerConfig::default()).await;
    let body = chat(10, "chitchat", "Tell me about cats.");
    let streamed: String = read_sse(
        client()
            .post(s.at("/api/chat"))
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
    .iter()
    .filter(|e| e.event == "token")
    .map(|e| e.json()["text"].as_str().unwrap().to_string())
    .collect();
    let mut once = body.clone();
    once["stream"] = json!(false);
    let res = client()
        .post(s.at("/api/chat"))
        .json(&once)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["message"]["role"], "assistant");
    assert_eq!(
        v["message"]["content"],
        streamed.as_str(),
        "greedy: the same text either way"
    );
    assert_eq!(v["route"]["skill"], "chitchat");
    assert!(v["usage"]["completion_tokens"].as_u64().unwrap() <= 10);
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_ready_metrics_and_the_page() {
    let s = start(ServerConfig::default()).await;
    let c = client();
    assert_eq!(c.get(s.at("/health")).send().await.unwrap().status(), 200);
    let ready = c.get(s.at("/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let r = c
        .post(s.at("/api/chat"))
        .json(&chat(2, "persona", "Hello"))
        .send()
        .await
        .unwrap();
    read_sse(r).await;
    let page = c.get(s.at("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(
        page.headers().contains_key("x-request-id"),
        "every answer has a request id"
    );
    assert!(page.text().await.unwrap().contains("AdapterBot"));
    let missing = c.get(s.at("/no-such-file.js")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    let err: Value = missing.json().await.unwrap();
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("no-such-file.js"));

    let text = c
        .get(s.at("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        metric(
            &text,
            r#"adapterbot_http_requests_total{route="/api/chat",status="200"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            r#"adapterbot_skill_chosen_total{skill="persona",source="manual"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert!(
        metric(&text, "adapterbot_generated_tokens_total").unwrap() >= 1.0,
        "{text}"
    );
    assert_eq!(
        metric(&text, "adapterbot_active_generations"),
        Some(0.0),
        "{text}"
    );
    assert_eq!(metric(&text, "adapterbot_queue_depth"), Some(0.0), "{text}");
    assert!(
        text.contains("adapterbot_time_to_first_token_seconds_bucket"),
        "{text}"
    );
    assert!(
        text.contains("adapterbot_inter_token_latency_seconds_bucket"),
        "{text}"
    );
    // Every decoding step is a batched pass, counted with its size.
    assert!(
        metric(&text, "adapterbot_batch_size_count").unwrap() >= 1.0,
        "{text}"
    );
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn until_the_model_is_loaded_only_health_says_yes() {
    let s = start_with(AppState::new(ServerConfig::default())).await;
    let c = client();
    assert_eq!(c.get(s.at("/health")).send().await.unwrap().status(), 200);
    let ready = c.get(s.at("/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let chat = c
        .post(s.at("/api/chat"))
        .json(&chat(2, "auto", "Hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(chat.status(), 503);
    assert!(chat.headers().contains_key("retry-after"));
    let v: Value = chat.json().await.unwrap();
    assert_eq!(v["error"]["code"], "not_ready");
    s.state
        .set_model(common::engine(), common::planner())
        .unwrap();
    assert_eq!(c.get(s.at("/ready")).send().await.unwrap().status(), 200);
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_guard_the_api_but_not_health_or_the_page() {
    let s = start(ServerConfig {
        api_keys: vec!["sesame".into(), "other-key".into()],
        ..ServerConfig::default()
    })
    .await;
    let c = client();
    for path in ["/health", "/ready", "/", "/app.js"] {
        let status = c.get(s.at(path)).send().await.unwrap().status();
        assert!(
            status == 200 || (path == "/app.js" && status == 404),
            "{path}: {status}"
        );
    }
    for path in ["/api/skills", "/v1/models", "/metrics"] {
        let res = c.get(s.at(path)).send().await.unwrap();
        assert_eq!(res.status(), 401, "{path}");
        assert_eq!(res.headers()["www-authenticate"], "Bearer");
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["error"]["code"], "invalid_api_key", "{path}");
        let wrong = c.get(s.at(path)).bearer_auth("sesam").send().await.unwrap();
        assert_eq!(wrong.status(), 401, "{path}");
        let right = c
            .get(s.at(path))
            .bearer_auth("other-key")
            .send()
            .await
            .unwrap();
        assert_eq!(right.status(), 200, "{path}");
    }
    let chat = c
        .post(s.at("/api/chat"))
        .json(&chat(2, "auto", "Hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(chat.status(), 401);
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_only_for_the_listed_origins() {
    let s = start(ServerConfig {
        cors_origins: vec!["https://chat.example".into()],
        ..ServerConfig::default()
    })
    .await;
    let c = client();
    let preflight = |origin: &'static str| {
        c.request(reqwest::Method::OPTIONS, s.at("/api/chat"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,authorization",
            )
            .send()
    };
    let ok = preflight("https://chat.example").await.unwrap();
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://chat.example"
    );
    let other = preflight("https://evil.example").await.unwrap();
    assert!(!other.headers().contains_key("access-control-allow-origin"));
    s.shutdown().await;

    let plain = start(ServerConfig::default()).await;
    let res = client()
        .get(plain.at("/api/skills"))
        .header("origin", "https://chat.example")
        .send()
        .await
        .unwrap();
    assert!(!res.headers().contains_key("access-control-allow-origin"));
    tokio::time::timeout(Duration::from_secs(30), plain.shutdown())
        .await
        .unwrap();
}
