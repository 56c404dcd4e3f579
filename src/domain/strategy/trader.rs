//! The one execution model for strategies, shared by backtests and paper bots: signals on a
//! candle's close, market fills at the next candle's open, risk exits inside candles, fees and
//! slippage on both legs, long only with fractional sizes.
//!
//! Per closed candle ([`Trader::step`]), in this order:
//! 1. an order decided on the previous close fills at this candle's open, moved by
//!    `slippage_bps` against the trader (buys higher, sells lower);
//! 2. while long, the candle's low is checked against the stop (the higher of the stop-loss and
//!    the trailing stop), then its high against the take-profit: **the stop wins** when both lie
//!    inside one candle (the path inside a candle is unknown, so assume the worse). A stop fills
//!    at its level, or at the open when the candle opened beyond it (a gap); a target likewise;
//!    both with slippage against the trader;
//! 3. the strategy reads the candle; on its close a flat trader with a buy signal (and no
//!    cooldown left) places an entry, a long trader with a sell signal places an exit; both fill
//!    at the next candle's open (step 1 of the next call).
//!
//! Money: an entry commits `position_size_pct` of equity (cash, since the trader is flat) to
//! notional **plus** the entry fee, so it never spends more than that share:
//! `size = budget / (price × (1 + fee))`, `fee = size × price × fee`. An exit receives
//! `size × price − fee`. A trade's `pnl` is what came back minus what went out, fees included.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::risk::RiskParams;
use super::{Signal, Strategy};
use crate::domain::candles::Candle;
use crate::domain::fees::BPS_PER_UNIT;

/// Trading costs per leg, in basis points of notional.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Costs {
    pub fee_bps: f64,
    pub slippage_bps: f64,
}

impl Costs {
    fn fee_rate(&self) -> f64 {
        self.fee_bps / BPS_PER_UNIT
    }

    /// The price a buy at `price` really pays.
    pub fn buy_price(&self, price: f64) -> f64 {
        price * (1.0 + self.slippage_bps / BPS_PER_UNIT)
    }

    /// The price a sell at `price` really receives.
    pub fn sell_price(&self, price: f64) -> f64 {
        price * (1.0 - self.slippage_bps / BPS_PER_UNIT)
    }
}

/// What the trader decided on a candle's close.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    EnterLong,
    Exit,
    Hold,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::EnterLong => "enter_long",
            Action::Exit => "exit",
            Action::Hold => "hold",
        }
    }
}

/// Why a position was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExitReason {
    Signal,
    StopLoss,
    TakeProfit,
    TrailingStop,
    /// The backtest ran out of candles.
    End,
    /// A user closed it by hand.
    Manual,
}

impl ExitReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ExitReason::Signal => "signal",
            ExitReason::StopLoss => "stop_loss",
            ExitReason::TakeProfit => "take_profit",
            ExitReason::TrailingStop => "trailing_stop",
            ExitReason::End => "end",
            ExitReason::Manual => "manual",
        }
    }

    fn is_stop(self) -> bool {
        matches!(self, ExitReason::StopLoss | ExitReason::TrailingStop)
    }
}

/// An open long position.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OpenPosition {
    /// Open time (epoch ms) of the candle whose open filled the entry.
    pub entry_time: i64,
    /// Price paid per unit, slippage included.
    pub entry_price: f64,
    pub size: f64,
    pub entry_fee: f64,
    /// What slippage cost on entry: `size × (fill − market price)`.
    #[serde(default)]
    pub entry_slippage: f64,
    /// Highest price seen since entry (the entry price, then each later candle's high): the
    /// trailing stop hangs below it.
    pub highest: f64,
}

impl OpenPosition {
    /// What the position cost, fee included.
    pub fn cost(&self) -> f64 {
        self.size * self.entry_price + self.entry_fee
    }
}

/// A closed round trip.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ClosedTrade {
    pub entry_time: i64,
    pub exit_time: i64,
    pub entry_price: f64,
    pub exit_price: f64,
    pub size: f64,
    /// Proceeds of the exit after its fee, minus the cost of the entry with its fee.
    pub pnl: f64,
    /// `pnl` as a percent of the entry's cost (fee included).
    pub pnl_pct: f64,
    /// Both legs' fees.
    pub fees: f64,
    /// What slippage cost over both legs (already inside the prices and `pnl`).
    pub slippage_cost: f64,
    pub exit_reason: ExitReason,
}

/// An order decided on a close, waiting for the next open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PendingOrder {
    Enter,
    Exit,
}

/// Everything a trader must remember between candles (stored for paper bots so a restart
/// resumes with the same position).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TraderState {
    pub cash: f64,
    pub position: Option<OpenPosition>,
    pub pending: Option<PendingOrder>,
    /// Closes on which a new entry is still refused after a stop.
    pub cooldown_left: u32,
}

impl TraderState {
    pub fn flat(cash: f64) -> Self {
        TraderState {
            cash,
            position: None,
            pending: None,
            cooldown_left: 0,
        }
    }

    /// Cash plus the position marked at `price` (before exit costs).
    pub fn equity(&self, price: f64) -> f64 {
        self.cash + self.position.map_or(0.0, |p| p.size * price)
    }
}

/// What happened on one candle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// An entry filled at this candle's open.
    pub entered: Option<OpenPosition>,
    /// A position closed during this candle (a pending exit at the open, or a stop/target).
    pub exited: Option<ClosedTrade>,
    /// The strategy's signal on this candle's close.
    pub signal: Signal,
    /// What the trader decided on this close (fills at the next open).
    pub action: Action,
    /// A buy signal refused because of the cooldown after a stop.
    pub cooldown_blocked: bool,
}

/// A strategy with its risk settings, costs and state.
pub struct Trader {
    pub strategy: Box<dyn Strategy>,
    pub risk: RiskParams,
    pub costs: Costs,
    pub state: TraderState,
}

impl Trader {
    pub fn new(
        strategy: Box<dyn Strategy>,
        risk: RiskParams,
        costs: Costs,
        state: TraderState,
    ) -> Self {
        Trader {
            strategy,
            risk,
            costs,
            state,
        }
    }

    /// Feeds one closed candle (see the module doc for the order of events).
    pub fn step(&mut self, candle: &Candle) -> Step {
        let mut entered = None;
        let mut exited = None;
        match self.state.pending.take() {
            Some(PendingOrder::Enter) if self.state.position.is_none() => {
                entered = self.open_at(candle.open, candle.open_time);
            }
            Some(PendingOrder::Exit) => {
                exited = self.close_at(candle.open, candle.open_time, ExitReason::Signal);
            }
            _ => {}
        }
        if exited.is_none() {
            exited = self.risk_exit(candle);
        }
        if let Some(p) = self.state.position.as_mut() {
            p.highest = p.highest.max(candle.high);
        }
        if exited.is_some_and(|t| t.exit_reason.is_stop()) {
            self.state.cooldown_left = self.risk.cooldown_candles;
        }

        let signal = self.strategy.update(candle);
        let cooling = self.state.cooldown_left > 0;
        self.state.cooldown_left = self.state.cooldown_left.saturating_sub(1);
        let (action, cooldown_blocked) = match (signal, self.state.position.is_some()) {
            (Signal::Buy, false) if cooling => (Action::Hold, true),
            (Signal::Buy, false) => (Action::EnterLong, false),
            (Signal::Sell, true) => (Action::Exit, false),
            _ => (Action::Hold, false),
        };
        self.state.pending = match action {
            Action::EnterLong => Some(PendingOrder::Enter),
            Action::Exit => Some(PendingOrder::Exit),
            Action::Hold => None,
        };
        Step {
            entered,
            exited,
            signal,
            action,
            cooldown_blocked,
        }
    }

    /// Buys at market `price` (slippage added) with `position_size_pct` of the cash; `None`
    /// when already long or the size would be zero.
    pub fn open_at(&mut self, price: f64, time: i64) -> Option<OpenPosition> {
        if self.state.position.is_some() || !(price.is_finite() && price > 0.0) {
            return None;
        }
        let fill = self.costs.buy_price(price);
        let budget = self.state.cash * self.risk.position_size_pct / 100.0;
        let size = budget / (fill * (1.0 + self.costs.fee_rate()));
        if !(size.is_finite() && size > 0.0) {
            return None;
        }
        // The fee is what the budget leaves after the notional, so cash moves by exactly the
        // budget (no residue of a cent's billionth from rounding).
        let fee = budget - size * fill;
        self.state.cash -= budget;
        let position = OpenPosition {
            entry_time: time,
            entry_price: fill,
            size,
            entry_fee: fee,
            entry_slippage: size * (fill - price),
            highest: fill,
        };
        self.state.position = Some(position);
        Some(position)
    }

    /// Sells the whole position at market `price` (slippage taken off).
    pub fn close_at(&mut self, price: f64, time: i64, reason: ExitReason) -> Option<ClosedTrade> {
        let position = self.state.position.take()?;
        let fill = self.costs.sell_price(price);
        let proceeds = position.size * fill;
        let fee = proceeds * self.costs.fee_rate();
        self.state.cash += proceeds - fee;
        let cost = position.cost();
        let pnl = proceeds - fee - cost;
        Some(ClosedTrade {
            entry_time: position.entry_time,
            exit_time: time,
            entry_price: position.entry_price,
            exit_price: fill,
            size: position.size,
            pnl,
            pnl_pct: if cost > 0.0 { pnl * 100.0 / cost } else { 0.0 },
            fees: position.entry_fee + fee,
            slippage_cost: position.entry_slippage + position.size * (price - fill),
            exit_reason: reason,
        })
    }

    /// Closes an open position at the last candle's close (end of a backtest); a pending order
    /// is dropped.
    pub fn finish(&mut self, last: &Candle) -> Option<ClosedTrade> {
        self.state.pending = None;
        self.close_at(last.close, last.open_time, ExitReason::End)
    }

    /// The stop level (the higher of stop-loss and trailing stop) and which one it is.
    pub fn stop_level(&self) -> Option<(f64, ExitReason)> {
        let p = self.state.position?;
        let stop = (self.risk.stop_loss_pct > 0.0).then(|| {
            (
                p.entry_price * (1.0 - self.risk.stop_loss_pct / 100.0),
                ExitReason::StopLoss,
            )
        });
        let trail = (self.risk.trailing_stop_pct > 0.0).then(|| {
            (
                p.highest * (1.0 - self.risk.trailing_stop_pct / 100.0),
                ExitReason::TrailingStop,
            )
        });
        match (stop, trail) {
            (Some(s), Some(t)) => Some(if t.0 > s.0 { t } else { s }),
            (s, t) => s.or(t),
        }
    }

    /// The take-profit level.
    pub fn target_level(&self) -> Option<f64> {
        let p = self.state.position?;
        (self.risk.take_profit_pct > 0.0)
            .then(|| p.entry_price * (1.0 + self.risk.take_profit_pct / 100.0))
    }

    fn risk_exit(&mut self, candle: &Candle) -> Option<ClosedTrade> {
        if let Some((level, reason)) = self.stop_level() {
            if candle.low <= level {
                // Opened below the stop: nothing traded at the stop, the open is the fill.
                let price = candle.open.min(level);
                return self.close_at(price, candle.open_time, reason);
            }
        }
        if let Some(level) = self.target_level() {
            if candle.high >= level {
                let price = candle.open.max(level);
                return self.close_at(price, candle.open_time, ExitReason::TakeProfit);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests;
