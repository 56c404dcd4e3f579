//! Health, readiness, preflight, version and Prometheus metrics (all public).

use crate::http::openapi::schemas as docs;
use std::time::Duration;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::AppError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(ping))
        .routes(routes!(ready))
        .routes(routes!(preflight))
        .routes(routes!(live))
        .routes(routes!(summary))
        .routes(routes!(version))
        .routes(routes!(metrics))
}

/// Health checks must answer fast even when the database hangs.
const DB_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

async fn db_ok(state: &AppState) -> bool {
    matches!(
        tokio::time::timeout(DB_CHECK_TIMEOUT, state.store.admin.ping()).await,
        Ok(Ok(()))
    )
}

fn now(state: &AppState) -> String {
    state.clock.now().to_rfc3339()
}

#[utoipa::path(
    get,
    path = "/api/health/live",
    operation_id = "get_api_health_live",
    tag = "Health",
    summary = "Process is up (no database)",
    responses(
        (status = 200, description = "OK", body = docs::health::Live)
    )
)]
async fn live() -> Json<Value> {
    Json(json!({"status": "alive"}))
}

#[utoipa::path(
    get,
    path = "/api/health/ping",
    operation_id = "get_api_health_ping",
    tag = "Health",
    summary = "Liveness with a database ping",
    responses(
        (status = 200, description = "OK", body = docs::health::Ping),
        (status = 503, description = "Service unavailable", body = docs::common::ErrorEnvelope)
    )
)]
async fn ping(State(state): State<AppState>) -> Response {
    if db_ok(&state).await {
        Json(json!({"status": "healthy", "db": "connected", "timestamp": now(&state)}))
            .into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unhealthy", "db": "disconnected", "timestamp": now(&state)})),
        )
            .into_response()
    }
}

#[utoipa::path(
    get,
    path = "/api/health/ready",
    operation_id = "get_api_health_ready",
    tag = "Health",
    summary = "Readiness: database, secrets, migrations",
    responses(
        (status = 200, description = "OK", body = docs::health::Ready),
        (status = 503, description = "Service unavailable", body = docs::common::ErrorEnvelope)
    )
)]
async fn ready(State(state): State<AppState>) -> Response {
    let mut issues = state.config.readiness_issues();
    let mut collections = Vec::new();
    let db_up = db_ok(&state).await;
    if db_up {
        match state.store.admin.collections().await {
            Ok(names) => collections = names,
            Err(_) => issues.push("cannot list collections".to_string()),
        }
        match state.store.admin.migrations_applied().await {
            Ok(true) => {}
            Ok(false) => issues.push("migrations not applied".to_string()),
            Err(_) => issues.push("cannot read migration state".to_string()),
        }
    } else {
        issues.insert(0, "database unreachable".to_string());
    }
    let db = if db_up { "connected" } else { "disconnected" };
    if issues.is_empty() {
        Json(json!({"status": "ready", "ready": true, "db": db, "collections": collections, "timestamp": now(&state)}))
            .into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "not_ready", "ready": false, "db": db, "issues": issues, "timestamp": now(&state)})),
        )
            .into_response()
    }
}

#[utoipa::path(
    get,
    path = "/api/health/preflight",
    operation_id = "get_api_health_preflight",
    tag = "Health",
    summary = "Flags, services, auth and engine state",
    description = "Always 200; `ok:false` with `issues` when something is wrong.",
    responses(
        (status = 200, description = "OK", body = docs::health::Preflight)
    )
)]
async fn preflight(State(state): State<AppState>) -> Json<Value> {
    let config = &state.config;
    let flags = &config.flags;
    let mut issues = config.readiness_issues();
    let db_up = db_ok(&state).await;
    if !db_up {
        issues.insert(0, "database unreachable".to_string());
    }
    let ai_key_source = if config.openai_api_key.is_some() {
        "env"
    } else {
        "none"
    };
    Json(json!({
        "ok": issues.is_empty(),
        "timestamp": now(&state),
        "flags": {
            "ENABLE_TRADING": flags.enable_trading,
            "ENABLE_AUTOPILOT": flags.enable_autopilot,
            "ENABLE_SCHEDULERS": flags.enable_schedulers,
            "DISABLE_AI_BODYGUARD": flags.disable_ai_bodyguard,
            "ENABLE_LIVE_TRADING": flags.enable_live_trading,
            "ENABLE_REALTIME": flags.enable_realtime,
            "ENABLE_MARKET_DATA": flags.enable_market_data,
        },
        "services": {
            "db": if db_up { "connected" } else { "disconnected" },
            "db_engine": state.store.engine(),
            "ai_key_source": ai_key_source,
        },
        "auth": {
            "jwt_secret_present": !config.jwt_secret.expose().is_empty(),
            "algorithm": "HS256",
        },
        "engines": state.engines.snapshot(state.clock.now()),
        "issues": issues,
    }))
}

#[utoipa::path(
    get,
    path = "/api/health",
    operation_id = "get_api_health",
    tag = "Health",
    summary = "Health summary with engines and uptime",
    responses(
        (status = 200, description = "OK", body = docs::health::HealthSummary)
    )
)]
async fn summary(State(state): State<AppState>) -> Json<Value> {
    let db_up = db_ok(&state).await;
    Json(json!({
        "status": if db_up { "healthy" } else { "degraded" },
        "database": {
            "engine": state.store.engine(),
            "status": if db_up { "connected" } else { "disconnected" },
        },
        "uptime_seconds": state.started_at.elapsed().as_secs(),
        "version": env!("CARGO_PKG_VERSION"),
        "engines": state.engines.snapshot(state.clock.now()),
        "timestamp": now(&state),
    }))
}

#[utoipa::path(
    get,
    path = "/api/version",
    operation_id = "get_api_version",
    tag = "Health",
    summary = "Build name, version, git sha and time",
    responses(
        (status = 200, description = "OK", body = docs::health::Version)
    )
)]
async fn version() -> Json<Value> {
    let build_time = env!("AMARKTAI_BUILD_EPOCH")
        .parse::<i64>()
        .ok()
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
        .map(|t| t.to_rfc3339())
        .unwrap_or_default();
    Json(json!({
        "name": env!("CARGO_PKG_NAME"),
        "version": env!("CARGO_PKG_VERSION"),
        "git_sha": env!("AMARKTAI_GIT_SHA"),
        "build_time": build_time,
    }))
}

#[derive(Deserialize)]
struct MetricsQuery {
    token: Option<String>,
}

/// Prometheus text; when `METRICS_TOKEN` is set the scraper must present it.
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "get_metrics",
    tag = "Health",
    summary = "Prometheus metrics",
    description = "Requires `Authorization: Bearer <METRICS_TOKEN>` or `?token=` when `METRICS_TOKEN` is set.",
    params(
        ("token" = Option<String>, Query, description = "METRICS_TOKEN, if configured")
    ),
    responses(
        (status = 200, description = "OK", body = String, content_type = "text/plain; version=0.0.4"),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = docs::common::ErrorEnvelope)
    )
)]
async fn metrics(
    State(state): State<AppState>,
    Query(query): Query<MetricsQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if let Some(expected) = &state.config.metrics_token {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_string)
            .or(query.token)
            .unwrap_or_default();
        if !crate::auth::secret_eq::secrets_match(&presented, expected.expose()) {
            return Err(AppError::unauthorized());
        }
    }
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::metrics::render(&state.metrics),
    )
        .into_response())
}
