//! The live price feed: public (keyless) tickers of luno, binance, kucoin, valr and ovex,
//! cached for `PRICE_CACHE_SECONDS`, with the answering exchange as `source`.
//!
//! A price is asked from the requested exchange first, then from the other exchanges that list
//! the pair. When every one fails the feed answers an error (never a made-up price), so the
//! order pipeline refuses to fill.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{fetch_ticker, Provider, TickerError};
use crate::config::OutboundConfig;
use crate::domain::clock::SharedClock;
use crate::domain::fees::KNOWN_EXCHANGES;
use crate::domain::price::{PriceError, PriceSource, Quote};
use async_trait::async_trait;

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

/// Public tickers over the shared HTTP client, with a short per-(exchange, symbol) cache.
pub struct TickerFeed {
    client: reqwest::Client,
    bases: OutboundConfig,
    clock: SharedClock,
    ttl: Duration,
    cache: Mutex<HashMap<(String, String), (Instant, Quote)>>,
}

impl TickerFeed {
    pub fn new(client: reqwest::Client, outbound: &OutboundConfig, clock: SharedClock) -> Self {
        Self {
            client,
            bases: outbound.clone(),
            clock,
            ttl: Duration::from_secs(outbound.price_cache_seconds),
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
        market_code(exchange, symbol).ok_or("pair not listed")?;
        let provider = Provider::parse(exchange).ok_or("unknown exchange")?;
        // The same client code `tests/exchange_tickers.rs` pins against each exchange's format.
        let ticker = fetch_ticker(&self.client, &self.bases, provider, symbol)
            .await
            .map_err(|e| match e {
                TickerError::Timeout => "did not answer in time".to_string(),
                TickerError::Unreachable => "could not be reached".to_string(),
                TickerError::Http(code) => format!("HTTP {code}"),
                other => other.to_string(),
            })?;
        let (price, change_24h) = (ticker.price, ticker.change_24h);
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
