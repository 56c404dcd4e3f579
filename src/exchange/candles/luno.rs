//! Luno `GET /api/exchange/1/candles?pair=XBTZAR&since=<ms>&duration=<s>`:
//! `{"candles":[{"timestamp":<ms>,"open":"..","close":"..","high":"..","low":"..",
//! "volume":".."}], "duration":60, "pair":"XBTZAR"}`, oldest first, up to 1000 from `since`.

use reqwest::{Client, RequestBuilder};
use serde_json::Value;

use super::{number, rows};
use crate::domain::candles::{Candle, Series};

fn asset(code: &str) -> &str {
    if code == "BTC" {
        "XBT"
    } else {
        code
    }
}

pub(super) fn request(client: &Client, base: &str, series: &Series, from: i64) -> RequestBuilder {
    let pair = format!("{}{}", asset(&series.pair.base), asset(&series.pair.quote));
    client
        .get(format!("{base}/api/exchange/1/candles"))
        .query(&[
            ("pair", pair),
            ("since", from.to_string()),
            ("duration", series.timeframe.seconds().to_string()),
        ])
}

pub(super) fn parse(body: &Value) -> Result<Vec<Candle>, String> {
    rows(body.get("candles").unwrap_or(&Value::Null))?
        .iter()
        .map(|c| {
            Ok(Candle {
                open_time: number(c.get("timestamp"))? as i64,
                open: number(c.get("open"))?,
                high: number(c.get("high"))?,
                low: number(c.get("low"))?,
                close: number(c.get("close"))?,
                volume: number(c.get("volume"))?,
            })
        })
        .collect()
}
