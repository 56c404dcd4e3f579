//! VALR `GET /v1/public/BTCZAR/buckets?periodSeconds=60&startTime=<s>&endTime=<s>`:
//! `[{"startTime":"2024-01-01T00:00:00Z","open":"..","high":"..","low":"..","close":"..",
//! "volume":"..", ...}]`, newest first, at most 300 buckets per request.

use reqwest::{Client, RequestBuilder};
use serde_json::Value;

use super::{number, rows};
use crate::domain::candles::{parse_time_ms, Candle, Series};

pub(super) fn request(
    client: &Client,
    base: &str,
    series: &Series,
    from: i64,
    to: i64,
) -> RequestBuilder {
    let symbol = format!("{}{}", series.pair.base, series.pair.quote);
    client
        .get(format!("{base}/v1/public/{symbol}/buckets"))
        .query(&[
            ("periodSeconds", series.timeframe.seconds().to_string()),
            ("startTime", (from / 1000).to_string()),
            ("endTime", (to / 1000).to_string()),
            ("limit", "300".to_string()),
        ])
}

pub(super) fn parse(body: &Value) -> Result<Vec<Candle>, String> {
    rows(body)?
        .iter()
        .map(|b| {
            let raw = b.get("startTime").ok_or("bucket without startTime")?;
            let open_time = match raw {
                Value::String(s) => parse_time_ms(s),
                other => other.as_f64().and_then(crate::domain::candles::epoch_ms),
            }
            .ok_or_else(|| format!("bad startTime {raw}"))?;
            Ok(Candle {
                open_time,
                open: number(b.get("open"))?,
                high: number(b.get("high"))?,
                low: number(b.get("low"))?,
                close: number(b.get("close"))?,
                volume: number(b.get("volume"))?,
            })
        })
        .collect()
}
