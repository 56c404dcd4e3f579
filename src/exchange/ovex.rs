//! OVEX: bearer-token account check and the public ticker (a Peatio-style API).
//!
//! Assumption (OVEX publishes no stable schema): `/api/v2/tickers/btczar` answers like Peatio,
//! `{"at":1700000000,"ticker":{"buy":"..","sell":"..","low":"..","high":"..","last":"..",
//! "vol":"..","price_change_percent":"+1.23%"}}`. A flat object with `last` at the top level
//! is accepted too; `at` is epoch seconds.

use chrono::{TimeZone, Utc};
use reqwest::{Client, RequestBuilder};
use serde_json::Value;

use super::keytest::Keys;
use super::ticker::{self, Pair, Ticker, TickerError};

/// GET `/api/v2/account` with `Authorization: Bearer <api key>`.
pub(crate) fn account_request(client: &Client, base: &str, keys: &Keys<'_>) -> RequestBuilder {
    client
        .get(format!("{base}/api/v2/account"))
        .bearer_auth(keys.key)
}

/// `BTC/ZAR` -> `btczar`.
pub(crate) fn symbol(pair: &Pair) -> String {
    pair.joined().to_ascii_lowercase()
}

/// GET `/api/v2/tickers/btczar`.
pub(crate) fn ticker_request(client: &Client, base: &str, pair: &Pair) -> RequestBuilder {
    client.get(format!("{base}/api/v2/tickers/{}", symbol(pair)))
}

pub(crate) fn parse_ticker(body: &Value) -> Result<Ticker, TickerError> {
    let inner = body.get("ticker").filter(|t| t.is_object()).unwrap_or(body);
    let price = ticker::price(inner.get("last"))?;
    let change = ticker::number(inner.get("price_change_percent"));
    let at =
        ticker::number(body.get("at")).and_then(|secs| Utc.timestamp_opt(secs as i64, 0).single());
    Ok(ticker::parsed(price, change, at))
}
