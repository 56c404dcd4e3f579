//! The numbers behind `/api/portfolio/summary` and `/api/analytics/*` (SPEC §7), built from
//! totals and per-day results the database already aggregated. Drawdowns are measured on
//! end-of-day (UTC) equity, so they cost O(days) whatever the trade count.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::bot::{Bot, BotStatus};
use crate::domain::periods::PeriodBucket;
use crate::domain::portfolio::{
    drawdown, equity_curve, DrawdownStats, EquityPoint, PnlPoint, WinLoss,
};

/// Sums over a set of trades, as one database aggregation returns them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TradeTotals {
    /// Wins (result > 0), losses (< 0), count, gross profit/loss, best and worst.
    pub results: WinLoss,
    /// Sum of `profit_loss` (already net of fees and slippage).
    pub profit: f64,
    pub fees: f64,
    pub slippage: f64,
}

/// Capital and counts over the user's (non-deleted) bots.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BotCapital {
    /// Starting capital from outside (`Bot::external_capital`): capital the autopilot moved
    /// between bots is profit already counted, so it is not counted again.
    pub initial: f64,
    pub current: f64,
    /// Current capital of the bots that are trading (`active`).
    pub active_capital: f64,
    pub active_bots: u64,
    pub total_bots: u64,
}

impl BotCapital {
    pub fn of(bots: &[Bot]) -> BotCapital {
        let mut capital = BotCapital::default();
        for bot in bots {
            capital.initial += bot.external_capital();
            capital.current += bot.current_capital;
            capital.total_bots += 1;
            if bot.status == BotStatus::Active {
                capital.active_bots += 1;
                capital.active_capital += bot.current_capital;
            }
        }
        capital
    }
}

/// `GET /api/portfolio/summary`. Percentages are 0..=100.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PortfolioSummary {
    /// The bots' capital now (`total_capital`). Equals `initial_capital + net_pnl` while no bot
    /// with trades was deleted (a deleted bot's capital leaves, its trades stay in the totals).
    pub equity: f64,
    /// Current capital of the bots.
    pub total_capital: f64,
    /// Externally funded starting capital of the bots (see `BotCapital::initial`).
    pub initial_capital: f64,
    /// Sum of the closed trades' results (net of fees and slippage).
    pub realized_pnl: f64,
    /// Paper fills close at once: no open positions, so always 0.
    pub unrealized_pnl: f64,
    pub fees_total: f64,
    pub net_pnl: f64,
    pub drawdown_current: f64,
    pub drawdown_max: f64,
    pub win_rate: f64,
    pub total_trades: u64,
    pub active_bots: u64,
    pub total_bots: u64,
    /// Share of the bots' capital held by active bots, in percent.
    pub exposure: f64,
    pub risk_level: &'static str,
    pub timestamp: DateTime<Utc>,
}

/// The summary from all-time totals and every day's result (oldest first).
pub fn portfolio_summary(
    capital: BotCapital,
    totals: &TradeTotals,
    days: &[PeriodBucket],
    now: DateTime<Utc>,
) -> PortfolioSummary {
    let unrealized_pnl = 0.0;
    let net_pnl = totals.profit + unrealized_pnl;
    let dd = daily_drawdown(capital.initial, days);
    let exposure = if capital.current > 0.0 {
        (capital.active_capital * 100.0 / capital.current).clamp(0.0, 100.0)
    } else {
        0.0
    };
    PortfolioSummary {
        equity: capital.current,
        total_capital: capital.current,
        initial_capital: capital.initial,
        realized_pnl: totals.profit,
        unrealized_pnl,
        fees_total: totals.fees,
        net_pnl,
        drawdown_current: dd.current_drawdown_percent,
        drawdown_max: dd.max_drawdown_percent,
        win_rate: totals.results.win_rate_percent(),
        total_trades: totals.results.total,
        active_bots: capital.active_bots,
        total_bots: capital.total_bots,
        exposure,
        risk_level: risk_level(dd.current_drawdown_percent, dd.max_drawdown_percent),
        timestamp: now,
    }
}

/// `high` from a 10 % current or 20 % worst drawdown (the circuit breaker's default trip),
/// `medium` from 5 % / 10 %, else `low`.
pub fn risk_level(drawdown_current: f64, drawdown_max: f64) -> &'static str {
    if drawdown_current >= 10.0 || drawdown_max >= 20.0 {
        "high"
    } else if drawdown_current >= 5.0 || drawdown_max >= 10.0 {
        "medium"
    } else {
        "low"
    }
}

/// End-of-day equity: `start` plus each day's result, in day order.
pub fn daily_equity(start: f64, days: &[PeriodBucket]) -> Vec<EquityPoint> {
    let points: Vec<PnlPoint> = days
        .iter()
        .map(|d| PnlPoint {
            timestamp: d.period_start,
            pnl: d.profit,
        })
        .collect();
    equity_curve(start, &points)
}

/// Drawdowns of the end-of-day equity that starts at `start`.
pub fn daily_drawdown(start: f64, days: &[PeriodBucket]) -> DrawdownStats {
    drawdown(start, daily_equity(start, days).iter().map(|p| p.equity))
}

/// One day of `/api/analytics/drawdown`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DrawdownPoint {
    pub timestamp: DateTime<Utc>,
    pub equity: f64,
    /// Below the running high-water mark (which starts at the window's starting equity).
    pub drawdown: f64,
}

pub fn drawdown_series(start: f64, curve: &[EquityPoint]) -> Vec<DrawdownPoint> {
    let mut peak = start;
    curve
        .iter()
        .map(|p| {
            peak = peak.max(p.equity);
            DrawdownPoint {
                timestamp: p.timestamp,
                equity: p.equity,
                drawdown: crate::domain::circuit_breaker::percent_drop(peak, p.equity),
            }
        })
        .collect()
}

/// Equity before the first of `points` when equity now is `current`: the window's start.
pub fn equity_before(current: f64, points: &[PnlPoint]) -> f64 {
    current - points.iter().map(|p| p.pnl).sum::<f64>()
}

/// `GET /api/analytics/win_rate`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WinRateReport {
    pub total_trades: u64,
    pub wins: u64,
    pub losses: u64,
    /// Trades that closed at exactly 0 (neither a win nor a loss).
    pub breakeven: u64,
    pub win_rate: f64,
    /// `null` when there were no losses (the ratio is unbounded).
    pub profit_factor: Option<f64>,
    pub gross_profit: f64,
    pub gross_loss: f64,
    pub net_profit: f64,
    pub best_trade: Option<f64>,
    pub worst_trade: Option<f64>,
    pub average_win: f64,
    pub average_loss: f64,
}

pub fn win_rate_report(totals: &TradeTotals) -> WinRateReport {
    let r = &totals.results;
    let average = |sum: f64, n: u64| if n == 0 { 0.0 } else { sum / n as f64 };
    WinRateReport {
        total_trades: r.total,
        wins: r.wins,
        losses: r.losses,
        breakeven: r.total.saturating_sub(r.wins + r.losses),
        win_rate: r.win_rate_percent(),
        profit_factor: r.profit_factor(),
        gross_profit: r.gross_profit,
        gross_loss: r.gross_loss,
        net_profit: totals.profit,
        best_trade: r.best,
        worst_trade: r.worst,
        average_win: average(r.gross_profit, r.wins),
        average_loss: average(r.gross_loss, r.losses),
    }
}

#[cfg(test)]
mod tests;
