//! Luno: HTTP Basic auth (key id : secret) and the public ticker (`XBT` is Luno's bitcoin).

use reqwest::{Client, RequestBuilder};
use serde_json::Value;

use super::keytest::Keys;
use super::ticker::{self, Pair, Ticker, TickerError};

/// GET `/api/1/balance`, authenticated with HTTP Basic (API key id as user, secret as password).
pub(crate) fn balance_request(client: &Client, base: &str, keys: &Keys<'_>) -> RequestBuilder {
    client
        .get(format!("{base}/api/1/balance"))
        .basic_auth(keys.key, Some(keys.secret))
}

/// Luno names bitcoin `XBT` (ISO 4217 style): BTC/ZAR -> `XBTZAR`.
pub(crate) fn symbol(pair: &Pair) -> String {
    let luno = |c: &str| {
        if c == "BTC" {
            "XBT".to_string()
        } else {
            c.to_string()
        }
    };
    format!("{}{}", luno(&pair.base), luno(&pair.quote))
}

/// GET `/api/1/ticker?pair=XBTZAR`.
pub(crate) fn ticker_request(client: &Client, base: &str, pair: &Pair) -> RequestBuilder {
    client
        .get(format!("{base}/api/1/ticker"))
        .query(&[("pair", symbol(pair))])
}

/// `{"pair":"XBTZAR","timestamp":1700000000000,"bid":"..","ask":"..","last_trade":"..",
/// "rolling_24_hour_volume":"..","status":"ACTIVE"}`; Luno reports no 24 h change.
pub(crate) fn parse_ticker(body: &Value) -> Result<Ticker, TickerError> {
    let price = ticker::price(body.get("last_trade"))?;
    let at = ticker::from_millis(body.get("timestamp"));
    Ok(ticker::parsed(price, None, at))
}
