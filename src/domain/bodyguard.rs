//! The AI bodyguard's rules (SPEC §9): when a bot must be paused or quarantined, and when all
//! of a user's bots must stop for the day. Pure functions over what the bot document carries.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::config::TradingConfig;
use crate::domain::bot::Bot;

/// Drawdown (percent below the window's peak) allowed within one hour.
pub const HOURLY_DRAWDOWN_LIMIT_PCT: f64 = 15.0;
/// Losing trades in a row that quarantine a bot.
pub const LOSING_STREAK_LIMIT: u32 = 10;
/// More trades than this in one hour pauses a bot (a runaway loop, not a strategy).
pub const MAX_TRADES_PER_HOUR: u32 = 100;

/// What the bodyguard does to a bot that broke a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GuardAction {
    Pause,
    Quarantine,
}

/// Which rule fired (stored in the alert and the event).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GuardRule {
    HourlyDrawdown,
    StopLoss,
    LosingStreak,
    Overtrading,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub rule: GuardRule,
    pub action: GuardAction,
    pub message: String,
}

/// Thresholds that come from configuration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GuardLimits {
    /// A bot's stop loss on its drawdown when no admin override sets one (`MAX_DRAWDOWN_PERCENT`).
    pub default_stop_loss_pct: f64,
    /// `MAX_DAILY_LOSS_PERCENT` of the user's capital at the start of the UTC day.
    pub daily_loss_limit_pct: f64,
}

impl GuardLimits {
    pub fn from_config(cfg: &TradingConfig) -> Self {
        Self {
            default_stop_loss_pct: cfg.max_drawdown_percent,
            daily_loss_limit_pct: cfg.max_daily_loss_percent,
        }
    }
}

fn window_is_current(bot: &Bot, now: DateTime<Utc>) -> bool {
    bot.hour_started_at
        .is_some_and(|start| now >= start && now - start < Duration::hours(1))
}

fn pct_below(peak: f64, value: f64) -> f64 {
    if peak > 0.0 && peak.is_finite() && value.is_finite() {
        ((peak - value) * 100.0 / peak).clamp(0.0, 100.0)
    } else {
        0.0
    }
}

/// Books one trade into the hourly window and the losing streak. Called by
/// `Bot::record_trade` before the capital moves (so the window starts at the pre-trade capital).
pub fn track_trade(bot: &mut Bot, profit_loss: f64, now: DateTime<Utc>) {
    if !window_is_current(bot, now) {
        bot.hour_started_at = Some(now);
        bot.hour_trade_count = 0;
        bot.hour_peak_capital = bot.current_capital;
    }
    bot.hour_trade_count = bot.hour_trade_count.saturating_add(1);
    let after = bot.current_capital + profit_loss;
    bot.hour_peak_capital = bot.hour_peak_capital.max(after);
    if profit_loss > 0.0 {
        bot.consecutive_losses = 0;
    } else {
        bot.consecutive_losses = bot.consecutive_losses.saturating_add(1);
    }
}

/// Percent below the current hour's peak (0 when the bot has not traded this hour).
pub fn hourly_drawdown_pct(bot: &Bot, now: DateTime<Utc>) -> f64 {
    if window_is_current(bot, now) {
        pct_below(bot.hour_peak_capital, bot.current_capital)
    } else {
        0.0
    }
}

/// Trades booked in the current hour window.
pub fn trades_this_hour(bot: &Bot, now: DateTime<Utc>) -> u32 {
    if window_is_current(bot, now) {
        bot.hour_trade_count
    } else {
        0
    }
}

/// Percent below the bot's peak capital, right now. The peak is re-based after a bodyguard
/// action (see `reset_after_action`); documents written before peaks existed (0) fall back to
/// the starting capital.
pub fn current_drawdown_pct(bot: &Bot) -> f64 {
    let peak = if bot.peak_capital > 0.0 {
        bot.peak_capital
    } else {
        bot.initial_capital
    };
    pct_below(peak, bot.current_capital)
}

/// The bot's stop loss on drawdown: an admin's `override_rules.max_drawdown_pct`, else the default.
pub fn stop_loss_pct(bot: &Bot, limits: &GuardLimits) -> f64 {
    bot.override_rules
        .get("max_drawdown_pct")
        .and_then(serde_json::Value::as_f64)
        .filter(|v| v.is_finite() && *v > 0.0)
        .unwrap_or(limits.default_stop_loss_pct)
}

/// The first rule the bot breaks, in order of severity, or `None`.
pub fn check_bot(bot: &Bot, now: DateTime<Utc>, limits: &GuardLimits) -> Option<Verdict> {
    let hourly = hourly_drawdown_pct(bot, now);
    if hourly > HOURLY_DRAWDOWN_LIMIT_PCT {
        return Some(Verdict {
            rule: GuardRule::HourlyDrawdown,
            action: GuardAction::Quarantine,
            message: format!(
                "Drawdown of {hourly:.1} % within an hour (limit {HOURLY_DRAWDOWN_LIMIT_PCT} %)"
            ),
        });
    }
    let drawdown = current_drawdown_pct(bot);
    let stop_loss = stop_loss_pct(bot, limits);
    if drawdown > stop_loss {
        return Some(Verdict {
            rule: GuardRule::StopLoss,
            action: GuardAction::Quarantine,
            message: format!("Drawdown of {drawdown:.1} % is past its stop loss of {stop_loss} %"),
        });
    }
    if bot.consecutive_losses >= LOSING_STREAK_LIMIT {
        return Some(Verdict {
            rule: GuardRule::LosingStreak,
            action: GuardAction::Quarantine,
            message: format!("{} losing trades in a row", bot.consecutive_losses),
        });
    }
    let trades = trades_this_hour(bot, now);
    if trades > MAX_TRADES_PER_HOUR {
        return Some(Verdict {
            rule: GuardRule::Overtrading,
            action: GuardAction::Pause,
            message: format!("{trades} trades within an hour (limit {MAX_TRADES_PER_HOUR})"),
        });
    }
    None
}

/// After the bodyguard acted, the evidence is cleared so a bot that comes back (after
/// retraining or a manual resume) is judged on what it does next, not punished again for the
/// same losses. The historical `max_drawdown` is kept.
pub fn reset_after_action(bot: &mut Bot) {
    bot.consecutive_losses = 0;
    bot.hour_started_at = None;
    bot.hour_trade_count = 0;
    bot.hour_peak_capital = bot.current_capital;
    bot.peak_capital = bot.current_capital;
}

/// The user's loss today as a percent of their capital at the start of the UTC day
/// (0 when they are up or have no capital).
pub fn daily_loss_pct(bots: &[Bot], now: DateTime<Utc>) -> f64 {
    let profit_today: f64 = bots.iter().map(|b| b.profit_today_at(now)).sum();
    let start_capital: f64 = bots
        .iter()
        .map(|b| b.current_capital - b.profit_today_at(now))
        .sum();
    if profit_today >= 0.0 || start_capital <= 0.0 || !profit_today.is_finite() {
        0.0
    } else {
        (-profit_today * 100.0 / start_capital).min(100.0)
    }
}

/// True when the user's daily loss reached the limit (SPEC: `>=`).
pub fn daily_loss_breached(bots: &[Bot], now: DateTime<Utc>, limits: &GuardLimits) -> bool {
    let loss = daily_loss_pct(bots, now);
    loss > 0.0 && loss >= limits.daily_loss_limit_pct
}

#[cfg(test)]
mod tests;
