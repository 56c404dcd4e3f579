//! `/api/analytics/{equity,drawdown,win_rate}` (SPEC §7): the caller's equity curve, drawdowns
//! on end-of-day equity, and win/loss statistics, from database aggregates.

use crate::http::openapi::schemas as docs;
use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::CurrentUser;
use crate::domain::analytics::{
    daily_equity, drawdown_series, equity_before, win_rate_report, BotCapital,
};
use crate::domain::periods::{bucket_start, range_start, Period, Range, StatsPeriod};
use crate::domain::portfolio::{drawdown, equity_curve};
use crate::error::{AppError, AppResult};
use crate::http::portfolio::settle_trades;
use crate::http::query_params::choice;
use crate::state::AppState;

/// Most per-trade points `/api/analytics/equity` returns (the newest ones in the range).
pub const MAX_EQUITY_POINTS: u32 = 1000;
const RANGES: &str = "1d, 7d, 30d, 90d, 1y, all";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(equity))
        .routes(routes!(drawdown_route))
        .routes(routes!(win_rate))
}

#[derive(Deserialize)]
struct RangeQuery {
    range: Option<String>,
}

/// Equity now: the bots' capital, as `/api/portfolio/summary` reports it.
async fn current_equity(state: &AppState, user_id: &str) -> AppResult<f64> {
    let bots = state.store.bots.list(user_id, None).await?;
    Ok(BotCapital::of(&bots).current)
}

/// One point per trade in the range (the newest `MAX_EQUITY_POINTS`; `truncated` says so).
#[utoipa::path(
    get,
    path = "/api/analytics/equity",
    operation_id = "get_api_analytics_equity",
    tag = "Analytics",
    summary = "Equity curve",
    params(
        ("range" = Option<String>, Query, description = "1d | 7d | 30d | 90d | 1y | all")
    ),
    responses(
        (status = 200, description = "OK", body = docs::trading::EquityCurve),
        (status = 422, description = "Validation failed (error.fields lists the fields)", body = docs::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn equity(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<RangeQuery>,
) -> AppResult<Json<Value>> {
    let range = choice(
        "range",
        q.range.as_deref(),
        Range::Month,
        Range::parse,
        RANGES,
    )?;
    settle_trades(&state, user.id()).await?;
    let since = range_start(range, state.clock.now());
    let mut points = state
        .store
        .trades
        .pnl_points(user.id(), since, MAX_EQUITY_POINTS + 1)
        .await?;
    let truncated = points.len() > MAX_EQUITY_POINTS as usize;
    if truncated {
        points.remove(0);
    }
    let current = current_equity(&state, user.id()).await?;
    let start = equity_before(current, &points);
    let curve = equity_curve(start, &points);
    Ok(Json(json!({
        "range": range, "starting_equity": start, "current_equity": current,
        "equity_curve": curve, "points": curve.len(), "truncated": truncated,
    })))
}

/// Drawdowns of end-of-day equity over the range (which starts at UTC midnight of its first day).
#[utoipa::path(
    get,
    path = "/api/analytics/drawdown",
    operation_id = "get_api_analytics_drawdown",
    tag = "Analytics",
    summary = "Max and current drawdown",
    params(
        ("range" = Option<String>, Query, description = "1d | 7d | 30d | 90d | 1y | all")
    ),
    responses(
        (status = 200, description = "OK", body = docs::trading::Drawdown),
        (status = 422, description = "Validation failed (error.fields lists the fields)", body = docs::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn drawdown_route(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<RangeQuery>,
) -> AppResult<Json<Value>> {
    let range = choice(
        "range",
        q.range.as_deref(),
        Range::Month,
        Range::parse,
        RANGES,
    )?;
    settle_trades(&state, user.id()).await?;
    let since = range_start(range, state.clock.now()).map(|t| bucket_start(t, Period::Daily));
    let days = state
        .store
        .trade_stats
        .daily_results(user.id(), since)
        .await?;
    let current = current_equity(&state, user.id()).await?;
    let start = current - days.iter().map(|d| d.profit).sum::<f64>();
    let curve = daily_equity(start, &days);
    let stats = drawdown(start, curve.iter().map(|p| p.equity));
    Ok(Json(json!({
        "range": range, "resolution": "daily", "since": since,
        "max_drawdown": stats.max_drawdown_percent, "current_drawdown": stats.current_drawdown_percent,
        "peak_equity": stats.peak_equity, "current_equity": current, "starting_equity": start,
        "drawdown_curve": drawdown_series(start, &curve),
    })))
}

#[derive(Deserialize)]
struct PeriodQuery {
    period: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/analytics/win_rate",
    operation_id = "get_api_analytics_win_rate",
    tag = "Analytics",
    summary = "Wins, losses, profit factor, best/worst",
    params(
        ("period" = Option<String>, Query, description = "today | 7d | 30d | all")
    ),
    responses(
        (status = 200, description = "OK", body = docs::trading::WinRate),
        (status = 422, description = "Validation failed (error.fields lists the fields)", body = docs::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn win_rate(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<PeriodQuery>,
) -> AppResult<Json<Value>> {
    let period = choice(
        "period",
        q.period.as_deref(),
        StatsPeriod::All,
        StatsPeriod::parse,
        "today, 7d, 30d, all",
    )?;
    settle_trades(&state, user.id()).await?;
    let totals = state
        .store
        .trade_stats
        .totals(user.id(), period.since(state.clock.now()))
        .await?;
    let mut body = serde_json::to_value(win_rate_report(&totals)).map_err(AppError::internal)?;
    body["period"] = json!(period);
    Ok(Json(body))
}
