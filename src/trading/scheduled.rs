//! The trading scheduler's executor: turns one eligible paper bot's turn into an order through
//! the same pipeline as manual orders (gates, live price feed, paper fill, trade + bot update,
//! events), with a holding period so the outcome follows the real price move.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use super::orders::{submit_with, SubmitOptions};
use crate::domain::bot::Bot;
use crate::domain::orders::OrderRequest;
use crate::domain::price::PriceSource;
use crate::engine::scheduler::{Execution, TradeExecutor};
use crate::error::AppResult;
use crate::state::AppState;

/// The order a bot places this turn: pure, so the sizing and direction rules are testable.
pub fn plan_order(
    bot: &Bot,
    price: f64,
    change_24h: Option<f64>,
    tick_key: i64,
) -> Option<OrderRequest> {
    if !(price.is_finite() && price > 0.0 && bot.current_capital.is_finite()) {
        return None;
    }
    let params = &bot.params;
    let notional = bot.current_capital * params.position_size_pct / 100.0;
    // Eight decimals is the finest unit every supported exchange quotes.
    let amount = (notional / price * 1e8).floor() / 1e8;
    if !(amount.is_finite() && amount > 0.0) {
        return None;
    }
    // Momentum: follow the last 24 h direction (no random outcome anywhere).
    let side = if change_24h.unwrap_or(0.0) >= 0.0 {
        "buy"
    } else {
        "sell"
    };
    Some(OrderRequest {
        bot_id: bot.id.clone(),
        symbol: symbol_for(bot.exchange.as_str()).to_string(),
        side: side.to_string(),
        amount,
        order_type: None,
        price: None,
        // One order per bot per scheduler tick, even if a tick is retried after a crash.
        idempotency_key: Some(format!("sched:{}:{tick_key}", bot.id)),
        // The bot aims for its take-profit; the fee gate refuses it when costs eat that edge.
        expected_edge_bps: Some(params.take_profit_pct * 100.0),
    })
}

/// The pair a scheduled bot trades on its exchange (ZAR books on the South African venues).
pub fn symbol_for(exchange: &str) -> &'static str {
    match exchange {
        "binance" | "kucoin" => "BTC/USDT",
        _ => "BTC/ZAR",
    }
}

/// Submits scheduled orders in the background (a held position must not stall the tick for
/// the other bots) and skips a bot whose previous position is still open.
pub struct PipelineExecutor {
    state: AppState,
    holding: Arc<Mutex<HashSet<String>>>,
}

impl PipelineExecutor {
    pub fn new(state: AppState) -> Self {
        Self {
            state,
            holding: Arc::default(),
        }
    }
}

#[async_trait]
impl TradeExecutor for PipelineExecutor {
    async fn execute(&self, bot: &Bot) -> AppResult<Execution> {
        let state = &self.state;
        // Claim the bot first: a bot still holding its previous position skips its turn
        // without even asking for a price.
        {
            let Ok(mut holding) = self.holding.lock() else {
                return Ok(Execution::Skipped {
                    reason: "executor state unavailable".into(),
                });
            };
            if !holding.insert(bot.id.clone()) {
                return Ok(Execution::Skipped {
                    reason: "still holding the previous position".into(),
                });
            }
        }
        let release = |reason: String| {
            if let Ok(mut holding) = self.holding.lock() {
                holding.remove(&bot.id);
            }
            Ok(Execution::Skipped { reason })
        };
        let symbol = symbol_for(bot.exchange.as_str());
        let quote = match state.prices.price(bot.exchange.as_str(), symbol).await {
            Ok(quote) => quote,
            Err(e) => return release(format!("no live price: {e}")),
        };
        let tick = state.config.trading.trading_tick_seconds.max(1) as i64;
        let tick_key = state.clock.now().timestamp() / tick;
        let Some(order) = plan_order(bot, quote.price, quote.change_24h, tick_key) else {
            return release("position size rounds to zero".into());
        };
        let hold = Duration::from_secs(u64::from(bot.params.holding_ticks.max(1)) * tick as u64);
        let key = order.idempotency_key.clone().unwrap_or_default();
        let (state, holding, user_id, bot_id) = (
            state.clone(),
            self.holding.clone(),
            bot.user_id.clone(),
            bot.id.clone(),
        );
        tokio::spawn(async move {
            let options = SubmitOptions {
                holding_period: Some(hold),
            };
            if let Err(e) = submit_with(&state, &user_id, &order, options).await {
                tracing::warn!(bot_id = %bot_id, error = %e, "scheduled order failed");
            }
            if let Ok(mut holding) = holding.lock() {
                holding.remove(&bot_id);
            }
        });
        Ok(Execution::Submitted { order_id: key })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::bot::test_support::paper_bot;
    use crate::domain::bot_enums::Exchange;

    fn bot(exchange: Exchange, capital: f64) -> Bot {
        let mut bot = paper_bot();
        bot.exchange = exchange;
        bot.current_capital = capital;
        bot
    }

    #[test]
    fn sizes_from_capital_and_follows_the_24h_direction() {
        let b = bot(Exchange::Luno, 1000.0);
        let pct = b.params.position_size_pct;
        let up = plan_order(&b, 500_000.0, Some(1.5), 7).expect("order");
        assert_eq!(up.side, "buy");
        assert_eq!(up.symbol, "BTC/ZAR");
        let expected = ((1000.0 * pct / 100.0) / 500_000.0 * 1e8_f64).floor() / 1e8;
        assert_eq!(up.amount, expected);
        assert!(up.amount * 500_000.0 <= 1000.0);
        assert_eq!(
            up.idempotency_key.as_deref(),
            Some(format!("sched:{}:7", b.id).as_str())
        );
        let down = plan_order(&b, 500_000.0, Some(-0.1), 7).expect("order");
        assert_eq!(down.side, "sell");
        assert_eq!(
            plan_order(&bot(Exchange::Binance, 1000.0), 60_000.0, None, 1)
                .expect("o")
                .symbol,
            "BTC/USDT"
        );
    }

    #[test]
    fn no_order_without_a_usable_price_or_size() {
        let b = bot(Exchange::Luno, 1000.0);
        assert!(plan_order(&b, 0.0, None, 1).is_none());
        assert!(plan_order(&b, f64::NAN, None, 1).is_none());
        assert!(plan_order(&b, 1e30, None, 1).is_none());
    }
}
