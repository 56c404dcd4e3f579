//! The built-in strategies' rules (see `catalog.rs` for their names and parameters).
//!
//! Crossovers follow the usual definition (and backtesting.py's `crossover`): `a` crosses above
//! `b` on a candle when `a < b` on the previous candle and `a > b` on this one.

use std::collections::{BTreeMap, VecDeque};

use super::{Explanation, Signal, Strategy, StrategyConfig};
use crate::domain::candles::{Candle, Timeframe};
use crate::domain::indicators::{Bollinger, Ema, Macd, RollingMax, RollingMin, Rsi, Sma};

/// A number as a person reads it in a reason: 2 decimals for prices, more for small values.
fn num(v: f64) -> String {
    if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.6}")
    }
}

fn period(config: &StrategyConfig, name: &str) -> usize {
    let v = config.param(name);
    if v.is_finite() && v >= 1.0 {
        v as usize
    } else {
        1
    }
}

pub(super) fn build(config: &StrategyConfig, timeframe: Timeframe) -> Box<dyn Strategy> {
    match config.name.as_str() {
        "sma_cross" => Box::new(Cross::new(
            "SMA",
            MovingAverage::Sma(Sma::new(period(config, "fast"))),
            MovingAverage::Sma(Sma::new(period(config, "slow"))),
            period(config, "fast"),
            period(config, "slow"),
        )),
        "ema_cross" => Box::new(Cross::new(
            "EMA",
            MovingAverage::Ema(Ema::new(period(config, "fast"))),
            MovingAverage::Ema(Ema::new(period(config, "slow"))),
            period(config, "fast"),
            period(config, "slow"),
        )),
        "rsi_reversion" => Box::new(RsiReversion {
            rsi: Rsi::new(period(config, "period")),
            period: period(config, "period"),
            oversold: config.param("oversold"),
            overbought: config.param("overbought"),
            last: None,
            signal: Signal::None,
        }),
        "bollinger_reversion" => Box::new(BollingerReversion {
            bands: Bollinger::new(period(config, "period"), config.param("std_dev")),
            period: period(config, "period"),
            last: None,
            signal: Signal::None,
        }),
        "macd_cross" => Box::new(MacdCross {
            macd: Macd::new(
                period(config, "fast"),
                period(config, "slow"),
                period(config, "signal"),
            ),
            warmup: period(config, "slow") + period(config, "signal"),
            prev: None,
            last: None,
            signal: Signal::None,
        }),
        "breakout" => Box::new(Breakout {
            highs: RollingMax::new(period(config, "lookback")),
            lows: RollingMin::new(period(config, "lookback")),
            lookback: period(config, "lookback"),
            channel: None,
            last: None,
            signal: Signal::None,
        }),
        // The catalog knows no other name; anything else is the default rule.
        _ => {
            let per_day = (86_400 / timeframe.seconds().max(1)).max(1) as usize;
            Box::new(Momentum24h {
                closes: VecDeque::with_capacity(per_day + 1),
                lookback: per_day,
                threshold_pct: config.param("threshold_pct").max(0.0),
                last: None,
                signal: Signal::None,
            })
        }
    }
}

enum MovingAverage {
    Sma(Sma),
    Ema(Ema),
}

impl MovingAverage {
    fn next(&mut self, v: f64) -> Option<f64> {
        match self {
            MovingAverage::Sma(m) => m.next(v),
            MovingAverage::Ema(m) => m.next(v),
        }
    }
}

/// `sma_cross` and `ema_cross`.
struct Cross {
    kind: &'static str,
    fast: MovingAverage,
    slow: MovingAverage,
    fast_period: usize,
    slow_period: usize,
    prev: Option<(f64, f64)>,
    last: Option<(f64, f64)>,
    signal: Signal,
}

impl Cross {
    fn new(
        kind: &'static str,
        fast: MovingAverage,
        slow: MovingAverage,
        fast_period: usize,
        slow_period: usize,
    ) -> Self {
        Cross {
            kind,
            fast,
            slow,
            fast_period,
            slow_period,
            prev: None,
            last: None,
            signal: Signal::None,
        }
    }
}

impl Strategy for Cross {
    fn update(&mut self, candle: &Candle) -> Signal {
        let fast = self.fast.next(candle.close);
        let slow = self.slow.next(candle.close);
        self.prev = self.last;
        self.last = fast.zip(slow);
        self.signal = match (self.prev, self.last) {
            (Some((pf, ps)), Some((f, s))) if pf < ps && f > s => Signal::Buy,
            (Some((pf, ps)), Some((f, s))) if pf > ps && f < s => Signal::Sell,
            _ => Signal::None,
        };
        self.signal
    }

    fn explain(&self) -> Explanation {
        let (k, fp, sp) = (self.kind, self.fast_period, self.slow_period);
        let lower = k.to_ascii_lowercase();
        let Some((f, s)) = self.last else {
            return warming_up(self.slow_period + 1);
        };
        let reason = match self.signal {
            Signal::Buy => format!(
                "fast {k}({fp}) {} crossed above slow {k}({sp}) {}",
                num(f),
                num(s)
            ),
            Signal::Sell => format!(
                "fast {k}({fp}) {} crossed below slow {k}({sp}) {}",
                num(f),
                num(s)
            ),
            Signal::None => format!(
                "no crossover: fast {k}({fp}) {} is {} slow {k}({sp}) {}",
                num(f),
                if f > s { "above" } else { "at or below" },
                num(s)
            ),
        };
        explanation(
            reason,
            &[(&format!("{lower}_fast"), f), (&format!("{lower}_slow"), s)],
        )
    }

    fn warmup(&self) -> usize {
        self.slow_period + 1
    }
}

struct RsiReversion {
    rsi: Rsi,
    period: usize,
    oversold: f64,
    overbought: f64,
    last: Option<f64>,
    signal: Signal,
}

impl Strategy for RsiReversion {
    fn update(&mut self, candle: &Candle) -> Signal {
        self.last = self.rsi.next(candle.close);
        self.signal = match self.last {
            Some(r) if r < self.oversold => Signal::Buy,
            Some(r) if r > self.overbought => Signal::Sell,
            _ => Signal::None,
        };
        self.signal
    }

    fn explain(&self) -> Explanation {
        let Some(r) = self.last else {
            return warming_up(self.period + 1);
        };
        let p = self.period;
        let reason = match self.signal {
            Signal::Buy => format!("RSI({p}) {} is below oversold {}", num(r), self.oversold),
            Signal::Sell => format!(
                "RSI({p}) {} is above overbought {}",
                num(r),
                self.overbought
            ),
            Signal::None => format!(
                "RSI({p}) {} is between oversold {} and overbought {}",
                num(r),
                self.oversold,
                self.overbought
            ),
        };
        explanation(reason, &[("rsi", r)])
    }

    fn warmup(&self) -> usize {
        self.period + 1
    }
}

struct BollingerReversion {
    bands: Bollinger,
    period: usize,
    last: Option<(f64, crate::domain::indicators::Bands)>,
    signal: Signal,
}

impl Strategy for BollingerReversion {
    fn update(&mut self, candle: &Candle) -> Signal {
        self.last = self.bands.next(candle.close).map(|b| (candle.close, b));
        self.signal = match self.last {
            Some((close, b)) if close < b.lower => Signal::Buy,
            Some((close, b)) if close >= b.middle => Signal::Sell,
            _ => Signal::None,
        };
        self.signal
    }

    fn explain(&self) -> Explanation {
        let Some((close, b)) = self.last else {
            return warming_up(self.period);
        };
        let reason = match self.signal {
            Signal::Buy => format!(
                "close {} is below the lower band {}",
                num(close),
                num(b.lower)
            ),
            Signal::Sell => format!(
                "close {} is back at or above the middle band {}",
                num(close),
                num(b.middle)
            ),
            Signal::None => format!(
                "close {} is between the lower band {} and the middle band {}",
                num(close),
                num(b.lower),
                num(b.middle)
            ),
        };
        explanation(
            reason,
            &[
                ("bb_lower", b.lower),
                ("bb_middle", b.middle),
                ("bb_upper", b.upper),
            ],
        )
    }

    fn warmup(&self) -> usize {
        self.period
    }
}

struct MacdCross {
    macd: Macd,
    warmup: usize,
    prev: Option<crate::domain::indicators::MacdValue>,
    last: Option<crate::domain::indicators::MacdValue>,
    signal: Signal,
}

impl Strategy for MacdCross {
    fn update(&mut self, candle: &Candle) -> Signal {
        self.prev = self.last;
        self.last = self.macd.next(candle.close);
        self.signal = match (self.prev, self.last) {
            (Some(p), Some(m)) if p.macd < p.signal && m.macd > m.signal => Signal::Buy,
            (Some(p), Some(m)) if p.macd > p.signal && m.macd < m.signal => Signal::Sell,
            _ => Signal::None,
        };
        self.signal
    }

    fn explain(&self) -> Explanation {
        let Some(m) = self.last else {
            return warming_up(self.warmup);
        };
        let reason = match self.signal {
            Signal::Buy => format!(
                "MACD {} crossed above its signal line {}",
                num(m.macd),
                num(m.signal)
            ),
            Signal::Sell => format!(
                "MACD {} crossed below its signal line {}",
                num(m.macd),
                num(m.signal)
            ),
            Signal::None => format!(
                "no crossover: MACD {} is {} its signal line {}",
                num(m.macd),
                if m.macd > m.signal {
                    "above"
                } else {
                    "at or below"
                },
                num(m.signal)
            ),
        };
        explanation(
            reason,
            &[
                ("macd", m.macd),
                ("macd_signal", m.signal),
                ("macd_histogram", m.histogram),
            ],
        )
    }

    fn warmup(&self) -> usize {
        self.warmup
    }
}

struct Breakout {
    highs: RollingMax,
    lows: RollingMin,
    lookback: usize,
    /// Highest high and lowest low of the `lookback` candles before the current one.
    channel: Option<(f64, f64)>,
    last: Option<(f64, f64, f64)>,
    signal: Signal,
}

impl Strategy for Breakout {
    fn update(&mut self, candle: &Candle) -> Signal {
        // Compare with the channel of the previous candles, then let this candle into it.
        self.last = self.channel.map(|(hi, lo)| (candle.close, hi, lo));
        self.signal = match self.last {
            Some((close, hi, _)) if close > hi => Signal::Buy,
            Some((close, _, lo)) if close < lo => Signal::Sell,
            _ => Signal::None,
        };
        let hi = self.highs.next(candle.high);
        let lo = self.lows.next(candle.low);
        self.channel = hi.zip(lo);
        self.signal
    }

    fn explain(&self) -> Explanation {
        let Some((close, hi, lo)) = self.last else {
            return warming_up(self.lookback + 1);
        };
        let n = self.lookback;
        let reason = match self.signal {
            Signal::Buy => format!(
                "close {} broke above the {n}-candle high {}",
                num(close),
                num(hi)
            ),
            Signal::Sell => format!(
                "close {} broke below the {n}-candle low {}",
                num(close),
                num(lo)
            ),
            Signal::None => format!(
                "close {} is inside the {n}-candle channel {} .. {}",
                num(close),
                num(lo),
                num(hi)
            ),
        };
        explanation(reason, &[("channel_high", hi), ("channel_low", lo)])
    }

    fn warmup(&self) -> usize {
        self.lookback + 1
    }
}

struct Momentum24h {
    closes: VecDeque<f64>,
    /// Candles in 24 hours on this timeframe.
    lookback: usize,
    threshold_pct: f64,
    /// Change over 24 hours in percent.
    last: Option<f64>,
    signal: Signal,
}

impl Strategy for Momentum24h {
    fn update(&mut self, candle: &Candle) -> Signal {
        if self.closes.len() == self.lookback + 1 {
            self.closes.pop_front();
        }
        self.closes.push_back(candle.close);
        self.last = match self.closes.front() {
            Some(&then) if self.closes.len() == self.lookback + 1 && then > 0.0 => {
                Some((candle.close - then) * 100.0 / then)
            }
            _ => None,
        };
        self.signal = match self.last {
            Some(change) if change > self.threshold_pct => Signal::Buy,
            Some(change) if change < -self.threshold_pct => Signal::Sell,
            _ => Signal::None,
        };
        self.signal
    }

    fn explain(&self) -> Explanation {
        let Some(change) = self.last else {
            return warming_up(self.lookback + 1);
        };
        let t = self.threshold_pct;
        let reason = match self.signal {
            Signal::Buy => format!("24 h change {change:+.2}% is above +{t}%"),
            Signal::Sell => format!("24 h change {change:+.2}% is below -{t}%"),
            Signal::None => format!("24 h change {change:+.2}% is within ±{t}%"),
        };
        explanation(reason, &[("change_24h_pct", change)])
    }

    fn warmup(&self) -> usize {
        self.lookback + 1
    }
}

fn warming_up(needed: usize) -> Explanation {
    explanation(
        format!("warming up: needs {needed} candles before its first signal"),
        &[],
    )
}

fn explanation(reason: String, values: &[(&str, f64)]) -> Explanation {
    Explanation {
        reason,
        indicators: values
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect::<BTreeMap<_, _>>(),
    }
}

#[cfg(test)]
mod tests;
