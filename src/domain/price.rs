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

/// The default until a real feed is configured: every request fails, so orders refuse to fill.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoPriceSource;

#[async_trait]
impl PriceSource for NoPriceSource {
    async fn price(&self, _exchange: &str, _symbol: &str) -> Result<Quote, PriceError> {
        Err(PriceError::NotConfigured)
    }
}

/// Prices set by hand, per symbol (any exchange), changeable while running.
#[derive(Debug, Default, Clone)]
pub struct FixedPrices {
    prices: Arc<RwLock<HashMap<String, f64>>>,
}

impl FixedPrices {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets (or replaces) the price of `symbol`.
    pub fn set(&self, symbol: &str, price: f64) {
        if let Ok(mut map) = self.prices.write() {
            map.insert(symbol.to_string(), price);
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
        let price = self
            .prices
            .read()
            .ok()
            .and_then(|map| map.get(symbol).copied());
        match price {
            Some(price) if price.is_finite() && price > 0.0 => Ok(Quote {
                price,
                source: "fixed".to_string(),
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
    async fn fixed_prices_answer_what_was_set_and_nothing_else() {
        let prices = FixedPrices::new().with("BTC/ZAR", 1_000_000.0);
        let quote = prices.price("luno", "BTC/ZAR").await.unwrap();
        assert_eq!((quote.price, quote.source.as_str()), (1_000_000.0, "fixed"));
        assert!(prices.price("luno", "ETH/ZAR").await.is_err());
        prices.set("BTC/ZAR", 0.0);
        assert!(
            prices.price("luno", "BTC/ZAR").await.is_err(),
            "0 is no price"
        );
    }
}
