//! Binance `GET /api/v3/klines?symbol=BTCUSDT&interval=1m&startTime&endTime&limit=1000`:
//! `[[open_time_ms, "o", "h", "l", "c", "v", close_time, ...], ...]`, oldest first.

use reqwest::{Client, RequestBuilder};
use serde_json::Value;

use super::{number, rows};
use crate::domain::candles::{Candle, Series};

pub(super) fn request(
    client: &Client,
    base: &str,
    series: &Series,
    from: i64,
    to: i64,
) -> RequestBuilder {
    client.get(format!("{base}/api/v3/klines")).query(&[
        (
            "symbol",
            format!("{}{}", series.pair.base, series.pair.quote),
        ),
        ("interval", series.timeframe.as_str().to_string()),
        ("startTime", from.to_string()),
        ("endTime", to.to_string()),
        ("limit", "1000".to_string()),
    ])
}

pub(super) fn parse(body: &Value) -> Result<Vec<Candle>, String> {
    rows(body)?
        .iter()
        .map(|k| {
            let open_time = k
                .get(0)
                .and_then(Value::as_i64)
                .ok_or("kline without open time")?;
            Ok(Candle {
                open_time,
                open: number(k.get(1))?,
                high: number(k.get(2))?,
                low: number(k.get(3))?,
                close: number(k.get(4))?,
                volume: number(k.get(5))?,
            })
        })
        .collect()
}
