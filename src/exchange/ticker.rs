//! Public tickers (the price feed): one `fetch_ticker` over the five exchanges' own formats.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
use serde_json::Value;

use super::transport::{self, Failure};
use super::{binance, kucoin, luno, ovex, valr, Provider};
use crate::config::OutboundConfig;

/// The last traded price of a pair on one exchange.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ticker {
    /// Canonical `BASE/QUOTE`, e.g. `BTC/ZAR` (never the exchange's own symbol).
    pub pair: String,
    pub price: f64,
    /// 24 h change in percent (e.g. `-1.5` for -1.5 %), when the exchange reports one.
    pub change_24h: Option<f64>,
    /// Provider id, e.g. `luno`.
    pub source: String,
    /// The exchange's own timestamp when it sends one, else the time we received it.
    pub timestamp: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TickerError {
    #[error("{0} has no market tickers")]
    NotAnExchange(&'static str),
    #[error("invalid pair {0:?}; expected BASE/QUOTE such as BTC/ZAR")]
    InvalidPair(String),
    #[error("exchange did not answer in time")]
    Timeout,
    #[error("exchange could not be reached")]
    Unreachable,
    #[error("exchange answered HTTP {0}")]
    Http(u16),
    #[error("unexpected ticker response: {0}")]
    Malformed(&'static str),
    /// Zero, negative or non-finite: never passed on as a price.
    #[error("exchange reported no usable price")]
    InvalidPrice,
}

impl TickerError {
    /// Worth trying again shortly (the exchange or the network hiccuped).
    pub fn is_transient(&self) -> bool {
        match self {
            TickerError::Timeout | TickerError::Unreachable => true,
            TickerError::Http(code) => *code == 429 || *code >= 500,
            _ => false,
        }
    }
}

/// A currency pair, upper-case; exchanges' symbols are derived from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    pub base: String,
    pub quote: String,
}

impl Pair {
    /// Accepts `BTC/ZAR`, `btc-zar` or `BTC_ZAR`; each side 2..=10 ASCII letters or digits.
    pub fn parse(raw: &str) -> Result<Pair, TickerError> {
        let invalid = || TickerError::InvalidPair(raw.chars().take(32).collect());
        let (base, quote) = raw.trim().split_once(['/', '-', '_']).ok_or_else(invalid)?;
        let side_ok =
            |s: &str| (2..=10).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric());
        if !side_ok(base) || !side_ok(quote) {
            return Err(invalid());
        }
        Ok(Pair {
            base: base.to_ascii_uppercase(),
            quote: quote.to_ascii_uppercase(),
        })
    }

    /// `BTC/ZAR`.
    pub fn canonical(&self) -> String {
        format!("{}/{}", self.base, self.quote)
    }

    /// `BTCZAR`: the symbol Binance and VALR use.
    pub fn joined(&self) -> String {
        format!("{}{}", self.base, self.quote)
    }
}

/// Fetches the public ticker of `pair` (e.g. `"BTC/ZAR"`) from `exchange`.
pub async fn fetch_ticker(
    client: &reqwest::Client,
    urls: &OutboundConfig,
    exchange: Provider,
    pair: &str,
) -> Result<Ticker, TickerError> {
    let pair = Pair::parse(pair)?;
    let request = match exchange {
        Provider::Luno => luno::ticker_request(client, &urls.luno_base_url, &pair),
        Provider::Binance => binance::ticker_request(client, &urls.binance_base_url, &pair),
        Provider::Kucoin => kucoin::ticker_request(client, &urls.kucoin_base_url, &pair),
        Provider::Valr => valr::ticker_request(client, &urls.valr_base_url, &pair),
        Provider::Ovex => ovex::ticker_request(client, &urls.ovex_base_url, &pair),
        Provider::OpenAi => return Err(TickerError::NotAnExchange(exchange.display_name())),
    };
    let timeout = Duration::from_secs(urls.exchange_timeout_seconds);
    let reply = transport::send(request, timeout)
        .await
        .map_err(|f| match f {
            Failure::Timeout => TickerError::Timeout,
            Failure::BodyTooLarge => TickerError::Malformed("response too large"),
            Failure::Unreachable | Failure::InvalidRequest => TickerError::Unreachable,
        })?;
    if !reply.status.is_success() {
        return Err(TickerError::Http(reply.status.as_u16()));
    }
    let body = reply.json().ok_or(TickerError::Malformed("not JSON"))?;
    let mut ticker = match exchange {
        Provider::Luno => luno::parse_ticker(&body),
        Provider::Binance => binance::parse_ticker(&body),
        Provider::Kucoin => kucoin::parse_ticker(&body),
        Provider::Valr => valr::parse_ticker(&body),
        Provider::Ovex => ovex::parse_ticker(&body),
        Provider::OpenAi => Err(TickerError::NotAnExchange(exchange.display_name())),
    }?;
    ticker.pair = pair.canonical();
    ticker.source = exchange.id().to_string();
    Ok(ticker)
}

/// A ticker with the fields every parser fills; `fetch_ticker` sets `pair` and `source`.
pub(crate) fn parsed(price: f64, change_24h: Option<f64>, at: Option<DateTime<Utc>>) -> Ticker {
    Ticker {
        pair: String::new(),
        price,
        change_24h,
        source: String::new(),
        timestamp: at.unwrap_or_else(Utc::now),
    }
}

/// A finite number from a JSON string (`"123.4"`, `"+1.5%"`) or number.
pub(crate) fn number(value: Option<&Value>) -> Option<f64> {
    let n = match value? {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().trim_end_matches('%').trim().parse().ok()?,
        _ => return None,
    };
    n.is_finite().then_some(n)
}

/// The price field: missing -> malformed; zero, negative or non-finite -> `InvalidPrice`.
pub(crate) fn price(value: Option<&Value>) -> Result<f64, TickerError> {
    let raw = value.ok_or(TickerError::Malformed("price field missing"))?;
    let parsed = match raw {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match parsed {
        Some(p) if p.is_finite() && p > 0.0 => Ok(p),
        Some(_) => Err(TickerError::InvalidPrice),
        None => Err(TickerError::Malformed("price is not a number")),
    }
}

/// Epoch milliseconds (number or numeric string) as UTC.
pub(crate) fn from_millis(value: Option<&Value>) -> Option<DateTime<Utc>> {
    let ms = number(value)?;
    Utc.timestamp_millis_opt(ms as i64).single()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pairs_parse_in_the_common_spellings() {
        let p = Pair::parse(" btc-zar ").unwrap();
        assert_eq!(p.canonical(), "BTC/ZAR");
        assert_eq!(Pair::parse("ETH_USDT").unwrap().joined(), "ETHUSDT");
        for bad in [
            "BTCZAR",
            "",
            "/ZAR",
            "BTC/",
            "B/ZAR",
            "BTC/Z A R",
            "BTC/ZAR/X",
        ] {
            assert!(Pair::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn prices_must_be_positive_and_finite() {
        assert_eq!(price(Some(&json!("1.5"))), Ok(1.5));
        assert_eq!(price(Some(&json!(2))), Ok(2.0));
        assert_eq!(price(Some(&json!("0"))), Err(TickerError::InvalidPrice));
        assert_eq!(price(Some(&json!("-3"))), Err(TickerError::InvalidPrice));
        assert_eq!(price(Some(&json!("NaN"))), Err(TickerError::InvalidPrice));
        assert_eq!(price(Some(&json!("inf"))), Err(TickerError::InvalidPrice));
        assert!(matches!(
            price(Some(&json!("abc"))),
            Err(TickerError::Malformed(_))
        ));
        assert!(matches!(price(None), Err(TickerError::Malformed(_))));
        assert_eq!(number(Some(&json!("+1.25%"))), Some(1.25));
        assert_eq!(number(Some(&json!("NaN"))), None);
    }
}
