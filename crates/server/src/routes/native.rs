//! The native API: `POST /api/chat` (server-sent events `route` → `token`… → `done`, or `error`;
//! one JSON answer with `"stream": false`) and `GET /api/skills`.

use std::convert::Infallible;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use futures::stream::{self, Stream, StreamExt};
use serde::Serialize;
use serde_json::json;
use tokio::sync::mpsc::UnboundedReceiver;

use adapterbot_skills::SkillChoice;

use super::turn::{self, StartedTurn};
use crate::auth::KeyId;
use crate::error::ApiError;
use crate::request::native;
use crate::state::AppState;
use crate::worker::{PlanSummary, ReplyDone, WorkerEvent};

pub async fn chat(
    State(state): State<AppState>,
    key: Option<Extension<KeyId>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let received = Instant::now();
    let loaded = turn::loaded(&state)?;
    let body = turn::body(body, state.config().body_limit)?;
    let req = native::decode(&headers, &body, turn::limits(loaded))?;
    if let SkillChoice::Manual(id) = &req.turn.skill {
        if !turn::skill_exists(loaded, id) {
            let known = loaded.planner().registry.ids().join(", ");
            return Err(ApiError::bad_request(
                "unknown_skill",
                format!("unknown skill `{id}`; use \"auto\" or one of: {known}"),
            )
            .with_param("skill"));
        }
    }
    let started = turn::start(
        loaded,
        req.turn,
        turn::request_id(&headers),
        received,
        key.map(|Extension(k)| k),
    )
    .await?;
    if req.stream {
        let sse = Sse::new(events(started))
            .keep_alive(KeepAlive::new().interval(state.config().keep_alive));
        Ok(([("x-accel-buffering", "no")], sse).into_response())
    } else {
        let StartedTurn { plan, mut events } = started;
        let (text, done) = turn::collect(&mut events).await?;
        Ok(Json(json!({
            "route": route_data(&plan),
            "message": {"role": "assistant", "content": text},
            "finish_reason": done.finish_reason,
            "usage": done.usage,
            "timings": done.timings,
        }))
        .into_response())
    }
}

/// The `route` event's data.
fn route_data(plan: &PlanSummary) -> serde_json::Value {
    json!({
        "skill": plan.route.skill,
        "source": plan.route.source,
        "probabilities": plan.route.probabilities,
        "knowledge": plan.knowledge,
        "retrieval": plan.retrieval,
        "manager_ms": plan.route.elapsed_ms,
        "prompt_tokens": plan.prompt_tokens,
        "dropped_messages": plan.dropped_messages,
    })
}

fn event(name: &str, data: &impl Serialize) -> Event {
    let data = serde_json::to_string(data).unwrap_or_else(|_| "{}".into());
    Event::default().event(name).data(data)
}

pub fn error_event(e: &ApiError) -> Event {
    event("error", &e.body())
}

fn done_event(done: &ReplyDone) -> Event {
    event(
        "done",
        &json!({
            "finish_reason": done.finish_reason,
            "usage": done.usage,
            "timings": done.timings,
        }),
    )
}

/// `route`, then one event per worker message; every stream ends with `done` or `error`.
fn events(started: StartedTurn) -> impl Stream<Item = Result<Event, Infallible>> {
    let first = event("route", &route_data(&started.plan));
    let rest = stream::unfold(
        Some(started.events),
        |rx: Option<UnboundedReceiver<WorkerEvent>>| async move {
            let mut rx = rx?;
            loop {
                return match rx.recv().await {
                    Some(WorkerEvent::Token(text)) => {
                        Some((event("token", &json!({ "text": text })), Some(rx)))
                    }
                    Some(WorkerEvent::Done(done)) => Some((done_event(&done), None)),
                    Some(WorkerEvent::Failed(e)) => Some((error_event(&e), None)),
                    Some(WorkerEvent::Planned(_)) => continue,
                    None => Some((error_event(&turn::engine_stopped()), None)),
                };
            }
        },
    );
    stream::once(async move { first }).chain(rest).map(Ok)
}

#[derive(Serialize)]
struct SkillInfo<'a> {
    id: &'a str,
    title: &'a str,
    description: &'a str,
    uses_knowledge: bool,
    uses_persona: bool,
    /// False until the skill's adapter is trained: it then answers with the backbone alone.
    trained: bool,
}

pub async fn skills(State(state): State<AppState>) -> Result<Response, ApiError> {
    let loaded = turn::loaded(&state)?;
    let planner = loaded.planner();
    let skills: Vec<SkillInfo> = planner
        .registry
        .iter()
        .map(|s| SkillInfo {
            id: s.id(),
            title: &s.manifest.title,
            description: &s.manifest.description,
            uses_knowledge: s.settings.uses_knowledge,
            uses_persona: s.settings.uses_persona,
            trained: s.adapter.is_some(),
        })
        .collect();
    Ok(Json(json!({
        "skills": skills,
        "default_skill": planner.default_skill,
        "manager": planner.manager.is_some(),
        "knowledge": planner.knowledge.is_some(),
    }))
    .into_response())
}
