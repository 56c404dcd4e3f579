//! The trading core services: the order pipeline and the circuit breaker around the pure
//! rules in `domain/`, over the repositories in `store/`.

pub mod breaker;
pub mod orders;

use crate::domain::bot::Bot;
use crate::domain::trade::Trade;
use crate::state::AppState;

/// Announces a booked trade (`trade_executed`) and the bot's new figures (`profit_updated`).
///
/// The event bus (branch `events`) is not on main yet, so this only logs; once `state.events`
/// exists it publishes both events to the trade's user from here (the one place to wire).
pub fn publish_trade_events(state: &AppState, trade: &Trade, bot: &Bot) {
    let _ = state;
    tracing::info!(
        user_id = %trade.user_id,
        bot_id = %bot.id,
        trade_id = %trade.id,
        profit_loss = trade.profit_loss,
        capital = bot.current_capital,
        "trade executed"
    );
}
