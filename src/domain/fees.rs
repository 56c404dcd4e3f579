//! Per-exchange trading costs: taker fee and typical spread, in basis points.
//!
//! The numbers are defaults taken from each exchange's published taker tier for a new account;
//! real accounts can pay less (volume tiers, fee tokens). Everything downstream takes an
//! [`ExchangeFees`] value rather than an exchange name, so a deployment can pass its own rates
//! without touching the rules that use them.

use serde::Serialize;

/// One basis point is 1/10,000; a 0.10 % fee is 10 bps.
pub const BPS_PER_UNIT: f64 = 10_000.0;

/// The exchanges the platform trades on, lower-case as stored and sent by clients.
pub const KNOWN_EXCHANGES: [&str; 5] = ["luno", "binance", "kucoin", "valr", "ovex"];

/// What one exchange costs to trade on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ExchangeFees {
    /// Fee charged on a market (taker) order, per leg.
    pub taker_fee_bps: f64,
    /// The bid/ask spread usually seen on the main pairs; a round trip crosses it once.
    pub typical_spread_bps: f64,
}

impl ExchangeFees {
    /// The taker fee as a fraction (10 bps -> 0.001).
    pub fn taker_rate(&self) -> f64 {
        self.taker_fee_bps / BPS_PER_UNIT
    }

    /// Fees paid for entering and leaving a position: two taker legs.
    pub fn round_trip_fee_bps(&self) -> f64 {
        self.taker_fee_bps * 2.0
    }
}

/// Default costs for a known exchange (case-insensitive name); `None` for anything else, so an
/// unknown exchange is refused rather than silently traded at someone else's rates.
///
/// | exchange | taker fee | typical spread |
/// |---|---|---|
/// | luno    | 0.10 % (10 bps) | 15 bps |
/// | binance | 0.10 % (10 bps) |  2 bps |
/// | kucoin  | 0.10 % (10 bps) |  5 bps |
/// | valr    | 0.10 % (10 bps) | 10 bps |
/// | ovex    | 0.20 % (20 bps) | 20 bps |
///
/// ZAR order books (luno, valr, ovex) are thinner than the global USDT books, hence the wider
/// spreads.
pub fn default_fees(exchange: &str) -> Option<ExchangeFees> {
    let (taker_fee_bps, typical_spread_bps) = match exchange.trim().to_ascii_lowercase().as_str() {
        "luno" => (10.0, 15.0),
        "binance" => (10.0, 2.0),
        "kucoin" => (10.0, 5.0),
        "valr" => (10.0, 10.0),
        "ovex" => (20.0, 20.0),
        _ => return None,
    };
    Some(ExchangeFees {
        taker_fee_bps,
        typical_spread_bps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_exchange_has_default_fees() {
        for name in KNOWN_EXCHANGES {
            assert!(default_fees(name).is_some(), "{name} has no fees");
        }
    }

    #[test]
    fn luno_binance_kucoin_and_valr_charge_ten_bps_and_ovex_twenty() {
        for name in ["luno", "binance", "kucoin", "valr"] {
            assert_eq!(default_fees(name).map(|f| f.taker_fee_bps), Some(10.0));
        }
        assert_eq!(default_fees("ovex").map(|f| f.taker_fee_bps), Some(20.0));
    }

    #[test]
    fn exchange_names_are_matched_case_insensitively() {
        assert_eq!(default_fees(" LUNO "), default_fees("luno"));
    }

    #[test]
    fn an_unknown_exchange_has_no_fees() {
        assert_eq!(default_fees("mtgox"), None);
        assert_eq!(default_fees(""), None);
    }

    #[test]
    fn a_ten_bps_fee_is_a_rate_of_one_in_a_thousand_and_twenty_bps_per_round_trip() {
        let fees = ExchangeFees {
            taker_fee_bps: 10.0,
            typical_spread_bps: 0.0,
        };
        assert_eq!(fees.taker_rate(), 0.001);
        assert_eq!(fees.round_trip_fee_bps(), 20.0);
    }
}
