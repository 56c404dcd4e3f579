//! A strategy bot's position, decisions and manual actions: `GET /api/bots/{id}/position`,
//! `GET /api/bots/{id}/decisions`, `POST /api/bots/{id}/force-exit|force-enter`, and the old
//! dashboard's `GET /api/advanced/decisions/recent`.

use axum::extract::{Path, Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::bots::load_bot;
use crate::auth::CurrentUser;
use crate::domain::decision::Decision;
use crate::domain::strategy::trader::{ExitReason, OpenPosition, PendingOrder};
use crate::domain::strategy::StrategyConfig;
use crate::error::AppResult;
use crate::http::query_params::clamped;
use crate::state::AppState;
use crate::trading::strategy_runner::{self, costs_for, ManualOutcome};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(position))
        .routes(routes!(decisions))
        .routes(routes!(force_exit))
        .routes(routes!(force_enter))
        .routes(routes!(recent_decisions))
}

/// A bot's open position, marked at the newest stored close of its series.
#[derive(Serialize, ToSchema)]
pub struct PositionView {
    pub bot_id: String,
    pub pair: String,
    pub timeframe: String,
    pub strategy: StrategyConfig,
    /// `null` when flat.
    pub position: Option<OpenPosition>,
    /// An order decided on the last close, to fill at the next candle's open.
    pub pending_order: Option<PendingOrder>,
    pub cooldown_left: u32,
    /// Open time (epoch ms) of the last candle evaluated.
    pub last_candle_time: Option<i64>,
    /// The newest stored close of the bot's series and its candle's open time.
    pub mark_price: Option<f64>,
    pub mark_time: Option<i64>,
    /// What closing at `mark_price` would make, exit fee and slippage included.
    pub unrealized_pnl: Option<f64>,
    /// The stop level now (the higher of stop-loss and trailing stop).
    pub stop_price: Option<f64>,
    pub target_price: Option<f64>,
}

#[utoipa::path(
    get,
    path = "/api/bots/{id}/position",
    operation_id = "get_api_bots_id_position",
    tag = "Strategies",
    summary = "The bot's open position (null when flat), marked at the last stored close",
    params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = PositionView)),
    security(("bearerAuth" = []))
)]
async fn position(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<PositionView>> {
    let bot = load_bot(&state, user.id(), &id).await?;
    let series = bot.series();
    let mark = state
        .store
        .candles
        .range(&series, None, None, 1)
        .await?
        .pop();
    let mut trader = crate::domain::strategy::trader::Trader::new(
        bot.strategy.build(bot.timeframe),
        bot.risk(),
        costs_for(&bot),
        crate::domain::strategy::trader::TraderState {
            cash: bot.current_capital,
            position: bot.position,
            pending: bot.pending_order,
            cooldown_left: bot.cooldown_left,
        },
    );
    let stop_price = trader.stop_level().map(|(level, _)| level);
    let target_price = trader.target_level();
    let unrealized_pnl = match mark {
        Some(c) => trader
            .close_at(c.close, c.open_time, ExitReason::Manual)
            .map(|t| t.pnl),
        None => None,
    };
    Ok(Json(PositionView {
        bot_id: bot.id.clone(),
        pair: series.pair.to_string(),
        timeframe: series.timeframe.as_str().to_string(),
        strategy: bot.strategy.clone(),
        position: bot.position,
        pending_order: bot.pending_order,
        cooldown_left: bot.cooldown_left,
        last_candle_time: bot.last_candle_time,
        mark_price: mark.map(|c| c.close),
        mark_time: mark.map(|c| c.open_time),
        unrealized_pnl,
        stop_price,
        target_price,
    }))
}

#[derive(Deserialize)]
struct LimitQuery {
    limit: Option<String>,
}

/// One bot's decisions, newest first.
#[derive(Serialize, ToSchema)]
pub struct DecisionList {
    pub bot_id: String,
    pub count: usize,
    pub decisions: Vec<Decision>,
}

#[utoipa::path(
    get,
    path = "/api/bots/{id}/decisions",
    operation_id = "get_api_bots_id_decisions",
    tag = "Strategies",
    summary = "The bot's decisions, newest first",
    description = "One per evaluated candle once the strategy has warmed up, plus risk exits, \
                   refused entries and manual actions; `order_id` links a decision to the order \
                   (and so the trade) it caused.",
    params(
        ("id" = String, Path),
        ("limit" = Option<u32>, Query, description = "1..=500, default 50")
    ),
    responses(
        (status = 200, description = "OK", body = DecisionList),
        (status = 422, description = "A query parameter is not valid (error.fields names it)", body = crate::http::openapi::schemas::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn decisions(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<LimitQuery>,
) -> AppResult<Json<DecisionList>> {
    let limit = clamped("limit", q.limit.as_deref(), 50, (1, 500))?;
    let bot = load_bot(&state, user.id(), &id).await?;
    let decisions = state
        .store
        .decisions
        .for_bot(user.id(), &bot.id, limit)
        .await?;
    Ok(Json(DecisionList {
        bot_id: bot.id,
        count: decisions.len(),
        decisions,
    }))
}

/// The old dashboard's decision trace: the caller's bots' decisions, newest first.
#[derive(Serialize, ToSchema)]
pub struct RecentDecisions {
    pub success: bool,
    pub count: usize,
    pub limit: u32,
    pub decisions: Vec<Decision>,
    pub timestamp: String,
}

#[utoipa::path(
    get,
    path = "/api/advanced/decisions/recent",
    operation_id = "get_api_advanced_decisions_recent",
    tag = "Strategies",
    summary = "The caller's bots' recent decisions (decision trace)",
    params(("limit" = Option<u32>, Query, description = "1..=500, default 50")),
    responses(
        (status = 200, description = "OK", body = RecentDecisions),
        (status = 422, description = "A query parameter is not valid (error.fields names it)", body = crate::http::openapi::schemas::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn recent_decisions(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<LimitQuery>,
) -> AppResult<Json<RecentDecisions>> {
    let limit = clamped("limit", q.limit.as_deref(), 50, (1, 500))?;
    let decisions = state.store.decisions.recent(user.id(), limit).await?;
    Ok(Json(RecentDecisions {
        success: true,
        count: decisions.len(),
        limit,
        decisions,
        timestamp: state.clock.now().to_rfc3339(),
    }))
}

/// What a manual exit or entry did.
#[derive(Serialize, ToSchema)]
pub struct ManualResult {
    pub success: bool,
    pub message: String,
    pub decision: Decision,
    pub order_id: String,
    /// The position after the action (`null` after an exit).
    pub position: Option<OpenPosition>,
    /// The bot's capital after the action (an exit books its P&L).
    pub current_capital: f64,
}

fn manual_result(outcome: ManualOutcome, message: &str) -> Json<ManualResult> {
    Json(ManualResult {
        success: true,
        message: message.to_string(),
        decision: outcome.decision,
        order_id: outcome.order.id,
        position: outcome.bot.position,
        current_capital: outcome.bot.current_capital,
    })
}

#[utoipa::path(
    post,
    path = "/api/bots/{id}/force-exit",
    operation_id = "post_api_bots_id_force_exit",
    tag = "Strategies",
    summary = "Close the bot's open position at market now",
    description = "Through the order pipeline (exits pass only the idempotency gate), recorded \
                   as a decision with reason `manual`. 409 NO_POSITION when the bot holds none \
                   (so a second call changes nothing); 503 when no market price is available.",
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "OK", body = ManualResult),
        (status = 409, description = "NO_POSITION or ORDER_REJECTED", body = crate::http::openapi::schemas::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn force_exit(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<ManualResult>> {
    let outcome = strategy_runner::force_exit(&state, user.id(), &id).await?;
    Ok(manual_result(outcome, "Position closed at market"))
}

#[utoipa::path(
    post,
    path = "/api/bots/{id}/force-enter",
    operation_id = "post_api_bots_id_force_enter",
    tag = "Strategies",
    summary = "Open a position at market now",
    description = "Sized by the bot's position_size_pct, through every entry gate, recorded as a \
                   decision with reason `manual`. 409 POSITION_OPEN when the bot already holds \
                   one, ORDER_REJECTED when a gate refuses (the reason is in the message).",
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "OK", body = ManualResult),
        (status = 409, description = "POSITION_OPEN or ORDER_REJECTED", body = crate::http::openapi::schemas::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn force_enter(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<ManualResult>> {
    let outcome = strategy_runner::force_enter(&state, user.id(), &id).await?;
    Ok(manual_result(outcome, "Position opened at market"))
}
