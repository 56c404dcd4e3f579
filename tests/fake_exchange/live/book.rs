//! The fake exchange's books: balances, rules, prices, orders and trades, with fills at the set
//! price and fees taken the way each exchange takes them. No HTTP here.

use std::collections::HashMap;

use amarktai::domain::orders::Side;
use amarktai::exchange::orders::SymbolRules;
use amarktai::exchange::Pair;
use chrono::{DateTime, Utc};

/// Taker fee of every fake market (0.1 %).
pub const FEE_RATE: f64 = 0.001;
const EPS: f64 = 1e-12;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Market,
    Limit(f64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Open,
    PartiallyFilled,
    Filled,
    Cancelled,
}

#[derive(Debug, Clone)]
pub struct Order {
    pub id: u64,
    pub client_id: String,
    pub pair: Pair,
    pub side: Side,
    pub kind: Kind,
    pub amount: f64,
    pub filled: f64,
    /// Market remainder that fills at the look-up after the first (partial-fill scenario),
    /// so one look-up sees the order partially filled and the next sees it filled.
    pub pending: f64,
    pub looked_up: bool,
    /// Funds held by a resting limit order (released on cancel).
    pub reserve: f64,
    pub state: State,
    pub created: DateTime<Utc>,
}

impl Order {
    pub fn is_open(&self) -> bool {
        matches!(self.state, State::Open | State::PartiallyFilled)
    }
}

#[derive(Debug, Clone)]
pub struct Trade {
    pub id: u64,
    pub order_id: u64,
    pub pair: Pair,
    pub side: Side,
    pub price: f64,
    pub amount: f64,
    pub fee: f64,
    pub fee_currency: String,
    pub at: DateTime<Utc>,
}

/// Why an order was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Insufficient,
    /// Which rule: "LOT_SIZE" (amount) or "NOTIONAL" (amount * price).
    BelowMinimum(&'static str),
    UnknownPair,
}

/// Where the fee comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeeStyle {
    /// From the asset received (Binance without BNB, Luno, VALR, OVEX).
    Received,
    /// Always in the quote currency (KuCoin spot).
    Quote,
}

pub struct Book {
    pub fee_style: FeeStyle,
    pub prices: HashMap<String, f64>,
    pub available: HashMap<String, f64>,
    pub reserved: HashMap<String, f64>,
    pub rules: HashMap<String, SymbolRules>,
    pub orders: Vec<Order>,
    pub trades: Vec<Trade>,
    pub partial: Option<f64>,
    next_id: u64,
}

impl Book {
    pub fn new(fee_style: FeeStyle) -> Self {
        Self {
            fee_style,
            prices: HashMap::new(),
            available: HashMap::new(),
            reserved: HashMap::new(),
            rules: HashMap::new(),
            orders: Vec::new(),
            trades: Vec::new(),
            partial: None,
            next_id: 1000,
        }
    }

    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Every pair the test configured (price or rules).
    pub fn pairs(&self) -> Vec<Pair> {
        let mut names: Vec<&String> = self.prices.keys().chain(self.rules.keys()).collect();
        names.sort();
        names.dedup();
        names.iter().filter_map(|n| Pair::parse(n).ok()).collect()
    }

    /// The configured pair whose exchange symbol is `symbol`.
    pub fn pair_for(&self, symbol: &str, style: impl Fn(&Pair) -> String) -> Option<Pair> {
        self.pairs().into_iter().find(|p| style(p) == symbol)
    }

    pub fn asset(&self, asset: &str) -> (f64, f64) {
        (
            *self.available.get(asset).unwrap_or(&0.0),
            *self.reserved.get(asset).unwrap_or(&0.0),
        )
    }

    /// Every asset with a balance, sorted.
    pub fn assets(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .available
            .keys()
            .chain(self.reserved.keys())
            .cloned()
            .collect();
        names.sort();
        names.dedup();
        names
    }

    fn add(map: &mut HashMap<String, f64>, asset: &str, delta: f64) {
        *map.entry(asset.to_string()).or_insert(0.0) += delta;
    }

    /// Validates and books one order; market orders fill at once (all, or the partial share).
    pub fn place(
        &mut self,
        pair: &Pair,
        side: Side,
        kind: Kind,
        amount: f64,
        client_id: &str,
    ) -> Result<u64, Refusal> {
        let price = match kind {
            Kind::Limit(p) => p,
            Kind::Market => *self
                .prices
                .get(&pair.canonical())
                .ok_or(Refusal::UnknownPair)?,
        };
        if let Some(rules) = self.rules.get(&pair.canonical()) {
            if amount + EPS < rules.min_amount {
                return Err(Refusal::BelowMinimum("LOT_SIZE"));
            }
            if amount * price + EPS < rules.min_notional {
                return Err(Refusal::BelowMinimum("NOTIONAL"));
            }
        }
        let (need_asset, need) = match side {
            Side::Buy if self.fee_style == FeeStyle::Quote => {
                (&pair.quote, amount * price * (1.0 + FEE_RATE))
            }
            Side::Buy => (&pair.quote, amount * price),
            Side::Sell => (&pair.base, amount),
        };
        if self.asset(need_asset).0 + EPS < need {
            return Err(Refusal::Insufficient);
        }
        let id = self.next_id();
        self.orders.push(Order {
            id,
            client_id: client_id.to_string(),
            pair: pair.clone(),
            side,
            kind,
            amount,
            filled: 0.0,
            pending: 0.0,
            looked_up: false,
            reserve: 0.0,
            state: State::Open,
            created: Utc::now(),
        });
        match kind {
            Kind::Limit(_) => {
                let asset = need_asset.clone();
                Self::add(&mut self.available, &asset, -need);
                Self::add(&mut self.reserved, &asset, need);
                if let Some(order) = self.orders.iter_mut().find(|o| o.id == id) {
                    order.reserve = need;
                }
            }
            Kind::Market => {
                let now = self.partial.map_or(amount, |f| amount * f);
                self.fill(id, now, price);
                if let Some(order) = self.orders.iter_mut().find(|o| o.id == id) {
                    order.pending = amount - now;
                }
            }
        }
        Ok(id)
    }

    /// Called on every look-up of an order: the first one sees the partial fill, the next one
    /// fills the pending market remainder (a second fill).
    pub fn advance(&mut self, id: u64) {
        let Some(order) = self.orders.iter_mut().find(|o| o.id == id) else {
            return;
        };
        if order.pending <= EPS {
            return;
        }
        if !order.looked_up {
            order.looked_up = true;
            return;
        }
        let rest = order.pending;
        let price = *self.prices.get(&order.pair.canonical()).unwrap_or(&0.0);
        self.fill(id, rest, price);
        if let Some(order) = self.orders.iter_mut().find(|o| o.id == id) {
            order.pending = 0.0;
        }
    }

    fn fill(&mut self, id: u64, amount: f64, price: f64) {
        let Some(order) = self.orders.iter().find(|o| o.id == id).cloned() else {
            return;
        };
        let quote = amount * price;
        let (base, q) = (&order.pair.base, &order.pair.quote);
        let (fee, fee_currency) = match (order.side, self.fee_style) {
            (Side::Buy, FeeStyle::Received) => (amount * FEE_RATE, base.clone()),
            _ => (quote * FEE_RATE, q.clone()),
        };
        match order.side {
            Side::Buy => {
                let base_in = if fee_currency == *base {
                    amount - fee
                } else {
                    amount
                };
                let quote_out = if fee_currency == *q {
                    quote + fee
                } else {
                    quote
                };
                Self::add(&mut self.available, base, base_in);
                Self::add(&mut self.available, q, -quote_out);
            }
            Side::Sell => {
                Self::add(&mut self.available, base, -amount);
                Self::add(&mut self.available, q, quote - fee);
            }
        }
        let trade_id = self.next_id();
        self.trades.push(Trade {
            id: trade_id,
            order_id: id,
            pair: order.pair.clone(),
            side: order.side,
            price,
            amount,
            fee,
            fee_currency,
            at: Utc::now(),
        });
        if let Some(o) = self.orders.iter_mut().find(|o| o.id == id) {
            o.filled += amount;
            o.state = if o.filled + EPS >= o.amount {
                State::Filled
            } else {
                State::PartiallyFilled
            };
        }
    }

    /// Cancels an open order and releases its reservation; false when not open.
    pub fn cancel(&mut self, id: u64) -> bool {
        let Some(order) = self.orders.iter_mut().find(|o| o.id == id && o.is_open()) else {
            return false;
        };
        order.state = State::Cancelled;
        // A cancelled market remainder never fills.
        order.pending = 0.0;
        let order = order.clone();
        if let Kind::Limit(_) = order.kind {
            // Resting orders never fill in this fake, so the whole reservation comes back.
            let amount = order.reserve;
            let asset = match order.side {
                Side::Buy => order.pair.quote.clone(),
                Side::Sell => order.pair.base.clone(),
            };
            Self::add(&mut self.reserved, &asset, -amount);
            Self::add(&mut self.available, &asset, amount);
        }
        true
    }

    pub fn by_client(&self, client_id: &str) -> Option<Order> {
        self.orders
            .iter()
            .find(|o| o.client_id == client_id)
            .cloned()
    }

    pub fn by_id(&self, id: u64) -> Option<Order> {
        self.orders.iter().find(|o| o.id == id).cloned()
    }

    pub fn fills_of(&self, order_id: u64) -> Vec<Trade> {
        self.trades
            .iter()
            .filter(|t| t.order_id == order_id)
            .cloned()
            .collect()
    }

    pub fn trades_on(&self, pair: &Pair, since_ms: i64) -> Vec<Trade> {
        self.trades
            .iter()
            .filter(|t| t.pair == *pair && t.at.timestamp_millis() >= since_ms)
            .cloned()
            .collect()
    }

    /// A trade the platform never booked (reconciliation scenario); balances are not touched.
    pub fn inject_trade(&mut self, pair: &Pair, side: Side, price: f64, amount: f64) -> u64 {
        let order_id = self.next_id();
        let id = self.next_id();
        let fee_currency = match (side, self.fee_style) {
            (Side::Buy, FeeStyle::Received) => pair.base.clone(),
            _ => pair.quote.clone(),
        };
        let fee = if fee_currency == pair.base {
            amount * FEE_RATE
        } else {
            amount * price * FEE_RATE
        };
        self.trades.push(Trade {
            id,
            order_id,
            pair: pair.clone(),
            side,
            price,
            amount,
            fee,
            fee_currency,
            at: Utc::now(),
        });
        id
    }
}
