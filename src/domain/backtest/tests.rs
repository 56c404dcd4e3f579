//! Backtest metrics on hand-made candles, worked out by hand in the comments.

use serde_json::json;

use super::*;
use crate::domain::strategy::{validate, StrategySpec};

fn sma_spec(fast: u32, slow: u32, timeframe: Timeframe, fee_bps: f64) -> BacktestSpec {
    let spec: StrategySpec = serde_json::from_value(
        json!({"name": "sma_cross", "params": {"fast": fast, "slow": slow}}),
    )
    .unwrap();
    BacktestSpec {
        strategy: validate(&spec).unwrap(),
        timeframe,
        risk: RiskParams::signals_only(),
        costs: Costs {
            fee_bps,
            slippage_bps: 0.0,
        },
        initial_capital: 1_000.0,
    }
}

fn flat(closes: &[f64], timeframe: Timeframe) -> Vec<Candle> {
    closes
        .iter()
        .enumerate()
        .map(|(i, &c)| Candle {
            open_time: i as i64 * timeframe.millis(),
            open: c,
            high: c,
            low: c,
            close: c,
            volume: 1.0,
        })
        .collect()
}

#[test]
fn a_losing_round_trip_by_hand() {
    // SMA(2)/SMA(3) buy on candle 6's close, sell on candle 9's close (see the strategy tests):
    // entry at candle 7's open (8): 125 units for 1,000; exit at candle 10's open (3): 375.
    let candles = flat(
        &[5.0, 5.0, 5.0, 4.0, 3.0, 4.0, 6.0, 8.0, 7.0, 5.0, 3.0],
        Timeframe::M1,
    );
    let out = run(&sma_spec(2, 3, Timeframe::M1, 0.0), &candles, |_| true).unwrap();
    assert_eq!(out.trades.len(), 1);
    let t = out.trades[0];
    assert_eq!((t.entry_time, t.exit_time), (7 * 60_000, 10 * 60_000));
    assert_eq!((t.entry_price, t.exit_price, t.size), (8.0, 3.0, 125.0));
    assert_eq!(t.pnl, -625.0);
    let m = &out.metrics;
    assert_eq!(m.final_equity, 375.0);
    assert_eq!(m.total_return_pct, -62.5);
    // Equity by close: 1,000 x 8 candles, 875, 625, then 375 after the exit.
    assert_eq!(m.max_drawdown_pct, 62.5);
    assert_eq!(m.trades, 1);
    assert_eq!(m.win_rate_pct, 0.0);
    assert_eq!(m.profit_factor, Some(0.0));
    assert_eq!(m.expectancy, -625.0);
    assert!(
        (m.exposure_pct - 300.0 / 11.0).abs() < 1e-12,
        "3 of 11 closes held"
    );
    assert_eq!(m.avg_trade_duration_s, 180.0);
    assert!((m.buy_and_hold_return_pct - -40.0).abs() < 1e-12);
    assert_eq!(m.fees_paid, 0.0);
    assert_eq!(out.equity.len(), 11);
    assert_eq!(out.equity[8], (8 * 60_000, 875.0));
}

#[test]
fn a_winning_trade_with_fees_and_the_end_close() {
    // Daily candles. SMA(2): -, 9, 8.5, 9.5, 10.5, 11, 12.5; SMA(3): -, -, 8.67, 9.33, 9.67,
    // 11, 11.67: fast crosses above on candle 3 (equal on 5 is no cross). Entry at candle 4's
    // open (10) with a 10 bps fee: size = 1,000 / (10 x 1.001) = 99.9000999; no sell signal,
    // so the position closes at the last close (13) at the end, less its 10 bps fee.
    let candles = flat(&[9.0, 9.0, 8.0, 11.0, 10.0, 12.0, 13.0], Timeframe::D1);
    let out = run(&sma_spec(2, 3, Timeframe::D1, 10.0), &candles, |_| true).unwrap();
    assert_eq!(out.trades.len(), 1);
    let t = out.trades[0];
    assert_eq!(
        t.exit_reason,
        crate::domain::strategy::trader::ExitReason::End
    );
    assert_eq!((t.entry_time, t.exit_price), (4 * 86_400_000, 13.0));
    let size = 1_000.0 / (10.0 * 1.001);
    let final_equity = size * 13.0 * 0.999;
    assert!((t.size - size).abs() < 1e-9);
    assert!((out.metrics.final_equity - final_equity).abs() < 1e-9);
    assert!((t.fees - (1_000.0 - size * 10.0 + size * 13.0 * 0.001)).abs() < 1e-9);
    assert_eq!(out.metrics.profit_factor, None, "no losing trade");
    assert_eq!(out.metrics.win_rate_pct, 100.0);
    // 7 daily candles are 7/365 of a year.
    let growth: f64 = final_equity / 1_000.0;
    let cagr = (growth.powf(365.0 / 7.0) - 1.0) * 100.0;
    assert!((out.metrics.cagr_pct - cagr).abs() < 1e-6);
}

#[test]
fn sharpe_and_sortino_match_a_direct_computation_over_the_curve() {
    let closes: Vec<f64> = (0..300)
        .map(|i| 100.0 + 10.0 * (i as f64 / 7.0).sin() + i as f64 * 0.05)
        .collect();
    let candles = flat(&closes, Timeframe::H1);
    let out = run(&sma_spec(3, 8, Timeframe::H1, 10.0), &candles, |_| true).unwrap();
    assert!(out.metrics.trades > 3);
    // Every candle is a point here (300 < 2,000): returns from the initial capital on.
    let mut values = vec![1_000.0];
    values.extend(out.equity.iter().map(|p| p.1));
    let returns: Vec<f64> = values.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
    let n = returns.len() as f64;
    let mean = returns.iter().sum::<f64>() / n;
    let var = returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let down = (returns.iter().map(|r| r.min(0.0).powi(2)).sum::<f64>() / n).sqrt();
    let annual = (365.0f64 * 24.0).sqrt();
    let sharpe = out.metrics.sharpe.unwrap();
    let sortino = out.metrics.sortino.unwrap();
    assert!((sharpe - mean / var.sqrt() * annual).abs() < 1e-9);
    assert!((sortino - mean / down * annual).abs() < 1e-9);
    let peak_dd = values
        .iter()
        .scan(0.0f64, |peak, &v| {
            *peak = peak.max(v);
            Some((*peak - v) / *peak * 100.0)
        })
        .fold(0.0f64, f64::max);
    assert!((out.metrics.max_drawdown_pct - peak_dd).abs() < 1e-9);
}

#[test]
fn equity_curve_is_downsampled_to_at_most_2000_points_ending_on_the_last_candle() {
    let closes: Vec<f64> = (0..5_001).map(|i| 100.0 + (i % 50) as f64).collect();
    let candles = flat(&closes, Timeframe::M1);
    let out = run(&sma_spec(5, 20, Timeframe::M1, 0.0), &candles, |_| true).unwrap();
    assert!(out.equity.len() <= MAX_EQUITY_POINTS);
    assert!(out.equity.len() > 1_500);
    assert_eq!(out.equity.last().unwrap().0, 5_000 * 60_000);
    assert_eq!(out.equity.last().unwrap().1, out.metrics.final_equity);
}

#[test]
fn progress_is_reported_and_a_false_answer_cancels() {
    let closes: Vec<f64> = (0..200_000).map(|i| 100.0 + (i % 97) as f64).collect();
    let candles = flat(&closes, Timeframe::M1);
    let spec = sma_spec(5, 20, Timeframe::M1, 0.0);
    let mut seen = Vec::new();
    run(&spec, &candles, |p| {
        seen.push(p);
        true
    })
    .unwrap();
    assert_eq!(seen.len(), 3, "at 65,536, 131,072 and 196,608 candles");
    assert!(seen.windows(2).all(|w| w[0] < w[1]) && seen[2] < 1.0);
    assert_eq!(run(&spec, &candles, |_| false), Err(Cancelled));
}

#[test]
fn no_candles_is_an_empty_run() {
    let out = run(&sma_spec(2, 3, Timeframe::M1, 0.0), &[], |_| true).unwrap();
    assert_eq!(out.metrics.final_equity, 1_000.0);
    assert_eq!(out.metrics.trades, 0);
    assert!(out.equity.is_empty());
}
