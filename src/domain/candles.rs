//! Market data vocabulary (SPEC §15): timeframes, `BASE/QUOTE` pairs, OHLCV candles, their
//! validation and gap detection over a sorted series. No I/O.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::bot_enums::Exchange;

/// Candle lengths the platform stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Timeframe {
    #[serde(rename = "1m")]
    M1,
    #[serde(rename = "5m")]
    M5,
    #[serde(rename = "15m")]
    M15,
    #[serde(rename = "30m")]
    M30,
    #[serde(rename = "1h")]
    H1,
    #[serde(rename = "4h")]
    H4,
    #[serde(rename = "1d")]
    D1,
}

impl Timeframe {
    pub const ALL: [Timeframe; 7] = [
        Timeframe::M1,
        Timeframe::M5,
        Timeframe::M15,
        Timeframe::M30,
        Timeframe::H1,
        Timeframe::H4,
        Timeframe::D1,
    ];
    /// The list shown in error messages.
    pub const ALLOWED: &'static str = "1m, 5m, 15m, 30m, 1h, 4h, 1d";

    pub fn as_str(self) -> &'static str {
        match self {
            Timeframe::M1 => "1m",
            Timeframe::M5 => "5m",
            Timeframe::M15 => "15m",
            Timeframe::M30 => "30m",
            Timeframe::H1 => "1h",
            Timeframe::H4 => "4h",
            Timeframe::D1 => "1d",
        }
    }

    /// `1m`, `1H`, ` 4h ` (case-insensitive, trimmed).
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(raw))
    }

    pub fn seconds(self) -> i64 {
        match self {
            Timeframe::M1 => 60,
            Timeframe::M5 => 300,
            Timeframe::M15 => 900,
            Timeframe::M30 => 1_800,
            Timeframe::H1 => 3_600,
            Timeframe::H4 => 14_400,
            Timeframe::D1 => 86_400,
        }
    }

    pub fn millis(self) -> i64 {
        self.seconds() * 1_000
    }

    /// The open time of the candle containing `t_ms`.
    pub fn floor(self, t_ms: i64) -> i64 {
        t_ms - t_ms.rem_euclid(self.millis())
    }
}

impl fmt::Display for Timeframe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A trading pair, always stored and shown as `BASE/QUOTE` in upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pair {
    pub base: String,
    pub quote: String,
}

impl Pair {
    /// Accepts `BTC/ZAR` (also `btc-zar`, `BTC_ZAR`); each side 2..=10 ASCII letters or digits.
    pub fn parse(raw: &str) -> Option<Pair> {
        let (base, quote) = raw.trim().split_once(['/', '-', '_'])?;
        let side_ok =
            |s: &str| (2..=10).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric());
        (side_ok(base) && side_ok(quote)).then(|| Pair {
            base: base.to_ascii_uppercase(),
            quote: quote.to_ascii_uppercase(),
        })
    }
}

impl fmt::Display for Pair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.base, self.quote)
    }
}

/// One series of candles: an exchange's pair at one timeframe.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Series {
    pub exchange: Exchange,
    pub pair: Pair,
    pub timeframe: Timeframe,
}

impl Series {
    pub fn new(exchange: Exchange, pair: Pair, timeframe: Timeframe) -> Self {
        Self {
            exchange,
            pair,
            timeframe,
        }
    }
}

impl fmt::Display for Series {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}",
            self.exchange.as_str(),
            self.pair,
            self.timeframe
        )
    }
}

/// One OHLCV candle; `open_time` is epoch milliseconds (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Candle {
    pub open_time: i64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
}

impl Candle {
    /// `[open_time_ms, o, h, l, c, v]` as the API serves it.
    pub fn as_row(&self) -> (i64, f64, f64, f64, f64, f64) {
        (
            self.open_time,
            self.open,
            self.high,
            self.low,
            self.close,
            self.volume,
        )
    }

    /// Finite, non-negative prices and volume, a consistent range, an aligned open time.
    pub fn validate(&self, timeframe: Timeframe) -> Result<(), String> {
        let fields = [
            ("open", self.open),
            ("high", self.high),
            ("low", self.low),
            ("close", self.close),
            ("volume", self.volume),
        ];
        for (name, value) in fields {
            if !value.is_finite() {
                return Err(format!("{name} is not a finite number"));
            }
            if value < 0.0 {
                return Err(format!("{name} is negative ({value})"));
            }
        }
        if self.high < self.open.max(self.close) {
            return Err(format!(
                "high {} is below open/close {}",
                self.high,
                self.open.max(self.close)
            ));
        }
        if self.low > self.open.min(self.close) {
            return Err(format!(
                "low {} is above open/close {}",
                self.low,
                self.open.min(self.close)
            ));
        }
        if self.open_time < 0 {
            return Err(format!("open time {} is before 1970", self.open_time));
        }
        if self.open_time % timeframe.millis() != 0 {
            return Err(format!(
                "open time {} is not aligned to {timeframe}",
                self.open_time
            ));
        }
        Ok(())
    }
}

/// Missing candles between two stored ones: open times `from..=to`, `missing` of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Gap {
    pub from: i64,
    pub to: i64,
    pub missing: i64,
}

/// The holes in a sorted (ascending) series of open times.
pub fn gaps(open_times: &[i64], timeframe: Timeframe) -> Vec<Gap> {
    let step = timeframe.millis();
    open_times
        .windows(2)
        .filter(|w| w[1] - w[0] > step)
        .map(|w| Gap {
            from: w[0] + step,
            to: w[1] - step,
            missing: (w[1] - w[0]) / step - 1,
        })
        .collect()
}

/// How many candles a gap-free series from `first` to `last` holds.
pub fn expected_count(first: i64, last: i64, timeframe: Timeframe) -> i64 {
    if last < first {
        return 0;
    }
    (last - first) / timeframe.millis() + 1
}

/// Epoch values at or above this are milliseconds, below it seconds (1e11 s is year 5138,
/// 1e11 ms is March 1973).
const MILLIS_THRESHOLD: f64 = 1e11;

/// A point in time as epoch milliseconds from epoch ms, epoch seconds (told apart by size,
/// fractions allowed), RFC 3339 / ISO 8601 (`2024-01-01T00:00:00Z`, `2024-01-01 00:00:00`
/// read as UTC) or a bare date (`2024-01-01`, midnight UTC).
pub fn parse_time_ms(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    if let Ok(n) = raw.parse::<f64>() {
        return epoch_ms(n);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(raw) {
        return Some(t.timestamp_millis());
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(raw, format) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .map(|d| {
            d.and_time(chrono::NaiveTime::MIN)
                .and_utc()
                .timestamp_millis()
        })
}

/// Epoch seconds or milliseconds (by size) as whole milliseconds.
pub fn epoch_ms(n: f64) -> Option<i64> {
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    let ms = if n >= MILLIS_THRESHOLD {
        n
    } else {
        n * 1_000.0
    };
    (ms < 1e15).then(|| ms.round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candle(t: i64) -> Candle {
        Candle {
            open_time: t,
            open: 10.0,
            high: 12.0,
            low: 9.0,
            close: 11.0,
            volume: 1.5,
        }
    }

    #[test]
    fn timeframes_parse_and_measure() {
        assert_eq!(Timeframe::parse(" 1H "), Some(Timeframe::H1));
        assert_eq!(Timeframe::parse("2m"), None);
        assert_eq!(Timeframe::D1.millis(), 86_400_000);
        assert_eq!(Timeframe::M5.floor(299_999), 0);
        for t in Timeframe::ALL {
            assert_eq!(Timeframe::parse(t.as_str()), Some(t));
        }
    }

    #[test]
    fn pairs_normalise_and_reject_junk() {
        assert_eq!(Pair::parse("btc-zar").unwrap().to_string(), "BTC/ZAR");
        assert_eq!(Pair::parse("ETH/USDT").unwrap().to_string(), "ETH/USDT");
        for bad in ["BTCZAR", "B/ZAR", "BTC/", "BT C/ZAR", "BTC/ZAR/X", ""] {
            assert!(Pair::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn candles_are_validated() {
        assert!(candle(60_000).validate(Timeframe::M1).is_ok());
        assert!(candle(60_000).validate(Timeframe::M5).is_err(), "unaligned");
        let mut c = candle(0);
        c.high = 10.5;
        assert!(c.validate(Timeframe::M1).unwrap_err().contains("high"));
        let mut c = candle(0);
        c.low = 10.5;
        assert!(c.validate(Timeframe::M1).unwrap_err().contains("low"));
        let mut c = candle(0);
        c.volume = f64::NAN;
        assert!(c.validate(Timeframe::M1).unwrap_err().contains("volume"));
        let mut c = candle(0);
        c.open = -1.0;
        c.low = -1.0;
        assert!(c.validate(Timeframe::M1).unwrap_err().contains("negative"));
    }

    #[test]
    fn times_parse_in_every_accepted_form() {
        let t = 1_704_067_200_000; // 2024-01-01T00:00:00Z
        for raw in [
            "1704067200000",
            "1704067200",
            "1704067200.0",
            "2024-01-01T00:00:00Z",
            "2024-01-01T02:00:00+02:00",
            "2024-01-01 00:00:00",
            "2024-01-01T00:00:00.000",
            "2024-01-01",
        ] {
            assert_eq!(parse_time_ms(raw), Some(t), "{raw}");
        }
        for bad in ["", "yesterday", "-5", "2024-13-01", "NaN"] {
            assert_eq!(parse_time_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn gaps_are_found_in_a_sorted_series() {
        let m = 60_000;
        let times = [0, m, 4 * m, 5 * m, 7 * m];
        let found = gaps(&times, Timeframe::M1);
        assert_eq!(
            found,
            vec![
                Gap {
                    from: 2 * m,
                    to: 3 * m,
                    missing: 2
                },
                Gap {
                    from: 6 * m,
                    to: 6 * m,
                    missing: 1
                }
            ]
        );
        assert!(gaps(&[0, m, 2 * m], Timeframe::M1).is_empty());
        assert_eq!(expected_count(0, 7 * m, Timeframe::M1), 8);
    }
}
