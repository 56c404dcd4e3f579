//! Exchange and AI-provider clients: provider catalogue, key tests with each exchange's real
//! request signing, public tickers and the price feed for fills. Base URLs come from `OutboundConfig`, so tests point
//! them at a local fake.

mod binance;
pub mod candles;
mod keytest;
mod kucoin;
mod luno;
mod openai;
pub mod orders;
mod ovex;
pub mod price_feed;
mod provider;
pub mod signing;
pub mod ticker;
mod transport;
mod valr;

use std::fmt;

use serde::Serialize;

pub use keytest::test_credentials;
pub use provider::{Provider, UnknownProvider};
pub use ticker::{fetch_ticker, Pair, Ticker, TickerError};

pub use crate::config::OutboundConfig;

/// What a user gave us for one provider. `Debug` shows a masked key and nothing else.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    pub api_key: String,
    pub api_secret: Option<String>,
    pub passphrase: Option<String>,
}

impl Credentials {
    pub fn new(api_key: impl Into<String>) -> Self {
        Self {
            api_key: api_key.into(),
            ..Self::default()
        }
    }

    pub fn with_secret(mut self, api_secret: impl Into<String>) -> Self {
        self.api_secret = Some(api_secret.into());
        self
    }

    pub fn with_passphrase(mut self, passphrase: impl Into<String>) -> Self {
        self.passphrase = Some(passphrase.into());
        self
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |v: &Option<String>| v.as_ref().map(|_| "[redacted]");
        f.debug_struct("Credentials")
            .field("api_key", &crate::crypto::mask_secret(&self.api_key))
            .field("api_secret", &redacted(&self.api_secret))
            .field("passphrase", &redacted(&self.passphrase))
            .finish()
    }
}

/// Result of a key test: `message` is one friendly line; `error` (failures only) may add the
/// provider's own short explanation. Both are free of credentials; `error` is <= 200 chars.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyTestOutcome {
    pub ok: bool,
    pub message: String,
    pub error: Option<String>,
}

impl KeyTestOutcome {
    /// A failed test; `error` is shown as given, so keep it short and free of secrets.
    pub fn failed(message: String, error: String) -> Self {
        Self {
            ok: false,
            message,
            error: Some(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_debug_never_shows_the_secret_or_passphrase() {
        let creds = Credentials::new("AKIA1234567890WXYZ")
            .with_secret("very-secret-value")
            .with_passphrase("pass-phrase");
        let debug = format!("{creds:?}");
        assert!(debug.contains("AKIA...WXYZ"), "{debug}");
        assert!(!debug.contains("AKIA1234567890WXYZ"));
        assert!(!debug.contains("very-secret-value"));
        assert!(!debug.contains("pass-phrase"));
    }
}
