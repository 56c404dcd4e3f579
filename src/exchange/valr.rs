//! VALR: HMAC-SHA512 signed headers (`X-VALR-*`) and the public market summary.

use chrono::{DateTime, Utc};
use reqwest::{Client, RequestBuilder};
use serde_json::Value;

use super::keytest::Keys;
use super::signing::valr_signature;
use super::ticker::{self, Pair, Ticker, TickerError};

const BALANCES_PATH: &str = "/v1/account/balances";

/// GET `/v1/account/balances`, signed over `timestamp + "GET" + path + ""` (empty body).
pub(crate) fn balances_request(
    client: &Client,
    base: &str,
    keys: &Keys<'_>,
    now_ms: i64,
) -> RequestBuilder {
    client
        .get(format!("{base}{BALANCES_PATH}"))
        .header("X-VALR-API-KEY", keys.key)
        .header(
            "X-VALR-SIGNATURE",
            valr_signature(keys.secret, now_ms, "GET", BALANCES_PATH, ""),
        )
        .header("X-VALR-TIMESTAMP", now_ms.to_string())
}

/// GET `/v1/public/BTCZAR/marketsummary`.
pub(crate) fn ticker_request(client: &Client, base: &str, pair: &Pair) -> RequestBuilder {
    client.get(format!("{base}/v1/public/{}/marketsummary", pair.joined()))
}

/// `{"currencyPair":"BTCZAR","lastTradedPrice":"..","changeFromPrevious":"-1.69",
/// "created":"2024-01-01T00:00:00.000Z",..}`; `changeFromPrevious` is already percent.
pub(crate) fn parse_ticker(body: &Value) -> Result<Ticker, TickerError> {
    let price = ticker::price(body.get("lastTradedPrice"))?;
    let change = ticker::number(body.get("changeFromPrevious"));
    let at = body
        .get("created")
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc));
    Ok(ticker::parsed(price, change, at))
}
