//! `/api/orders/*`, `/api/limits/status`, `/api/circuit-breaker/*` (SPEC §8): thin handlers
//! over `trading::`.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::CurrentUser;
use crate::domain::orders::OrderRequest;
use crate::error::{parse_optional_json, AppError, AppJson, AppResult};
use crate::state::AppState;
use crate::trading::{breaker, limits, orders};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/orders/submit", post(submit))
        .route("/api/orders/pending", get(pending))
        .route("/api/orders/{id}/status", get(order_status))
        .route("/api/limits/status", get(limits_status))
        .route("/api/circuit-breaker/status", get(breaker_status))
        .route("/api/circuit-breaker/reset", post(breaker_reset))
}

async fn submit(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    AppJson(req): AppJson<OrderRequest>,
) -> AppResult<Json<Value>> {
    let record = orders::submit(&state, user.id(), &req).await?;
    Ok(Json(record.response()))
}

#[derive(Deserialize)]
struct PendingQuery {
    limit: Option<u32>,
}

async fn pending(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<PendingQuery>,
) -> AppResult<Json<Value>> {
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let orders = state.store.orders.list_pending(user.id(), limit).await?;
    let views: Vec<Value> = orders.iter().map(|o| o.view()).collect();
    Ok(Json(json!({"orders": views, "count": views.len()})))
}

async fn order_status(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let order = state
        .store
        .orders
        .find(user.id(), &id)
        .await?
        .ok_or_else(|| AppError::not_found("ORDER_NOT_FOUND", "Order not found"))?;
    Ok(Json(order.view()))
}

async fn limits_status(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Json<Value>> {
    Ok(Json(limits::status(&state, user.id()).await?))
}

async fn breaker_status(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Json<Value>> {
    Ok(Json(breaker::status(&state, user.id()).await?))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ResetBody {
    bot_id: Option<String>,
}

/// Body optional: `{bot_id}` resets one bot, no body resets every bot the breaker paused.
async fn breaker_reset(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    body: Bytes,
) -> AppResult<Json<Value>> {
    let body: ResetBody = parse_optional_json(&body)?;
    let reset = breaker::reset(&state, user.id(), body.bot_id.as_deref())
        .await?
        .ok_or_else(|| AppError::not_found("BOT_NOT_FOUND", "Bot not found"))?;
    Ok(Json(json!({
        "success": true,
        "reset_count": reset.len(),
        "bot_ids": reset,
        "message": format!("Circuit breaker reset for {} bot(s)", reset.len()),
    })))
}
