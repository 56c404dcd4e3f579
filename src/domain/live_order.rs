//! A live order on an exchange: its lifecycle (`new -> submitted -> partially_filled -> filled |
//! cancelled | rejected | expired`), every fill as the exchange reported it, and the booking
//! maths that turns fills into the bot's position or a closed trade (pure, no I/O).
//!
//! The client order id is derived from the record's id before the first send, so after a
//! timeout, a 5xx or a crash the order is looked up on the exchange by it, never sent twice.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::orders::Side;
use crate::domain::strategy::trader::{ClosedTrade, ExitReason, OpenPosition};

#[cfg(test)]
mod tests;

/// Where a live order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LiveState {
    /// Stored, not (known to be) on the exchange yet: a crash or an unanswered send leaves it
    /// here until the order is looked up by its client order id.
    New,
    Submitted,
    PartiallyFilled,
    Filled,
    Cancelled,
    Rejected,
    Expired,
}

impl LiveState {
    pub fn as_str(self) -> &'static str {
        match self {
            LiveState::New => "new",
            LiveState::Submitted => "submitted",
            LiveState::PartiallyFilled => "partially_filled",
            LiveState::Filled => "filled",
            LiveState::Cancelled => "cancelled",
            LiveState::Rejected => "rejected",
            LiveState::Expired => "expired",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            LiveState::Filled | LiveState::Cancelled | LiveState::Rejected | LiveState::Expired
        )
    }

    /// The states a tracker still polls.
    pub const OPEN: [LiveState; 3] = [
        LiveState::New,
        LiveState::Submitted,
        LiveState::PartiallyFilled,
    ];
}

/// What the order is for, so its fills can be booked without guessing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LiveIntent {
    /// Opens the bot's position (a buy). `candle_time` is the candle whose open it trades.
    Entry { candle_time: i64 },
    /// Closes (part of) the bot's position (a sell); `position` is the position as it was when
    /// the exit was decided.
    Exit {
        #[schema(value_type = Object)]
        position: OpenPosition,
        #[schema(value_type = String)]
        reason: ExitReason,
    },
}

/// One fill, as the exchange reported it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LiveFill {
    /// The exchange's trade id; a fill is recorded once per id.
    pub trade_id: String,
    pub price: f64,
    /// Base amount.
    pub amount: f64,
    pub fee: f64,
    pub fee_currency: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTime<Utc>,
}

/// A live order and everything known about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LiveOrder {
    pub id: String,
    pub user_id: String,
    pub bot_id: String,
    pub exchange: String,
    /// Canonical `BASE/QUOTE`.
    pub symbol: String,
    #[schema(value_type = String, example = "buy")]
    pub side: Side,
    /// Base amount sent (rounded to the exchange's lot size).
    pub amount: f64,
    /// The price the decision saw (candle open or feed price): notional, caps and slippage are
    /// measured against it.
    pub reference_price: f64,
    /// `amount * reference_price`.
    pub notional: f64,
    pub intent: LiveIntent,
    /// `amk` + the id without dashes (35 chars): fits every exchange's client id field.
    pub client_order_id: String,
    pub exchange_order_id: Option<String>,
    pub state: LiveState,
    pub fills: Vec<LiveFill>,
    pub filled_amount: f64,
    /// Volume-weighted average fill price (0 until filled).
    pub average_price: f64,
    pub rejection_reason: Option<String>,
    /// The pipeline's order record (`/api/orders/*`) this live order executes.
    pub order_record_id: String,
    /// The decision that caused it, when a strategy decided it.
    pub decision_id: Option<String>,
    /// How many times the order was sent (1 normally; 2 only after the exchange said it did
    /// not know the first send).
    pub send_attempts: u32,
    /// Status checks made on the exchange since the last change (drives the backoff).
    pub polls: u32,
    #[schema(value_type = String, format = DateTime)]
    pub next_poll_at: DateTime<Utc>,
    /// Fills booked into the bot (position or trade), capital and ledger: happens once.
    pub booked: bool,
    pub trade_id: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub submitted_at: Option<DateTime<Utc>>,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: DateTime<Utc>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub completed_at: Option<DateTime<Utc>>,
    /// Optimistic concurrency: a save based on an older read is refused.
    pub version: u64,
}

/// The fields a new live order needs.
pub struct NewLiveOrder<'a> {
    pub user_id: &'a str,
    pub bot_id: &'a str,
    pub exchange: &'a str,
    pub symbol: &'a str,
    pub side: Side,
    pub amount: f64,
    pub reference_price: f64,
    pub intent: LiveIntent,
    pub order_record_id: &'a str,
    pub decision_id: Option<String>,
}

/// Share of a position an exit may leave unsold and still close it (see `closed_trade`).
pub const DUST_SHARE: f64 = 0.01;

/// `amk` + the 32 hex digits of `id` (dashes dropped).
pub fn client_order_id(id: &str) -> String {
    let hex: String = id.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    format!("amk{}", &hex[..hex.len().min(32)])
}

/// Floors `amount` to a multiple of `step` (never sells more than held), tolerant of float
/// noise: 0.30000000000000004 / 0.1 is 3, not 2.
pub fn floor_to_step(amount: f64, step: f64) -> f64 {
    if step.is_nan() || step <= 0.0 || !amount.is_finite() {
        return amount;
    }
    let units = (amount / step + 1e-9).floor();
    let decimals = decimals_of(step);
    round_to(units * step, decimals)
}

fn decimals_of(step: f64) -> i32 {
    let mut d = 0;
    let mut s = step;
    while d < 12 && (s - s.round()).abs() > 1e-9 {
        s *= 10.0;
        d += 1;
    }
    d
}

fn round_to(value: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (value * f).round() / f
}

impl LiveOrder {
    pub fn new(new: NewLiveOrder<'_>, now: DateTime<Utc>) -> Self {
        let id = uuid::Uuid::new_v4().to_string();
        Self {
            client_order_id: client_order_id(&id),
            id,
            user_id: new.user_id.to_string(),
            bot_id: new.bot_id.to_string(),
            exchange: new.exchange.to_string(),
            symbol: new.symbol.to_string(),
            side: new.side,
            amount: new.amount,
            reference_price: new.reference_price,
            notional: new.amount * new.reference_price,
            intent: new.intent,
            exchange_order_id: None,
            state: LiveState::New,
            fills: Vec::new(),
            filled_amount: 0.0,
            average_price: 0.0,
            rejection_reason: None,
            order_record_id: new.order_record_id.to_string(),
            decision_id: new.decision_id,
            send_attempts: 0,
            polls: 0,
            next_poll_at: now,
            booked: false,
            trade_id: None,
            created_at: now,
            submitted_at: None,
            updated_at: now,
            completed_at: None,
            version: 0,
        }
    }

    pub fn base(&self) -> &str {
        self.symbol.split('/').next().unwrap_or("")
    }

    pub fn quote(&self) -> &str {
        self.symbol.split('/').nth(1).unwrap_or("")
    }

    /// Moves to `state` unless the order is already terminal (a late answer never revives a
    /// finished order). Returns whether anything changed.
    pub fn transition(&mut self, state: LiveState, now: DateTime<Utc>) -> bool {
        if self.state.is_terminal() || self.state == state {
            return false;
        }
        self.state = state;
        self.updated_at = now;
        if state.is_terminal() {
            self.completed_at = Some(now);
        }
        true
    }

    /// Refused before or by the exchange: terminal, nothing filled.
    pub fn reject(&mut self, reason: &str, now: DateTime<Utc>) {
        self.rejection_reason = Some(reason.to_string());
        self.transition(LiveState::Rejected, now);
    }

    /// Adds fills not seen before (by trade id); returns how many were new.
    pub fn merge_fills(&mut self, fills: impl IntoIterator<Item = LiveFill>) -> usize {
        let mut added = 0;
        for fill in fills {
            if !(fill.amount > 0.0 && fill.price > 0.0) {
                continue;
            }
            if self.fills.iter().any(|f| f.trade_id == fill.trade_id) {
                continue;
            }
            self.fills.push(fill);
            added += 1;
        }
        if added > 0 {
            self.fills
                .sort_by(|a, b| a.at.cmp(&b.at).then(a.trade_id.cmp(&b.trade_id)));
            self.filled_amount = self.fills.iter().map(|f| f.amount).sum();
            let quote: f64 = self.fills.iter().map(|f| f.amount * f.price).sum();
            self.average_price = if self.filled_amount > 0.0 {
                quote / self.filled_amount
            } else {
                0.0
            };
        }
        added
    }

    /// Quote spent (buy) or received (sell) before fees: sum of amount x price.
    pub fn filled_quote(&self) -> f64 {
        self.fills.iter().map(|f| f.amount * f.price).sum()
    }

    /// Fees in base currency (taken from what a buy receives).
    pub fn base_fees(&self) -> f64 {
        self.fills
            .iter()
            .filter(|f| f.fee_currency.eq_ignore_ascii_case(self.base()))
            .map(|f| f.fee)
            .sum()
    }

    /// Every fee in quote currency: quote fees as they are, base fees at their fill's price.
    /// Fees in a third currency (e.g. BNB) cannot be priced here and count as 0; they are
    /// listed by [`LiveOrder::unpriced_fees`] so the booking says so.
    pub fn fees_in_quote(&self) -> f64 {
        self.fills
            .iter()
            .map(|f| {
                if f.fee_currency.eq_ignore_ascii_case(self.quote()) {
                    f.fee
                } else if f.fee_currency.eq_ignore_ascii_case(self.base()) {
                    f.fee * f.price
                } else {
                    0.0
                }
            })
            .sum()
    }

    /// Fees in neither base nor quote, as `"0.01 BNB"` strings.
    pub fn unpriced_fees(&self) -> Vec<String> {
        self.fills
            .iter()
            .filter(|f| {
                f.fee > 0.0
                    && !f.fee_currency.eq_ignore_ascii_case(self.quote())
                    && !f.fee_currency.eq_ignore_ascii_case(self.base())
            })
            .map(|f| format!("{} {}", f.fee, f.fee_currency))
            .collect()
    }

    /// The position a filled (or partly filled, then finished) entry opened: size is the base
    /// actually received (base fees deducted), the entry price the average fill price, and the
    /// entry fee every fee in quote, so `position.cost()` is exactly the quote paid plus quote
    /// fees. `None` when nothing filled.
    pub fn opened_position(&self, candle_time: i64) -> Option<OpenPosition> {
        if self.filled_amount <= 0.0 {
            return None;
        }
        let base_fees = self.base_fees();
        let size = self.filled_amount - base_fees;
        if size <= 0.0 {
            return None;
        }
        let quote_fees = self.fees_in_quote() - self.base_fees_in_quote();
        let entry_fee = quote_fees + base_fees * self.average_price;
        Some(OpenPosition {
            entry_time: candle_time,
            entry_price: self.average_price,
            size,
            entry_fee,
            entry_slippage: size * (self.average_price - self.reference_price),
            highest: self.average_price,
        })
    }

    fn base_fees_in_quote(&self) -> f64 {
        self.fills
            .iter()
            .filter(|f| f.fee_currency.eq_ignore_ascii_case(self.base()))
            .map(|f| f.fee * f.price)
            .sum()
    }

    /// The round trip a filled exit closed, for the part of `position` it sold, and the
    /// position left open (when the exit sold less than the whole position).
    ///
    /// P&L = proceeds - exit fees - the sold share of the entry's cost (`position.cost()`).
    /// A remainder under [`DUST_SHARE`] of the position (what base-currency fees and lot-size
    /// rounding leave behind, too small to sell) is written off with the trade: the whole
    /// entry cost is in its P&L and no position stays open.
    pub fn closed_trade(
        &self,
        position: &OpenPosition,
        reason: ExitReason,
        exit_time: i64,
    ) -> Option<(ClosedTrade, Option<OpenPosition>)> {
        if self.filled_amount <= 0.0 || position.size <= 0.0 {
            return None;
        }
        let sold = self.filled_amount.min(position.size);
        let dust = position.size - sold <= position.size * DUST_SHARE;
        let share = if dust { 1.0 } else { sold / position.size };
        let proceeds = self.filled_quote() * (sold / self.filled_amount);
        let exit_fee = self.fees_in_quote();
        let entry_cost = position.cost() * share;
        let pnl = proceeds - exit_fee - entry_cost;
        let entry_fee = position.entry_fee * share;
        let trade = ClosedTrade {
            entry_time: position.entry_time,
            exit_time,
            entry_price: position.entry_price,
            exit_price: proceeds / sold,
            size: sold,
            pnl,
            pnl_pct: if entry_cost > 0.0 {
                pnl / entry_cost * 100.0
            } else {
                0.0
            },
            fees: entry_fee + exit_fee,
            slippage_cost: position.entry_slippage * share
                + sold * (self.reference_price - proceeds / sold),
            exit_reason: reason,
        };
        let rest = (!dust).then_some(OpenPosition {
            size: position.size - sold,
            entry_fee: position.entry_fee - entry_fee,
            entry_slippage: position.entry_slippage * (1.0 - share),
            ..*position
        });
        Some((trade, rest))
    }
}
