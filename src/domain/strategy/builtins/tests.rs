//! Each built-in decides as its definition says, on hand-made closes whose indicator values
//! are worked out in the comments (EMA/MACD values from an independent Python script).

use serde_json::json;

use crate::domain::candles::{Candle, Timeframe};
use crate::domain::strategy::{validate, Signal, StrategySpec};

fn signals(
    name: &str,
    params: serde_json::Value,
    timeframe: Timeframe,
    closes: &[f64],
) -> Vec<(usize, Signal)> {
    let spec: StrategySpec =
        serde_json::from_value(json!({"name": name, "params": params})).unwrap();
    let mut strategy = validate(&spec).unwrap().build(timeframe);
    closes
        .iter()
        .enumerate()
        .filter_map(|(i, &c)| {
            let candle = Candle {
                open_time: i as i64 * timeframe.millis(),
                open: c,
                high: c + 1.0,
                low: c - 1.0,
                close: c,
                volume: 1.0,
            };
            match strategy.update(&candle) {
                Signal::None => None,
                s => Some((i, s)),
            }
        })
        .collect()
}

const CLOSES: [f64; 11] = [5.0, 5.0, 5.0, 4.0, 3.0, 4.0, 6.0, 8.0, 7.0, 5.0, 3.0];

#[test]
fn sma_cross_signals_on_strict_crossovers_only() {
    // SMA2: -, 5, 5, 4.5, 3.5, 3.5, 5, 7, 7.5, 6, 4
    // SMA3: -, -, 5, 4.67, 4, 3.67, 4.33, 6, 7, 6.67, 5
    // At 2 they are equal (no cross); fast goes above at 6, below at 9.
    let got = signals(
        "sma_cross",
        json!({"fast": 2, "slow": 3}),
        Timeframe::M1,
        &CLOSES,
    );
    assert_eq!(got, vec![(6, Signal::Buy), (9, Signal::Sell)]);
}

#[test]
fn ema_cross_uses_sma_seeded_emas() {
    // EMA2: -, 5, 5, 4.33, 3.44, 3.81, 5.27, 7.09, 7.03, 5.68, 3.89
    // EMA3: -, -, 5, 4.5, 3.75, 3.875, 4.94, 6.47, 6.73, 5.87, 4.43
    let got = signals(
        "ema_cross",
        json!({"fast": 2, "slow": 3}),
        Timeframe::M1,
        &CLOSES,
    );
    assert_eq!(got, vec![(6, Signal::Buy), (9, Signal::Sell)]);
}

#[test]
fn macd_cross_reads_the_signal_line() {
    // MACD(2,3): -, -, 0, -0.167, -0.306, -0.060, 0.334, 0.622, 0.296, -0.190, -0.541
    // signal(2):  -, -, -, -0.083, -0.231, -0.117, 0.184, 0.476, 0.356, -0.008, -0.364
    let got = signals(
        "macd_cross",
        json!({"fast": 2, "slow": 3, "signal": 2}),
        Timeframe::M1,
        &CLOSES,
    );
    assert_eq!(got, vec![(5, Signal::Buy), (8, Signal::Sell)]);
}

#[test]
fn rsi_reversion_buys_oversold_and_sells_overbought() {
    // RSI(2), Wilder: changes -1, -1 -> avg gain 0, avg loss 1 -> RSI 0 (buy at 2);
    // +1 -> gain 0.5, loss 0.5 -> 50; +1 -> gain 0.75, loss 0.25 -> RS 3 -> 75 (sell at 4).
    let got = signals(
        "rsi_reversion",
        json!({"period": 2, "oversold": 30, "overbought": 70}),
        Timeframe::M1,
        &[10.0, 9.0, 8.0, 9.0, 10.0],
    );
    assert_eq!(got, vec![(2, Signal::Buy), (4, Signal::Sell)]);
}

#[test]
fn bollinger_reversion_buys_below_the_lower_band_and_exits_at_the_mean() {
    // Period 3, 1 sd (population): [10,10,10] sd 0: close 10 >= middle 10 -> sell (ignored when
    // flat); [10,10,7] mean 9, sd 1.414, lower 7.586: 7 below -> buy; [10,7,8] mean 8.33,
    // lower 7.09: 8 between -> nothing; [7,8,9] mean 8: 9 at/above the middle -> sell.
    let got = signals(
        "bollinger_reversion",
        json!({"period": 3, "std_dev": 1}),
        Timeframe::M1,
        &[10.0, 10.0, 10.0, 7.0, 8.0, 9.0],
    );
    assert_eq!(
        got,
        vec![(2, Signal::Sell), (3, Signal::Buy), (5, Signal::Sell)]
    );
}

#[test]
fn breakout_compares_with_the_previous_candles_channel() {
    // Highs are close + 1, lows close - 1. At 3 the previous three highs are 11: 12 breaks
    // above. At 5 the previous lows are 9, 11, 10: 8 breaks below.
    let got = signals(
        "breakout",
        json!({"lookback": 3}),
        Timeframe::M1,
        &[10.0, 10.0, 10.0, 12.0, 11.0, 8.0],
    );
    assert_eq!(got, vec![(3, Signal::Buy), (5, Signal::Sell)]);
}

#[test]
fn momentum_24h_compares_with_the_close_a_day_earlier() {
    // On 1h candles a day is 24 candles: candle 24 is compared with candle 0.
    let mut closes = vec![100.0; 24];
    closes.push(101.0); // +1 % -> buy
    closes.push(99.0); // vs candle 1 (100): -1 % -> sell
    let got = signals("momentum_24h", json!({}), Timeframe::H1, &closes);
    assert_eq!(got, vec![(24, Signal::Buy), (25, Signal::Sell)]);
    let quiet = signals(
        "momentum_24h",
        json!({"threshold_pct": 2}),
        Timeframe::H1,
        &closes,
    );
    assert!(quiet.is_empty(), "a 1 % move is inside a 2 % threshold");
    // On daily candles it compares consecutive closes.
    let daily = signals("momentum_24h", json!({}), Timeframe::D1, &[100.0, 101.0]);
    assert_eq!(daily, vec![(1, Signal::Buy)]);
}

#[test]
fn explanations_name_the_rule_and_the_values() {
    let spec: StrategySpec =
        serde_json::from_value(json!({"name": "sma_cross", "params": {"fast": 2, "slow": 3}}))
            .unwrap();
    let mut s = validate(&spec).unwrap().build(Timeframe::M1);
    assert!(s.explain().reason.starts_with("warming up"));
    for (i, c) in CLOSES.iter().take(7).enumerate() {
        s.update(&Candle {
            open_time: i as i64 * 60_000,
            open: *c,
            high: *c,
            low: *c,
            close: *c,
            volume: 0.0,
        });
    }
    let why = s.explain();
    assert_eq!(
        why.reason,
        "fast SMA(2) 5.00 crossed above slow SMA(3) 4.33"
    );
    assert_eq!(why.indicators["sma_fast"], 5.0);
    assert!((why.indicators["sma_slow"] - 13.0 / 3.0).abs() < 1e-12);
    assert_eq!(s.warmup(), 4);
}
