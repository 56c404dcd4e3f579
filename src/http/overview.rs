//! The old dashboard's summary calls: `/api/overview`, `/api/analytics/profit-history`,
//! `/api/system/health`, `/api/system/platforms` and the JSON `/api/metrics` (the Prometheus
//! text stays at `/metrics`).

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::overview::{self as ops, MetricsSummary, Overview, Platforms, SystemHealth};
use crate::auth::CurrentUser;
use crate::domain::periods::Period;
use crate::domain::profit_history::ProfitHistory;
use crate::domain::user::Role;
use crate::error::AppResult;
use crate::http::query_params::choice;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(overview))
        .routes(routes!(profit_history))
        .routes(routes!(system_health))
        .routes(routes!(system_platforms))
        .routes(routes!(metrics_summary))
}

#[utoipa::path(
    get,
    path = "/api/overview",
    operation_id = "get_api_overview",
    tag = "Analytics",
    summary = "Profit, 24 h change, bot counts, exposure and trading status",
    responses((status = 200, description = "OK", body = Overview)),
    security(("bearerAuth" = []))
)]
async fn overview(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Json<Overview>> {
    ops::overview(&state, user.id()).await.map(Json)
}

#[derive(Deserialize)]
struct PeriodQuery {
    period: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/analytics/profit-history",
    operation_id = "get_api_analytics_profit_history",
    tag = "Analytics",
    summary = "Realised profit per day (7), week (4) or month (6)",
    params(("period" = Option<String>, Query, description = "daily (default) | weekly | monthly")),
    responses(
        (status = 200, description = "OK", body = ProfitHistory),
        (status = 422, description = "Validation failed (error.fields lists the fields)", body = crate::http::openapi::schemas::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn profit_history(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<PeriodQuery>,
) -> AppResult<Json<ProfitHistory>> {
    let period = choice(
        "period",
        q.period.as_deref(),
        Period::Daily,
        Period::parse,
        "daily, weekly, monthly",
    )?;
    ops::profit_history(&state, user.id(), period)
        .await
        .map(Json)
}

#[utoipa::path(
    get,
    path = "/api/system/health",
    operation_id = "get_api_system_health",
    tag = "System",
    summary = "Server and database health for the dashboard",
    responses((status = 200, description = "OK", body = SystemHealth)),
    security(("bearerAuth" = []))
)]
async fn system_health(
    State(state): State<AppState>,
    CurrentUser(_user): CurrentUser,
) -> Json<SystemHealth> {
    Json(ops::system_health(&state).await)
}

#[utoipa::path(
    get,
    path = "/api/system/platforms",
    operation_id = "get_api_system_platforms",
    tag = "System",
    summary = "The supported exchanges with limits and modes",
    responses((status = 200, description = "OK", body = Platforms)),
    security(("bearerAuth" = []))
)]
async fn system_platforms(
    State(state): State<AppState>,
    CurrentUser(_user): CurrentUser,
) -> Json<Platforms> {
    Json(ops::platforms(&state))
}

/// JSON for the dashboard; a client that asks only for `text/plain` gets the Prometheus text
/// (when `METRICS_TOKEN` restricts `/metrics`, only admins get it here).
#[utoipa::path(
    get,
    path = "/api/metrics",
    operation_id = "get_api_metrics",
    tag = "System",
    summary = "Requests, errors, realtime clients, trades today, engines",
    responses(
        (status = 200, description = "OK", content(
            (MetricsSummary = "application/json"),
            (String = "text/plain")
        ))
    ),
    security(("bearerAuth" = []))
)]
async fn metrics_summary(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    headers: HeaderMap,
) -> AppResult<Response> {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let wants_text = accept.contains("text/plain") && !accept.contains("json");
    let may_read_text = state.config.metrics_token.is_none() || user.user.role == Role::Admin;
    if wants_text && may_read_text {
        return Ok((
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            state.metrics.render(),
        )
            .into_response());
    }
    Ok(Json(ops::metrics_summary(&state, user.id()).await?).into_response())
}
