//! The paper fill model (SPEC §9): a deterministic round trip at real feed prices.
//!
//! A paper trade opens at the feed price when the order passes the gates and closes at the
//! feed price after the holding period. Its result is the real price move between the two,
//! minus slippage (growing with order size) and taker fees on both legs. There is no random
//! "win rate": the same prices always give the same result.

use serde::Serialize;

use crate::domain::fees::{ExchangeFees, BPS_PER_UNIT};
use crate::domain::orders::Side;

/// How far a fill lands from the feed price, in bps:
/// `min(base_bps + bps_per_reference * notional / reference_liquidity, max_bps)`.
/// A larger order walks further into the book, so it pays more.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SlippageModel {
    /// Paid by even the smallest order (half the tick / queue position).
    pub base_bps: f64,
    /// Extra bps for an order whose notional equals `reference_liquidity`.
    pub bps_per_reference: f64,
    /// Notional (quote currency) taken as "one book's worth" of depth near the touch.
    pub reference_liquidity: f64,
    /// No paper fill slips more than this, however large.
    pub max_bps: f64,
}

/// ZAR books: R1,000,000 of notional adds 10 bps.
pub const ZAR_SLIPPAGE: SlippageModel = SlippageModel {
    base_bps: 2.0,
    bps_per_reference: 10.0,
    reference_liquidity: 1_000_000.0,
    max_bps: 50.0,
};

/// USDT/USD books are deeper per unit: 100,000 of notional adds 10 bps.
pub const USD_SLIPPAGE: SlippageModel = SlippageModel {
    base_bps: 1.0,
    bps_per_reference: 10.0,
    reference_liquidity: 100_000.0,
    max_bps: 50.0,
};

impl SlippageModel {
    /// The default model for a quote currency (`ZAR`, `USDT`, ...).
    pub fn for_quote(quote: &str) -> SlippageModel {
        if quote.eq_ignore_ascii_case("ZAR") {
            ZAR_SLIPPAGE
        } else {
            USD_SLIPPAGE
        }
    }

    /// Slippage for an order of `notional` (quote currency), in bps.
    pub fn slippage_bps(&self, notional: f64) -> f64 {
        let size_part = if self.reference_liquidity > 0.0 {
            self.bps_per_reference * notional / self.reference_liquidity
        } else {
            0.0
        };
        (self.base_bps + size_part).clamp(0.0, self.max_bps)
    }
}

/// A completed paper round trip, as saved on the trade and returned in the order's `fill`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PaperFill {
    pub side: Side,
    /// Price actually paid/received on entry, after slippage.
    pub entry_price: f64,
    /// Price actually received/paid on exit, after slippage.
    pub exit_price: f64,
    pub amount: f64,
    /// `amount x entry feed price`: the size fees and slippage are based on.
    pub notional: f64,
    pub slippage_bps: f64,
    /// Taker rate x notional x 2 (entry + exit).
    pub fees: f64,
    /// What slippage cost over both legs (always >= 0).
    pub slippage_cost: f64,
    /// Price move after slippage, minus fees.
    pub profit_loss: f64,
    pub is_profitable: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FillError {
    #[error("amount must be a finite number above 0")]
    InvalidAmount,
    #[error("{0} price must be a finite number above 0")]
    InvalidPrice(&'static str),
    #[error("taker fee must be a finite number of bps, 0 or more")]
    InvalidFee,
    #[error("order is too large to price")]
    Overflow,
}

fn positive(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

/// Simulates opening at `entry_price` and closing at `exit_price` (both feed prices).
///
/// A buy enters above the feed and exits below it; a sell (short round trip) enters below the
/// feed and buys back above it. Both legs slip by the same bps, taken from the entry notional.
pub fn simulate_round_trip(
    side: Side,
    amount: f64,
    entry_price: f64,
    exit_price: f64,
    fees: &ExchangeFees,
    slippage: &SlippageModel,
) -> Result<PaperFill, FillError> {
    if !positive(amount) {
        return Err(FillError::InvalidAmount);
    }
    if !positive(entry_price) {
        return Err(FillError::InvalidPrice("entry"));
    }
    if !positive(exit_price) {
        return Err(FillError::InvalidPrice("exit"));
    }
    if !fees.taker_fee_bps.is_finite() || fees.taker_fee_bps < 0.0 {
        return Err(FillError::InvalidFee);
    }
    let notional = amount * entry_price;
    let slippage_bps = slippage.slippage_bps(notional);
    let slip = slippage_bps / BPS_PER_UNIT;
    let (entry_fill, exit_fill, gross) = match side {
        Side::Buy => {
            let entry_fill = entry_price * (1.0 + slip);
            let exit_fill = exit_price * (1.0 - slip);
            (entry_fill, exit_fill, amount * (exit_fill - entry_fill))
        }
        Side::Sell => {
            let entry_fill = entry_price * (1.0 - slip);
            let exit_fill = exit_price * (1.0 + slip);
            (entry_fill, exit_fill, amount * (entry_fill - exit_fill))
        }
    };
    let fee_total = fees.taker_rate() * notional * 2.0;
    let slippage_cost =
        amount * ((entry_fill - entry_price).abs() + (exit_fill - exit_price).abs());
    let profit_loss = gross - fee_total;
    if ![
        notional,
        entry_fill,
        exit_fill,
        fee_total,
        slippage_cost,
        profit_loss,
    ]
    .iter()
    .all(|x| x.is_finite())
    {
        return Err(FillError::Overflow);
    }
    Ok(PaperFill {
        side,
        entry_price: entry_fill,
        exit_price: exit_fill,
        amount,
        notional,
        slippage_bps,
        fees: fee_total,
        slippage_cost,
        profit_loss,
        is_profitable: profit_loss > 0.0,
    })
}

#[cfg(test)]
mod tests;
