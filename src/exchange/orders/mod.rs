//! Signed account and order calls on the five exchanges (live trading): balances, symbol
//! rules, place, query by our client order id, fills, cancel and trade history. Each exchange's
//! own signing and field names; base URLs from `OutboundConfig`, so tests use a local fake.
//!
//! Every function maps the exchange's reply to these types; no error text ever contains a
//! credential (errors carry the exchange's short reason, scrubbed of key and secret).

mod binance;
mod common;
mod kucoin;
mod luno;
mod ovex;
mod valr;

use chrono::{DateTime, Utc};
use serde::Serialize;

use common::Ctx;

use super::{Credentials, Pair, Provider};
use crate::config::OutboundConfig;
use crate::domain::orders::Side;

/// How one order is priced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OrderKind {
    Market,
    /// Good-till-cancelled limit order at this price (quote per base).
    Limit {
        price: f64,
    },
}

/// One order to place.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceOrder {
    pub pair: Pair,
    pub side: Side,
    pub kind: OrderKind,
    /// Base-currency amount (already rounded to the symbol's lot size by the caller).
    pub amount: f64,
    /// `amount * reference price`, rounded to the quote precision: used only by exchanges whose
    /// market BUY takes a quote amount (Luno `counter_volume`).
    pub quote_amount: f64,
    /// Our id for the order (<= 36 chars, `[A-Za-z0-9-]`), sent as the exchange's client id
    /// field so the order can be looked up after a timeout.
    pub client_order_id: String,
}

/// The exchange's view of an order's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExchangeOrderState {
    /// Accepted, nothing filled yet.
    Open,
    PartiallyFilled,
    Filled,
    Cancelled,
    Rejected,
    Expired,
}

impl ExchangeOrderState {
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Filled | Self::Cancelled | Self::Rejected | Self::Expired
        )
    }
}

/// One execution (trade) of an order, as the exchange reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExchangeFill {
    /// The exchange's trade id (unique per exchange and pair); used to book each fill once.
    pub trade_id: String,
    /// The exchange order id it belongs to.
    pub exchange_order_id: String,
    pub price: f64,
    /// Base amount.
    pub amount: f64,
    pub fee: f64,
    pub fee_currency: String,
    pub side: Side,
    pub at: DateTime<Utc>,
}

/// An order as the exchange knows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExchangeOrder {
    pub exchange_order_id: String,
    pub client_order_id: String,
    pub state: ExchangeOrderState,
    /// Base amount filled so far.
    pub filled_amount: f64,
    /// Every fill so far (may be empty while open).
    pub fills: Vec<ExchangeFill>,
}

/// What `place` returns when the exchange accepted the order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlacedOrder {
    pub exchange_order_id: String,
}

/// A balance of one asset on one exchange account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssetBalance {
    /// Upper-case asset code, e.g. `BTC`, `ZAR`.
    pub asset: String,
    /// Free to trade.
    pub available: f64,
    /// Available plus reserved (in open orders).
    pub total: f64,
}

/// The exchange's trading rules for one pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SymbolRules {
    /// Smallest base amount an order may carry.
    pub min_amount: f64,
    /// Base amounts must be a multiple of this (lot size / base increment).
    pub amount_step: f64,
    /// Smallest `amount * price` in quote currency (0 when the exchange sets none).
    pub min_notional: f64,
}

/// Why the exchange refused an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectKind {
    InsufficientBalance,
    BelowMinimum,
    InvalidCredentials,
    Other,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OrderError {
    /// The exchange does not know the order (for `query`: safe to send it).
    #[error("order not found on the exchange")]
    NotFound,
    /// A definite refusal: the order does not exist on the exchange.
    #[error("exchange rejected the order: {reason}")]
    Rejected { kind: RejectKind, reason: String },
    #[error("exchange rate limit; retry after {retry_after_secs:?} s")]
    RateLimited { retry_after_secs: Option<u64> },
    /// 5xx: the outcome of a send is unknown.
    #[error("exchange answered HTTP {0}")]
    Unavailable(u16),
    /// No answer in time: the outcome of a send is unknown.
    #[error("exchange did not answer in time")]
    Timeout,
    #[error("exchange could not be reached")]
    Unreachable,
    #[error("unexpected exchange response: {0}")]
    Malformed(String),
    #[error("{0}")]
    Unsupported(String),
}

impl OrderError {
    /// After a send, true when the exchange may or may not have the order (look it up by the
    /// client order id before any resend).
    pub fn outcome_unknown(&self) -> bool {
        matches!(
            self,
            Self::Timeout | Self::Unavailable(_) | Self::Unreachable | Self::Malformed(_)
        )
    }
}

/// Shared inputs of every call.
pub struct Account<'a> {
    pub http: &'a reqwest::Client,
    pub urls: &'a OutboundConfig,
    pub exchange: Provider,
    pub creds: &'a Credentials,
}

/// `amount` as the exchanges want it: plain decimal (never exponent notation) to the lot
/// step's number of decimals, e.g. (0.00012, 0.0001) -> "0.0001", (0.00001, 1e-8) -> "0.00001".
pub fn format_amount(amount: f64, step: f64) -> String {
    common::decimal(amount, common::step_decimals(step))
}

/// Runs `$body` with `$m` bound to the account's exchange module and `$ctx` to a validated
/// context (credentials checked before anything goes on the wire).
macro_rules! dispatch {
    ($account:expr, |$ctx:ident, $m:ident| $body:expr) => {{
        let $ctx = Ctx::new($account)?;
        let $ctx = &$ctx;
        match $account.exchange {
            Provider::Binance => {
                use binance as $m;
                $body
            }
            Provider::Kucoin => {
                use kucoin as $m;
                $body
            }
            Provider::Luno => {
                use luno as $m;
                $body
            }
            Provider::Valr => {
                use valr as $m;
                $body
            }
            Provider::Ovex => {
                use ovex as $m;
                $body
            }
            Provider::OpenAi => Err(OrderError::Unsupported("not an exchange".into())),
        }
    }};
}

/// The account's balances (signed account call).
pub async fn balances(account: &Account<'_>) -> Result<Vec<AssetBalance>, OrderError> {
    dispatch!(account, |ctx, m| m::balances(ctx).await)
}

/// The pair's trading rules (public market-info call).
pub async fn symbol_rules(account: &Account<'_>, pair: &Pair) -> Result<SymbolRules, OrderError> {
    dispatch!(account, |ctx, m| m::symbol_rules(ctx, pair).await)
}

/// Places one order carrying `order.client_order_id`.
pub async fn place(account: &Account<'_>, order: &PlaceOrder) -> Result<PlacedOrder, OrderError> {
    dispatch!(account, |ctx, m| m::place(ctx, order).await)
}

/// Looks an order up by our client order id, with its fills. `NotFound` when unknown.
/// OVEX has no client order id: there, pass OVEX's order id, or use [`find_placed`].
pub async fn query(
    account: &Account<'_>,
    pair: &Pair,
    client_order_id: &str,
) -> Result<ExchangeOrder, OrderError> {
    dispatch!(account, |ctx, m| m::query(ctx, pair, client_order_id).await)
}

/// After a send with an unknown outcome: the order the exchange made of `order`, placed at or
/// after `since`. The client id lookup everywhere except OVEX, which matches side, type,
/// volume and price among the market's recent orders (it stores no client id).
pub async fn find_placed(
    account: &Account<'_>,
    order: &PlaceOrder,
    since: DateTime<Utc>,
) -> Result<ExchangeOrder, OrderError> {
    if account.exchange == Provider::Ovex {
        let ctx = Ctx::new(account)?;
        return ovex::find_placed(&ctx, order, since).await;
    }
    query(account, &order.pair, &order.client_order_id).await
}

/// Cancels an open order (by client order id). Cancelling a terminal order is `Ok`.
pub async fn cancel(
    account: &Account<'_>,
    pair: &Pair,
    client_order_id: &str,
) -> Result<(), OrderError> {
    let result = dispatch!(account, |ctx, m| m::cancel(ctx, pair, client_order_id)
        .await);
    match result {
        // Exchanges answer "unknown order" for orders that already finished too: look it up.
        Err(OrderError::NotFound) => match query(account, pair, client_order_id).await? {
            order if order.state.is_terminal() => Ok(()),
            _ => Err(OrderError::NotFound),
        },
        other => other,
    }
}

/// The account's own trades on `pair` since `since` (for reconciliation), oldest first.
pub async fn trade_history(
    account: &Account<'_>,
    pair: &Pair,
    since: DateTime<Utc>,
) -> Result<Vec<ExchangeFill>, OrderError> {
    dispatch!(account, |ctx, m| m::trade_history(ctx, pair, since).await)
}

/// A deposit address for one asset on the account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DepositAddress {
    pub asset: String,
    pub address: String,
    pub network: Option<String>,
    /// memo / tag / destination tag when the asset needs one
    pub tag: Option<String>,
}

/// The account's deposit address for `asset` (e.g. "BTC"). `Unsupported(reason)` when the
/// exchange offers no such API call.
pub async fn deposit_address(
    account: &Account<'_>,
    asset: &str,
) -> Result<DepositAddress, OrderError> {
    dispatch!(account, |ctx, m| m::deposit_address(ctx, asset).await)
}

#[cfg(test)]
mod deposit_tests {
    use serde_json::json;

    #[test]
    fn deposit_address_replies_parse() {
        let b = super::binance::parse_deposit_address(
            &json!({"coin": "XRP", "address": "rA", "tag": "123", "url": ""}),
            "xrp",
        )
        .unwrap();
        assert_eq!((b.asset.as_str(), b.address.as_str()), ("XRP", "rA"));
        assert_eq!(b.tag.as_deref(), Some("123"));
        let k = super::kucoin::parse_deposit_address(
            &json!({"address": "kA", "memo": "", "chain": "BTC"}),
            "BTC",
        )
        .unwrap();
        assert_eq!(
            (k.address.as_str(), k.tag, k.network.as_deref()),
            ("kA", None, Some("BTC"))
        );
        let l =
            super::luno::parse_deposit_address(&json!({"asset": "XBT", "address": "lA"}), "BTC")
                .unwrap();
        assert_eq!((l.asset.as_str(), l.address.as_str()), ("BTC", "lA"));
        let v =
            super::valr::parse_deposit_address(&json!({"currency": "BTC", "address": "vA"}), "btc")
                .unwrap();
        assert_eq!((v.asset.as_str(), v.address.as_str()), ("BTC", "vA"));
        assert!(super::valr::parse_deposit_address(&json!({}), "BTC").is_err());
    }
}
