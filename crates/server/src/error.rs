//! One error type for every endpoint. Before a stream starts it is an HTTP response with
//! OpenAI's body shape (`{"error":{message,type,param,code}}`, which the official clients read);
//! after, the same fields travel in an SSE `error` event. Messages say what was wrong and what
//! to do; internal details are logged, not sent.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use adapterbot_skills::{PromptError, SkillError, TurnError};

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// The request field at fault, when there is one.
    pub param: Option<String>,
    /// A stable machine-readable code (`invalid_json`, `unknown_skill`, …).
    pub code: &'static str,
    /// Seconds a client should wait before trying again (sent as `Retry-After`).
    pub retry_after: Option<u64>,
}

/// The wire form, inside `{"error": …}`.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    pub message: &'a str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub param: Option<&'a str>,
    pub code: &'static str,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            param: None,
            code,
            retry_after: None,
        }
    }

    pub fn with_param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_api_key",
            "missing or wrong API key: send `Authorization: Bearer <key>`",
        )
    }

    pub fn overloaded(retry_after: u64) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "overloaded",
                format!("every generation slot and the queue are full; retry in {retry_after} s"),
            )
        }
    }

    /// One API key already has its share of the slots in flight.
    pub fn key_limit(limit: usize, retry_after: u64) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "key_limit",
                format!(
                    "this API key already has {limit} requests in flight, the most one key may \
                     have (--max-concurrent-per-key {limit}); retry when one has finished"
                ),
            )
        }
    }

    pub fn not_ready() -> Self {
        Self {
            retry_after: Some(1),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "not_ready",
                "the model is still loading; retry shortly",
            )
        }
    }

    pub fn shutting_down() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "the server is shutting down; retry on another instance or after the restart",
        )
    }

    /// A failure that is the server's fault. The detail is logged; the client gets `message`.
    pub fn internal(message: impl Into<String>, detail: &dyn std::fmt::Display) -> Self {
        let message = message.into();
        tracing::error!(error = %detail, "{message}");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", message)
    }

    /// OpenAI's `type` for this status.
    pub fn kind(&self) -> &'static str {
        match self.status {
            StatusCode::UNAUTHORIZED => "authentication_error",
            StatusCode::NOT_FOUND => "not_found_error",
            StatusCode::TOO_MANY_REQUESTS => "rate_limit_error",
            s if s.is_server_error() => "server_error",
            _ => "invalid_request_error",
        }
    }

    pub fn body(&self) -> ErrorBody<'_> {
        ErrorBody {
            message: &self.message,
            kind: self.kind(),
            param: self.param.as_deref(),
            code: self.code,
        }
    }

    /// `{"error": {...}}` as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "error": self.body() })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.status, self.code, self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status, axum::Json(self.to_json())).into_response();
        if let Some(s) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

impl From<TurnError> for ApiError {
    fn from(e: TurnError) -> Self {
        if !e.is_client_error() {
            return ApiError::internal("planning the reply failed", &e);
        }
        let message = e.to_string();
        match e {
            TurnError::Skill(SkillError::Unknown { .. } | SkillError::InvalidId(_)) => {
                ApiError::bad_request("unknown_skill", message).with_param("skill")
            }
            TurnError::Prompt(PromptError::TurnTooLong { .. }) => {
                ApiError::bad_request("context_length_exceeded", message).with_param("messages")
            }
            TurnError::Prompt(_) => {
                ApiError::bad_request("invalid_messages", message).with_param("messages")
            }
            _ => ApiError::bad_request("invalid_sampling", message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_has_openais_shape_and_429_says_when_to_retry() {
        let e = ApiError::overloaded(3);
        let res = e.clone().into_response();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(res.headers()[header::RETRY_AFTER], "3");
        let v = e.to_json();
        assert_eq!(v["error"]["type"], "rate_limit_error");
        assert_eq!(v["error"]["code"], "overloaded");
        assert!(v["error"]["param"].is_null());
        assert!(v["error"]["message"].as_str().unwrap().contains("retry"));
    }

    #[test]
    fn a_turn_that_cannot_fit_is_the_clients_fault_and_says_so() {
        let e: ApiError = TurnError::Prompt(PromptError::TurnTooLong {
            needed: 9000,
            available: 8000,
            reserved: 192,
        })
        .into();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(e.code, "context_length_exceeded");
        assert!(e.message.contains("9000"), "{}", e.message);
    }
}
