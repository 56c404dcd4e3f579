//! `/api/portfolio/summary` and `/api/profits` (SPEC §7): the caller's portfolio from their
//! bots and trades, aggregated in the database (see `store::trade_stats`).

use crate::http::openapi::schemas as docs;
use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::CurrentUser;
use crate::domain::analytics::{portfolio_summary, BotCapital, PortfolioSummary};
use crate::domain::periods::{fill_empty_periods, window_start, Period, MAX_PERIOD_LIMIT};
use crate::error::AppResult;
use crate::http::query_params::{choice, clamped};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(summary))
        .routes(routes!(profits))
}

/// Finishes fills a crash interrupted (MongoDB), so reads never miss a booked trade.
pub(crate) async fn settle_trades(state: &AppState, user_id: &str) -> AppResult<()> {
    state.store.trades.repair(Some(user_id)).await?;
    Ok(())
}

#[utoipa::path(
    get,
    path = "/api/portfolio/summary",
    operation_id = "get_api_portfolio_summary",
    tag = "Portfolio",
    summary = "Equity, P&L, drawdown and exposure from real fills",
    responses(
        (status = 200, description = "OK", body = docs::trading::PortfolioSummary)
    ),
    security(("bearerAuth" = []))
)]
async fn summary(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Json<PortfolioSummary>> {
    settle_trades(&state, user.id()).await?;
    let bots = state.store.bots.list(user.id(), None).await?;
    let totals = state.store.trade_stats.totals(user.id(), None).await?;
    let days = state
        .store
        .trade_stats
        .daily_results(user.id(), None)
        .await?;
    Ok(Json(portfolio_summary(
        BotCapital::of(&bots),
        &totals,
        &days,
        state.clock.now(),
    )))
}

#[derive(Deserialize)]
struct ProfitsQuery {
    period: Option<String>,
    limit: Option<String>,
}

/// `limit` is clamped to 1..=366; an unknown `period` is a 422.
#[utoipa::path(
    get,
    path = "/api/profits",
    operation_id = "get_api_profits",
    tag = "Portfolio",
    summary = "Profit per UTC period",
    params(
        ("period" = Option<String>, Query, description = "daily | weekly | monthly"),
        ("limit" = Option<i64>, Query, description = "Number of periods (default 30)")
    ),
    responses(
        (status = 200, description = "OK", body = docs::trading::ProfitSeries),
        (status = 422, description = "Validation failed (error.fields lists the fields)", body = docs::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn profits(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<ProfitsQuery>,
) -> AppResult<Json<Value>> {
    let period = choice(
        "period",
        q.period.as_deref(),
        Period::Daily,
        Period::parse,
        "daily, weekly, monthly",
    )?;
    let limit = clamped(
        "limit",
        q.limit.as_deref(),
        30,
        (1, MAX_PERIOD_LIMIT as u32),
    )? as usize;
    settle_trades(&state, user.id()).await?;
    let now = state.clock.now();
    let since = window_start(period, limit, now);
    let days = state
        .store
        .trade_stats
        .daily_results(user.id(), Some(since))
        .await?;
    let series = fill_empty_periods(&days, period, limit, now);
    Ok(Json(
        json!({"period": period, "limit": limit, "series": series}),
    ))
}
