//! `POST /v1/chat/completions` bodies. Lenient where OpenAI clients send fields we can honour or
//! safely ignore (`user`, `metadata`, `store`, unknown new fields), and a clear 400 where a field
//! asks for something we cannot do (`n` > 1, penalties, tools, logprobs, JSON mode, images).

use std::collections::BTreeMap;

use adapterbot_engine::ChatMessage;
use adapterbot_skills::turn::SamplingOverrides;
use adapterbot_skills::{registry::validate_id, SkillChoice, TurnRequest};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::Value;

use super::{
    check_json_content_type, clean_persona, parse_json, string_or_list, validate_turn, Limits,
};
use crate::error::ApiError;

#[derive(Debug, Deserialize)]
struct Body {
    #[serde(default)]
    model: Option<String>,
    messages: Vec<Message>,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(default)]
    stream_options: Option<StreamOptions>,
    #[serde(default)]
    temperature: Option<f64>,
    #[serde(default)]
    top_p: Option<f64>,
    #[serde(default)]
    max_tokens: Option<usize>,
    #[serde(default)]
    max_completion_tokens: Option<usize>,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default, deserialize_with = "string_or_list")]
    stop: Option<Vec<String>>,
    // Extensions beyond OpenAI's fields.
    #[serde(default)]
    top_k: Option<usize>,
    #[serde(default)]
    repetition_penalty: Option<f32>,
    #[serde(default, deserialize_with = "string_or_list")]
    persona: Option<Vec<String>>,
    // Fields we accept only at their default value.
    #[serde(default)]
    n: Option<u64>,
    #[serde(default)]
    presence_penalty: Option<f64>,
    #[serde(default)]
    frequency_penalty: Option<f64>,
    #[serde(default)]
    logprobs: Option<bool>,
    #[serde(default)]
    top_logprobs: Option<u64>,
    #[serde(default)]
    logit_bias: Option<BTreeMap<String, Value>>,
    #[serde(default)]
    tools: Option<Vec<Value>>,
    #[serde(default)]
    functions: Option<Vec<Value>>,
    #[serde(default)]
    response_format: Option<Value>,
    #[serde(default)]
    modalities: Option<Vec<String>>,
    /// Everything else (`user`, `metadata`, `store`, `tool_choice` …) is ignored.
    #[serde(flatten)]
    other: BTreeMap<String, Value>,
}

#[derive(Debug, Deserialize)]
struct StreamOptions {
    #[serde(default)]
    include_usage: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct Message {
    role: String,
    #[serde(default)]
    content: Value,
    #[serde(default)]
    tool_calls: Option<Value>,
}

/// A checked OpenAI chat request.
#[derive(Debug, Clone)]
pub struct OpenAiChat {
    pub turn: TurnRequest,
    /// As the client named it: `auto` or a skill id.
    pub model: String,
    pub stream: bool,
    pub include_usage: bool,
}

pub fn decode(headers: &HeaderMap, body: &[u8], limits: Limits) -> Result<OpenAiChat, ApiError> {
    check_json_content_type(headers)?;
    let b: Body = parse_json(body)?;
    refuse_unsupported(&b)?;
    if !b.other.is_empty() {
        tracing::debug!(fields = ?b.other.keys().collect::<Vec<_>>(), "ignored request fields");
    }
    let model = b.model.unwrap_or_else(|| "auto".to_string());
    let skill = SkillChoice::parse(Some(&model));
    if let SkillChoice::Manual(id) = &skill {
        validate_id(id).map_err(|_| model_not_found(id))?;
    }
    let messages = b
        .messages
        .into_iter()
        .enumerate()
        .map(|(i, m)| message(i, m))
        .collect::<Result<Vec<_>, _>>()?;
    let turn = TurnRequest {
        messages,
        skill,
        persona: clean_persona(b.persona),
        sampling: SamplingOverrides {
            temperature: b.temperature,
            top_p: b.top_p,
            top_k: b.top_k,
            repetition_penalty: b.repetition_penalty,
            max_tokens: b.max_completion_tokens.or(b.max_tokens),
            seed: b.seed,
            stop: b.stop,
        },
    };
    validate_turn(&turn, limits)?;
    Ok(OpenAiChat {
        turn,
        model,
        stream: b.stream.unwrap_or(false),
        include_usage: b
            .stream_options
            .and_then(|o| o.include_usage)
            .unwrap_or(false),
    })
}

/// 404 in OpenAI's words, for a model that is not `auto` or a loaded skill.
pub fn model_not_found(model: &str) -> ApiError {
    ApiError::not_found(
        "model_not_found",
        format!(
            "the model `{model}` does not exist; use \"auto\" or a skill id from GET /v1/models"
        ),
    )
    .with_param("model")
}

fn unsupported(param: &str, message: &str) -> ApiError {
    ApiError::bad_request("unsupported_parameter", format!("{param}: {message}")).with_param(param)
}

fn refuse_unsupported(b: &Body) -> Result<(), ApiError> {
    if b.n.is_some_and(|n| n != 1) {
        return Err(unsupported(
            "n",
            "only one choice per request (n = 1) is supported",
        ));
    }
    for (name, v) in [
        ("presence_penalty", b.presence_penalty),
        ("frequency_penalty", b.frequency_penalty),
    ] {
        if v.is_some_and(|v| v != 0.0) {
            return Err(unsupported(
                name,
                "only 0 is supported; use repetition_penalty (1 to 10) instead",
            ));
        }
    }
    if b.logprobs == Some(true) || b.top_logprobs.is_some_and(|n| n > 0) {
        return Err(unsupported(
            "logprobs",
            "log probabilities are not returned",
        ));
    }
    if b.logit_bias.as_ref().is_some_and(|m| !m.is_empty()) {
        return Err(unsupported("logit_bias", "not supported"));
    }
    if b.tools.as_ref().is_some_and(|t| !t.is_empty()) {
        return Err(unsupported("tools", "tool calling is not supported"));
    }
    if b.functions.as_ref().is_some_and(|t| !t.is_empty()) {
        return Err(unsupported(
            "functions",
            "function calling is not supported",
        ));
    }
    if let Some(f) = &b.response_format {
        if f.get("type").and_then(Value::as_str) != Some("text") {
            return Err(unsupported(
                "response_format",
                "only {\"type\": \"text\"} is supported",
            ));
        }
    }
    if let Some(m) = &b.modalities {
        if m.iter().any(|m| m != "text") {
            return Err(unsupported("modalities", "only text is supported"));
        }
    }
    Ok(())
}

/// One message: `developer` counts as `system`; content may be a string or text parts.
fn message(i: usize, m: Message) -> Result<ChatMessage, ApiError> {
    let param = format!("messages[{i}]");
    let role = match m.role.as_str() {
        "developer" => "system",
        "tool" | "function" => {
            return Err(ApiError::bad_request(
                "invalid_messages",
                format!(
                    "{param}: role `{}` is not supported (no tool calling)",
                    m.role
                ),
            )
            .with_param(format!("{param}.role")))
        }
        other => other,
    };
    if m.tool_calls.as_ref().is_some_and(|t| !t.is_null()) {
        return Err(unsupported(
            &format!("{param}.tool_calls"),
            "tool calling is not supported",
        ));
    }
    let content = match m.content {
        Value::String(s) => s,
        Value::Array(parts) => {
            let mut texts = Vec::with_capacity(parts.len());
            for (j, part) in parts.iter().enumerate() {
                match (part.get("type").and_then(Value::as_str), part.get("text")) {
                    (Some("text"), Some(Value::String(t))) => texts.push(t.as_str()),
                    (kind, _) => {
                        return Err(ApiError::bad_request(
                            "invalid_messages",
                            format!(
                                "{param}.content[{j}]: only text parts ({{\"type\":\"text\",\"text\":\"…\"}}) are supported, got {}",
                                kind.unwrap_or("a part without a type")
                            ),
                        )
                        .with_param(format!("{param}.content")))
                    }
                }
            }
            texts.join("\n")
        }
        _ => {
            return Err(ApiError::bad_request(
                "invalid_messages",
                format!("{param}.content must be a string or a list of text parts"),
            )
            .with_param(format!("{param}.content")))
        }
    };
    Ok(ChatMessage::new(role, content))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{header::CONTENT_TYPE, HeaderValue};

    const LIMITS: Limits = Limits {
        context_length: 8192,
    };

    fn decode_str(body: &str) -> Result<OpenAiChat, ApiError> {
        let mut h = HeaderMap::new();
        h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        decode(&h, body.as_bytes(), LIMITS)
    }

    #[test]
    fn what_openai_clients_send_by_default_is_accepted() {
        let c = decode_str(
            r#"{"model":"empathetic","messages":[{"role":"developer","content":"be kind"},
                {"role":"user","content":[{"type":"text","text":"hello"},{"type":"text","text":"there"}]}],
                "stream":true,"stream_options":{"include_usage":true},"n":1,"presence_penalty":0,
                "frequency_penalty":0,"user":"u-1","metadata":{"a":"b"},"store":false,"logprobs":false,
                "max_completion_tokens":12,"stop":"END","response_format":{"type":"text"},"tool_choice":"none"}"#,
        )
        .unwrap();
        assert!(c.stream && c.include_usage);
        assert_eq!(c.turn.skill, SkillChoice::Manual("empathetic".into()));
        assert_eq!(c.turn.messages[0].role, "system");
        assert_eq!(c.turn.messages[1].content, "hello\nthere");
        assert_eq!(c.turn.sampling.max_tokens, Some(12));
        assert_eq!(
            c.turn.sampling.stop.as_deref(),
            Some(&["END".to_string()][..])
        );
        let c =
            decode_str(r#"{"model":"auto","messages":[{"role":"user","content":"x"}]}"#).unwrap();
        assert!(!c.stream && !c.include_usage);
        assert_eq!(c.turn.skill, SkillChoice::Auto);
    }

    #[test]
    fn what_we_cannot_do_is_refused_by_name() {
        let user = r#""messages":[{"role":"user","content":"x"}]"#;
        for (extra, param) in [
            (r#""n":2"#, "n"),
            (r#""presence_penalty":0.5"#, "presence_penalty"),
            (r#""frequency_penalty":1"#, "frequency_penalty"),
            (r#""logprobs":true"#, "logprobs"),
            (r#""tools":[{"type":"function"}]"#, "tools"),
            (
                r#""response_format":{"type":"json_object"}"#,
                "response_format",
            ),
            (r#""logit_bias":{"50256":-100}"#, "logit_bias"),
        ] {
            let e = decode_str(&format!("{{{user},{extra}}}")).unwrap_err();
            assert_eq!(
                (e.status.as_u16(), e.param.as_deref()),
                (400, Some(param)),
                "{e}"
            );
            assert_eq!(e.body().kind, "invalid_request_error");
        }
        let e = decode_str(r#"{"model":"Not A Skill","messages":[{"role":"user","content":"x"}]}"#)
            .unwrap_err();
        assert_eq!((e.status.as_u16(), e.code), (404, "model_not_found"));
        let e = decode_str(
            r#"{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}"#,
        )
        .unwrap_err();
        assert!(e.message.contains("image_url"), "{}", e.message);
        let e = decode_str(r#"{"messages":[{"role":"user","content":null}]}"#).unwrap_err();
        assert!(e.message.contains("must be a string"), "{}", e.message);
        let e = decode_str(r#"{"messages":[{"role":"tool","content":"x"}]}"#).unwrap_err();
        assert!(e.message.contains("tool"), "{}", e.message);
    }
}
