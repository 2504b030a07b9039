//! Bad requests get a 4xx with a JSON error body that says what was wrong, before anything is
//! queued, and the server stays healthy.

mod common;

use adapterbot_server::ServerConfig;
use common::{client, read_sse, start, user};
use serde_json::{json, Value};

const MSG: &str = r#"[{"role":"user","content":"Hello"}]"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_bad_input_is_refused_by_name_and_the_server_carries_on() {
    let s = start(ServerConfig {
        body_limit: 64 * 1024,
        ..ServerConfig::default()
    })
    .await;
    let c = client();
    let long_turn = "word ".repeat(9000); // ~9000 tokens: more than the 8192-token context alone
    let too_long = json!({"messages": [user(&long_turn)], "max_tokens": 4}).to_string();
    let over_limit = json!({"messages": [user(&"x".repeat(70 * 1024))]}).to_string();
    // (path, content type, body, status, words the message must contain)
    let cases: Vec<(&str, &str, String, u16, &str)> = vec![
        (
            "/api/chat",
            "application/json",
            "{\"messages\": [".into(),
            400,
            "not valid JSON",
        ),
        (
            "/api/chat",
            "text/plain",
            format!("{{\"messages\":{MSG}}}"),
            415,
            "Content-Type: application/json",
        ),
        (
            "/api/chat",
            "",
            format!("{{\"messages\":{MSG}}}"),
            415,
            "application/json",
        ),
        (
            "/api/chat",
            "application/json",
            "{}".into(),
            400,
            "missing field `messages`",
        ),
        (
            "/api/chat",
            "application/json",
            r#"{"messages":[]}"#.into(),
            400,
            "no messages",
        ),
        (
            "/api/chat",
            "application/json",
            r#"{"messages":[{"role":"wizard","content":"hi"}]}"#.into(),
            400,
            "wizard",
        ),
        (
            "/api/chat",
            "application/json",
            r#"{"messages":[{"role":"user","content":{"text":"hi"}}]}"#.into(),
            400,
            "messages[0].content",
        ),
        (
            "/api/chat",
            "application/json",
            r#"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}]}"#
                .into(),
            400,
            "last message must come from the user",
        ),
        (
            "/api/chat",
            "application/json",
            format!("{{\"messages\":{MSG},\"skill\":\"astrology\"}}"),
            400,
            "unknown skill `astrology`",
        ),
        (
            "/api/chat",
            "application/json",
            format!("{{\"messages\":{MSG},\"temperature\":-1}}"),
            400,
            "temperature",
        ),
        (
            "/api/chat",
            "application/json",
            format!("{{\"messages\":{MSG},\"top_p\":1.5}}"),
            400,
            "top_p",
        ),
        (
            "/api/chat",
            "application/json",
            format!("{{\"messages\":{MSG},\"max_tokens\":0}}"),
            400,
            "max_tokens",
        ),
        (
            "/api/chat",
            "application/json",
            format!("{{\"messages\":{MSG},\"max_tokens\":100000}}"),
            400,
            "context",
        ),
        (
            "/api/chat",
            "application/json",
            format!("{{\"messages\":{MSG},\"repetition_penalty\":0.1}}"),
            400,
            "repetition_penalty",
        ),
        (
            "/api/chat",
            "application/json",
            format!("{{\"messages\":{MSG},\"stop\":[\"\"]}}"),
            400,
            "stop",
        ),
        (
            "/api/chat",
            "application/json",
            over_limit.clone(),
            413,
            "limit of 65536 bytes",
        ),
        (
            "/api/chat",
            "application/json",
            too_long.clone(),
            400,
            "shorten it",
        ),
        (
            "/v1/chat/completions",
            "application/json",
            "nope".into(),
            400,
            "not valid JSON",
        ),
        (
            "/v1/chat/completions",
            "application/json",
            format!("{{\"model\":\"gpt-4\",\"messages\":{MSG}}}"),
            404,
            "`gpt-4` does not exist",
        ),
        (
            "/v1/chat/completions",
            "application/json",
            format!("{{\"model\":\"auto\",\"messages\":{MSG},\"temperature\":7}}"),
            400,
            "temperature",
        ),
        (
            "/v1/chat/completions",
            "application/json",
            r#"{"model":"auto","messages":[{"role":"user","content":42}]}"#.into(),
            400,
            "messages[0].content",
        ),
        (
            "/v1/chat/completions",
            "application/json",
            format!("{{\"model\":\"auto\",\"messages\":{MSG},\"n\":3}}"),
            400,
            "n = 1",
        ),
        (
            "/v1/chat/completions",
            "application/json",
            over_limit,
            413,
            "limit",
        ),
        (
            "/v1/chat/completions",
            "application/json",
            too_long.replace("\"max_tokens\"", "\"model\":\"auto\",\"max_tokens\""),
            400,
            "shorten it",
        ),
    ];
    for (path, ctype, body, status, words) in cases {
        let mut req = c.post(s.at(path)).body(body.clone());
        if !ctype.is_empty() {
            req = req.header("content-type", ctype);
        }
        let res = req.send().await.unwrap();
        let what = format!("{path} {ctype} {}", &body[..body.len().min(80)]);
        assert_eq!(res.status().as_u16(), status, "{what}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{what}"
        );
        let v: Value = res.json().await.unwrap();
        let message = v["error"]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: {v}"));
        assert!(message.contains(words), "{what}: {message}");
        assert!(
            v["error"]["type"].is_string() && v["error"]["code"].is_string(),
            "{what}: {v}"
        );
    }

    let get = c.get(s.at("/api/chat")).send().await.unwrap();
    assert_eq!(get.status(), 405);
    let v: Value = get.json().await.unwrap();
    assert!(
        v["error"]["message"].as_str().unwrap().contains("GET"),
        "{v}"
    );

    // Still healthy: a good request streams a reply, and nothing was left running.
    assert_eq!(c.get(s.at("/health")).send().await.unwrap().status(), 200);
    let ok = c
        .post(s.at("/api/chat"))
        .json(&json!({"messages": [user("Hello")], "max_tokens": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(read_sse(ok).await.last().unwrap().event, "done");
    let m = s.metrics().await;
    assert_eq!(
        common::metric(&m, "adapterbot_active_generations"),
        Some(0.0)
    );
    assert_eq!(common::metric(&m, "adapterbot_queue_depth"), Some(0.0));
    s.shutdown().await;
}
