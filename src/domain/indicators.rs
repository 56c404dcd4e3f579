//! Incremental technical indicators: one value in, one value out, O(1) (amortised) per update
//! and no allocation after construction, so a strategy can read a million candles in
//! milliseconds and a paper bot can replay its history cheaply.
//!
//! Definitions are the standard ones (TA-Lib's where conventions differ): EMA seeded with the
//! SMA of its first `period` values; Wilder's smoothing for RSI and ATR; population standard
//! deviation for Bollinger bands. `ta` (the crate) was not used: its RSI smooths with an EMA
//! (alpha 2/(n+1)) rather than Wilder's 1/n, so its values differ from every charting tool.
//! A period of 0 is treated as 1 (parameters are validated before they get here).

use std::collections::VecDeque;

/// A fixed-length window with a running sum (and sum of squares), recomputed from the window
/// each time the ring wraps so rounding errors cannot pile up over millions of updates.
#[derive(Debug, Clone)]
struct Window {
    values: Vec<f64>,
    next: usize,
    filled: bool,
    sum: f64,
    sum_sq: f64,
}

impl Window {
    fn new(period: usize) -> Self {
        Window {
            values: Vec::with_capacity(period.max(1)),
            next: 0,
            filled: false,
            sum: 0.0,
            sum_sq: 0.0,
        }
    }

    fn capacity(&self) -> usize {
        self.values.capacity().max(1)
    }

    /// Adds `v`; true once the window holds `period` values.
    fn push(&mut self, v: f64) -> bool {
        let period = self.values.capacity().max(1);
        if self.values.len() < period {
            self.values.push(v);
            self.sum += v;
            self.sum_sq += v * v;
            self.filled = self.values.len() == period;
            return self.filled;
        }
        let old = self.values[self.next];
        self.values[self.next] = v;
        self.next += 1;
        if self.next == period {
            self.next = 0;
            // Exact again once per wrap: O(period) every `period` updates.
            self.sum = self.values.iter().sum();
            self.sum_sq = self.values.iter().map(|x| x * x).sum();
        } else {
            self.sum += v - old;
            self.sum_sq += v * v - old * old;
        }
        true
    }

    fn mean(&self) -> f64 {
        self.sum / self.values.len().max(1) as f64
    }

    /// Population variance (divide by N), never negative.
    fn variance(&self) -> f64 {
        let n = self.values.len().max(1) as f64;
        let mean = self.sum / n;
        (self.sum_sq / n - mean * mean).max(0.0)
    }
}

/// Simple moving average of the last `period` values.
#[derive(Debug, Clone)]
pub struct Sma {
    window: Window,
}

impl Sma {
    pub fn new(period: usize) -> Self {
        Sma {
            window: Window::new(period.max(1)),
        }
    }

    pub fn period(&self) -> usize {
        self.window.capacity()
    }

    pub fn next(&mut self, value: f64) -> Option<f64> {
        self.window.push(value).then(|| self.window.mean())
    }
}

/// Exponential moving average, `alpha = 2 / (period + 1)`, seeded with the SMA of the first
/// `period` values (first output on the `period`-th value).
#[derive(Debug, Clone)]
pub struct Ema {
    period: usize,
    alpha: f64,
    seen: usize,
    seed_sum: f64,
    value: Option<f64>,
}

impl Ema {
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        Ema {
            period,
            alpha: 2.0 / (period as f64 + 1.0),
            seen: 0,
            seed_sum: 0.0,
            value: None,
        }
    }

    pub fn next(&mut self, value: f64) -> Option<f64> {
        self.value = match self.value {
            Some(prev) => Some(prev + self.alpha * (value - prev)),
            None => {
                self.seen += 1;
                self.seed_sum += value;
                (self.seen == self.period).then(|| self.seed_sum / self.period as f64)
            }
        };
        self.value
    }
}

/// Wilder's smoothing: the first value is the mean of `period` inputs, then
/// `avg = (avg × (period − 1) + x) / period`.
#[derive(Debug, Clone)]
struct Wilder {
    period: usize,
    seen: usize,
    seed_sum: f64,
    value: Option<f64>,
}

impl Wilder {
    fn new(period: usize) -> Self {
        Wilder {
            period: period.max(1),
            seen: 0,
            seed_sum: 0.0,
            value: None,
        }
    }

    fn next(&mut self, x: f64) -> Option<f64> {
        let n = self.period as f64;
        self.value = match self.value {
            Some(prev) => Some((prev * (n - 1.0) + x) / n),
            None => {
                self.seen += 1;
                self.seed_sum += x;
                (self.seen == self.period).then(|| self.seed_sum / n)
            }
        };
        self.value
    }
}

/// Wilder's relative strength index (first output on the `period + 1`-th close).
#[derive(Debug, Clone)]
pub struct Rsi {
    prev_close: Option<f64>,
    gains: Wilder,
    losses: Wilder,
}

impl Rsi {
    pub fn new(period: usize) -> Self {
        Rsi {
            prev_close: None,
            gains: Wilder::new(period),
            losses: Wilder::new(period),
        }
    }

    pub fn next(&mut self, close: f64) -> Option<f64> {
        let prev = self.prev_close.replace(close)?;
        let change = close - prev;
        let gain = self.gains.next(change.max(0.0));
        let loss = self.losses.next((-change).max(0.0));
        let (gain, loss) = (gain?, loss?);
        Some(if loss == 0.0 {
            if gain == 0.0 {
                50.0
            } else {
                100.0
            }
        } else {
            100.0 - 100.0 / (1.0 + gain / loss)
        })
    }
}

/// MACD line, its signal line and their difference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MacdValue {
    pub macd: f64,
    pub signal: f64,
    pub histogram: f64,
}

/// MACD: `EMA(fast) − EMA(slow)` of closes, with an EMA(`signal`) of that line.
#[derive(Debug, Clone)]
pub struct Macd {
    fast: Ema,
    slow: Ema,
    signal: Ema,
}

impl Macd {
    pub fn new(fast: usize, slow: usize, signal: usize) -> Self {
        Macd {
            fast: Ema::new(fast),
            slow: Ema::new(slow),
            signal: Ema::new(signal),
        }
    }

    pub fn next(&mut self, close: f64) -> Option<MacdValue> {
        let fast = self.fast.next(close);
        let slow = self.slow.next(close);
        let macd = fast? - slow?;
        let signal = self.signal.next(macd)?;
        Some(MacdValue {
            macd,
            signal,
            histogram: macd - signal,
        })
    }
}

/// Bollinger bands: the SMA and `std_dev` population standard deviations around it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bands {
    pub middle: f64,
    pub upper: f64,
    pub lower: f64,
}

#[derive(Debug, Clone)]
pub struct Bollinger {
    window: Window,
    std_dev: f64,
}

impl Bollinger {
    pub fn new(period: usize, std_dev: f64) -> Self {
        Bollinger {
            window: Window::new(period.max(1)),
            std_dev,
        }
    }

    pub fn next(&mut self, close: f64) -> Option<Bands> {
        if !self.window.push(close) {
            return None;
        }
        let middle = self.window.mean();
        let width = self.std_dev * self.window.variance().sqrt();
        Some(Bands {
            middle,
            upper: middle + width,
            lower: middle - width,
        })
    }
}

/// Wilder's average true range (first output on candle `period + 1`: the first candle has
/// no previous close, so no true range).
#[derive(Debug, Clone)]
pub struct Atr {
    prev_close: Option<f64>,
    smooth: Wilder,
}

impl Atr {
    pub fn new(period: usize) -> Self {
        Atr {
            prev_close: None,
            smooth: Wilder::new(period),
        }
    }

    pub fn next(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        let prev = self.prev_close.replace(close)?;
        let tr = (high - low)
            .max((high - prev).abs())
            .max((low - prev).abs());
        self.smooth.next(tr)
    }
}

/// Extreme of the last `period` values with a monotonic deque: each value enters and leaves
/// once, so O(1) amortised.
#[derive(Debug, Clone)]
struct RollingExtreme {
    period: usize,
    index: usize,
    /// (index, value), values strictly decreasing (max) or increasing (min) front to back.
    deque: VecDeque<(usize, f64)>,
}

impl RollingExtreme {
    fn new(period: usize) -> Self {
        let period = period.max(1);
        RollingExtreme {
            period,
            index: 0,
            deque: VecDeque::with_capacity(period),
        }
    }

    /// `dominates(a, b)`: `a` makes `b` useless (a newer value at least as extreme).
    fn next(&mut self, value: f64, dominates: fn(f64, f64) -> bool) -> Option<f64> {
        while self.deque.back().is_some_and(|&(_, v)| dominates(value, v)) {
            self.deque.pop_back();
        }
        self.deque.push_back((self.index, value));
        while self
            .deque
            .front()
            .is_some_and(|&(i, _)| i + self.period <= self.index)
        {
            self.deque.pop_front();
        }
        self.index += 1;
        if self.index >= self.period {
            self.deque.front().map(|&(_, v)| v)
        } else {
            None
        }
    }
}

/// Highest of the last `period` values (from the `period`-th value on).
#[derive(Debug, Clone)]
pub struct RollingMax(RollingExtreme);

impl RollingMax {
    pub fn new(period: usize) -> Self {
        RollingMax(RollingExtreme::new(period))
    }

    pub fn next(&mut self, value: f64) -> Option<f64> {
        self.0.next(value, |new, old| new >= old)
    }
}

/// Lowest of the last `period` values (from the `period`-th value on).
#[derive(Debug, Clone)]
pub struct RollingMin(RollingExtreme);

impl RollingMin {
    pub fn new(period: usize) -> Self {
        RollingMin(RollingExtreme::new(period))
    }

    pub fn next(&mut self, value: f64) -> Option<f64> {
        self.0.next(value, |new, old| new <= old)
    }
}

#[cfg(test)]
mod tests;
