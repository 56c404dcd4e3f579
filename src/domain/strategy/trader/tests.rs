//! The execution conventions one by one, on hand-made candles with hand-computed money.

use super::*;
use crate::domain::strategy::Explanation;

/// Gives the signals it is told, one per candle.
struct Scripted(Vec<Signal>, usize);

impl Strategy for Scripted {
    fn update(&mut self, _candle: &Candle) -> Signal {
        let s = self.0.get(self.1).copied().unwrap_or(Signal::None);
        self.1 += 1;
        s
    }
    fn explain(&self) -> Explanation {
        Explanation {
            reason: "scripted".into(),
            indicators: Default::default(),
        }
    }
    fn warmup(&self) -> usize {
        0
    }
}

fn candle(i: i64, open: f64, high: f64, low: f64, close: f64) -> Candle {
    Candle {
        open_time: i * 60_000,
        open,
        high,
        low,
        close,
        volume: 1.0,
    }
}

fn flat_candle(i: i64, price: f64) -> Candle {
    candle(i, price, price, price, price)
}

fn trader(signals: &[Signal], risk: RiskParams, fee_bps: f64, slippage_bps: f64) -> Trader {
    Trader::new(
        Box::new(Scripted(signals.to_vec(), 0)),
        risk,
        Costs {
            fee_bps,
            slippage_bps,
        },
        TraderState::flat(10_000.0),
    )
}

use Signal::{Buy, None as Nothing, Sell};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn fills_at_the_next_open_with_slippage_and_fees_on_both_legs() {
    // Buy on candle 0's close, sell on candle 2's close: entry at candle 1's open (100),
    // exit at candle 3's open (110). 10 bps fee, 5 bps slippage.
    let mut t = trader(
        &[Buy, Nothing, Sell, Nothing],
        RiskParams::signals_only(),
        10.0,
        5.0,
    );
    let candles = [
        flat_candle(0, 95.0),
        candle(1, 100.0, 104.0, 99.0, 103.0),
        candle(2, 103.0, 108.0, 102.0, 107.0),
        candle(3, 110.0, 111.0, 109.0, 110.0),
    ];
    let s0 = t.step(&candles[0]);
    assert_eq!((s0.action, s0.entered), (Action::EnterLong, None));
    let s1 = t.step(&candles[1]);
    let entry = s1.entered.expect("entered at candle 1's open");
    // Hand-computed: price 100 x 1.0005 = 100.05; size = 10,000 / (100.05 x 1.001).
    assert_eq!(entry.entry_time, 60_000);
    assert!(close(entry.entry_price, 100.05));
    assert!(close(entry.size, 99.850_174_812_693_57));
    assert!(close(entry.entry_fee, 9.990_009_990_009_99));
    assert_eq!(t.state.cash, 0.0);
    assert_eq!(t.step(&candles[2]).action, Action::Exit);
    let s3 = t.step(&candles[3]);
    let trade = s3.exited.expect("exited at candle 3's open");
    // Exit at 110 x 0.9995 = 109.945; proceeds 10,978.027469781595, fee 10.978027469781596.
    assert_eq!(trade.exit_time, 180_000);
    assert!(close(trade.exit_price, 109.945));
    assert!(close(trade.pnl, 967.049_442_311_812_5));
    assert!(close(trade.fees, 20.968_037_459_791_59));
    // Slippage: 0.05 x 99.85017 on entry, 0.055 x 99.85017 on exit.
    assert!(close(trade.slippage_cost, 99.850_174_812_693_57 * 0.105));
    assert!(close(trade.pnl_pct, 9.670_494_423_118_125));
    assert_eq!(trade.exit_reason, ExitReason::Signal);
    assert!(close(t.state.cash, 10_967.049_442_311_813));
}

#[test]
fn position_size_is_a_share_of_equity() {
    let risk = RiskParams {
        position_size_pct: 25.0,
        ..RiskParams::signals_only()
    };
    let mut t = trader(&[Buy], risk, 0.0, 0.0);
    t.step(&flat_candle(0, 100.0));
    let entry = t.step(&flat_candle(1, 200.0)).entered.unwrap();
    // 25 % of 10,000 at 200 without costs: 12.5 units; 7,500 stays in cash.
    assert_eq!(entry.size, 12.5);
    assert_eq!(t.state.cash, 7_500.0);
    assert_eq!(t.state.equity(220.0), 7_500.0 + 12.5 * 220.0);
}

#[test]
fn stop_wins_when_stop_and_target_fall_in_one_candle() {
    let risk = RiskParams {
        stop_loss_pct: 2.0,
        take_profit_pct: 3.0,
        ..RiskParams::signals_only()
    };
    let mut t = trader(&[Buy], risk, 0.0, 0.0);
    t.step(&flat_candle(0, 100.0));
    t.step(&flat_candle(1, 100.0)); // entry at 100: stop 98, target 103
    let s = t.step(&candle(2, 100.0, 104.0, 97.0, 101.0));
    let trade = s.exited.expect("one of the two fired");
    assert_eq!(trade.exit_reason, ExitReason::StopLoss);
    assert_eq!(trade.exit_price, 98.0);
    assert_eq!(trade.pnl, -200.0);
}

#[test]
fn take_profit_fills_at_the_target() {
    let risk = RiskParams {
        stop_loss_pct: 2.0,
        take_profit_pct: 3.0,
        ..RiskParams::signals_only()
    };
    let mut t = trader(&[Buy], risk, 0.0, 0.0);
    t.step(&flat_candle(0, 100.0));
    t.step(&flat_candle(1, 100.0));
    assert!(t
        .step(&candle(2, 100.0, 102.9, 98.1, 102.0))
        .exited
        .is_none());
    let trade = t
        .step(&candle(3, 102.0, 104.0, 101.0, 103.5))
        .exited
        .unwrap();
    assert_eq!(trade.exit_reason, ExitReason::TakeProfit);
    assert_eq!(trade.exit_price, 103.0);
    assert_eq!(trade.exit_time, 180_000);
}

#[test]
fn a_gap_through_the_stop_fills_at_the_open() {
    let risk = RiskParams {
        stop_loss_pct: 2.0,
        ..RiskParams::signals_only()
    };
    let mut t = trader(&[Buy], risk, 0.0, 0.0);
    t.step(&flat_candle(0, 100.0));
    t.step(&flat_candle(1, 100.0));
    let trade = t.step(&candle(2, 95.0, 96.0, 94.0, 95.5)).exited.unwrap();
    assert_eq!(
        (trade.exit_reason, trade.exit_price),
        (ExitReason::StopLoss, 95.0)
    );
}

#[test]
fn trailing_stop_follows_the_highest_high_seen_before_the_candle() {
    let risk = RiskParams {
        stop_loss_pct: 5.0,
        trailing_stop_pct: 2.0,
        ..RiskParams::signals_only()
    };
    let mut t = trader(&[Buy], risk, 0.0, 0.0);
    t.step(&flat_candle(0, 100.0));
    // Entry at 100; this candle's own high (110) only counts from the next candle on, so its
    // low of 98.5 is above the trailing level of 98 (2 % under the entry price).
    assert!(t
        .step(&candle(1, 100.0, 110.0, 98.5, 109.0))
        .exited
        .is_none());
    // Trailing level now 110 x 0.98 = 107.8 (the 5 % stop is 95).
    assert_eq!(t.stop_level(), Some((107.8, ExitReason::TrailingStop)));
    let trade = t
        .step(&candle(2, 109.0, 109.5, 107.0, 108.0))
        .exited
        .unwrap();
    assert_eq!(trade.exit_reason, ExitReason::TrailingStop);
    assert!(close(trade.exit_price, 107.8));
}

#[test]
fn cooldown_blocks_reentry_for_exactly_n_candles() {
    let risk = RiskParams {
        stop_loss_pct: 1.0,
        cooldown_candles: 3,
        ..RiskParams::signals_only()
    };
    // Buy every candle: the only thing holding entries back is the cooldown.
    let mut t = trader(&[Buy; 10], risk, 0.0, 0.0);
    t.step(&flat_candle(0, 100.0));
    t.step(&flat_candle(1, 100.0)); // long from 100, stop 99
    let stopped = t.step(&candle(2, 100.0, 100.0, 98.0, 99.0));
    assert_eq!(
        stopped.exited.map(|x| x.exit_reason),
        Some(ExitReason::StopLoss)
    );
    // Candles 2, 3, 4 (the stop candle and the two after it: three closes) are refused.
    assert!(stopped.cooldown_blocked);
    assert_eq!(stopped.action, Action::Hold);
    for i in 3..5 {
        let s = t.step(&flat_candle(i, 99.0));
        assert!(s.cooldown_blocked, "candle {i}");
        assert_eq!(s.action, Action::Hold);
    }
    let s = t.step(&flat_candle(5, 99.0));
    assert!(!s.cooldown_blocked);
    assert_eq!(s.action, Action::EnterLong);
}

#[test]
fn no_cooldown_after_a_signal_exit() {
    let risk = RiskParams {
        cooldown_candles: 3,
        ..RiskParams::signals_only()
    };
    let mut t = trader(&[Buy, Sell, Nothing, Buy], risk, 0.0, 0.0);
    t.step(&flat_candle(0, 100.0));
    t.step(&flat_candle(1, 100.0));
    t.step(&flat_candle(2, 100.0));
    assert_eq!(t.step(&flat_candle(3, 100.0)).action, Action::EnterLong);
}

#[test]
fn signals_that_do_not_apply_are_holds() {
    // Sell while flat, buy while long: nothing to do.
    let mut t = trader(
        &[Sell, Buy, Nothing, Buy],
        RiskParams::signals_only(),
        0.0,
        0.0,
    );
    assert_eq!(t.step(&flat_candle(0, 100.0)).action, Action::Hold);
    assert_eq!(t.step(&flat_candle(1, 100.0)).action, Action::EnterLong);
    t.step(&flat_candle(2, 100.0));
    assert_eq!(t.step(&flat_candle(3, 100.0)).action, Action::Hold);
}

#[test]
fn finish_closes_at_the_last_close() {
    let mut t = trader(&[Buy], RiskParams::signals_only(), 10.0, 0.0);
    t.step(&flat_candle(0, 100.0));
    t.step(&candle(1, 100.0, 101.0, 99.0, 100.0));
    let last = candle(2, 100.0, 121.0, 99.0, 120.0);
    t.step(&last);
    let trade = t.finish(&last).unwrap();
    assert_eq!(trade.exit_reason, ExitReason::End);
    assert_eq!(trade.exit_price, 120.0);
    assert_eq!(trade.exit_time, 120_000);
    assert!(t.finish(&last).is_none(), "nothing left to close");
}

#[test]
fn state_round_trips_through_json_and_resumes() {
    let risk = RiskParams {
        stop_loss_pct: 2.0,
        ..RiskParams::signals_only()
    };
    let mut t = trader(&[Buy], risk, 0.0, 0.0);
    t.step(&flat_candle(0, 100.0));
    t.step(&flat_candle(1, 100.0));
    let saved = serde_json::to_string(&t.state).unwrap();
    // A new trader (e.g. after a restart) with the stored state stops out the same way.
    let state: TraderState = serde_json::from_str(&saved).unwrap();
    let mut resumed = trader(&[], risk, 0.0, 0.0);
    resumed.state = state;
    let trade = resumed
        .step(&candle(2, 100.0, 100.0, 97.0, 97.5))
        .exited
        .unwrap();
    assert_eq!(
        (trade.exit_reason, trade.exit_price),
        (ExitReason::StopLoss, 98.0)
    );
}
