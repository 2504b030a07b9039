//! Operations: `/health` (the process answers), `/ready` (model, skills and manager loaded, not
//! shutting down) and `/metrics` (Prometheus text).

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::error::ApiError;
use crate::state::AppState;

pub async fn health() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

pub async fn ready(State(state): State<AppState>) -> Response {
    if state.is_ready() {
        let loaded = state.loaded().expect("ready means loaded");
        let planner = loaded.planner();
        return Json(json!({
            "status": "ready",
            "skills": planner.registry.ids(),
            "manager": planner.manager.is_some(),
            "knowledge": planner.knowledge.is_some(),
        }))
        .into_response();
    }
    let e = match state.loaded() {
        None => ApiError::not_ready(),
        Some(l) if l.worker.is_draining() => ApiError::shutting_down(),
        Some(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "engine_stopped",
            "the engine worker has stopped; restart the server",
        ),
    };
    e.into_response()
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics().render(),
    )
        .into_response()
}
