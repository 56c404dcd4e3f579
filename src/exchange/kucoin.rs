//! KuCoin: `KC-API-*` headers (key version 2, signed passphrase) and the public 24 h stats.

use reqwest::{Client, RequestBuilder};
use serde_json::Value;

use super::keytest::{Hint, Keys};
use super::signing::{kucoin_passphrase, kucoin_signature};
use super::ticker::{self, Pair, Ticker, TickerError};

const ACCOUNTS_PATH: &str = "/api/v1/accounts";
/// KuCoin's "success" code; it sometimes answers HTTP 200 with another code in the body.
const OK_CODE: &str = "200000";

/// GET `/api/v1/accounts`, signed over `timestamp + "GET" + "/api/v1/accounts"`.
pub(crate) fn accounts_request(
    client: &Client,
    base: &str,
    keys: &Keys<'_>,
    now_ms: i64,
) -> RequestBuilder {
    let passphrase = keys.passphrase.unwrap_or_default();
    client
        .get(format!("{base}{ACCOUNTS_PATH}"))
        .header("KC-API-KEY", keys.key)
        .header(
            "KC-API-SIGN",
            kucoin_signature(keys.secret, now_ms, "GET", ACCOUNTS_PATH, ""),
        )
        .header("KC-API-TIMESTAMP", now_ms.to_string())
        .header(
            "KC-API-PASSPHRASE",
            kucoin_passphrase(keys.secret, passphrase),
        )
        .header("KC-API-KEY-VERSION", "2")
}

/// A body-level error (`{"code":"400003","msg":".."}`), whatever the HTTP status.
pub(crate) fn body_code(body: &Value) -> Option<&str> {
    body.get("code")
        .and_then(Value::as_str)
        .filter(|code| *code != OK_CODE)
}

/// KuCoin's documented auth error codes.
pub(crate) fn hint(body: &Value) -> Option<Hint> {
    match body_code(body)? {
        // 400003 key not found, 400004 bad passphrase, 400005 bad signature.
        "400003" | "400004" | "400005" => Some(Hint::InvalidCredentials),
        // 400006 IP not on the key's allow-list, 400007 permission missing.
        "400006" | "400007" => Some(Hint::Forbidden),
        // 400002 timestamp too far from KuCoin's clock.
        "400002" => Some(Hint::ClockSkew),
        _ => None,
    }
}

/// `BTC/USDT` -> `BTC-USDT`.
pub(crate) fn symbol(pair: &Pair) -> String {
    format!("{}-{}", pair.base, pair.quote)
}

/// GET `/api/v1/market/stats?symbol=BTC-USDT`.
pub(crate) fn ticker_request(client: &Client, base: &str, pair: &Pair) -> RequestBuilder {
    client
        .get(format!("{base}/api/v1/market/stats"))
        .query(&[("symbol", symbol(pair))])
}

/// `{"code":"200000","data":{"time":ms,"symbol":"BTC-USDT","last":"..","changeRate":"0.0123"}}`;
/// `changeRate` is a fraction, so it is scaled to percent like the other exchanges.
pub(crate) fn parse_ticker(body: &Value) -> Result<Ticker, TickerError> {
    if body_code(body).is_some() {
        return Err(TickerError::Malformed("exchange reported an error code"));
    }
    let data = body
        .get("data")
        .filter(|d| d.is_object())
        .ok_or(TickerError::Malformed("data missing"))?;
    let price = ticker::price(data.get("last"))?;
    let change = ticker::number(data.get("changeRate")).map(|rate| rate * 100.0);
    let at = ticker::from_millis(data.get("time"));
    Ok(ticker::parsed(price, change, at))
}
