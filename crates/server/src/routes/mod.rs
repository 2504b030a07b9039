//! The router: which path goes where, and the layers around it.

pub mod native;
pub mod openai;
pub mod ops;
pub mod turn;

use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::auth::require_key;
use crate::error::ApiError;
use crate::state::AppState;
use crate::web;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole app: the same router the binary serves and the tests call.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .route("/api/chat", post(native::chat))
        .route("/api/skills", get(native::skills))
        .route("/v1/chat/completions", post(openai::chat_completions))
        .route("/v1/models", get(openai::models))
        .route("/v1/models/{id}", get(openai::model))
        .route("/metrics", get(ops::metrics))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_key));
    let open = Router::new()
        .route("/health", get(ops::health))
        .route("/ready", get(ops::ready))
        .route("/", get(web::index))
        .route("/{*path}", get(web::file));
    let mut router = api
        .merge(open)
        .fallback(not_found)
        .method_not_allowed_fallback(wrong_method)
        .layer(middleware::from_fn_with_state(state.clone(), count_request))
        .layer(DefaultBodyLimit::max(state.config().body_limit));
    if let Some(cors) = cors(&state.config().cors_origins) {
        router = router.layer(cors);
    }
    router
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let id = req
                        .headers()
                        .get(&REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

async fn not_found(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(
        "not_found",
        format!("no route for {method} {}; see docs/server.md", uri.path()),
    )
}

async fn wrong_method(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{} does not take {method}; see docs/server.md", uri.path()),
    )
}

/// Counts every answer by route template (bounded labels) and status.
async fn count_request(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| match p.as_str() {
            "/{*path}" => "/{file}".to_string(),
            other => other.to_string(),
        })
        .unwrap_or_else(|| "unmatched".to_string());
    let started = Instant::now();
    let res = next.run(req).await;
    state.metrics().request(
        &route,
        res.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    res
}

/// CORS for the listed origins (`*` = any); none listed = no CORS headers (same origin only).
fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok()),
        )
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
            .expose_headers([REQUEST_ID, header::RETRY_AFTER])
            .max_age(Duration::from_secs(600)),
    )
}
