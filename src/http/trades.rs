//! `/api/trades/recent`, `/api/trades` (keyset-paginated) and `/api/trades/stats` (SPEC §7):
//! the caller's closed trades, newest first.

use crate::http::openapi::schemas as docs;
use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::CurrentUser;
use crate::domain::portfolio::profit_factor;
use crate::domain::trade::{TradeCursor, TradeQuery};
use crate::error::{AppError, AppResult};
use crate::http::portfolio::settle_trades;
use crate::http::query_params::{clamped, present, time};
use crate::state::AppState;

/// `limit` of the trade lists: clamped to this range.
pub const LIMIT_RANGE: (u32, u32) = (1, 500);
const DEFAULT_LIMIT: u32 = 50;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(recent))
        .routes(routes!(stats))
}

#[derive(Deserialize)]
struct RecentQuery {
    limit: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/trades/recent",
    operation_id = "get_api_trades_recent",
    tag = "Trades",
    summary = "Newest trades",
    params(
        ("limit" = Option<i64>, Query, description = "1..500 (default 50)")
    ),
    responses(
        (status = 200, description = "OK", body = docs::trading::RecentTrades),
        (status = 422, description = "Validation failed (error.fields lists the fields)", body = docs::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn recent(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<RecentQuery>,
) -> AppResult<Json<Value>> {
    let limit = clamped("limit", q.limit.as_deref(), DEFAULT_LIMIT, LIMIT_RANGE)?;
    settle_trades(&state, user.id()).await?;
    let trades = state.store.trades.recent(user.id(), limit).await?;
    Ok(Json(
        json!({"count": trades.len(), "limit": limit, "trades": trades}),
    ))
}

#[derive(Deserialize)]
struct ListQuery {
    bot_id: Option<String>,
    since: Option<String>,
    until: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// Newest first, `since` inclusive, `until` exclusive. Pages continue from an opaque
/// `next_cursor` (the last trade's time and id), so trades booked while a client walks the
/// pages only ever appear before its first page: no duplicates, no gaps.
#[utoipa::path(
    get,
    path = "/api/trades",
    operation_id = "get_api_trades",
    tag = "Trades",
    summary = "Trades, paginated",
    params(
        ("bot_id" = Option<String>, Query, description = "Only this bot"),
        ("since" = Option<String>, Query, description = "RFC 3339 lower bound"),
        ("until" = Option<String>, Query, description = "RFC 3339 upper bound"),
        ("limit" = Option<i64>, Query, description = "Page size"),
        ("cursor" = Option<String>, Query, description = "From the previous page's next_cursor")
    ),
    responses(
        (status = 200, description = "OK", body = docs::trading::TradePage),
        (status = 422, description = "Validation failed (error.fields lists the fields)", body = docs::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Value>> {
    let limit = clamped("limit", q.limit.as_deref(), DEFAULT_LIMIT, LIMIT_RANGE)?;
    let since = time("since", q.since.as_deref())?;
    let until = time("until", q.until.as_deref())?;
    if let (Some(s), Some(u)) = (since, until) {
        if s >= u {
            return Err(AppError::field("until", "must be after since"));
        }
    }
    let after = match present(q.cursor.as_deref()) {
        None => None,
        Some(raw) => Some(
            TradeCursor::decode(raw)
                .ok_or_else(|| AppError::bad_request("INVALID_CURSOR", "Invalid cursor"))?,
        ),
    };
    settle_trades(&state, user.id()).await?;
    let query = TradeQuery {
        bot_id: present(q.bot_id.as_deref()).map(str::to_string),
        since,
        until,
        limit: limit + 1,
        after,
    };
    let mut trades = state.store.trades.page(user.id(), &query).await?;
    let has_more = trades.len() > limit as usize;
    trades.truncate(limit as usize);
    let next_cursor = if has_more {
        trades.last().map(|t| TradeCursor::of(t).encode())
    } else {
        None
    };
    Ok(Json(json!({
        "count": trades.len(), "limit": limit, "has_more": has_more, "next_cursor": next_cursor,
        "trades": trades,
    })))
}

#[derive(Deserialize)]
struct StatsQuery {
    bot_id: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/trades/stats",
    operation_id = "get_api_trades_stats",
    tag = "Trades",
    summary = "Win/loss and profit statistics",
    params(
        ("bot_id" = Option<String>, Query, description = "Only this bot")
    ),
    responses(
        (status = 200, description = "OK", body = docs::trading::TradeStats)
    ),
    security(("bearerAuth" = []))
)]
async fn stats(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<StatsQuery>,
) -> AppResult<Json<Value>> {
    let bot_id = present(q.bot_id.as_deref());
    settle_trades(&state, user.id()).await?;
    let stats = state.store.trades.stats(user.id(), bot_id).await?;
    let mut body = serde_json::to_value(&stats).map_err(AppError::internal)?;
    body["profit_factor"] = json!(profit_factor(stats.gross_profit, -stats.gross_loss));
    body["bot_id"] = json!(bot_id);
    Ok(Json(body))
}
