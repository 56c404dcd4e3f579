//! Summary and analytics maths checked against hand-computed values.

use chrono::TimeZone;

use super::*;

fn day(d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, d, 0, 0, 0)
        .single()
        .expect("valid date")
}

fn bucket(d: u32, profit: f64) -> PeriodBucket {
    PeriodBucket {
        period_start: day(d),
        profit,
        trades: 1,
        fees: 1.0,
    }
}

#[test]
fn the_summary_adds_net_results_to_the_starting_capital_and_measures_daily_drawdown() {
    // 1000 -> 1200 (peak) -> 900 (25 % below) -> 1000 (16.67 % below the peak).
    let days = [bucket(1, 200.0), bucket(2, -300.0), bucket(3, 100.0)];
    let capital = BotCapital {
        initial: 1000.0,
        current: 1000.0,
        active_capital: 250.0,
        active_bots: 1,
        total_bots: 2,
    };
    let totals = TradeTotals {
        results: WinLoss::from_pnls([200.0, -300.0, 100.0]),
        profit: 0.0,
        fees: 3.0,
        slippage: 0.5,
    };
    let s = portfolio_summary(capital, &totals, &days, day(4));
    assert_eq!((s.equity, s.net_pnl, s.fees_total), (1000.0, 0.0, 3.0));
    assert_eq!(s.drawdown_max, 25.0);
    assert!((s.drawdown_current - 100.0 / 6.0).abs() < 1e-9);
    assert!((s.win_rate - 200.0 / 3.0).abs() < 1e-9);
    assert_eq!((s.exposure, s.risk_level), (25.0, "high"));
    assert_eq!((s.active_bots, s.total_bots, s.total_trades), (1, 2, 3));
}

#[test]
fn risk_follows_the_drawdowns() {
    assert_eq!(risk_level(0.0, 0.0), "low");
    assert_eq!(risk_level(5.0, 5.0), "medium");
    assert_eq!(risk_level(0.0, 10.0), "medium");
    assert_eq!(risk_level(10.0, 10.0), "high");
    assert_eq!(risk_level(0.0, 20.0), "high");
}

#[test]
fn the_drawdown_series_tracks_the_running_peak() {
    let curve = daily_equity(
        100.0,
        &[bucket(1, -10.0), bucket(2, 30.0), bucket(3, -60.0)],
    );
    let series = drawdown_series(100.0, &curve);
    let dd: Vec<f64> = series.iter().map(|p| p.drawdown).collect();
    // 90 is 10 % below 100; 120 is a new peak; 60 is 50 % below 120.
    assert_eq!(dd, [10.0, 0.0, 50.0]);
}

#[test]
fn the_window_start_is_today_minus_the_window_results() {
    let points = [
        PnlPoint {
            timestamp: day(1),
            pnl: 5.0,
        },
        PnlPoint {
            timestamp: day(2),
            pnl: -2.0,
        },
    ];
    assert_eq!(equity_before(1003.0, &points), 1000.0);
}

#[test]
fn the_win_rate_report_counts_breakeven_apart_and_has_no_factor_without_losses() {
    let totals = TradeTotals {
        results: WinLoss::from_pnls([10.0, 30.0, 0.0]),
        profit: 40.0,
        ..TradeTotals::default()
    };
    let r = win_rate_report(&totals);
    assert_eq!(
        (r.wins, r.losses, r.breakeven, r.total_trades),
        (2, 0, 1, 3)
    );
    assert_eq!(
        (r.profit_factor, r.average_win, r.average_loss),
        (None, 20.0, 0.0)
    );
    assert_eq!((r.best_trade, r.worst_trade), (Some(30.0), Some(0.0)));
}
