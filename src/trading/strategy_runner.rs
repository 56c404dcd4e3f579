//! Strategy bots on paper: each active bot is evaluated once per closed candle of its series
//! through the same [`Trader`] backtests use, its fills go through the order pipeline, its
//! position is stored on the bot, and every evaluation is recorded as a decision.
//!
//! Crash safety comes from idempotency keys, not from one big transaction: an entry's key is
//! `strategy:{bot}:enter:{candle}` and an exit's `strategy:{bot}:exit:{entry candle}` (one exit
//! per position, whoever sends it: the scheduler's stop or a user's force-exit). The bot's
//! state (position, pending order, last candle) is saved after the orders; a crash in between
//! leaves `last_candle_time` behind, so the next tick replays the same candle, computes the
//! same fills, and the pipeline answers the stored orders instead of filling twice.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;

use super::orders::{submit_with, StrategyFill, SubmitOptions};
use crate::app::events::emit;
use crate::domain::bot::Bot;
use crate::domain::candles::Candle;
use crate::domain::decision::Decision;
use crate::domain::fees::default_fees;
use crate::domain::fill::SlippageModel;
use crate::domain::order_record::{OrderRecord, OrderStatus};
use crate::domain::orders::OrderRequest;
use crate::domain::price::PriceSource;
use crate::domain::strategy::trader::{
    Action, ClosedTrade, Costs, ExitReason, OpenPosition, Trader, TraderState,
};
use crate::engine::scheduler::{Execution, TradeExecutor};
use crate::error::{AppError, AppResult};
use crate::events::EventType;
use crate::state::AppState;
use crate::store::bots::update_bot;
use crate::store::StoreError;

/// Candles read beyond the strategy's warm-up, so averages settle before the newest candle.
pub const HISTORY_EXTRA: usize = 300;
/// The most candles one evaluation reads.
const MAX_HISTORY: usize = 5_000;

/// The scheduler's executor for strategy bots.
pub struct StrategyExecutor {
    state: AppState,
}

impl StrategyExecutor {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[async_trait]
impl TradeExecutor for StrategyExecutor {
    async fn execute(&self, bot: &Bot) -> AppResult<Execution> {
        evaluate(&self.state, bot).await
    }
}

/// A bot's trading costs: its exchange's taker fee, and the slippage the paper model charges
/// an order of its usual size on that quote currency.
pub fn costs_for(bot: &Bot) -> Costs {
    let fee_bps = default_fees(bot.exchange.as_str()).map_or(10.0, |f| f.taker_fee_bps);
    let notional = bot.current_capital * bot.risk().position_size_pct / 100.0;
    let slippage_bps =
        SlippageModel::for_quote(&bot.trading_pair().quote).slippage_bps(notional.max(0.0));
    Costs {
        fee_bps,
        slippage_bps,
    }
}

fn skipped(reason: impl Into<String>) -> Execution {
    Execution::Skipped {
        reason: reason.into(),
    }
}

fn trader_for(bot: &Bot, strategy: Box<dyn crate::domain::strategy::Strategy>) -> Trader {
    Trader::new(
        strategy,
        bot.risk(),
        costs_for(bot),
        TraderState {
            cash: bot.current_capital,
            position: bot.position,
            pending: bot.pending_order,
            cooldown_left: bot.cooldown_left,
        },
    )
}

fn exit_key(bot: &Bot, position: &OpenPosition) -> String {
    format!("strategy:{}:exit:{}", bot.id, position.entry_time)
}

/// Sends one strategy order through the pipeline.
async fn submit(
    state: &AppState,
    bot: &Bot,
    side: &str,
    amount: f64,
    key: String,
    expected_edge_bps: Option<f64>,
    fill: StrategyFill,
) -> AppResult<OrderRecord> {
    let order = OrderRequest {
        bot_id: bot.id.clone(),
        symbol: bot.trading_pair().to_string(),
        side: side.to_string(),
        amount,
        order_type: None,
        price: None,
        idempotency_key: Some(key),
        expected_edge_bps,
    };
    let options = SubmitOptions {
        holding_period: None,
        strategy: Some(fill),
    };
    submit_with(state, &bot.user_id, &order, options).await
}

fn entry_edge(bot: &Bot) -> Option<f64> {
    // The target is what the strategy hopes to make; without one the fee gate has no edge
    // to compare and is skipped (as for manual orders).
    let target = bot.risk().take_profit_pct;
    (target > 0.0).then_some(target * 100.0)
}

fn ms_time(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| ms.to_string())
}

struct DecisionDraft {
    id: String,
    candle_time: Option<i64>,
    decision: Action,
    reason: String,
    indicators: std::collections::BTreeMap<String, f64>,
    order_id: Option<String>,
    strategy: String,
    price: Option<f64>,
}

/// Stores a decision (a replayed candle finds its decision already there) and publishes it.
async fn record(state: &AppState, bot: &Bot, draft: DecisionDraft) -> AppResult<Decision> {
    let decision = Decision {
        id: draft.id,
        user_id: bot.user_id.clone(),
        bot_id: bot.id.clone(),
        timestamp: state.clock.now(),
        candle_time: draft.candle_time,
        decision: draft.decision.as_str().to_string(),
        reason: draft.reason,
        indicators: draft.indicators,
        order_id: draft.order_id,
        strategy: draft.strategy,
        price: draft.price,
    };
    match state.store.decisions.insert(&decision).await {
        Ok(()) => emit(
            state,
            &bot.user_id,
            EventType::Decision,
            json!({"decision": decision}),
        ),
        Err(StoreError::Duplicate(_)) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(decision)
}

fn risk_exit_reason(trade: &ClosedTrade, candle: &Candle, bot: &Bot) -> String {
    let risk = bot.risk();
    let entry = trade.entry_price;
    match trade.exit_reason {
        ExitReason::StopLoss => format!(
            "stop-loss: the candle's low {:.2} reached the stop {:.2} ({}% under the entry {:.2})",
            candle.low,
            entry * (1.0 - risk.stop_loss_pct / 100.0),
            risk.stop_loss_pct,
            entry
        ),
        ExitReason::TrailingStop => format!(
            "trailing stop: the candle's low {:.2} fell {}% under the highest price since entry",
            candle.low, risk.trailing_stop_pct
        ),
        ExitReason::TakeProfit => format!(
            "take-profit: the candle's high {:.2} reached the target {:.2} ({}% over the entry {:.2})",
            candle.high,
            entry * (1.0 + risk.take_profit_pct / 100.0),
            risk.take_profit_pct,
            entry
        ),
        other => format!("exit: {}", other.as_str()),
    }
}

/// One bot's turn: evaluate the newest closed candle if it has not been yet.
pub async fn evaluate(state: &AppState, bot: &Bot) -> AppResult<Execution> {
    let live = super::live::is_live(bot);
    if let Some(working) = bot.live_order_id.as_deref().filter(|_| live) {
        return Ok(skipped(format!(
            "waiting for live order {working} to finish"
        )));
    }
    let series = bot.series();
    let tf_ms = series.timeframe.millis();
    let now_ms = state.clock.now().timestamp_millis();
    let mut strategy = bot.strategy.build(series.timeframe);
    let history = (strategy.warmup() + HISTORY_EXTRA).min(MAX_HISTORY) as u32;
    // Closed candles only: the newest one whose period is over.
    let candles = state
        .store
        .candles
        .range(&series, None, Some(now_ms - tf_ms), history)
        .await?;
    let Some(&last) = candles.last() else {
        return Ok(skipped(format!("no closed {series} candles stored yet")));
    };
    if bot.last_candle_time.is_some_and(|t| t >= last.open_time) {
        return Ok(skipped("no new closed candle"));
    }
    for candle in &candles[..candles.len() - 1] {
        strategy.update(candle);
    }
    let mut trader = trader_for(bot, strategy);
    // An order decided on a close fills at the very next candle's open, or not at all.
    let mut dropped = None;
    if bot.pending_order.is_some()
        && bot.last_candle_time.map(|t| t + tf_ms) != Some(last.open_time)
    {
        trader.state.pending = None;
        dropped = Some(format!(
            "the order decided on {} was dropped: candles were missed before it could fill",
            bot.last_candle_time.map_or_else(String::new, ms_time)
        ));
    }
    let step = trader.step(&last);
    let why = trader.strategy.explain();
    let strategy_name = bot.strategy.name.clone();
    let mut placed = None;
    let mut notes = Vec::new();
    if let Some(note) = dropped {
        notes.push(note);
    }

    // The entry first: an exit in the same candle closes the position it opened.
    let mut refused_entry = None;
    // A live entry is working on the exchange: nothing else is sent until it finishes.
    let mut live_entry_working = false;
    if let Some(position) = step.entered {
        let key = format!("strategy:{}:enter:{}", bot.id, position.entry_time);
        let order = submit(
            state,
            bot,
            "buy",
            position.size,
            key,
            entry_edge(bot),
            StrategyFill::Entry(position),
        )
        .await?;
        if order.status == OrderStatus::Filled {
            if let Some(id) = &bot.pending_decision_id {
                state
                    .store
                    .decisions
                    .attach_order(&bot.user_id, id, &order.id)
                    .await?;
            }
            placed = Some(order.id.clone());
        } else if order.status == OrderStatus::Pending && live {
            if let Some(id) = &bot.pending_decision_id {
                state
                    .store
                    .decisions
                    .attach_order(&bot.user_id, id, &order.id)
                    .await?;
            }
            live_entry_working = true;
            placed = Some(order.id.clone());
        } else {
            let why_not = order
                .rejection_reason
                .clone()
                .unwrap_or_else(|| "refused".into());
            record(
                state,
                bot,
                DecisionDraft {
                    id: format!("{}:{}:refused", bot.id, last.open_time),
                    candle_time: Some(last.open_time),
                    decision: Action::Hold,
                    reason: format!(
                        "the entry decided on the previous close was refused: {why_not}"
                    ),
                    indicators: Default::default(),
                    order_id: Some(order.id.clone()),
                    strategy: strategy_name.clone(),
                    price: Some(last.open),
                },
            )
            .await?;
            refused_entry = Some(position);
            if trader.state.position == Some(position) {
                trader.state.position = None;
            }
        }
    }
    if let Some(trade) = step
        .exited
        .filter(|t| refused_entry.is_none_or(|p| p.entry_time != t.entry_time))
        .filter(|_| !live_entry_working)
    {
        let position = OpenPosition {
            entry_time: trade.entry_time,
            entry_price: trade.entry_price,
            size: trade.size,
            entry_fee: 0.0,
            entry_slippage: 0.0,
            highest: trade.entry_price,
        };
        // A refused live exit (a gate, the exchange) must not block the next attempt, so live
        // exit keys also name the candle; a replay of the same candle still finds its order.
        let key = if live {
            format!("{}:{}", exit_key(bot, &position), last.open_time)
        } else {
            exit_key(bot, &position)
        };
        let order = submit(
            state,
            bot,
            "sell",
            trade.size,
            key,
            None,
            StrategyFill::Exit(trade),
        )
        .await?;
        let working = order.status == OrderStatus::Pending && live;
        if !working && order.status != OrderStatus::Filled {
            // Exits pass no risk gate, so this is a deleted bot or a live one: leave the
            // stored state alone.
            return Ok(skipped(format!(
                "exit not filled: {}",
                order.rejection_reason.unwrap_or_default()
            )));
        }
        if trade.exit_reason == ExitReason::Signal {
            if let Some(id) = &bot.pending_decision_id {
                state
                    .store
                    .decisions
                    .attach_order(&bot.user_id, id, &order.id)
                    .await?;
            }
        } else {
            record(
                state,
                bot,
                DecisionDraft {
                    id: format!(
                        "{}:{}:{}",
                        bot.id,
                        last.open_time,
                        trade.exit_reason.as_str()
                    ),
                    candle_time: Some(last.open_time),
                    decision: Action::Exit,
                    reason: risk_exit_reason(&trade, &last, bot),
                    indicators: [
                        ("low".to_string(), last.low),
                        ("high".to_string(), last.high),
                        ("exit_price".to_string(), trade.exit_price),
                    ]
                    .into_iter()
                    .collect(),
                    order_id: Some(order.id.clone()),
                    strategy: strategy_name.clone(),
                    price: Some(trade.exit_price),
                },
            )
            .await?;
        }
        placed = Some(order.id);
    }

    // The decision on this close (recorded once the strategy has enough candles to decide).
    let warmed = candles.len() >= trader.strategy.warmup();
    let mut close_decision = None;
    if warmed || step.action != Action::Hold || !notes.is_empty() {
        let mut reason = why.reason;
        if step.cooldown_blocked {
            reason = format!(
                "{reason}; no entry: cooling down after a stop ({} more candle(s))",
                trader.state.cooldown_left
            );
        }
        for note in &notes {
            reason = format!("{reason}; {note}");
        }
        let decision = record(
            state,
            bot,
            DecisionDraft {
                id: format!("{}:{}", bot.id, last.open_time),
                candle_time: Some(last.open_time),
                decision: step.action,
                reason,
                indicators: why.indicators,
                order_id: None,
                strategy: strategy_name,
                price: Some(last.close),
            },
        )
        .await?;
        close_decision = Some(decision.id);
    }

    let (before_position, before_candle) = (bot.position, bot.last_candle_time);
    let after = trader.state;
    let pending_decision = after.pending.and(close_decision);
    let now = state.clock.now();
    update_bot::<AppError, _>(
        state.store.bots.as_ref(),
        None,
        &bot.user_id,
        &bot.id,
        |b| {
            // Someone else moved the bot on (a force-exit, another evaluation): this turn's view is
            // stale; the next tick starts from what they stored.
            // A live bot's position is written only by the live tracker, from real fills.
            let moved = !live && b.position != before_position;
            if moved || b.last_candle_time != before_candle {
                return Ok(false);
            }
            if !live {
                b.position = after.position;
            }
            b.pending_order = after.pending;
            b.pending_decision_id = pending_decision.clone();
            b.cooldown_left = after.cooldown_left;
            b.last_candle_time = Some(last.open_time);
            b.updated_at = now;
            Ok(true)
        },
    )
    .await?;
    Ok(match placed {
        Some(order_id) => Execution::Submitted { order_id },
        None => skipped(format!(
            "{}: {}",
            step.action.as_str(),
            ms_time(last.open_time)
        )),
    })
}

/// What a force-exit or force-enter did.
pub struct ManualOutcome {
    pub decision: Decision,
    pub order: OrderRecord,
    pub bot: Bot,
}

async fn market_price(state: &AppState, bot: &Bot) -> AppResult<f64> {
    let symbol = bot.trading_pair().to_string();
    state
        .prices
        .price(bot.exchange.as_str(), &symbol)
        .await
        .map(|q| q.price)
        .map_err(|e| AppError::unavailable(format!("no market price for {symbol}: {e}")))
}

/// What a manual action stores once its order filled: the bot's new position (only if the
/// position is still what it was when the action started) and a `manual` decision.
struct ManualFill {
    expected: Option<OpenPosition>,
    position: Option<OpenPosition>,
    action: Action,
    reason: String,
    price: f64,
}

async fn finish_manual(
    state: &AppState,
    bot: &Bot,
    order: OrderRecord,
    fill: ManualFill,
) -> AppResult<ManualOutcome> {
    // A live order is working on the exchange: the tracker sets the position from its fills.
    let working = order.status == OrderStatus::Pending && super::live::is_live(bot);
    if !working && order.status != OrderStatus::Filled {
        let what = if fill.action == Action::Exit {
            "exit"
        } else {
            "entry"
        };
        return Err(AppError::conflict(
            "ORDER_REJECTED",
            format!(
                "The {what} was refused: {}",
                order.rejection_reason.clone().unwrap_or_default()
            ),
        ));
    }
    let now = state.clock.now();
    let store = state.store.bots.as_ref();
    let updated = update_bot::<AppError, _>(store, None, &bot.user_id, &bot.id, |b| {
        if working || b.position != fill.expected {
            return Ok(false);
        }
        b.position = fill.position;
        b.pending_order = None;
        b.pending_decision_id = None;
        b.updated_at = now;
        Ok(true)
    })
    .await?
    .map(|(b, _)| b)
    .ok_or_else(|| AppError::not_found("BOT_NOT_FOUND", "Bot not found"))?;
    let draft = DecisionDraft {
        id: uuid::Uuid::new_v4().to_string(),
        candle_time: None,
        decision: fill.action,
        reason: fill.reason,
        indicators: Default::default(),
        order_id: Some(order.id.clone()),
        strategy: "manual".into(),
        price: Some(fill.price),
    };
    let decision = record(state, bot, draft).await?;
    Ok(ManualOutcome {
        decision,
        order,
        bot: updated,
    })
}

/// Closes the bot's open position at the market price now (recorded with reason `manual`).
/// Refused (409 NO_POSITION) when it holds none, so a second call changes nothing.
pub async fn force_exit(state: &AppState, user_id: &str, bot_id: &str) -> AppResult<ManualOutcome> {
    let bot = crate::app::bots::load_bot(state, user_id, bot_id).await?;
    let none = || AppError::conflict("NO_POSITION", "The bot holds no position to close");
    let position = bot.position.ok_or_else(none)?;
    let price = market_price(state, &bot).await?;
    let now = state.clock.now();
    let mut trader = trader_for(&bot, bot.strategy.build(bot.timeframe));
    let trade = trader
        .close_at(price, now.timestamp_millis(), ExitReason::Manual)
        .ok_or_else(none)?;
    // A live exit may be refused and tried again, so each attempt is its own order.
    let key = if super::live::is_live(&bot) {
        format!(
            "{}:manual:{}",
            exit_key(&bot, &position),
            uuid::Uuid::new_v4().simple()
        )
    } else {
        exit_key(&bot, &position)
    };
    let order = submit(
        state,
        &bot,
        "sell",
        trade.size,
        key,
        None,
        StrategyFill::Exit(trade),
    )
    .await?;
    let fill = ManualFill {
        expected: Some(position),
        position: None,
        action: Action::Exit,
        reason: format!(
            "manual: closed by the user at market {price:.2} (P&L {:.2})",
            trade.pnl
        ),
        price: trade.exit_price,
    };
    finish_manual(state, &bot, order, fill).await
}

/// Opens a position at the market price now, through every entry gate (recorded with reason
/// `manual`). Refused (409) when the bot already holds one or a gate says no.
pub async fn force_enter(
    state: &AppState,
    user_id: &str,
    bot_id: &str,
) -> AppResult<ManualOutcome> {
    let bot = crate::app::bots::load_bot(state, user_id, bot_id).await?;
    if bot.position.is_some() {
        return Err(AppError::conflict(
            "POSITION_OPEN",
            "The bot already holds a position",
        ));
    }
    let price = market_price(state, &bot).await?;
    let now = state.clock.now();
    let mut trader = trader_for(&bot, bot.strategy.build(bot.timeframe));
    let Some(position) = trader.open_at(price, now.timestamp_millis()) else {
        return Err(AppError::conflict(
            "ORDER_REJECTED",
            "The position size rounds to zero at this capital",
        ));
    };
    // Each request is its own order (a refused one must not answer the next attempt).
    let key = format!(
        "strategy:{}:enter:manual:{}",
        bot.id,
        uuid::Uuid::new_v4().simple()
    );
    let order = submit(
        state,
        &bot,
        "buy",
        position.size,
        key,
        None,
        StrategyFill::Entry(position),
    )
    .await?;
    let fill = ManualFill {
        expected: None,
        position: Some(position),
        action: Action::EnterLong,
        reason: format!("manual: opened by the user at market {price:.2}"),
        price: position.entry_price,
    };
    finish_manual(state, &bot, order, fill).await
}
