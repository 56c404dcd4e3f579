//! The trading core services: the order pipeline and the circuit breaker around the pure
//! rules in `domain/`, over the repositories in `store/`, announcing results on the event bus.

pub mod breaker;
pub mod limits;
pub mod live;
pub mod live_reconcile;
pub mod orders;
pub mod paper;
pub mod strategy_runner;

use serde_json::json;

use crate::app::bots::bot_json;
use crate::app::events::emit;
use crate::domain::bot::{Bot, BotStatus};
use crate::domain::trade::Trade;
use crate::events::EventType;
use crate::state::AppState;

/// Announces a booked trade: `trade_executed` (the trade), `profit_updated` (the bot's new
/// figures) and `overview_updated` (the user's totals over all bots).
pub async fn publish_trade_events(state: &AppState, trade: &Trade, bot: &Bot) {
    let user_id = trade.user_id.as_str();
    tracing::info!(
        user_id,
        bot_id = %bot.id,
        trade_id = %trade.id,
        profit_loss = trade.profit_loss,
        "trade executed"
    );
    emit(
        state,
        user_id,
        EventType::TradeExecuted,
        json!({"trade": trade, "bot_id": bot.id, "order_id": trade.order_id}),
    );
    emit(
        state,
        user_id,
        EventType::ProfitUpdated,
        json!({
            "bot_id": bot.id,
            "bot_name": bot.name,
            "profit_loss": trade.profit_loss,
            "total_profit": bot.total_profit,
            "current_capital": bot.current_capital,
            "trades_count": bot.trades_count,
            "win_rate": bot.win_rate,
            "daily_profit": bot.daily_profit,
        }),
    );
    match state.store.bots.list(user_id, None).await {
        Ok(bots) => emit(state, user_id, EventType::OverviewUpdated, overview(&bots)),
        Err(e) => tracing::warn!(error = %e, "overview after a trade not published"),
    }
}

/// The user's totals over all bots, as sent with `overview_updated`.
pub fn overview(bots: &[Bot]) -> serde_json::Value {
    let active = bots
        .iter()
        .filter(|b| b.status == BotStatus::Active)
        .count();
    json!({
        "total_bots": bots.len(),
        "active_bots": active,
        "total_capital": bots.iter().map(|b| b.current_capital).sum::<f64>(),
        "total_profit": bots.iter().map(|b| b.total_profit).sum::<f64>(),
        "total_trades": bots.iter().map(|b| b.trades_count).sum::<u64>(),
    })
}

/// Announces a status change made by the trading core (breaker trip or reset).
pub fn publish_status_change(state: &AppState, bot: &Bot, from: BotStatus, reason: &str) {
    emit(
        state,
        &bot.user_id,
        EventType::BotStatusChanged,
        json!({
            "bot_id": bot.id,
            "bot": bot_json(bot),
            "old_status": from,
            "new_status": bot.status,
            "reason": reason,
        }),
    );
}
