//! `/api/orders/*`, `/api/limits/status`, `/api/circuit-breaker/*` (SPEC §8): thin handlers
//! over `trading::`.

use crate::http::openapi::schemas as docs;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::CurrentUser;
use crate::domain::live_order::LiveOrder;
use crate::domain::orders::OrderRequest;
use crate::error::{parse_optional_json, AppError, AppJson, AppResult};
use crate::state::AppState;
use crate::trading::live_reconcile::{self, ReconcileReport, DEFAULT_WINDOW_HOURS};
use crate::trading::{self, breaker, limits, orders};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(submit))
        .routes(routes!(pending))
        .routes(routes!(order_status))
        .routes(routes!(live_orders))
        .routes(routes!(reconcile))
        .routes(routes!(limits_status))
        .routes(routes!(breaker_status))
        .routes(routes!(breaker_reset))
}

#[utoipa::path(
    post,
    path = "/api/orders/submit",
    operation_id = "post_api_orders_submit",
    tag = "Orders",
    summary = "Submit an order through the four gates",
    description = "Gates in order: idempotency, fee coverage, limits, circuit breaker. Every valid submission is stored with an `order_id`, filled or rejected.",
    request_body = docs::trading::SubmitOrder,
    responses(
        (status = 200, description = "OK", body = docs::trading::OrderResult),
        (status = 400, description = "Bad request (error.code says why)", body = docs::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
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

#[utoipa::path(
    get,
    path = "/api/orders/pending",
    operation_id = "get_api_orders_pending",
    tag = "Orders",
    summary = "Orders not yet final",
    params(
        ("limit" = Option<i64>, Query, description = "1..500 (default 100)")
    ),
    responses(
        (status = 200, description = "OK", body = docs::trading::PendingOrders)
    ),
    security(("bearerAuth" = []))
)]
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

#[utoipa::path(
    get,
    path = "/api/orders/{id}/status",
    operation_id = "get_api_orders_id_status",
    tag = "Orders",
    summary = "One order",
    params(
        ("id" = String, Path)
    ),
    responses(
        (status = 200, description = "OK", body = docs::trading::OrderStatusView)
    ),
    security(("bearerAuth" = []))
)]
async fn order_status(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let not_found = || AppError::not_found("ORDER_NOT_FOUND", "Order not found");
    // The id of the order record, or of the live order executing it.
    let (record, live) = match state.store.orders.find(user.id(), &id).await? {
        Some(record) => {
            let live = state
                .store
                .live_orders
                .find_by_record(user.id(), &record.id)
                .await?;
            (record, live)
        }
        None => {
            let live = state
                .store
                .live_orders
                .find(user.id(), &id)
                .await?
                .ok_or_else(not_found)?;
            let record = state
                .store
                .orders
                .find(user.id(), &live.order_record_id)
                .await?
                .ok_or_else(not_found)?;
            (record, Some(live))
        }
    };
    let mut view = record.view();
    if let (Some(live), Some(obj)) = (live, view.as_object_mut()) {
        let exchange = match trading::live::exchange_view(&state, &live).await {
            Ok(o) => json!({
                "state": o.state,
                "exchange_order_id": o.exchange_order_id,
                "filled_amount": o.filled_amount,
                "fills": o.fills,
                "error": null,
            }),
            Err(e) => json!({"state": null, "error": e}),
        };
        obj.insert(
            "live_order".into(),
            serde_json::to_value(&live).unwrap_or_default(),
        );
        obj.insert("exchange".into(), exchange);
    }
    Ok(Json(view))
}

#[derive(Deserialize)]
struct LiveOrdersQuery {
    bot_id: Option<String>,
    limit: Option<u32>,
}

/// `GET /api/orders/live`.
#[derive(Serialize, ToSchema)]
struct LiveOrderList {
    orders: Vec<LiveOrder>,
    count: usize,
}

#[utoipa::path(
    get,
    path = "/api/orders/live",
    operation_id = "get_api_orders_live",
    tag = "Orders",
    summary = "The caller's live orders with their state and fills",
    params(
        ("bot_id" = Option<String>, Query, description = "Only this bot's orders"),
        ("limit" = Option<i64>, Query, description = "1..500 (default 100)")
    ),
    responses(
        (status = 200, description = "Newest first", body = LiveOrderList)
    ),
    security(("bearerAuth" = []))
)]
async fn live_orders(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<LiveOrdersQuery>,
) -> AppResult<Json<LiveOrderList>> {
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let orders = state
        .store
        .live_orders
        .list(user.id(), q.bot_id.as_deref(), limit)
        .await?;
    Ok(Json(LiveOrderList {
        count: orders.len(),
        orders,
    }))
}

#[derive(Deserialize)]
struct ReconcileQuery {
    hours: Option<i64>,
}

#[utoipa::path(
    post,
    path = "/api/orders/reconcile",
    operation_id = "post_api_orders_reconcile",
    tag = "Orders",
    summary = "Compare booked live fills with the exchanges' trade history",
    description = "For each exchange and pair the caller's live orders traded in the window, reads the exchange's trade history and compares it fill by fill with what was booked. Any difference raises a `live_reconciliation` alert.",
    params(
        ("hours" = Option<i64>, Query, description = "Window in hours, 1..720 (default 48)")
    ),
    responses(
        (status = 200, description = "OK", body = ReconcileReport)
    ),
    security(("bearerAuth" = []))
)]
async fn reconcile(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<ReconcileQuery>,
) -> AppResult<Json<ReconcileReport>> {
    let hours = q.hours.unwrap_or(DEFAULT_WINDOW_HOURS);
    if !(1..=720).contains(&hours) {
        return Err(AppError::bad_request(
            "INVALID_QUERY",
            "hours must be between 1 and 720",
        ));
    }
    Ok(Json(
        live_reconcile::reconcile(&state, user.id(), hours).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/limits/status",
    operation_id = "get_api_limits_status",
    tag = "Orders",
    summary = "Daily and burst trade limits",
    responses(
        (status = 200, description = "OK", body = docs::trading::LimitsStatus)
    ),
    security(("bearerAuth" = []))
)]
async fn limits_status(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Json<Value>> {
    Ok(Json(limits::status(&state, user.id()).await?))
}

#[utoipa::path(
    get,
    path = "/api/circuit-breaker/status",
    operation_id = "get_api_circuit_breaker_status",
    tag = "Orders",
    summary = "Circuit breaker state",
    responses(
        (status = 200, description = "OK", body = docs::trading::CircuitBreakerStatus)
    ),
    security(("bearerAuth" = []))
)]
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
#[utoipa::path(
    post,
    path = "/api/circuit-breaker/reset",
    operation_id = "post_api_circuit_breaker_reset",
    tag = "Orders",
    summary = "Reset a tripped circuit breaker",
    request_body = Option<docs::trading::CircuitBreakerReset>,
    responses(
        (status = 200, description = "OK", body = docs::trading::CircuitBreakerResetDone),
        (status = 404, description = "No such bot of the caller (`bot_id`)", body = docs::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
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
