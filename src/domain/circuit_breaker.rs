//! The circuit breaker (SPEC §8 gate 4): when a bot must stop trading and be paused.

use serde::{Deserialize, Serialize};

use crate::config::TradingConfig;

/// Absorbs float noise so a value that is exactly at a limit on paper is treated as reaching
/// it (e.g. 20 % computed as 19.999999999999996).
const LIMIT_EPSILON: f64 = 1e-9;

/// The numbers the breaker looks at, all for one bot.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BreakerInput {
    pub initial_capital: f64,
    /// The highest capital the bot has reached (its high-water mark).
    pub peak_capital: f64,
    pub current_capital: f64,
    /// Capital at the most recent UTC midnight.
    pub day_start_capital: f64,
    pub consecutive_losses: u32,
    pub errors_last_hour: u32,
}

/// Why the breaker tripped, for alerts and the status route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TripKind {
    Drawdown,
    DailyLoss,
    ConsecutiveLosses,
    Errors,
    /// Capital numbers that are not finite: trading on them would be guesswork, so fail closed.
    InvalidInput,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum BreakerDecision {
    Ok,
    Trip { kind: TripKind, reason: String },
}

impl BreakerDecision {
    pub fn is_tripped(&self) -> bool {
        matches!(self, BreakerDecision::Trip { .. })
    }
}

/// Percentage fall from `from` to `to`; 0 when `from` is not positive (nothing to lose from).
/// Multiplies before dividing so that round hand-computed cases stay exact.
pub fn percent_drop(from: f64, to: f64) -> f64 {
    if from <= 0.0 {
        return 0.0;
    }
    ((from - to) * 100.0 / from).max(0.0)
}

/// Drawdown of the bot from its high-water mark, in percent. The peak is never below the
/// initial or current capital, so a stale or missing peak cannot hide a loss.
pub fn drawdown_percent(input: &BreakerInput) -> f64 {
    let peak = input
        .peak_capital
        .max(input.initial_capital)
        .max(input.current_capital);
    percent_drop(peak, input.current_capital)
}

/// Today's loss against the capital at UTC midnight, in percent.
pub fn daily_loss_percent(input: &BreakerInput) -> f64 {
    percent_drop(input.day_start_capital, input.current_capital)
}

/// Checks the four limits in a fixed order; every limit trips when it is *reached* (`>=`).
pub fn evaluate(input: &BreakerInput, cfg: &TradingConfig) -> BreakerDecision {
    let numbers = [
        input.initial_capital,
        input.peak_capital,
        input.current_capital,
        input.day_start_capital,
    ];
    if numbers.iter().any(|n| !n.is_finite()) {
        return BreakerDecision::Trip {
            kind: TripKind::InvalidInput,
            reason: "capital figures are not valid numbers".to_string(),
        };
    }
    let drawdown = drawdown_percent(input);
    if drawdown + LIMIT_EPSILON >= cfg.max_drawdown_percent {
        return BreakerDecision::Trip {
            kind: TripKind::Drawdown,
            reason: format!(
                "drawdown {drawdown:.2}% reached the {:.2}% limit",
                cfg.max_drawdown_percent
            ),
        };
    }
    let daily_loss = daily_loss_percent(input);
    if daily_loss + LIMIT_EPSILON >= cfg.max_daily_loss_percent {
        return BreakerDecision::Trip {
            kind: TripKind::DailyLoss,
            reason: format!(
                "daily loss {daily_loss:.2}% reached the {:.2}% limit",
                cfg.max_daily_loss_percent
            ),
        };
    }
    if input.consecutive_losses >= cfg.max_consecutive_losses {
        return BreakerDecision::Trip {
            kind: TripKind::ConsecutiveLosses,
            reason: format!(
                "{} consecutive losses reached the limit of {}",
                input.consecutive_losses, cfg.max_consecutive_losses
            ),
        };
    }
    if input.errors_last_hour >= cfg.max_errors_per_hour {
        return BreakerDecision::Trip {
            kind: TripKind::Errors,
            reason: format!(
                "{} errors in the last hour reached the limit of {}",
                input.errors_last_hour, cfg.max_errors_per_hour
            ),
        };
    }
    BreakerDecision::Ok
}

/// The documented defaults (SPEC §8), shared by the domain tests.
#[cfg(test)]
pub(crate) fn default_trading_config() -> TradingConfig {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn healthy() -> BreakerInput {
        BreakerInput {
            initial_capital: 1000.0,
            peak_capital: 1000.0,
            current_capital: 1000.0,
            day_start_capital: 1000.0,
            consecutive_losses: 0,
            errors_last_hour: 0,
        }
    }

    fn kind(decision: BreakerDecision) -> Option<TripKind> {
        match decision {
            BreakerDecision::Ok => None,
            BreakerDecision::Trip { kind, .. } => Some(kind),
        }
    }

    fn check(input: BreakerInput) -> Option<TripKind> {
        kind(evaluate(&input, &default_trading_config()))
    }

    #[test]
    fn a_healthy_bot_passes() {
        assert_eq!(check(healthy()), None);
    }

    #[test]
    fn a_drawdown_just_under_twenty_percent_passes() {
        // Peak 1250 (day started at 1010 so the daily limit stays out of the way):
        // (1250 - 1000.01) * 100 / 1250 = 19.9992 %.
        let input = BreakerInput {
            peak_capital: 1250.0,
            current_capital: 1000.01,
            day_start_capital: 1010.0,
            ..healthy()
        };
        assert_eq!(check(input), None);
    }

    #[test]
    fn a_drawdown_of_exactly_twenty_percent_trips() {
        // (1250 - 1000) * 100 / 1250 = 20 %.
        let input = BreakerInput {
            peak_capital: 1250.0,
            current_capital: 1000.0,
            ..healthy()
        };
        assert_eq!(check(input), Some(TripKind::Drawdown));
    }

    #[test]
    fn the_peak_is_never_taken_below_the_initial_capital() {
        // A peak of 0 (never recorded) must not hide a fall from 1000 to 800 = 20 %.
        let input = BreakerInput {
            peak_capital: 0.0,
            current_capital: 800.0,
            day_start_capital: 800.0,
            ..healthy()
        };
        assert_eq!(drawdown_percent(&input), 20.0);
        assert_eq!(check(input), Some(TripKind::Drawdown));
    }

    #[test]
    fn a_daily_loss_of_exactly_ten_percent_trips_and_just_under_passes() {
        // Day started at 1000: 1000 -> 900 is (100 * 100) / 1000 = 10 %.
        let at_limit = BreakerInput {
            current_capital: 900.0,
            peak_capital: 1000.0,
            ..healthy()
        };
        assert_eq!(daily_loss_percent(&at_limit), 10.0);
        assert_eq!(check(at_limit), Some(TripKind::DailyLoss));
        let under = BreakerInput {
            current_capital: 900.01,
            ..at_limit
        };
        assert_eq!(check(under), None);
    }

    #[test]
    fn a_gain_today_is_not_a_daily_loss() {
        let input = BreakerInput {
            current_capital: 1100.0,
            peak_capital: 1100.0,
            ..healthy()
        };
        assert_eq!(daily_loss_percent(&input), 0.0);
        assert_eq!(check(input), None);
    }

    #[test]
    fn five_consecutive_losses_trip_and_four_do_not() {
        let four = BreakerInput {
            consecutive_losses: 4,
            ..healthy()
        };
        assert_eq!(check(four), None);
        let five = BreakerInput {
            consecutive_losses: 5,
            ..healthy()
        };
        assert_eq!(check(five), Some(TripKind::ConsecutiveLosses));
    }

    #[test]
    fn ten_errors_in_an_hour_trip_and_nine_do_not() {
        let nine = BreakerInput {
            errors_last_hour: 9,
            ..healthy()
        };
        assert_eq!(check(nine), None);
        let ten = BreakerInput {
            errors_last_hour: 10,
            ..healthy()
        };
        assert_eq!(check(ten), Some(TripKind::Errors));
    }

    #[test]
    fn non_finite_capital_fails_closed() {
        let input = BreakerInput {
            current_capital: f64::NAN,
            ..healthy()
        };
        assert_eq!(check(input), Some(TripKind::InvalidInput));
    }

    #[test]
    fn a_trip_reason_names_the_numbers() {
        let input = BreakerInput {
            consecutive_losses: 7,
            ..healthy()
        };
        match evaluate(&input, &default_trading_config()) {
            BreakerDecision::Trip { reason, .. } => {
                assert_eq!(reason, "7 consecutive losses reached the limit of 5")
            }
            BreakerDecision::Ok => panic!("expected a trip"),
        }
    }
}
