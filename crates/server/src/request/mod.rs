//! Turning a request body into a checked [`TurnRequest`] — pure functions, no I/O, so they can be
//! fuzzed: any input gives either a valid request or a 4xx error that names the problem, and
//! nothing here may panic. Everything a client can get wrong is caught here, before the request
//! takes a place in the queue; only the prompt's length needs the tokenizer and is checked when
//! the turn is planned.

pub mod native;
pub mod openai;

use adapterbot_engine::SamplingParams;
use adapterbot_skills::{validate_messages, PromptError, TurnRequest};
use axum::http::{header::CONTENT_TYPE, HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserializer;

use crate::error::ApiError;

/// Longest stop list, and longest stop string, a request may send.
pub const MAX_STOP_STRINGS: usize = 8;
pub const MAX_STOP_CHARS: usize = 200;
/// Most persona facts in one request.
pub const MAX_PERSONA_FACTS: usize = 32;

/// What decoding needs to know about the loaded model.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The model's context, in tokens: `max_tokens` must leave room for a prompt.
    pub context_length: usize,
}

/// Requires `Content-Type: application/json` (parameters such as `charset` allowed).
pub fn check_json_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let value = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = value.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/json") {
        return Ok(());
    }
    let got = if value.is_empty() {
        "none".to_string()
    } else {
        format!("`{value}`")
    };
    Err(ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        format!("send the body as JSON with `Content-Type: application/json` (got {got})"),
    ))
}

/// Parses JSON, naming the place of a wrong field (`messages[0].content: invalid type …`).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "invalid_json",
            "the body is empty; send a JSON object",
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::bad_request(
                "invalid_json",
                format!("the body is not valid JSON: {inner}"),
            )
        } else if path == "." {
            ApiError::bad_request("invalid_request", inner.to_string())
        } else {
            ApiError::bad_request("invalid_request", format!("{path}: {inner}")).with_param(path)
        }
    })?;
    de.end().map_err(|e| {
        ApiError::bad_request("invalid_json", format!("the body is not valid JSON: {e}"))
    })?;
    Ok(value)
}

/// Checks what can be checked without the tokenizer: the conversation's shape and the sampling
/// values (by the engine's own rules, so the two can never disagree).
pub fn validate_turn(turn: &TurnRequest, limits: Limits) -> Result<(), ApiError> {
    validate_messages(&turn.messages).map_err(|e| {
        let code = match e {
            PromptError::Empty => "missing_messages",
            _ => "invalid_messages",
        };
        ApiError::bad_request(code, e.to_string()).with_param("messages")
    })?;
    let o = &turn.sampling;
    let base = SamplingParams::default();
    let params = SamplingParams {
        temperature: o.temperature.unwrap_or(base.temperature),
        top_k: o.top_k.unwrap_or(base.top_k),
        top_p: o.top_p.unwrap_or(base.top_p),
        repetition_penalty: o.repetition_penalty.unwrap_or(base.repetition_penalty),
        seed: o.seed.unwrap_or(base.seed),
        max_tokens: o.max_tokens.unwrap_or(base.max_tokens),
        stop: o.stop.clone().unwrap_or_default(),
    };
    params.validate().map_err(|e| {
        let message = e.to_string();
        let param = [
            "temperature",
            "top_p",
            "repetition_penalty",
            "max_tokens",
            "stop",
        ]
        .into_iter()
        .find(|p| message.contains(p));
        let err = ApiError::bad_request("invalid_sampling", message);
        match param {
            Some(p) => err.with_param(p),
            None => err,
        }
    })?;
    if let Some(n) = o.max_tokens {
        if n >= limits.context_length {
            return Err(ApiError::bad_request(
                "invalid_sampling",
                format!(
                    "max_tokens must be below the model's context of {} tokens, got {n}",
                    limits.context_length
                ),
            )
            .with_param("max_tokens"));
        }
    }
    if let Some(stop) = &o.stop {
        if stop.len() > MAX_STOP_STRINGS || stop.iter().any(|s| s.chars().count() > MAX_STOP_CHARS)
        {
            return Err(ApiError::bad_request(
                "invalid_sampling",
                format!("stop takes at most {MAX_STOP_STRINGS} strings of at most {MAX_STOP_CHARS} characters"),
            )
            .with_param("stop"));
        }
    }
    if turn.persona.len() > MAX_PERSONA_FACTS {
        return Err(ApiError::bad_request(
            "invalid_request",
            format!(
                "persona takes at most {MAX_PERSONA_FACTS} facts, got {}",
                turn.persona.len()
            ),
        )
        .with_param("persona"));
    }
    Ok(())
}

/// A request's persona facts (absent = none), cleaned as every turn's are.
pub fn clean_persona(facts: Option<Vec<String>>) -> Vec<String> {
    adapterbot_skills::clean_persona(facts.iter().flatten().map(String::as_str))
}

/// Accepts `"text"`, `["a", "b"]` or `null` (as OpenAI's `stop` does).
pub fn string_or_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Option<Vec<String>>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a string or a list of strings")
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
            Ok(Some(vec![s.to_string()]))
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(s) = seq.next_element::<String>()? {
                out.push(s);
            }
            Ok(Some(out))
        }
    }
    d.deserialize_any(V)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn content_type_must_be_json_with_any_parameters() {
        let mut h = HeaderMap::new();
        assert_eq!(check_json_content_type(&h).unwrap_err().status, 415);
        h.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        let e = check_json_content_type(&h).unwrap_err();
        assert!(e.message.contains("text/plain"), "{}", e.message);
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("Application/JSON; charset=utf-8"),
        );
        assert!(check_json_content_type(&h).is_ok());
    }

    #[test]
    fn json_errors_say_where() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct T {
            a: Vec<String>,
        }
        let e = parse_json::<T>(br#"{"a": ["x", 5]}"#).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("a[1]"));
        assert!(e.message.starts_with("a[1]: invalid type"), "{}", e.message);
        assert_eq!(
            parse_json::<T>(b"{\"a\": [").unwrap_err().code,
            "invalid_json"
        );
        assert_eq!(parse_json::<T>(b"  ").unwrap_err().code, "invalid_json");
        assert_eq!(
            parse_json::<T>(b"{\"a\":[]} x").unwrap_err().code,
            "invalid_json"
        );
        let e = parse_json::<T>(b"{}").unwrap_err();
        assert!(e.message.contains("missing field `a`"), "{}", e.message);
    }
}
