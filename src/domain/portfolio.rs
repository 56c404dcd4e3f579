//! Portfolio maths (SPEC §7) over numbers the database already aggregated: equity curve,
//! drawdown and win/loss statistics. Time buckets and ranges live in `periods.rs`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::circuit_breaker::percent_drop;

/// One realised result at a point in time (a trade, or a pre-summed bucket).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PnlPoint {
    pub timestamp: DateTime<Utc>,
    pub pnl: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EquityPoint {
    pub timestamp: DateTime<Utc>,
    /// Capital after this point's result.
    pub equity: f64,
    pub pnl: f64,
}

/// Running equity: `starting_capital` plus every result so far. `points` must be in time order
/// (the query sorts them; sorting here again would hide a broken query).
pub fn equity_curve(starting_capital: f64, points: &[PnlPoint]) -> Vec<EquityPoint> {
    let mut equity = starting_capital;
    points
        .iter()
        .map(|p| {
            equity += p.pnl;
            EquityPoint {
                timestamp: p.timestamp,
                equity,
                pnl: p.pnl,
            }
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DrawdownStats {
    /// Largest fall from a high-water mark to a later low, in percent.
    pub max_drawdown_percent: f64,
    /// Fall from the high-water mark to the latest equity, in percent.
    pub current_drawdown_percent: f64,
    pub peak_equity: f64,
    pub current_equity: f64,
}

/// Drawdowns of an equity series whose high-water mark starts at `starting_capital`.
pub fn drawdown(starting_capital: f64, equities: impl IntoIterator<Item = f64>) -> DrawdownStats {
    let mut peak = starting_capital;
    let mut current = starting_capital;
    let mut max_dd: f64 = 0.0;
    for equity in equities {
        current = equity;
        peak = peak.max(equity);
        max_dd = max_dd.max(percent_drop(peak, equity));
    }
    DrawdownStats {
        max_drawdown_percent: max_dd,
        current_drawdown_percent: percent_drop(peak, current),
        peak_equity: peak,
        current_equity: current,
    }
}

/// Win/loss totals, as a `GROUP BY` returns them. A trade with a result of exactly 0 is
/// neither a win nor a loss but counts in `total`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct WinLoss {
    pub wins: u64,
    pub losses: u64,
    pub total: u64,
    pub gross_profit: f64,
    /// Sum of the losing results, as a positive number.
    pub gross_loss: f64,
    pub best: Option<f64>,
    pub worst: Option<f64>,
}

impl WinLoss {
    /// Totals from individual results (tests, small in-memory sets).
    pub fn from_pnls(pnls: impl IntoIterator<Item = f64>) -> WinLoss {
        let mut totals = WinLoss::default();
        for pnl in pnls {
            totals.total += 1;
            if pnl > 0.0 {
                totals.wins += 1;
                totals.gross_profit += pnl;
            } else if pnl < 0.0 {
                totals.losses += 1;
                totals.gross_loss -= pnl;
            }
            totals.best = Some(totals.best.map_or(pnl, |b| b.max(pnl)));
            totals.worst = Some(totals.worst.map_or(pnl, |w| w.min(pnl)));
        }
        totals
    }

    pub fn win_rate_percent(&self) -> f64 {
        win_rate_percent(self.wins, self.total)
    }

    pub fn profit_factor(&self) -> Option<f64> {
        profit_factor(self.gross_profit, self.gross_loss)
    }
}

/// Share of trades that won, in percent (0 when there are no trades).
pub fn win_rate_percent(wins: u64, total: u64) -> f64 {
    if total == 0 {
        return 0.0;
    }
    wins as f64 * 100.0 / total as f64
}

/// Gross profit / gross loss. `None` without losses: the ratio is unbounded, and JSON cannot
/// carry infinity.
pub fn profit_factor(gross_profit: f64, gross_loss: f64) -> Option<f64> {
    (gross_loss > 0.0).then(|| gross_profit / gross_loss)
}

#[cfg(test)]
mod tests;
