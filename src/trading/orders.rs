//! The order pipeline (SPEC §8): validate, claim the idempotency key, check the bot, run the
//! four gates, fill on paper, and store the outcome. Every valid submission for one of the
//! caller's bots leaves exactly one order record, filled or rejected.
//!
//! Entry point for HTTP and engines alike: [`submit`] (manual orders) and [`submit_with`]
//! (engine orders, with a holding period). Paper pricing lives in `paper.rs`.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::domain::bot::{Bot, BotStatus, TradingMode};
use crate::domain::fees::default_fees;
use crate::domain::gates::{burst_window_start, run_gates, utc_day_start, GateInputs, GateName};
use crate::domain::live_order::LiveIntent;
use crate::domain::order_record::{OrderRecord, OrderStatus, STAGE_BOT_STATE, STAGE_EXECUTION};
use crate::domain::orders::{validate_order, OrderRequest, ValidOrder};
use crate::domain::strategy::trader::{ClosedTrade, OpenPosition};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::trades::{FillWrite, LimitScope};
use crate::store::StoreError;
use crate::trading::{breaker, live, paper, publish_trade_events};

/// How long a submit that lost the race for its key waits for the winner's outcome.
const KEY_WAIT: Duration = Duration::from_secs(5);

/// How an order is executed beyond what the request says.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SubmitOptions {
    /// Paper only: hold the position this long and exit at the feed price then (engine
    /// orders). `None` enters and exits at one quote (manual orders).
    pub holding_period: Option<Duration>,
    /// A strategy order, priced by the strategy's execution model (`domain::strategy::trader`)
    /// instead of the live feed.
    pub strategy: Option<StrategyFill>,
}

/// What a strategy order does on paper.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StrategyFill {
    /// Opens a position (no trade is booked until it closes). Runs every gate.
    Entry(OpenPosition),
    /// Closes the bot's position; the round trip is booked as one trade. Exits reduce risk, so
    /// only idempotency applies: no limit, fee or breaker gate may trap a position, and a
    /// paused bot or an emergency stop does not prevent closing.
    Exit(ClosedTrade),
}

/// Runs the pipeline for `user_id` (a manual order: no holding period).
///
/// `Err` only for a request that is not a valid submission (422), a bot that is not the
/// caller's (404) or a storage failure; every other outcome, filled or rejected, is the stored
/// [`OrderRecord`] (`record.response()` is the HTTP answer). A repeated idempotency key answers
/// the stored record of the first submission.
pub async fn submit(state: &AppState, user_id: &str, req: &OrderRequest) -> AppResult<OrderRecord> {
    submit_with(state, user_id, req, SubmitOptions::default()).await
}

/// [`submit`] with execution options; what the trading scheduler calls for engine orders.
pub async fn submit_with(
    state: &AppState,
    user_id: &str,
    req: &OrderRequest,
    options: SubmitOptions,
) -> AppResult<OrderRecord> {
    let order = validate_order(req)?;
    let bot = state
        .store
        .bots
        .find(user_id, &order.bot_id)
        .await?
        .ok_or_else(|| AppError::not_found("BOT_NOT_FOUND", "Bot not found"))?;
    // Gate 1, idempotency: a known key answers with the stored record, never a second order.
    let key = match &order.idempotency_key {
        Some(key) => key.clone(),
        None => uuid::Uuid::new_v4().to_string(),
    };
    if let Some(stored) = state.store.orders.find_by_key(user_id, &key).await? {
        if stored.status == OrderStatus::Pending {
            // The first submit with this key is still running: answer with its outcome.
            return wait_for_key(state, user_id, &key).await;
        }
        return Ok(stored);
    }
    let now = state.clock.now();
    let mut record = OrderRecord::pending(user_id, bot.exchange.as_str(), &order, &key, now);
    match state.store.orders.insert(&record).await {
        Ok(()) => {}
        Err(StoreError::Duplicate(_)) => return wait_for_key(state, user_id, &key).await,
        Err(e) => return Err(e.into()),
    }
    match decide(state, &bot, &order, &mut record, now, options).await {
        Ok(Some(fill)) => match state.store.trades.record_fill(&fill).await {
            Ok(updated) => {
                publish_trade_events(state, &fill.trade, &updated).await;
                Ok(fill.order)
            }
            Err(err) => Err(close_unfilled(state, &mut record, err.into()).await),
        },
        Ok(None) => {
            record.updated_at = state.clock.now();
            if !state.store.orders.finish(&record).await? {
                // Finished meanwhile (a live order filled and booked at once): answer what is
                // stored rather than the pending copy.
                if let Some(stored) = state.store.orders.find(user_id, &record.id).await? {
                    return Ok(stored);
                }
            }
            Ok(record)
        }
        Err(err) => Err(close_unfilled(state, &mut record, err).await),
    }
}

/// Nothing was filled: close the record so the key answers instead of hanging, and pass the
/// error on.
async fn close_unfilled(state: &AppState, record: &mut OrderRecord, err: AppError) -> AppError {
    record.status = OrderStatus::Pending;
    record.fill = None;
    record.trade_id = None;
    record.reject(STAGE_EXECUTION, "internal error; the order was not filled");
    record.updated_at = state.clock.now();
    if let Err(e) = state.store.orders.finish(record).await {
        tracing::warn!(order_id = %record.id, error = %e, "could not close an unfilled order");
    }
    err
}

/// Another submit holds the key: answer with its record once it has an outcome.
async fn wait_for_key(state: &AppState, user_id: &str, key: &str) -> AppResult<OrderRecord> {
    let deadline = tokio::time::Instant::now() + KEY_WAIT;
    loop {
        let stored = state.store.orders.find_by_key(user_id, key).await?;
        match stored {
            Some(order) if order.status != OrderStatus::Pending => return Ok(order),
            Some(order) if tokio::time::Instant::now() >= deadline => return Ok(order),
            _ => tokio::time::sleep(Duration::from_millis(25)).await,
        }
    }
}

/// Why the bot may not trade now (before any gate), if it may not.
async fn bot_state_refusal(
    state: &AppState,
    bot: &Bot,
    now: DateTime<Utc>,
) -> AppResult<Option<String>> {
    let settings = state.store.settings.get(&bot.user_id, now).await?;
    if settings.emergency_stop {
        return Ok(Some(
            "emergency stop is active: trading is halted for this account".into(),
        ));
    }
    let why = |what: &str| {
        let detail = bot
            .pause_reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        Some(format!("bot is {what}{detail}; it cannot trade"))
    };
    Ok(match bot.status {
        BotStatus::Active | BotStatus::LiveTrainingBay => None,
        BotStatus::Paused => why("paused"),
        BotStatus::Quarantined => why("quarantined"),
        BotStatus::Stopped => why("stopped"),
        BotStatus::Deleted => why("deleted"),
    })
}

/// Bots in the live training bay trade on paper until promoted (SPEC §4).
fn trades_on_paper(bot: &Bot) -> bool {
    bot.trading_mode == TradingMode::Paper || bot.status == BotStatus::LiveTrainingBay
}

/// Fills `record` with the outcome; `Some` when the order fills (the caller stores it all).
async fn decide(
    state: &AppState,
    bot: &Bot,
    order: &ValidOrder,
    record: &mut OrderRecord,
    now: DateTime<Utc>,
    options: SubmitOptions,
) -> AppResult<Option<FillWrite>> {
    let exit = matches!(options.strategy, Some(StrategyFill::Exit(_)));
    if exit && bot.status == BotStatus::Deleted {
        record.gates_passed = vec![GateName::Idempotency.as_str().to_string()];
        record.reject(STAGE_BOT_STATE, "bot is deleted; it cannot trade");
        return Ok(None);
    }
    if exit {
        record.gates_passed = vec![GateName::Idempotency.as_str().to_string()];
    } else if let Some(reason) = bot_state_refusal(state, bot, now).await? {
        record.gates_passed = vec![GateName::Idempotency.as_str().to_string()];
        record.reject(STAGE_BOT_STATE, &reason);
        return Ok(None);
    }
    let fees = default_fees(bot.exchange.as_str())
        .ok_or_else(|| AppError::internal(format!("no fees for {}", bot.exchange.as_str())))?;
    if exit {
        return finish_on_paper(state, bot, order, record, fees, options).await;
    }
    let counts = state
        .store
        .trades
        .limit_counts(&LimitScope {
            user_id: &bot.user_id,
            bot_id: &bot.id,
            exchange: bot.exchange.as_str(),
            day_start: utc_day_start(now),
            burst_start: burst_window_start(now),
        })
        .await?;
    let inputs = GateInputs {
        expected_edge_bps: order.expected_edge_bps,
        fees,
        counts,
        breaker: breaker::input_for(state, bot, now).await?,
    };
    let outcome = run_gates(&inputs, &state.config.trading);
    record.apply_gates(&outcome);
    if outcome.gate_failed == Some(GateName::CircuitBreaker) {
        let reason = outcome
            .rejection_reason
            .as_deref()
            .unwrap_or("circuit breaker");
        let reason = reason.strip_prefix("circuit breaker: ").unwrap_or(reason);
        breaker::trip(state, &bot.user_id, &bot.id, reason).await?;
    }
    if !outcome.accepted() {
        return Ok(None);
    }
    finish_on_paper(state, bot, order, record, fees, options).await
}

/// A live bot's order: strategy orders go to the exchange through every live gate
/// (`trading::live`); the record stays `pending` until the tracker books the outcome.
async fn place_live(
    state: &AppState,
    bot: &Bot,
    order: &ValidOrder,
    record: &mut OrderRecord,
    options: SubmitOptions,
) -> AppResult<Option<FillWrite>> {
    let (intent, reference) = match options.strategy {
        Some(StrategyFill::Entry(p)) => {
            // The model's price carries its slippage; the exchange is sent the market order
            // and the reference is the market price the decision saw.
            let market = if p.size > 0.0 {
                p.entry_price - p.entry_slippage / p.size
            } else {
                p.entry_price
            };
            (
                LiveIntent::Entry {
                    candle_time: p.entry_time,
                },
                market,
            )
        }
        Some(StrategyFill::Exit(t)) => {
            let position = bot.position.unwrap_or(OpenPosition {
                entry_time: t.entry_time,
                entry_price: t.entry_price,
                size: t.size,
                entry_fee: 0.0,
                entry_slippage: 0.0,
                highest: t.entry_price,
            });
            (
                LiveIntent::Exit {
                    position,
                    reason: t.exit_reason,
                },
                t.exit_price,
            )
        }
        None => {
            record.reject(
                STAGE_EXECUTION,
                "manual orders are not sent for live bots: a live bot trades through its \
                 strategy (or force-enter / force-exit on the bot)",
            );
            return Ok(None);
        }
    };
    live::place(state, bot, order, record, intent, reference, None).await?;
    Ok(None)
}

/// Fills an order that passed its gates: on paper, or live for a live bot.
async fn finish_on_paper(
    state: &AppState,
    bot: &Bot,
    order: &ValidOrder,
    record: &mut OrderRecord,
    fees: crate::domain::fees::ExchangeFees,
    options: SubmitOptions,
) -> AppResult<Option<FillWrite>> {
    if !trades_on_paper(bot) {
        return place_live(state, bot, order, record, options).await;
    }
    match options.strategy {
        Some(fill) => Ok(paper::fill_strategy(state, bot, order, record, fill)),
        None => paper::fill(state, bot, order, record, fees, options.holding_period).await,
    }
}
