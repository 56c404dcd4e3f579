//! Fixtures shared by the bot-domain tests: a default trading config and ready-made bots.

use chrono::{DateTime, TimeZone, Utc};

use crate::config::TradingConfig;
use crate::domain::bot::{Bot, Exchange, NewBot, RiskMode, TradingMode};

/// The documented defaults (MAX_BOTS 45, 24 h bay, 7 paper days).
pub fn config() -> TradingConfig {
    TradingConfig {
        max_bots: 45,
        live_min_training_hours: 24,
        paper_training_days: 7,
        max_trades_per_bot_daily: 50,
        max_trades_per_user_daily: 500,
        min_edge_bps: 10.0,
        safety_margin_bps: 5.0,
        slippage_buffer_bps: 5.0,
        max_drawdown_percent: 20.0,
        max_daily_loss_percent: 10.0,
        max_consecutive_losses: 5,
        max_errors_per_hour: 10,
        trading_tick_seconds: 60,
        backtest_workers: 2,
        backtest_max_queued_per_user: 3,
        live_max_order_notional: 1_000.0,
        live_max_daily_notional: 5_000.0,
        live_poll_seconds: 5,
    }
}

/// A fixed, readable instant: 2025-01-01 00:00:00 UTC.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()
}

pub fn new_bot(mode: TradingMode) -> NewBot {
    NewBot {
        name: "Alpha".to_string(),
        exchange: Exchange::Luno,
        risk_mode: RiskMode::Balanced,
        trading_mode: mode,
        initial_capital: 1000.0,
    }
}

pub fn paper_bot() -> Bot {
    Bot::new("user-1", new_bot(TradingMode::Paper), t0(), &config())
}

pub fn live_bot() -> Bot {
    Bot::new("user-1", new_bot(TradingMode::Live), t0(), &config())
}
