//! Binance: HMAC-SHA256 signed query (`X-MBX-APIKEY` header) and the public 24 h ticker.

use reqwest::{Client, RequestBuilder};
use serde_json::Value;

use super::keytest::{Hint, Keys};
use super::signing::binance_signature;
use super::ticker::{self, Pair, Ticker, TickerError};

/// How long after `timestamp` Binance may still accept the request (their default).
const RECV_WINDOW_MS: u32 = 5000;

/// GET `/api/v3/account?timestamp=..&recvWindow=5000&signature=hex(HMAC-SHA256(secret, query))`.
pub(crate) fn account_request(
    client: &Client,
    base: &str,
    keys: &Keys<'_>,
    now_ms: i64,
) -> RequestBuilder {
    let query = format!("timestamp={now_ms}&recvWindow={RECV_WINDOW_MS}");
    let signature = binance_signature(keys.secret, &query);
    client
        .get(format!(
            "{base}/api/v3/account?{query}&signature={signature}"
        ))
        .header("X-MBX-APIKEY", keys.key)
}

/// Binance error codes that mean "bad credentials" even though the status is 400.
pub(crate) fn hint(body: &Value) -> Option<Hint> {
    match body.get("code").and_then(Value::as_i64)? {
        // -1022 signature invalid, -2014 key format invalid, -2015 key/IP/permission invalid.
        -1022 | -2014 | -2015 => Some(Hint::InvalidCredentials),
        // Timestamp outside recvWindow: our clock (or theirs) is off.
        -1021 => Some(Hint::ClockSkew),
        _ => None,
    }
}

/// GET `/api/v3/ticker/24hr?symbol=BTCUSDT`.
pub(crate) fn ticker_request(client: &Client, base: &str, pair: &Pair) -> RequestBuilder {
    client
        .get(format!("{base}/api/v3/ticker/24hr"))
        .query(&[("symbol", pair.joined())])
}

/// `{"symbol":"BTCUSDT","priceChangePercent":"-1.2","lastPrice":"..","closeTime":ms,..}`.
pub(crate) fn parse_ticker(body: &Value) -> Result<Ticker, TickerError> {
    let price = ticker::price(body.get("lastPrice"))?;
    let change = ticker::number(body.get("priceChangePercent"));
    let at = ticker::from_millis(body.get("closeTime"));
    Ok(ticker::parsed(price, change, at))
}
