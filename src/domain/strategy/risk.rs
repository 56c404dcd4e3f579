//! Risk exits and sizing every strategy runs with: stop-loss, take-profit, trailing stop,
//! position size and the cooldown after a stop.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::bot_enums::{RiskMode, StrategyParams};
use crate::error::FieldError;

/// The risk settings of one bot or backtest. A percent of 0 turns that exit off.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RiskParams {
    /// Exit when the price falls this far below the entry price (percent; 0 = off).
    pub stop_loss_pct: f64,
    /// Exit when the price rises this far above the entry price (percent; 0 = off).
    pub take_profit_pct: f64,
    /// Exit when the price falls this far below the highest high since entry (percent; 0 = off).
    pub trailing_stop_pct: f64,
    /// Share of equity committed per entry (percent, 0 < x <= 100).
    pub position_size_pct: f64,
    /// After a stop-loss or trailing stop, this many candles cannot open a new position.
    pub cooldown_candles: u32,
}

impl RiskParams {
    /// Defaults for a risk mode: the mode only sets these, each can be changed on its own.
    pub fn for_mode(mode: RiskMode) -> Self {
        Self::from_params(&mode.default_params())
    }

    /// A bot's risk settings, kept in its `params` (where `evolve` and admins tune them).
    pub fn from_params(p: &StrategyParams) -> Self {
        RiskParams {
            stop_loss_pct: p.stop_loss_pct,
            take_profit_pct: p.take_profit_pct,
            trailing_stop_pct: p.trailing_stop_pct,
            position_size_pct: p.position_size_pct,
            cooldown_candles: p.cooldown_candles,
        }
    }

    /// No exits but the strategy's own, all equity per entry (the backtest conventions' default).
    pub fn signals_only() -> Self {
        RiskParams {
            stop_loss_pct: 0.0,
            take_profit_pct: 0.0,
            trailing_stop_pct: 0.0,
            position_size_pct: 100.0,
            cooldown_candles: 0,
        }
    }

    /// One message per out-of-range field (named as in the request body).
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let pct = |errors: &mut Vec<FieldError>, name: &str, v: f64, max: f64| {
            if !(v.is_finite() && (0.0..=max).contains(&v)) {
                errors.push(FieldError::new(
                    name,
                    format!("must be between 0 and {max}"),
                ));
            }
        };
        pct(&mut errors, "stop_loss_pct", self.stop_loss_pct, 99.0);
        pct(&mut errors, "take_profit_pct", self.take_profit_pct, 1000.0);
        pct(
            &mut errors,
            "trailing_stop_pct",
            self.trailing_stop_pct,
            99.0,
        );
        if !(self.position_size_pct.is_finite()
            && self.position_size_pct > 0.0
            && self.position_size_pct <= 100.0)
        {
            errors.push(FieldError::new(
                "position_size_pct",
                "must be greater than 0 and at most 100",
            ));
        }
        if self.cooldown_candles > 10_000 {
            errors.push(FieldError::new(
                "cooldown_candles",
                "must be between 0 and 10000",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_set_defaults_that_pass_the_check() {
        for mode in RiskMode::ALL {
            let risk = RiskParams::for_mode(mode);
            assert_eq!(risk.check(), Ok(()), "{mode:?}");
            assert_eq!(risk.stop_loss_pct, mode.default_params().stop_loss_pct);
        }
        assert_eq!(RiskParams::signals_only().check(), Ok(()));
    }

    #[test]
    fn out_of_range_fields_are_named() {
        let risk = RiskParams {
            stop_loss_pct: -1.0,
            take_profit_pct: f64::NAN,
            trailing_stop_pct: 100.0,
            position_size_pct: 0.0,
            cooldown_candles: 20_000,
        };
        let fields: Vec<String> = risk
            .check()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "stop_loss_pct",
                "take_profit_pct",
                "trailing_stop_pct",
                "position_size_pct",
                "cooldown_candles"
            ]
        );
    }
}
