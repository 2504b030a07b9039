//! Property tests of the request decoders: whatever the body, decoding never panics, and gives
//! either a request that passes every check or a 4xx error with a message.

use adapterbot_engine::testing::fuzz::damaged;
use adapterbot_server::request::{native, openai, Limits};
use axum::http::{header::CONTENT_TYPE, HeaderMap, HeaderValue};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

const LIMITS: Limits = Limits {
    context_length: 8192,
};

fn headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h
}

/// Any JSON value, nested a little.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[a-z ]{0,12}".prop_map(Value::from),
        "\\PC{0,8}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Request-shaped objects: known field names with any values, so decoding gets past the
/// outer shape often.
fn request_like() -> impl Strategy<Value = Value> {
    let role = prop_oneof![
        Just("user".to_string()),
        Just("assistant".to_string()),
        Just("system".to_string()),
        Just("developer".to_string()),
        "[a-z]{0,6}",
    ];
    let message = (role, any_json(), "[a-zA-Z ?!]{0,20}", any::<bool>()).prop_map(
        |(role, other, text, plain)| {
            json!({"role": role, "content": if plain { Value::from(text) } else { other }})
        },
    );
    let field = prop_oneof![
        Just("model"),
        Just("skill"),
        Just("persona"),
        Just("temperature"),
        Just("top_p"),
        Just("top_k"),
        Just("max_tokens"),
        Just("seed"),
        Just("stop"),
        Just("stream"),
        Just("n"),
        Just("presence_penalty"),
        Just("stream_options"),
        Just("tools"),
        Just("repetition_penalty"),
        Just("max_completion_tokens"),
        Just("user"),
    ];
    (
        prop::collection::vec(message, 0..4),
        prop::collection::vec((field, any_json()), 0..5),
    )
        .prop_map(|(messages, fields)| {
            let mut m = Map::new();
            m.insert("messages".into(), Value::from(messages));
            for (k, v) in fields {
                m.insert(k.into(), v);
            }
            Value::Object(m)
        })
}

fn check_native(body: &[u8]) {
    match native::decode(&headers(), body, LIMITS) {
        Ok(c) => {
            assert!(!c.turn.messages.is_empty());
            assert_eq!(c.turn.messages.last().unwrap().role, "user");
            assert!(c
                .turn
                .sampling
                .max_tokens
                .is_none_or(|n| (1..8192).contains(&n)));
        }
        Err(e) => {
            assert!(e.status.is_client_error(), "{e}");
            assert!(!e.message.is_empty());
        }
    }
}

fn check_openai(body: &[u8]) {
    match openai::decode(&headers(), body, LIMITS) {
        Ok(c) => {
            assert!(!c.turn.messages.is_empty());
            assert!(c
                .turn
                .messages
                .iter()
                .all(|m| ["system", "user", "assistant"].contains(&m.role.as_str())));
            assert!(c
                .turn
                .sampling
                .temperature
                .is_none_or(|t| (0.0..=5.0).contains(&t)));
        }
        Err(e) => {
            assert!(e.status.is_client_error(), "{e}");
            assert!(!e.message.is_empty());
        }
    }
}

/// 512 cases per property, or `PROPTEST_CASES` (docs/server.md gives the million-case run).
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A valid request of each API, to damage.
const VALID_NATIVE: &str = r#"{"skill":"persona","persona":["I am a nurse."],"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi!"},{"role":"assistant","content":"Hello."},{"role":"user","content":"What do you do?"}],"temperature":0.7,"top_p":0.9,"max_tokens":32,"stop":["\n"],"stream":true,"seed":4}"#;
const VALID_OPENAI: &str = r#"{"model":"persona","persona":["I am a nurse."],"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi!"},{"role":"assistant","content":"Hello."},{"role":"user","content":"What do you do?"}],"temperature":0.7,"top_p":0.9,"max_tokens":32,"stop":["\n"],"stream":true,"stream_options":{"include_usage":true},"seed":4}"#;

proptest! {
    #![proptest_config(config())]

    #[test]
    fn damaged_valid_requests_are_valid_or_a_4xx(
        native in damaged(VALID_NATIVE.as_bytes(), VALID_NATIVE.len()),
        openai in damaged(VALID_OPENAI.as_bytes(), VALID_OPENAI.len()),
    ) {
        check_native(&native);
        check_openai(&openai);
    }

    #[test]
    fn raw_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..256)) {
        check_native(&body);
        check_openai(&body);
    }

    #[test]
    fn any_json_never_panics(v in any_json()) {
        let body = v.to_string();
        check_native(body.as_bytes());
        check_openai(body.as_bytes());
    }

    #[test]
    fn request_shaped_json_is_valid_or_a_4xx(v in request_like()) {
        let body = v.to_string();
        check_native(body.as_bytes());
        check_openai(body.as_bytes());
    }
}

#[test]
fn the_request_shaped_generator_reaches_valid_requests() {
    // Guard against a generator that only ever produces errors.
    assert!(native::decode(&headers(), VALID_NATIVE.as_bytes(), LIMITS).is_ok());
    assert!(openai::decode(&headers(), VALID_OPENAI.as_bytes(), LIMITS).is_ok());
    let v = json!({"messages": [{"role": "user", "content": "hi"}], "temperature": 0.5});
    assert!(native::decode(&headers(), v.to_string().as_bytes(), LIMITS).is_ok());
    assert!(openai::decode(&headers(), v.to_string().as_bytes(), LIMITS).is_ok());
}
