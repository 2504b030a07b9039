//! The OpenAI-compatible API: `POST /v1/chat/completions` (streaming and not), `GET /v1/models`
//! and `GET /v1/models/{id}`. `model` is `auto` (the dialogue manager picks the skill) or a skill
//! id. Every response also names the skill that answered (`skill`, and `adapterbot` with how it
//! was chosen), fields the official clients keep as extras.

use std::convert::Infallible;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use futures::stream::{self, Stream, StreamExt};
use serde_json::{json, Value};
use tokio::sync::mpsc::UnboundedReceiver;

use adapterbot_engine::Usage;
use adapterbot_skills::SkillChoice;

use super::turn::{self, StartedTurn};
use crate::auth::KeyId;
use crate::error::ApiError;
use crate::request::openai::{self, model_not_found};
use crate::state::AppState;
use crate::worker::{PlanSummary, WorkerEvent};

/// What stays the same on every chunk of one completion.
#[derive(Clone)]
struct Completion {
    id: String,
    created: u64,
    model: String,
    skill: String,
    include_usage: bool,
}

impl Completion {
    fn chunk(&self, delta: Value, finish_reason: Option<&str>) -> Value {
        let mut c = json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": null,
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason}],
            "skill": self.skill,
        });
        if self.include_usage {
            c["usage"] = Value::Null;
        }
        c
    }

    fn usage_chunk(&self, usage: &Usage) -> Value {
        json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": null,
            "choices": [],
            "usage": usage_json(usage),
            "skill": self.skill,
        })
    }
}

fn usage_json(u: &Usage) -> Value {
    json!({
        "prompt_tokens": u.prompt_tokens,
        "completion_tokens": u.completion_tokens,
        "total_tokens": u.prompt_tokens + u.completion_tokens,
    })
}

/// How the skill was chosen, as an extra field.
fn route_json(plan: &PlanSummary) -> Value {
    json!({
        "skill": plan.route.skill,
        "source": plan.route.source,
        "probabilities": plan.route.probabilities,
        "knowledge": plan.knowledge,
        "retrieval": plan.retrieval,
    })
}

fn finish(reason: adapterbot_engine::FinishReason) -> &'static str {
    match reason {
        adapterbot_engine::FinishReason::Stop => "stop",
        adapterbot_engine::FinishReason::Length => "length",
    }
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub async fn chat_completions(
    State(state): State<AppState>,
    key: Option<Extension<KeyId>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let received = Instant::now();
    let loaded = turn::loaded(&state)?;
    let body = turn::body(body, state.config().body_limit)?;
    let req = openai::decode(&headers, &body, turn::limits(loaded))?;
    if let SkillChoice::Manual(id) = &req.turn.skill {
        if !turn::skill_exists(loaded, id) {
            return Err(model_not_found(id));
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
    let completion = Completion {
        id: format!("chatcmpl-{}", uuid::Uuid::new_v4().simple()),
        created: now_unix(),
        model: req.model,
        skill: started.plan.route.skill.clone(),
        include_usage: req.include_usage,
    };
    if req.stream {
        let sse = Sse::new(chunks(completion, started))
            .keep_alive(KeepAlive::new().interval(state.config().keep_alive));
        return Ok(([("x-accel-buffering", "no")], sse).into_response());
    }
    let StartedTurn { plan, mut events } = started;
    let (text, done) = turn::collect(&mut events).await?;
    Ok(Json(json!({
        "id": completion.id,
        "object": "chat.completion",
        "created": completion.created,
        "model": completion.model,
        "system_fingerprint": null,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": text, "refusal": null},
            "logprobs": null,
            "finish_reason": finish(done.finish_reason),
        }],
        "usage": usage_json(&done.usage),
        "skill": completion.skill,
        "adapterbot": {"route": route_json(&plan), "timings": done.timings},
    }))
    .into_response())
}

fn data(v: &Value) -> Event {
    Event::default().data(v.to_string())
}

/// role chunk → content chunks → finish chunk → (usage chunk) → `[DONE]`; an `{"error": …}`
/// data line (which the official clients raise) if the reply fails part way.
fn chunks(c: Completion, started: StartedTurn) -> impl Stream<Item = Result<Event, Infallible>> {
    let mut first = c.chunk(json!({"role": "assistant", "content": ""}), None);
    first["adapterbot"] = json!({ "route": route_json(&started.plan) });
    let head = stream::once(async move { vec![data(&first)] });
    let rest = stream::unfold(
        Some((c, started.events)),
        |st: Option<(Completion, UnboundedReceiver<WorkerEvent>)>| async move {
            let (c, mut rx) = st?;
            loop {
                return match rx.recv().await {
                    Some(WorkerEvent::Token(text)) => {
                        let e = data(&c.chunk(json!({ "content": text }), None));
                        Some((vec![e], Some((c, rx))))
                    }
                    Some(WorkerEvent::Done(done)) => {
                        let mut out =
                            vec![data(&c.chunk(json!({}), Some(finish(done.finish_reason))))];
                        if c.include_usage {
                            out.push(data(&c.usage_chunk(&done.usage)));
                        }
                        out.push(Event::default().data("[DONE]"));
                        Some((out, None))
                    }
                    Some(WorkerEvent::Failed(e)) => Some((vec![data(&e.to_json())], None)),
                    Some(WorkerEvent::Planned(_)) => continue,
                    None => Some((vec![data(&turn::engine_stopped().to_json())], None)),
                };
            }
        },
    );
    head.chain(rest)
        .flat_map(|events| stream::iter(events.into_iter().map(Ok)))
}

fn model_entry(id: &str, created: u64) -> Value {
    json!({"id": id, "object": "model", "created": created, "owned_by": "adapterbot"})
}

pub async fn models(State(state): State<AppState>) -> Result<Response, ApiError> {
    let loaded = turn::loaded(&state)?;
    let created = state.started_unix();
    let mut data = vec![model_entry("auto", created)];
    data.extend(
        loaded
            .planner()
            .registry
            .ids()
            .into_iter()
            .map(|id| model_entry(id, created)),
    );
    Ok(Json(json!({"object": "list", "data": data})).into_response())
}

pub async fn model(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let loaded = turn::loaded(&state)?;
    if id != "auto" && !turn::skill_exists(loaded, &id) {
        return Err(model_not_found(&id));
    }
    Ok(Json(model_entry(&id, state.started_unix())).into_response())
}
