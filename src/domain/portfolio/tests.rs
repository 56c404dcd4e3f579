//! Portfolio maths checked against hand-computed values.

use chrono::TimeZone;

use super::*;

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
        .single()
        .expect("valid date")
}

fn day(y: i32, mo: u32, d: u32) -> DateTime<Utc> {
    at(y, mo, d, 0, 0, 0)
}

#[test]
fn the_equity_curve_adds_each_result_to_the_starting_capital() {
    // 1000 + 100 = 1100; 1100 - 50 = 1050; 1050 + 25 = 1075.
    let points = [
        PnlPoint {
            timestamp: day(2024, 3, 1),
            pnl: 100.0,
        },
        PnlPoint {
            timestamp: day(2024, 3, 2),
            pnl: -50.0,
        },
        PnlPoint {
            timestamp: day(2024, 3, 3),
            pnl: 25.0,
        },
    ];
    let curve = equity_curve(1000.0, &points);
    let equities: Vec<f64> = curve.iter().map(|p| p.equity).collect();
    assert_eq!(equities, [1100.0, 1050.0, 1075.0]);
    assert_eq!(curve[1].timestamp, day(2024, 3, 2));
    assert!(equity_curve(1000.0, &[]).is_empty());
}

#[test]
fn drawdown_is_measured_from_the_high_water_mark() {
    // Peak 1100, low 880: (1100 - 880) x 100 / 1100 = 20 %; now 990: 110 x 100 / 1100 = 10 %.
    let stats = drawdown(1000.0, [1100.0, 880.0, 990.0]);
    assert_eq!(stats.max_drawdown_percent, 20.0);
    assert_eq!(stats.current_drawdown_percent, 10.0);
    assert_eq!(stats.peak_equity, 1100.0);
    assert_eq!(stats.current_equity, 990.0);
}

#[test]
fn the_starting_capital_is_the_first_peak() {
    // 1000 -> 900 without ever rising: 10 %.
    let stats = drawdown(1000.0, [950.0, 900.0]);
    assert_eq!(stats.max_drawdown_percent, 10.0);
    assert_eq!(stats.current_drawdown_percent, 10.0);
}

#[test]
fn a_new_high_clears_the_current_drawdown_but_not_the_maximum() {
    let stats = drawdown(1000.0, [800.0, 1200.0]);
    assert_eq!(stats.max_drawdown_percent, 20.0);
    assert_eq!(stats.current_drawdown_percent, 0.0);
}

#[test]
fn no_trades_means_no_drawdown() {
    let stats = drawdown(1000.0, []);
    assert_eq!(stats.max_drawdown_percent, 0.0);
    assert_eq!(stats.current_equity, 1000.0);
}

#[test]
fn wins_losses_profit_factor_best_and_worst() {
    // Wins 100 + 25 = 125; losses 50 + 25 = 75; one break-even.
    // Win rate 2 / 5 = 40 %; profit factor 125 / 75 = 1.666...
    let totals = WinLoss::from_pnls([100.0, -50.0, 25.0, 0.0, -25.0]);
    assert_eq!((totals.wins, totals.losses, totals.total), (2, 2, 5));
    assert_eq!(totals.gross_profit, 125.0);
    assert_eq!(totals.gross_loss, 75.0);
    assert_eq!(totals.win_rate_percent(), 40.0);
    assert_eq!(totals.profit_factor(), Some(125.0 / 75.0));
    assert_eq!(totals.best, Some(100.0));
    assert_eq!(totals.worst, Some(-50.0));
}

#[test]
fn without_losses_the_profit_factor_is_absent_and_without_trades_the_win_rate_is_zero() {
    assert_eq!(WinLoss::from_pnls([10.0, 20.0]).profit_factor(), None);
    let none = WinLoss::from_pnls([]);
    assert_eq!(none.win_rate_percent(), 0.0);
    assert_eq!(none.best, None);
    assert_eq!(win_rate_percent(3, 4), 75.0);
    assert_eq!(profit_factor(30.0, 10.0), Some(3.0));
}
