//! Backtests: a strategy run over stored candles through the same [`Trader`] that paper bots
//! use, with the metrics a trader reads (return, drawdown, Sharpe, ...).
//!
//! Everything is computed in one pass without keeping per-candle arrays (a million candles
//! stay a few kilobytes of state): the drawdown from a running peak, return statistics with
//! Welford's method, the equity curve downsampled on the fly.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::candles::{Candle, Timeframe};
use crate::domain::strategy::risk::RiskParams;
use crate::domain::strategy::trader::{ClosedTrade, Costs, Trader, TraderState};
use crate::domain::strategy::StrategyConfig;

/// The most points an equity curve is sent with.
pub const MAX_EQUITY_POINTS: usize = 2_000;

/// How often (in candles) a run reports progress and may be cancelled.
const PROGRESS_EVERY: usize = 1 << 16;

/// Everything that defines one run.
#[derive(Debug, Clone, PartialEq)]
pub struct BacktestSpec {
    pub strategy: StrategyConfig,
    pub timeframe: Timeframe,
    pub risk: RiskParams,
    pub costs: Costs,
    pub initial_capital: f64,
}

/// The figures of a finished run. Ratios that are undefined (no losing trade for the profit
/// factor, no volatility for Sharpe) are `null`, never infinite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Metrics {
    pub final_equity: f64,
    pub total_return_pct: f64,
    pub cagr_pct: f64,
    /// Largest fall from a peak of the close-marked equity, percent (positive).
    pub max_drawdown_pct: f64,
    /// Mean over standard deviation of per-candle returns, annualised (365-day year, no
    /// risk-free rate: crypto trades every day).
    pub sharpe: Option<f64>,
    /// Like Sharpe with the downside deviation.
    pub sortino: Option<f64>,
    /// CAGR over max drawdown.
    pub calmar: Option<f64>,
    pub win_rate_pct: f64,
    /// Gross profit over gross loss.
    pub profit_factor: Option<f64>,
    /// Mean P&L per trade, quote currency.
    pub expectancy: f64,
    pub trades: u64,
    /// Share of candles that closed with a position open, percent.
    pub exposure_pct: f64,
    pub avg_trade_duration_s: f64,
    /// First close to last close.
    pub buy_and_hold_return_pct: f64,
    pub fees_paid: f64,
}

/// A run's full result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacktestOutcome {
    pub metrics: Metrics,
    pub trades: Vec<ClosedTrade>,
    /// `(time_ms, equity)`, at most [`MAX_EQUITY_POINTS`].
    pub equity: Vec<(i64, f64)>,
}

/// The run stopped because its caller asked (a cancelled job).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

/// Runs `spec` over `candles` (oldest first). `progress` is called with the done fraction every
/// 65,536 candles; returning `false` cancels the run.
pub fn run(
    spec: &BacktestSpec,
    candles: &[Candle],
    mut progress: impl FnMut(f64) -> bool,
) -> Result<BacktestOutcome, Cancelled> {
    let mut trader = Trader::new(
        spec.strategy.build(spec.timeframe),
        spec.risk,
        spec.costs,
        TraderState::flat(spec.initial_capital),
    );
    let n = candles.len();
    let every = n.div_ceil(MAX_EQUITY_POINTS).max(1);
    let mut curve = Curve::new(spec.initial_capital);
    let mut trades = Vec::new();
    let mut equity = Vec::with_capacity(n.min(MAX_EQUITY_POINTS));
    let mut exposed = 0usize;
    for (i, candle) in candles.iter().enumerate() {
        if i % PROGRESS_EVERY == 0 && i > 0 && !progress(i as f64 / n as f64) {
            return Err(Cancelled);
        }
        let step = trader.step(candle);
        if let Some(t) = step.exited {
            trades.push(t);
        }
        let mut value = trader.state.equity(candle.close);
        if i + 1 == n {
            if let Some(t) = trader.finish(candle) {
                trades.push(t);
            }
            value = trader.state.cash;
        }
        if trader.state.position.is_some() {
            exposed += 1;
        }
        curve.push(value);
        if (i + 1) % every == 0 || i + 1 == n {
            equity.push((candle.open_time, value));
        }
    }
    let metrics = metrics(spec, candles, &trades, &curve, exposed);
    Ok(BacktestOutcome {
        metrics,
        trades,
        equity,
    })
}

/// Running figures of the equity curve.
struct Curve {
    last: f64,
    peak: f64,
    max_drawdown: f64,
    /// Welford over per-candle returns.
    count: u64,
    mean: f64,
    m2: f64,
    downside_sq: f64,
}

impl Curve {
    fn new(start: f64) -> Self {
        Curve {
            last: start,
            peak: start,
            max_drawdown: 0.0,
            count: 0,
            mean: 0.0,
            m2: 0.0,
            downside_sq: 0.0,
        }
    }

    fn push(&mut self, value: f64) {
        if self.last > 0.0 {
            let r = value / self.last - 1.0;
            self.count += 1;
            let delta = r - self.mean;
            self.mean += delta / self.count as f64;
            self.m2 += delta * (r - self.mean);
            self.downside_sq += r.min(0.0).powi(2);
        }
        self.last = value;
        self.peak = self.peak.max(value);
        if self.peak > 0.0 {
            self.max_drawdown = self.max_drawdown.max((self.peak - value) / self.peak);
        }
    }
}

fn ratio(num: f64, den: f64) -> Option<f64> {
    let r = num / den;
    (den != 0.0 && r.is_finite()).then_some(r)
}

fn metrics(
    spec: &BacktestSpec,
    candles: &[Candle],
    trades: &[ClosedTrade],
    curve: &Curve,
    exposed: usize,
) -> Metrics {
    let initial = spec.initial_capital;
    let final_equity = if candles.is_empty() {
        initial
    } else {
        curve.last
    };
    let growth = if initial > 0.0 {
        final_equity / initial
    } else {
        1.0
    };
    let span_ms = match (candles.first(), candles.last()) {
        (Some(a), Some(b)) => b.open_time + spec.timeframe.millis() - a.open_time,
        _ => 0,
    };
    let years = span_ms as f64 / (365.0 * 86_400_000.0);
    let cagr_pct = if years > 0.0 && growth > 0.0 {
        (growth.powf(1.0 / years) - 1.0) * 100.0
    } else {
        0.0
    };
    let periods_per_year = 365.0 * 86_400.0 / spec.timeframe.seconds() as f64;
    let (sharpe, sortino) = if curve.count > 1 {
        let sd = (curve.m2 / (curve.count - 1) as f64).sqrt();
        let downside = (curve.downside_sq / curve.count as f64).sqrt();
        let annual = periods_per_year.sqrt();
        (
            ratio(curve.mean, sd).map(|r| r * annual),
            ratio(curve.mean, downside).map(|r| r * annual),
        )
    } else {
        (None, None)
    };
    let max_drawdown_pct = curve.max_drawdown * 100.0;
    let wins = trades.iter().filter(|t| t.pnl > 0.0).count();
    let gross_profit: f64 = trades.iter().map(|t| t.pnl.max(0.0)).sum();
    let gross_loss: f64 = trades.iter().map(|t| (-t.pnl).max(0.0)).sum();
    let count = trades.len() as f64;
    let buy_and_hold_return_pct = match (candles.first(), candles.last()) {
        (Some(a), Some(b)) if a.close > 0.0 => (b.close / a.close - 1.0) * 100.0,
        _ => 0.0,
    };
    Metrics {
        final_equity,
        total_return_pct: (growth - 1.0) * 100.0,
        cagr_pct,
        max_drawdown_pct,
        sharpe,
        sortino,
        calmar: ratio(cagr_pct, max_drawdown_pct),
        win_rate_pct: if trades.is_empty() {
            0.0
        } else {
            wins as f64 * 100.0 / count
        },
        profit_factor: ratio(gross_profit, gross_loss),
        expectancy: if trades.is_empty() {
            0.0
        } else {
            trades.iter().map(|t| t.pnl).sum::<f64>() / count
        },
        trades: trades.len() as u64,
        exposure_pct: if candles.is_empty() {
            0.0
        } else {
            exposed as f64 * 100.0 / candles.len() as f64
        },
        avg_trade_duration_s: if trades.is_empty() {
            0.0
        } else {
            trades
                .iter()
                .map(|t| (t.exit_time - t.entry_time) as f64 / 1000.0)
                .sum::<f64>()
                / count
        },
        buy_and_hold_return_pct,
        fees_paid: trades.iter().map(|t| t.fees).sum(),
    }
}

#[cfg(test)]
mod tests;
