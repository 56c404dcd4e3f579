//! Indicator values pinned against published or hand-computed references.

use super::*;

fn run<T>(mut f: impl FnMut(f64) -> Option<T>, xs: &[f64]) -> Vec<Option<T>> {
    xs.iter().map(|&x| f(x)).collect()
}

fn near(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn sma_of_one_to_ten() {
    let xs: Vec<f64> = (1..=10).map(f64::from).collect();
    let mut sma = Sma::new(3);
    let got = run(|x| sma.next(x), &xs);
    // (1+2+3)/3 = 2, then 3, 4, ... 9.
    let want: Vec<Option<f64>> = [None, None]
        .into_iter()
        .chain((2..=9).map(|v| Some(v as f64)))
        .collect();
    assert_eq!(got, want);
    assert_eq!(sma.period(), 3);
}

#[test]
fn ema_is_seeded_with_the_sma() {
    // EMA(3), alpha 0.5: seed (1+2+3)/3 = 2; then 2 + 0.5 (4 - 2) = 3; 3 + 0.5 (5 - 3) = 4;
    // then 10 -> 7.
    let mut ema = Ema::new(3);
    let got = run(|x| ema.next(x), &[1.0, 2.0, 3.0, 4.0, 5.0, 10.0]);
    assert_eq!(
        got,
        vec![None, None, Some(2.0), Some(3.0), Some(4.0), Some(7.0)]
    );
}

#[test]
fn rsi_matches_wilders_worked_example() {
    // The classic 14-period example (StockCharts' "RSI" article; Wilder 1978). The article's
    // spreadsheet rounds its averages to 2 decimals, which moves its RSI by up to 0.07; the
    // second list is the unrounded definition (independent Python, plain floats).
    let closes = [
        44.34, 44.09, 44.15, 43.61, 44.33, 44.83, 45.10, 45.42, 45.84, 46.08, 45.89, 46.03, 45.61,
        46.28, 46.28, 46.00, 46.03, 46.41, 46.22, 45.64, 46.21, 46.25, 45.71, 46.45, 45.78, 45.35,
        44.03, 44.18, 44.22, 44.57, 43.42, 42.66, 43.13,
    ];
    let published = [
        70.53, 66.32, 66.55, 69.41, 66.36, 57.97, 62.93, 63.26, 56.06, 62.38, 54.71, 50.42, 39.99,
        41.46, 41.87, 45.46, 37.30, 33.08, 37.77,
    ];
    let exact = [
        70.46, 66.25, 66.48, 69.35, 66.29, 57.92, 62.88, 63.21, 56.01, 62.34, 54.67, 50.39, 40.02,
        41.49, 41.90, 45.50, 37.32, 33.09, 37.79,
    ];
    let mut rsi = Rsi::new(14);
    let got = run(|x| rsi.next(x), &closes);
    assert!(
        got[..14].iter().all(Option::is_none),
        "first value on close 15"
    );
    let values: Vec<f64> = got[14..].iter().map(|v| v.unwrap()).collect();
    assert_eq!(values.len(), published.len());
    for (i, v) in values.iter().enumerate() {
        assert!(near(*v, exact[i], 0.005), "#{i}: {v} vs {}", exact[i]);
        assert!(
            near(*v, published[i], 0.08),
            "#{i}: {v} vs {}",
            published[i]
        );
    }
}

#[test]
fn rsi_edge_cases() {
    let mut up = Rsi::new(2);
    assert_eq!(
        run(|x| up.next(x), &[1.0, 2.0, 3.0]),
        vec![None, None, Some(100.0)]
    );
    let mut flat = Rsi::new(2);
    assert_eq!(
        run(|x| flat.next(x), &[1.0, 1.0, 1.0]),
        vec![None, None, Some(50.0)]
    );
}

#[test]
fn bollinger_uses_the_population_standard_deviation() {
    // [2, 4, 4, 4, 5, 5, 7, 9]: mean 5, population sd 2.
    let mut bb = Bollinger::new(8, 2.0);
    let got = run(|x| bb.next(x), &[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
    assert!(got[..7].iter().all(Option::is_none));
    assert_eq!(
        got[7],
        Some(Bands {
            middle: 5.0,
            upper: 9.0,
            lower: 1.0
        })
    );
    // A flat window has zero width, not a NaN from a tiny negative variance.
    let mut flat = Bollinger::new(3, 2.0);
    let b = run(|x| flat.next(x), &[0.1, 0.1, 0.1])[2].unwrap();
    assert_eq!((b.upper, b.lower), (b.middle, b.middle));
}

#[test]
fn atr_by_hand() {
    // True ranges from candle 2 on: max(h-l, |h-prev c|, |l-prev c|) = 1.5, 1.5, 1.5, 2.8;
    // ATR(3) = (1.5+1.5+1.5)/3 = 1.5 on candle 4, then (1.5 x 2 + 2.8)/3 = 1.9333.
    let candles = [
        (10.0, 9.0, 9.5),
        (11.0, 9.5, 10.8),
        (12.0, 10.5, 11.0),
        (11.5, 10.0, 10.2),
        (13.0, 11.0, 12.5),
    ];
    let mut atr = Atr::new(3);
    let got: Vec<Option<f64>> = candles.iter().map(|&(h, l, c)| atr.next(h, l, c)).collect();
    assert_eq!(&got[..3], &[None, None, None]);
    assert!(near(got[3].unwrap(), 1.5, 1e-12));
    assert!(near(got[4].unwrap(), 5.8 / 3.0, 1e-12));
}

#[test]
fn macd_starts_when_its_signal_line_does() {
    let closes: Vec<f64> = (0..60)
        .map(|i| 100.0 + (i as f64 * 0.3).sin() * 5.0)
        .collect();
    let mut macd = Macd::new(12, 26, 9);
    let (mut fast, mut slow) = (Ema::new(12), Ema::new(26));
    let mut signal = Ema::new(9);
    for (i, &c) in closes.iter().enumerate() {
        let got = macd.next(c);
        let line = fast.next(c).zip(slow.next(c)).map(|(f, s)| f - s);
        let sig = line.and_then(|l| signal.next(l));
        if i < 33 {
            assert!(got.is_none(), "close #{} has no MACD yet", i + 1);
            continue;
        }
        // First output on close #34: 26 closes for the slow EMA, then 9 MACD values.
        let m = got.unwrap();
        assert!(near(m.macd, line.unwrap(), 1e-12));
        assert!(near(m.signal, sig.unwrap(), 1e-12));
        assert!(near(m.histogram, m.macd - m.signal, 1e-12));
    }
}

#[test]
fn rolling_extremes_drop_values_that_leave_the_window() {
    let xs = [5.0, 1.0, 3.0, 2.0, 0.5, 4.0, 4.0, 1.0];
    let mut max = RollingMax::new(3);
    let mut min = RollingMin::new(3);
    assert_eq!(
        run(|x| max.next(x), &xs),
        vec![
            None,
            None,
            Some(5.0),
            Some(3.0),
            Some(3.0),
            Some(4.0),
            Some(4.0),
            Some(4.0)
        ]
    );
    assert_eq!(
        run(|x| min.next(x), &xs),
        vec![
            None,
            None,
            Some(1.0),
            Some(1.0),
            Some(0.5),
            Some(0.5),
            Some(0.5),
            Some(1.0)
        ]
    );
}

#[test]
fn sma_does_not_drift_over_a_million_updates() {
    let period = 50;
    let mut sma = Sma::new(period);
    let xs: Vec<f64> = (0..1_000_000)
        .map(|i| 30_000.0 + 1_000.0 * (i as f64 / 97.0).sin())
        .collect();
    let mut last = None;
    for &x in &xs {
        last = sma.next(x);
    }
    let direct = xs[xs.len() - period..].iter().sum::<f64>() / period as f64;
    assert!(near(last.unwrap(), direct, 1e-9));
}

#[test]
fn period_zero_is_one_and_never_panics() {
    assert_eq!(Sma::new(0).next(3.0), Some(3.0));
    assert_eq!(Ema::new(0).next(3.0), Some(3.0));
    assert_eq!(RollingMax::new(0).next(3.0), Some(3.0));
    let mut rsi = Rsi::new(0);
    assert_eq!(rsi.next(1.0), None);
    assert_eq!(rsi.next(2.0), Some(100.0));
}
