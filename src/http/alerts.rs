//! `/api/alerts`: list, acknowledge, clear (per user).

use axum::extract::{Path, Query, State};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/alerts", get(list))
        .route("/api/alerts/ack/{id}", post(ack))
        .route("/api/alerts/clear", delete(clear))
}

#[derive(Deserialize)]
struct ListQuery {
    limit: Option<u32>,
    include_acknowledged: Option<bool>,
}

async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Value>> {
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let alerts = state
        .store
        .alerts
        .list(user.id(), limit, q.include_acknowledged.unwrap_or(true))
        .await?;
    let unacknowledged = alerts.iter().filter(|a| !a.acknowledged).count();
    Ok(Json(
        json!({"alerts": alerts, "count": alerts.len(), "unacknowledged": unacknowledged}),
    ))
}

async fn ack(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    if !state.store.alerts.acknowledge(user.id(), &id).await? {
        return Err(AppError::not_found("ALERT_NOT_FOUND", "Alert not found"));
    }
    Ok(Json(json!({"success": true, "alert_id": id})))
}

async fn clear(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Json<Value>> {
    let deleted = state.store.alerts.clear(user.id()).await?;
    Ok(Json(json!({"success": true, "deleted_count": deleted})))
}
