//! The providers a user can store keys for: five exchanges and one AI provider.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Luno,
    Binance,
    Kucoin,
    Valr,
    Ovex,
    OpenAi,
}

/// `parse` got a name that is not a provider.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown provider {0:?}")]
pub struct UnknownProvider(pub String);

const EXCHANGES: [Provider; 5] = [
    Provider::Luno,
    Provider::Binance,
    Provider::Kucoin,
    Provider::Valr,
    Provider::Ovex,
];

impl Provider {
    /// The five exchanges, in the order the dashboard lists them.
    pub fn exchanges() -> &'static [Provider] {
        &EXCHANGES
    }

    /// Every provider: the exchanges, then the AI provider.
    pub fn all() -> &'static [Provider] {
        const ALL: [Provider; 6] = [
            Provider::Luno,
            Provider::Binance,
            Provider::Kucoin,
            Provider::Valr,
            Provider::Ovex,
            Provider::OpenAi,
        ];
        &ALL
    }

    /// Stable lowercase id used in URLs, storage and JSON.
    pub fn id(self) -> &'static str {
        match self {
            Provider::Luno => "luno",
            Provider::Binance => "binance",
            Provider::Kucoin => "kucoin",
            Provider::Valr => "valr",
            Provider::Ovex => "ovex",
            Provider::OpenAi => "openai",
        }
    }

    /// Case-insensitive, whitespace-trimmed; `None` for anything else.
    pub fn parse(raw: &str) -> Option<Provider> {
        let wanted = raw.trim();
        Self::all()
            .iter()
            .copied()
            .find(|p| p.id().eq_ignore_ascii_case(wanted))
    }

    pub fn display_name(self) -> &'static str {
        match self {
            Provider::Luno => "Luno",
            Provider::Binance => "Binance",
            Provider::Kucoin => "KuCoin",
            Provider::Valr => "VALR",
            Provider::Ovex => "OVEX",
            Provider::OpenAi => "OpenAI",
        }
    }

    /// `"exchange"` or `"ai"` (the `type` field of the providers list).
    pub fn kind(self) -> &'static str {
        if self.is_exchange() {
            "exchange"
        } else {
            "ai"
        }
    }

    pub fn is_exchange(self) -> bool {
        self != Provider::OpenAi
    }

    /// Fields a user must supply when saving a key for this provider.
    pub fn required_fields(self) -> &'static [&'static str] {
        match self {
            Provider::Kucoin => &["api_key", "api_secret", "passphrase"],
            Provider::OpenAi => &["api_key"],
            _ => &["api_key", "api_secret"],
        }
    }

    pub fn requires_secret(self) -> bool {
        self.required_fields().contains(&"api_secret")
    }

    pub fn requires_passphrase(self) -> bool {
        self.required_fields().contains(&"passphrase")
    }

    /// Per-user bot cap on this exchange (0 for the AI provider: it runs no bots).
    pub fn max_bots(self) -> u32 {
        match self {
            Provider::Luno => 5,
            Provider::Binance | Provider::Kucoin | Provider::Valr | Provider::Ovex => 10,
            Provider::OpenAi => 0,
        }
    }

    pub fn supports_paper(self) -> bool {
        self.is_exchange()
    }

    pub fn supports_live(self) -> bool {
        self.is_exchange()
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Provider {
    type Err = UnknownProvider;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Provider::parse(s).ok_or_else(|| UnknownProvider(s.trim().to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_is_case_insensitive_and_trimmed_and_round_trips_ids() {
        assert_eq!(Provider::parse("  LUNO "), Some(Provider::Luno));
        assert_eq!(Provider::parse("OpenAI"), Some(Provider::OpenAi));
        assert_eq!(Provider::parse("kraken"), None);
        assert_eq!(Provider::parse(""), None);
        for p in Provider::all() {
            assert_eq!(Provider::parse(p.id()), Some(*p));
            assert_eq!(p.id().parse::<Provider>(), Ok(*p));
            assert_eq!(serde_json::to_string(p).unwrap(), format!("\"{}\"", p.id()));
        }
    }

    #[test]
    fn exchanges_and_ai_have_the_documented_attributes() {
        assert_eq!(Provider::exchanges().len(), 5);
        assert!(!Provider::exchanges().contains(&Provider::OpenAi));
        assert_eq!(
            Provider::Kucoin.required_fields(),
            ["api_key", "api_secret", "passphrase"]
        );
        assert_eq!(Provider::OpenAi.required_fields(), ["api_key"]);
        assert!(Provider::Kucoin.requires_passphrase());
        assert!(!Provider::Valr.requires_passphrase());
        assert_eq!(Provider::Luno.max_bots(), 5);
        assert_eq!(Provider::Binance.max_bots(), 10);
        assert_eq!(Provider::OpenAi.max_bots(), 0);
        assert_eq!(Provider::OpenAi.kind(), "ai");
        assert_eq!(Provider::Ovex.kind(), "exchange");
        assert!(Provider::Valr.supports_paper() && Provider::Valr.supports_live());
        assert!(!Provider::OpenAi.supports_paper());
    }
}
