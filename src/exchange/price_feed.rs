//! The live price feed: public (keyless) tickers of luno, binance, kucoin, valr and ovex,
//! cached for `PRICE_CACHE_SECONDS`, with the answering exchange as `source`.
//!
//! A price is asked from the requested exchange first, then from the other exchanges that list
//! the pair. When every one fails the feed answers an error (never a made-up price), so the
//! order pipeline refuses to fill.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::Value;

use crate::config::OutboundConfig;
use crate::domain::clock::SharedClock;
use crate::domain::fees::KNOWN_EXCHANGES;
use crate::domain::price::{PriceError, PriceSource, Quote};

/// The market code `exchange` uses for a canonical `BASE/QUOTE` symbol, if it lists the pair.
///
/// Luno calls bitcoin `XBT` and trades ZAR pairs; binance and kucoin trade the USDT pairs;
/// valr and ovex trade both.
pub fn market_code(exchange: &str, symbol: &str) -> Option<String> {
    let (base, quote) = symbol.split_once('/')?;
    let zar = quote == "ZAR";
    match exchange {
        "luno" if zar => {
            let base = if base == "BTC" { "XBT" } else { base };
            Some(format!("{base}{quote}"))
        }
        "binance" if !zar => Some(format!("{base}{quote}")),
        "kucoin" if !zar => Some(format!("{base}-{quote}")),
        "valr" => Some(format!("{base}{quote}")),
        "ovex" => Some(format!("{base}{quote}").to_ascii_lowercase()),
        _ => None,
    }
}

/// The public ticker URL for one market.
fn ticker_url(bases: &OutboundConfig, exchange: &str, market: &str) -> Option<String> {
    Some(match exchange {
        "luno" => format!("{}/api/1/ticker?pair={market}", bases.luno_base_url),
        "binance" => format!(
            "{}/api/v3/ticker/24hr?symbol={market}",
            bases.binance_base_url
        ),
        "kucoin" => format!(
            "{}/api/v1/market/stats?symbol={market}",
            bases.kucoin_base_url
        ),
        "valr" => format!("{}/v1/public/{market}/marketsummary", bases.valr_base_url),
        "ovex" => format!("{}/api/v2/tickers/{market}", bases.ovex_base_url),
        _ => return None,
    })
}

/// Exchanges send numbers as strings (`"1234.5"`, `"+1.2%"`) or as JSON numbers.
fn number(v: &Value) -> Option<f64> {
    let x = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s
            .trim()
            .trim_end_matches('%')
            .trim_start_matches('+')
            .parse()
            .ok()?,
        _ => return None,
    };
    x.is_finite().then_some(x)
}

/// Last price and 24 h change (percent) from one exchange's ticker body.
pub fn parse_ticker(exchange: &str, body: &Value) -> Result<(f64, Option<f64>), String> {
    let (price, change) = match exchange {
        // {"pair":"XBTZAR","last_trade":"1234.00","bid":..,"ask":..,"status":"ACTIVE"}
        "luno" => (number(&body["last_trade"]), None),
        // {"symbol":"BTCUSDT","lastPrice":"..","priceChangePercent":"-1.2",..}
        "binance" => (
            number(&body["lastPrice"]),
            number(&body["priceChangePercent"]),
        ),
        // {"code":"200000","data":{"symbol":"BTC-USDT","last":"..","changeRate":"0.0123"}}
        "kucoin" => {
            if body["code"].as_str() != Some("200000") {
                return Err(format!("kucoin answered code {}", body["code"]));
            }
            let data = &body["data"];
            (
                number(&data["last"]),
                number(&data["changeRate"]).map(|r| r * 100.0),
            )
        }
        // {"currencyPair":"BTCZAR","lastTradedPrice":"..","changeFromPrevious":"1.23",..}
        "valr" => (
            number(&body["lastTradedPrice"]),
            number(&body["changeFromPrevious"]),
        ),
        // {"at":..,"ticker":{"last":"..","price_change_percent":"+1.23%",..}}
        "ovex" => {
            let t = &body["ticker"];
            (number(&t["last"]), number(&t["price_change_percent"]))
        }
        other => return Err(format!("{other} is not a known exchange")),
    };
    match price {
        Some(p) if p > 0.0 => Ok((p, change)),
        _ => Err("the ticker carried no usable last price".into()),
    }
}

/// Public tickers over the shared HTTP client, with a short per-(exchange, symbol) cache.
pub struct TickerFeed {
    client: reqwest::Client,
    bases: OutboundConfig,
    clock: SharedClock,
    ttl: Duration,
    timeout: Duration,
    cache: Mutex<HashMap<(String, String), (Instant, Quote)>>,
}

impl TickerFeed {
    pub fn new(client: reqwest::Client, outbound: &OutboundConfig, clock: SharedClock) -> Self {
        Self {
            client,
            bases: outbound.clone(),
            clock,
            ttl: Duration::from_secs(outbound.price_cache_seconds),
            timeout: Duration::from_secs(outbound.exchange_timeout_seconds),
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn cached(&self, exchange: &str, symbol: &str) -> Option<Quote> {
        let cache = self.cache.lock().ok()?;
        let (at, quote) = cache.get(&(exchange.to_string(), symbol.to_string()))?;
        (at.elapsed() < self.ttl).then(|| quote.clone())
    }

    fn remember(&self, exchange: &str, symbol: &str, quote: &Quote) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(
                (exchange.into(), symbol.into()),
                (Instant::now(), quote.clone()),
            );
        }
    }

    /// One exchange's ticker, cached.
    pub async fn exchange_quote(&self, exchange: &str, symbol: &str) -> Result<Quote, String> {
        if let Some(quote) = self.cached(exchange, symbol) {
            return Ok(quote);
        }
        let market = market_code(exchange, symbol).ok_or("pair not listed")?;
        let url = ticker_url(&self.bases, exchange, &market).ok_or("unknown exchange")?;
        let resp = self
            .client
            .get(&url)
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    "did not answer in time".to_string()
                } else {
                    "could not be reached".to_string()
                }
            })?;
        let status = resp.status();
        if !status.is_success() {
            return Err(format!("HTTP {}", status.as_u16()));
        }
        let body: Value = resp
            .json()
            .await
            .map_err(|_| "answered malformed JSON".to_string())?;
        let (price, change_24h) = parse_ticker(exchange, &body)?;
        let quote = Quote {
            price,
            source: exchange.to_string(),
            change_24h,
            timestamp: self.clock.now(),
        };
        self.remember(exchange, symbol, &quote);
        Ok(quote)
    }
}

/// `exchange` first, then every other exchange listing the pair, in a fixed order.
fn candidates(exchange: &str, symbol: &str) -> Vec<&'static str> {
    let mut order: Vec<&'static str> = KNOWN_EXCHANGES
        .into_iter()
        .filter(|e| market_code(e, symbol).is_some())
        .collect();
    if let Some(pos) = order.iter().position(|e| *e == exchange) {
        let first = order.remove(pos);
        order.insert(0, first);
    }
    order
}

#[async_trait]
impl PriceSource for TickerFeed {
    async fn price(&self, exchange: &str, symbol: &str) -> Result<Quote, PriceError> {
        let order = candidates(exchange, symbol);
        if order.is_empty() {
            return Err(PriceError::Unavailable {
                exchange: exchange.to_string(),
                symbol: symbol.to_string(),
            });
        }
        let mut failures = Vec::new();
        for source in order {
            match self.exchange_quote(source, symbol).await {
                Ok(quote) => return Ok(quote),
                Err(why) => {
                    tracing::warn!(exchange = source, symbol, why = %why, "ticker failed");
                    failures.push(format!("{source}: {why}"));
                }
            }
        }
        Err(PriceError::Feed(format!(
            "no live price for {symbol} ({})",
            failures.join("; ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn market_codes_follow_each_exchange_naming() {
        assert_eq!(market_code("luno", "BTC/ZAR").as_deref(), Some("XBTZAR"));
        assert_eq!(market_code("luno", "BTC/USDT"), None);
        assert_eq!(
            market_code("binance", "ETH/USDT").as_deref(),
            Some("ETHUSDT")
        );
        assert_eq!(market_code("binance", "ETH/ZAR"), None);
        assert_eq!(
            market_code("kucoin", "SOL/USDT").as_deref(),
            Some("SOL-USDT")
        );
        assert_eq!(market_code("valr", "BTC/ZAR").as_deref(), Some("BTCZAR"));
        assert_eq!(market_code("ovex", "BTC/ZAR").as_deref(), Some("btczar"));
    }

    #[test]
    fn tickers_of_every_exchange_parse() {
        let cases = [
            (
                "luno",
                json!({"last_trade": "1200000.00"}),
                1_200_000.0,
                None,
            ),
            (
                "binance",
                json!({"lastPrice": "65000.1", "priceChangePercent": "-1.5"}),
                65000.1,
                Some(-1.5),
            ),
            (
                "kucoin",
                json!({"code": "200000", "data": {"last": "3000", "changeRate": "0.02"}}),
                3000.0,
                Some(2.0),
            ),
            (
                "valr",
                json!({"lastTradedPrice": "50000", "changeFromPrevious": "0.5"}),
                50000.0,
                Some(0.5),
            ),
            (
                "ovex",
                json!({"ticker": {"last": "10.5", "price_change_percent": "+1.25%"}}),
                10.5,
                Some(1.25),
            ),
        ];
        for (exchange, body, price, change) in cases {
            assert_eq!(
                parse_ticker(exchange, &body),
                Ok((price, change)),
                "{exchange}"
            );
        }
    }

    #[test]
    fn a_ticker_without_a_positive_price_is_refused() {
        assert!(parse_ticker("luno", &json!({"last_trade": "0"})).is_err());
        assert!(parse_ticker("binance", &json!({"lastPrice": "NaN"})).is_err());
        assert!(parse_ticker("kucoin", &json!({"code": "400100", "data": null})).is_err());
        assert!(parse_ticker("valr", &json!({})).is_err());
    }

    #[test]
    fn the_requested_exchange_is_asked_first() {
        assert_eq!(candidates("valr", "BTC/ZAR"), ["valr", "luno", "ovex"]);
        assert_eq!(
            candidates("kucoin", "BTC/USDT"),
            ["kucoin", "binance", "valr", "ovex"]
        );
        assert_eq!(
            candidates("luno", "BTC/USDT"),
            ["binance", "kucoin", "valr", "ovex"]
        );
    }
}
