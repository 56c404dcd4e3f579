//! KuCoin `GET /api/v1/market/candles?symbol=BTC-USDT&type=1min&startAt=<s>&endAt=<s>`:
//! `{"code":"200000","data":[["<open s>","o","c","h","l","vol","turnover"], ...]}`, newest
//! first (note the order: open, close, high, low).

use reqwest::{Client, RequestBuilder};
use serde_json::Value;

use super::{number, rows};
use crate::domain::candles::{Candle, Series, Timeframe};

fn kind(timeframe: Timeframe) -> &'static str {
    match timeframe {
        Timeframe::M1 => "1min",
        Timeframe::M5 => "5min",
        Timeframe::M15 => "15min",
        Timeframe::M30 => "30min",
        Timeframe::H1 => "1hour",
        Timeframe::H4 => "4hour",
        Timeframe::D1 => "1day",
    }
}

pub(super) fn request(
    client: &Client,
    base: &str,
    series: &Series,
    from: i64,
    to: i64,
) -> RequestBuilder {
    // endAt is exclusive on KuCoin: one step past the last wanted open time.
    let end = to + series.timeframe.millis();
    client.get(format!("{base}/api/v1/market/candles")).query(&[
        (
            "symbol",
            format!("{}-{}", series.pair.base, series.pair.quote),
        ),
        ("type", kind(series.timeframe).to_string()),
        ("startAt", (from / 1000).to_string()),
        ("endAt", (end / 1000).to_string()),
    ])
}

pub(super) fn parse(body: &Value) -> Result<Vec<Candle>, String> {
    if let Some(code) = body.get("code").and_then(Value::as_str) {
        if code != "200000" {
            let msg = body.get("msg").and_then(Value::as_str).unwrap_or("");
            return Err(format!("KuCoin code {code} {msg}"));
        }
    }
    rows(body.get("data").unwrap_or(&Value::Null))?
        .iter()
        .map(|k| {
            let seconds = number(k.get(0))?;
            Ok(Candle {
                open_time: (seconds as i64) * 1000,
                open: number(k.get(1))?,
                close: number(k.get(2))?,
                high: number(k.get(3))?,
                low: number(k.get(4))?,
                volume: number(k.get(5))?,
            })
        })
        .collect()
}
