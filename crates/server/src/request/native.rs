//! `POST /api/chat` bodies. Strict: an unknown field is refused by name, so a typo such as
//! `temprature` is not silently ignored.

use adapterbot_engine::ChatMessage;
use adapterbot_skills::turn::SamplingOverrides;
use adapterbot_skills::{registry::validate_id, SkillChoice, TurnRequest};
use axum::http::HeaderMap;
use serde::Deserialize;

use super::{
    check_json_content_type, clean_persona, parse_json, string_or_list, validate_turn, Limits,
};
use crate::error::ApiError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    messages: Vec<Message>,
    #[serde(default)]
    skill: Option<String>,
    #[serde(default, deserialize_with = "string_or_list")]
    persona: Option<Vec<String>>,
    #[serde(default)]
    temperature: Option<f64>,
    #[serde(default)]
    top_p: Option<f64>,
    #[serde(default)]
    top_k: Option<usize>,
    #[serde(default)]
    repetition_penalty: Option<f32>,
    #[serde(default)]
    max_tokens: Option<usize>,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default, deserialize_with = "string_or_list")]
    stop: Option<Vec<String>>,
    /// `false` asks for one JSON answer instead of an event stream.
    #[serde(default)]
    stream: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Message {
    role: String,
    content: String,
}

/// A checked native chat request.
#[derive(Debug, Clone)]
pub struct NativeChat {
    pub turn: TurnRequest,
    pub stream: bool,
}

/// Decodes and checks a `/api/chat` request (everything but whether the skill exists).
pub fn decode(headers: &HeaderMap, body: &[u8], limits: Limits) -> Result<NativeChat, ApiError> {
    check_json_content_type(headers)?;
    let b: Body = parse_json(body)?;
    let skill = SkillChoice::parse(b.skill.as_deref());
    if let SkillChoice::Manual(id) = &skill {
        validate_id(id).map_err(|e| {
            ApiError::bad_request("unknown_skill", format!("{e}; or use \"auto\""))
                .with_param("skill")
        })?;
    }
    let turn = TurnRequest {
        messages: b
            .messages
            .into_iter()
            .map(|m| ChatMessage::new(m.role, m.content))
            .collect(),
        skill,
        persona: clean_persona(b.persona),
        sampling: SamplingOverrides {
            temperature: b.temperature,
            top_p: b.top_p,
            top_k: b.top_k,
            repetition_penalty: b.repetition_penalty,
            max_tokens: b.max_tokens,
            seed: b.seed,
            stop: b.stop,
        },
    };
    validate_turn(&turn, limits)?;
    Ok(NativeChat {
        turn,
        stream: b.stream.unwrap_or(true),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{header::CONTENT_TYPE, HeaderValue};

    fn json() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        h
    }

    const LIMITS: Limits = Limits {
        context_length: 8192,
    };

    fn err(body: &str) -> ApiError {
        decode(&json(), body.as_bytes(), LIMITS).unwrap_err()
    }

    #[test]
    fn a_full_request_decodes() {
        let c = decode(
            &json(),
            br#"{"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}],
                "skill":"persona","persona":"I am a pirate.","temperature":0.5,"top_p":0.9,
                "top_k":40,"max_tokens":16,"seed":7,"stop":["\n\n"],"stream":false}"#,
            LIMITS,
        )
        .unwrap();
        assert!(!c.stream);
        assert_eq!(c.turn.skill, SkillChoice::Manual("persona".into()));
        assert_eq!(c.turn.persona, ["I am a pirate."]);
        assert_eq!(c.turn.sampling.max_tokens, Some(16));
        assert_eq!(
            c.turn.sampling.stop.as_deref(),
            Some(&["\n\n".to_string()][..])
        );
        let auto = decode(
            &json(),
            br#"{"messages":[{"role":"user","content":"hi"}]}"#,
            LIMITS,
        );
        let auto = auto.unwrap();
        assert!(auto.stream);
        assert_eq!(auto.turn.skill, SkillChoice::Auto);
    }

    #[test]
    fn each_mistake_is_named() {
        let cases = [
            (r#"{"messages":[]}"#, "missing_messages", "no messages"),
            (r#"{}"#, "invalid_request", "missing field `messages`"),
            (
                r#"{"messages":[{"role":"robot","content":"x"}]}"#,
                "invalid_messages",
                "robot",
            ),
            (
                r#"{"messages":[{"role":"user","content":5}]}"#,
                "invalid_request",
                "messages[0].content",
            ),
            (
                r#"{"messages":[{"role":"user","content":"  "}]}"#,
                "invalid_messages",
                "empty",
            ),
            (
                r#"{"messages":[{"role":"user","content":"x"}],"temprature":1}"#,
                "invalid_request",
                "unknown field `temprature`",
            ),
            (
                r#"{"messages":[{"role":"user","content":"x"}],"temperature":9}"#,
                "invalid_sampling",
                "temperature",
            ),
            (
                r#"{"messages":[{"role":"user","content":"x"}],"top_p":0}"#,
                "invalid_sampling",
                "top_p",
            ),
            (
                r#"{"messages":[{"role":"user","content":"x"}],"max_tokens":0}"#,
                "invalid_sampling",
                "max_tokens",
            ),
            (
                r#"{"messages":[{"role":"user","content":"x"}],"max_tokens":9000}"#,
                "invalid_sampling",
                "context",
            ),
            (
                r#"{"messages":[{"role":"user","content":"x"}],"top_k":-1}"#,
                "invalid_request",
                "top_k",
            ),
            (
                r#"{"messages":[{"role":"user","content":"x"}],"skill":"../etc"}"#,
                "unknown_skill",
                "invalid skill id",
            ),
            (
                r#"{"messages":[{"role":"user","content":"x"}],"stop":[1]}"#,
                "invalid_request",
                "stop",
            ),
            (
                r#"{"messages":[{"role":"user","content":"x"}],"persona":{"a":1}}"#,
                "invalid_request",
                "a string or a list",
            ),
            (r#"[1,2]"#, "invalid_request", "invalid type"),
            (r#"{"messages":"#, "invalid_json", "not valid JSON"),
        ];
        for (body, code, words) in cases {
            let e = err(body);
            assert_eq!(e.status, 400, "{body}: {e}");
            assert_eq!(e.code, code, "{body}: {e}");
            assert!(e.message.contains(words), "{body}: {}", e.message);
        }
        let e = decode(&HeaderMap::new(), b"{}", LIMITS).unwrap_err();
        assert_eq!(e.status, 415);
    }
}
