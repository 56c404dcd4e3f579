//! Order requests: what a client may submit (SPEC §8) and how it is checked and normalised.
//!
//! The four gates an accepted request then passes live in `gates.rs`.

use serde::{Deserialize, Serialize};

use crate::error::{AppError, FieldError};

/// The pairs the price feed quotes and the engines trade, in canonical `BASE/QUOTE` form.
pub const KNOWN_SYMBOLS: [&str; 8] = [
    "BTC/ZAR", "ETH/ZAR", "XRP/ZAR", "SOL/ZAR", "BTC/USDT", "ETH/USDT", "XRP/USDT", "SOL/USDT",
];

/// Largest amount (in base units) one order may carry. Far above any real bot order; it only
/// exists so absurd numbers are refused instead of overflowing notional and fee maths.
pub const MAX_ORDER_AMOUNT: f64 = 1_000_000.0;
/// Largest limit price accepted, for the same reason.
pub const MAX_ORDER_PRICE: f64 = 1_000_000_000_000.0;
/// Expected edge beyond +/-100 % (10,000 bps) is not an estimate, it is a bug upstream.
pub const MAX_ABS_EDGE_BPS: f64 = 10_000.0;
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 128;
pub const MAX_BOT_ID_CHARS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderType {
    Market,
    Limit,
}

/// The body of `POST /api/orders/submit`, as received. Fields stay loose (strings, raw
/// numbers) so that every problem can be reported at once as a 422 with fields.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct OrderRequest {
    pub bot_id: String,
    pub symbol: String,
    pub side: String,
    pub amount: f64,
    #[serde(default)]
    pub order_type: Option<String>,
    #[serde(default)]
    pub price: Option<f64>,
    #[serde(default)]
    pub idempotency_key: Option<String>,
    #[serde(default)]
    pub expected_edge_bps: Option<f64>,
}

/// An order request that passed validation, in normalised form.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidOrder {
    pub bot_id: String,
    /// Canonical `BASE/QUOTE`, one of [`KNOWN_SYMBOLS`].
    pub symbol: &'static str,
    pub side: Side,
    pub amount: f64,
    pub order_type: OrderType,
    /// Present (and > 0) for limit orders; ignored for market orders.
    pub price: Option<f64>,
    pub idempotency_key: Option<String>,
    pub expected_edge_bps: Option<f64>,
}

/// Maps `BTC/ZAR`, `btc-zar`, `BTC_ZAR`, `btczar` or ` BtcZar ` to `BTC/ZAR`; `None` for a
/// pair the platform does not trade.
pub fn normalize_symbol(raw: &str) -> Option<&'static str> {
    let squashed: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, '/' | '-' | '_'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if squashed.is_empty() {
        return None;
    }
    KNOWN_SYMBOLS
        .into_iter()
        .find(|known| known.replace('/', "") == squashed)
}

/// The quote currency of a canonical symbol (`BTC/ZAR` -> `ZAR`).
pub fn quote_currency(symbol: &str) -> Option<&str> {
    symbol.split_once('/').map(|(_, quote)| quote)
}

fn check_idempotency_key(key: &str) -> Result<(), &'static str> {
    if key.is_empty() {
        return Err("idempotency_key must not be empty");
    }
    if key.chars().count() > MAX_IDEMPOTENCY_KEY_CHARS {
        return Err("idempotency_key must be at most 128 characters");
    }
    // Printable ASCII only: keys end up in indexes and logs, where control characters and
    // look-alike Unicode cause more trouble than they are worth.
    if !key.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
        return Err("idempotency_key must contain printable characters only");
    }
    Ok(())
}

/// Checks every field and returns all problems together as one 422.
pub fn validate_order(req: &OrderRequest) -> Result<ValidOrder, AppError> {
    let mut errors = Vec::new();
    let bot_id = req.bot_id.trim();
    if bot_id.is_empty() {
        errors.push(FieldError::new("bot_id", "bot_id is required"));
    } else if bot_id.chars().count() > MAX_BOT_ID_CHARS {
        errors.push(FieldError::new("bot_id", "bot_id is not a valid id"));
    }
    let symbol = normalize_symbol(&req.symbol);
    if symbol.is_none() {
        errors.push(FieldError::new(
            "symbol",
            format!(
                "unknown symbol; expected one of {}",
                KNOWN_SYMBOLS.join(", ")
            ),
        ));
    }
    let side = match req.side.trim().to_ascii_lowercase().as_str() {
        "buy" => Some(Side::Buy),
        "sell" => Some(Side::Sell),
        _ => {
            errors.push(FieldError::new("side", "side must be buy or sell"));
            None
        }
    };
    if !req.amount.is_finite() || req.amount <= 0.0 {
        errors.push(FieldError::new("amount", "amount must be a number above 0"));
    } else if req.amount > MAX_ORDER_AMOUNT {
        errors.push(FieldError::new("amount", "amount must be at most 1000000"));
    }
    let order_type = match req
        .order_type
        .as_deref()
        .map(|t| t.trim().to_ascii_lowercase())
    {
        None => Some(OrderType::Market),
        Some(t) if t == "market" => Some(OrderType::Market),
        Some(t) if t == "limit" => Some(OrderType::Limit),
        Some(_) => {
            errors.push(FieldError::new(
                "order_type",
                "order_type must be market or limit",
            ));
            None
        }
    };
    match req.price {
        Some(p) if !p.is_finite() || p <= 0.0 || p > MAX_ORDER_PRICE => {
            errors.push(FieldError::new("price", "price must be a number above 0"));
        }
        None if order_type == Some(OrderType::Limit) => {
            errors.push(FieldError::new("price", "a limit order requires a price"));
        }
        _ => {}
    }
    if let Some(key) = &req.idempotency_key {
        if let Err(message) = check_idempotency_key(key) {
            errors.push(FieldError::new("idempotency_key", message));
        }
    }
    if let Some(edge) = req.expected_edge_bps {
        if !edge.is_finite() || edge.abs() > MAX_ABS_EDGE_BPS {
            errors.push(FieldError::new(
                "expected_edge_bps",
                "expected_edge_bps must be a number between -10000 and 10000",
            ));
        }
    }
    match (symbol, side, order_type) {
        (Some(symbol), Some(side), Some(order_type)) if errors.is_empty() => Ok(ValidOrder {
            bot_id: bot_id.to_string(),
            symbol,
            side,
            amount: req.amount,
            order_type,
            price: req.price.filter(|_| order_type == OrderType::Limit),
            idempotency_key: req.idempotency_key.clone(),
            expected_edge_bps: req.expected_edge_bps,
        }),
        _ => Err(AppError::validation(errors)),
    }
}

#[cfg(test)]
mod tests;
