//! `/api/alerts`: list, acknowledge, clear (per user).

use crate::http::openapi::schemas as docs;
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(ack))
        .routes(routes!(clear))
}

#[derive(Deserialize)]
struct ListQuery {
    limit: Option<u32>,
    include_acknowledged: Option<bool>,
}

#[utoipa::path(
    get,
    path = "/api/alerts",
    operation_id = "get_api_alerts",
    tag = "Alerts",
    summary = "The caller's alerts, newest first",
    params(
        ("limit" = Option<i64>, Query, description = "1..500 (default 100)"),
        ("include_acknowledged" = Option<bool>, Query, description = "Default true")
    ),
    responses(
        (status = 200, description = "OK", body = docs::system::AlertList),
        (status = 422, description = "Validation failed (error.fields lists the fields)", body = docs::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
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

#[utoipa::path(
    post,
    path = "/api/alerts/ack/{id}",
    operation_id = "post_api_alerts_ack_id",
    tag = "Alerts",
    summary = "Acknowledge an alert",
    params(
        ("id" = String, Path)
    ),
    responses(
        (status = 200, description = "OK", body = docs::system::AlertAcked)
    ),
    security(("bearerAuth" = []))
)]
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

#[utoipa::path(
    delete,
    path = "/api/alerts/clear",
    operation_id = "delete_api_alerts_clear",
    tag = "Alerts",
    summary = "Delete the caller's alerts",
    responses(
        (status = 200, description = "OK", body = docs::common::DeletedCount)
    ),
    security(("bearerAuth" = []))
)]
async fn clear(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Json<Value>> {
    let deleted = state.store.alerts.clear(user.id()).await?;
    Ok(Json(json!({"success": true, "deleted_count": deleted})))
}
