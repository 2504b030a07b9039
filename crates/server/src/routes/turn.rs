//! What both chat APIs do around the engine worker: admit the request, wait for its plan (so a
//! bad request still gets a 4xx status, not a stream), and read the reply.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use tokio::sync::mpsc::UnboundedReceiver;

use adapterbot_skills::TurnRequest;

use crate::auth::KeyId;
use crate::error::ApiError;
use crate::request::Limits;
use crate::state::{AppState, Loaded};
use crate::worker::{PlanSummary, ReplyDone, WorkerEvent};

/// An admitted, planned turn whose tokens are on their way.
pub struct StartedTurn {
    pub plan: PlanSummary,
    pub events: UnboundedReceiver<WorkerEvent>,
}

pub fn loaded(state: &AppState) -> Result<&Loaded, ApiError> {
    state.loaded().ok_or_else(ApiError::not_ready)
}

pub fn limits(loaded: &Loaded) -> Limits {
    Limits {
        context_length: loaded.engine.backbone().context_length(),
    }
}

/// The request id set by the request-id layer (for logs on the engine thread).
pub fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string()
}

/// The body, or 413 / 400 in our error shape.
pub fn body(body: Result<Bytes, BytesRejection>, limit: usize) -> Result<Bytes, ApiError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the body is larger than the limit of {limit} bytes; send a shorter conversation"),
            )
        } else {
            ApiError::bad_request("invalid_body", format!("the body could not be read: {e}"))
        }
    })
}

/// True when the skill is loaded now (the registry may change while serving).
pub fn skill_exists(loaded: &Loaded, id: &str) -> bool {
    loaded.planner().registry.get(id).is_ok()
}

pub async fn start(
    loaded: &Loaded,
    turn: TurnRequest,
    request_id: String,
    received: Instant,
    key: Option<KeyId>,
) -> Result<StartedTurn, ApiError> {
    let mut events = loaded.worker.submit(turn, request_id, received, key)?;
    match events.recv().await {
        Some(WorkerEvent::Planned(plan)) => Ok(StartedTurn {
            plan: *plan,
            events,
        }),
        Some(WorkerEvent::Failed(e)) => Err(e),
        Some(other) => Err(ApiError::internal(
            "the engine answered out of order",
            &format!("{other:?}"),
        )),
        None => Err(engine_stopped()),
    }
}

pub fn engine_stopped() -> ApiError {
    ApiError::internal(
        "the engine stopped before the reply ended",
        &"reply channel closed",
    )
}

/// The whole reply, for non-streaming answers.
pub async fn collect(
    events: &mut UnboundedReceiver<WorkerEvent>,
) -> Result<(String, ReplyDone), ApiError> {
    let mut text = String::new();
    loop {
        match events.recv().await {
            Some(WorkerEvent::Token(t)) => text.push_str(&t),
            Some(WorkerEvent::Done(done)) => return Ok((text, *done)),
            Some(WorkerEvent::Failed(e)) => return Err(e),
            Some(WorkerEvent::Planned(_)) => {}
            None => return Err(engine_stopped()),
        }
    }
}
