//! Public candle endpoints, one file per exchange: each builds the request for one page of a
//! series and parses the reply into candles. Base URLs come from `OutboundConfig`.

mod binance;
mod kucoin;
mod luno;
mod valr;

use std::time::Duration;

use reqwest::{Client, RequestBuilder};
use serde_json::Value;

use super::transport::{self, Failure};
use crate::config::OutboundConfig;
use crate::domain::bot_enums::Exchange;
use crate::domain::candles::{Candle, Series, Timeframe};

/// Why a page could not be fetched.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CandleFetchError {
    #[error("{0}")]
    NotSupported(String),
    #[error("rate limited by the exchange")]
    RateLimited { retry_after: Option<Duration> },
    #[error("the exchange answered HTTP {0}")]
    Http(u16),
    #[error("the exchange did not answer in time")]
    Timeout,
    #[error("the exchange cannot be reached")]
    Unreachable,
    #[error("unexpected candle reply: {0}")]
    Malformed(String),
}

impl CandleFetchError {
    /// Worth asking again (rate limit, server error, network).
    pub fn is_transient(&self) -> bool {
        match self {
            CandleFetchError::RateLimited { .. }
            | CandleFetchError::Timeout
            | CandleFetchError::Unreachable => true,
            CandleFetchError::Http(status) => *status >= 500,
            _ => false,
        }
    }
}

/// Candles one request returns at most.
pub fn page_size(exchange: Exchange) -> i64 {
    match exchange {
        Exchange::Binance | Exchange::Luno => 1000,
        Exchange::Kucoin => 1500,
        Exchange::Valr => 300,
        Exchange::Ovex => 0,
    }
}

/// Whether `exchange` serves candles of `timeframe` (the README lists the table).
pub fn supports(exchange: Exchange, timeframe: Timeframe) -> Result<(), CandleFetchError> {
    match exchange {
        Exchange::Ovex => Err(CandleFetchError::NotSupported(
            "OVEX offers no public candle endpoint; import a file instead (amarktai data import)"
                .into(),
        )),
        Exchange::Valr if timeframe == Timeframe::H4 => Err(CandleFetchError::NotSupported(
            "VALR has no 4h buckets (it offers 1m 5m 15m 30m 1h 1d)".into(),
        )),
        _ => Ok(()),
    }
}

/// One page: candles of `series` with `from <= open_time <= to` (epoch ms), any order.
pub async fn fetch_page(
    client: &Client,
    urls: &OutboundConfig,
    series: &Series,
    from: i64,
    to: i64,
) -> Result<Vec<Candle>, CandleFetchError> {
    supports(series.exchange, series.timeframe)?;
    let request: RequestBuilder = match series.exchange {
        Exchange::Binance => binance::request(client, &urls.binance_base_url, series, from, to),
        Exchange::Kucoin => kucoin::request(client, &urls.kucoin_base_url, series, from, to),
        Exchange::Valr => valr::request(client, &urls.valr_base_url, series, from, to),
        Exchange::Luno => luno::request(client, &urls.luno_base_url, series, from),
        Exchange::Ovex => unreachable!("refused by supports()"),
    };
    let timeout = Duration::from_secs(urls.exchange_timeout_seconds.max(1));
    let reply = transport::send(request, timeout)
        .await
        .map_err(|f| match f {
            Failure::Timeout => CandleFetchError::Timeout,
            Failure::BodyTooLarge => CandleFetchError::Malformed("reply too large".into()),
            Failure::Unreachable | Failure::InvalidRequest => CandleFetchError::Unreachable,
        })?;
    if reply.status.as_u16() == 429 || reply.status.as_u16() == 418 {
        return Err(CandleFetchError::RateLimited {
            retry_after: reply.retry_after,
        });
    }
    if !reply.status.is_success() {
        return Err(CandleFetchError::Http(reply.status.as_u16()));
    }
    let body = reply
        .json()
        .ok_or_else(|| CandleFetchError::Malformed("not JSON".into()))?;
    let candles = match series.exchange {
        Exchange::Binance => binance::parse(&body),
        Exchange::Kucoin => kucoin::parse(&body),
        Exchange::Valr => valr::parse(&body),
        Exchange::Luno => luno::parse(&body),
        Exchange::Ovex => unreachable!("refused by supports()"),
    }
    .map_err(CandleFetchError::Malformed)?;
    Ok(candles)
}

/// A price or volume given as a JSON number or a numeric string.
pub(crate) fn number(v: Option<&Value>) -> Result<f64, String> {
    match v {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| format!("not a number: {}", v.cloned().unwrap_or(Value::Null)))
}

pub(crate) fn rows(body: &Value) -> Result<&Vec<Value>, String> {
    body.as_array().ok_or_else(|| "expected an array".into())
}
