//! Where order fills get their prices: the `PriceSource` trait, a default that has no prices
//! (so nothing fills on made-up numbers), and `FixedPrices` for tests and demos.
//!
//! The real exchange ticker feed implements the same trait and is plugged into `AppState`.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// One price observation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quote {
    pub price: f64,
    /// Where the price came from (`luno`, `binance`, `fixed`, ...): shown on fills.
    pub source: String,
    /// Percent change over the last 24 h when the exchange reports it.
    pub change_24h: Option<f64>,
    pub timestamp: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    #[error("no price source configured")]
    NotConfigured,
    #[error("no price for {symbol} on {exchange}")]
    Unavailable { exchange: String, symbol: String },
    #[error("price feed failed: {0}")]
    Feed(String),
}

/// A live price for `symbol` (canonical `BASE/QUOTE`) on `exchange` (lower-case name).
#[async_trait]
pub trait PriceSource: Send + Sync {
    async fn price(&self, exchange: &str, symbol: &str) -> Result<Quote, PriceError>;
}

pub type SharedPriceSource = Arc<dyn PriceSource>;

/// The exchange asked first for a symbol when no bot is involved (`/api/prices/live`): the
/// main ZAR venue for ZAR pairs, the deepest USDT book otherwise. Feeds fall back to the
/// other venues that list the pair.
pub fn preferred_exchange(symbol: &str) -> &'static str {
    if symbol.ends_with("/ZAR") {
        "luno"
    } else {
        "binance"
    }
}

/// The default until a real feed is configured: every request fails, so orders refuse to fill.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoPriceSource;

#[async_trait]
impl PriceSource for NoPriceSource {
    async fn price(&self, _exchange: &str, _symbol: &str) -> Result<Quote, PriceError> {
        Err(PriceError::NotConfigured)
    }
}

/// The price source the application uses, replaceable while running (the real feed is plugged
/// in at boot; tests swap in `FixedPrices`). Starts as [`NoPriceSource`].
pub struct PriceSlot {
    inner: RwLock<SharedPriceSource>,
}

impl Default for PriceSlot {
    fn default() -> Self {
        Self::with(Arc::new(NoPriceSource))
    }
}

impl PriceSlot {
    pub fn with(source: SharedPriceSource) -> Self {
        Self {
            inner: RwLock::new(source),
        }
    }

    pub fn set(&self, source: SharedPriceSource) {
        if let Ok(mut inner) = self.inner.write() {
            *inner = source;
        }
    }

    pub fn current(&self) -> SharedPriceSource {
        match self.inner.read() {
            Ok(inner) => inner.clone(),
            Err(_) => Arc::new(NoPriceSource),
        }
    }
}

#[async_trait]
impl PriceSource for PriceSlot {
    async fn price(&self, exchange: &str, symbol: &str) -> Result<Quote, PriceError> {
        self.current().price(exchange, symbol).await
    }
}

/// Prices set by hand, per symbol (any exchange), changeable while running.
/// Each symbol has a queue of prices: every request takes the next one, and the last one
/// stays (so `set` gives a constant price and `sequence` a scripted path).
#[derive(Debug, Default, Clone)]
pub struct FixedPrices {
    prices: Arc<RwLock<HashMap<String, Vec<f64>>>>,
}

impl FixedPrices {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets (or replaces) the price of `symbol`.
    pub fn set(&self, symbol: &str, price: f64) {
        self.sequence(symbol, &[price]);
    }

    /// The next requests for `symbol` get these prices in order; the last one then stays.
    pub fn sequence(&self, symbol: &str, prices: &[f64]) {
        if let Ok(mut map) = self.prices.write() {
            map.insert(symbol.to_string(), prices.to_vec());
        }
    }

    pub fn with(self, symbol: &str, price: f64) -> Self {
        self.set(symbol, price);
        self
    }
}

#[async_trait]
impl PriceSource for FixedPrices {
    async fn price(&self, exchange: &str, symbol: &str) -> Result<Quote, PriceError> {
        let price = self.prices.write().ok().and_then(|mut map| {
            let queue = map.get_mut(symbol)?;
            if queue.len() > 1 {
                Some(queue.remove(0))
            } else {
                queue.first().copied()
            }
        });
        match price {
            Some(price) if price.is_finite() && price > 0.0 => Ok(Quote {
                price,
                source: "fixed".to_string(),
                change_24h: None,
                timestamp: Utc::now(),
            }),
            _ => Err(PriceError::Unavailable {
                exchange: exchange.to_string(),
                symbol: symbol.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn without_a_source_there_is_no_price() {
        assert_eq!(
            NoPriceSource.price("luno", "BTC/ZAR").await,
            Err(PriceError::NotConfigured)
        );
    }

    #[tokio::test]
    async fn the_slot_starts_empty_and_takes_a_source() {
        let slot = PriceSlot::default();
        assert!(slot.price("luno", "BTC/ZAR").await.is_err());
        slot.set(Arc::new(FixedPrices::new().with("BTC/ZAR", 5.0)));
        assert_eq!(slot.price("luno", "BTC/ZAR").await.unwrap().price, 5.0);
    }

    #[tokio::test]
    async fn fixed_prices_answer_what_was_set_and_nothing_else() {
        let prices = FixedPrices::new().with("BTC/ZAR", 1_000_000.0);
        let quote = prices.price("luno", "BTC/ZAR").await.unwrap();
        assert_eq!((quote.price, quote.source.as_str()), (1_000_000.0, "fixed"));
        assert!(prices.price("luno", "SOL/ZAR").await.is_err());
        prices.sequence("ETH/ZAR", &[10.0, 11.0]);
        let seen = [
            prices.price("luno", "ETH/ZAR").await.unwrap().price,
            prices.price("luno", "ETH/ZAR").await.unwrap().price,
            prices.price("luno", "ETH/ZAR").await.unwrap().price,
        ];
        assert_eq!(seen, [10.0, 11.0, 11.0]);
        prices.set("BTC/ZAR", 0.0);
        assert!(
            prices.price("luno", "BTC/ZAR").await.is_err(),
            "0 is no price"
        );
    }
}
