//! Live reconciliation: our booked fills against the exchange's trade history (pure).
//!
//! Only the exchange's trades of orders we placed are compared (matched by exchange order id):
//! the account may also trade by hand, and those trades are counted, not flagged.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::live_order::LiveOrder;
use crate::exchange::orders::ExchangeFill;

/// Amounts and prices closer than this (relative) are the same number printed differently.
const RELATIVE_TOLERANCE: f64 = 1e-9;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DifferenceKind {
    /// The exchange lists a fill of our order that we have not recorded.
    MissingHere,
    /// We recorded a fill the exchange does not list.
    MissingOnExchange,
    /// Both list the fill, with a different amount or price.
    Mismatch,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Difference {
    pub kind: DifferenceKind,
    pub live_order_id: String,
    pub exchange_order_id: String,
    pub trade_id: String,
    /// One sentence a person can act on.
    pub detail: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Comparison {
    pub fills_compared: usize,
    /// Trades in the exchange history of orders we did not place (manual trading).
    pub other_trades: usize,
    pub differences: Vec<Difference>,
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= RELATIVE_TOLERANCE * a.abs().max(b.abs()).max(1.0)
}

/// Compares the fills of `ours` (orders on one exchange and pair) with `theirs` (that
/// exchange's history for the pair over the same window).
pub fn compare(ours: &[LiveOrder], theirs: &[ExchangeFill]) -> Comparison {
    let by_exchange_id: HashMap<&str, &LiveOrder> = ours
        .iter()
        .filter_map(|o| o.exchange_order_id.as_deref().map(|id| (id, o)))
        .collect();
    let mut out = Comparison::default();
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    for t in theirs {
        let Some(order) = by_exchange_id.get(t.exchange_order_id.as_str()) else {
            out.other_trades += 1;
            continue;
        };
        seen.insert((order.id.as_str(), t.trade_id.as_str()));
        out.fills_compared += 1;
        let diff = |kind, detail: String| Difference {
            kind,
            live_order_id: order.id.clone(),
            exchange_order_id: t.exchange_order_id.clone(),
            trade_id: t.trade_id.clone(),
            detail,
        };
        match order.fills.iter().find(|f| f.trade_id == t.trade_id) {
            None => out.differences.push(diff(
                DifferenceKind::MissingHere,
                format!(
                    "the exchange lists fill {} ({} at {}) of order {} that was not booked",
                    t.trade_id, t.amount, t.price, order.client_order_id
                ),
            )),
            Some(f) if !close(f.amount, t.amount) || !close(f.price, t.price) => {
                out.differences.push(diff(
                    DifferenceKind::Mismatch,
                    format!(
                        "fill {}: booked {} at {}, the exchange says {} at {}",
                        t.trade_id, f.amount, f.price, t.amount, t.price
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    for order in ours {
        for f in &order.fills {
            if !seen.contains(&(order.id.as_str(), f.trade_id.as_str())) {
                out.differences.push(Difference {
                    kind: DifferenceKind::MissingOnExchange,
                    live_order_id: order.id.clone(),
                    exchange_order_id: order.exchange_order_id.clone().unwrap_or_default(),
                    trade_id: f.trade_id.clone(),
                    detail: format!(
                        "booked fill {} ({} at {}) is not in the exchange's trade history",
                        f.trade_id, f.amount, f.price
                    ),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::domain::live_order::{LiveFill, LiveIntent, NewLiveOrder};
    use crate::domain::orders::Side;

    fn order(exchange_id: &str, fills: &[(&str, f64, f64)]) -> LiveOrder {
        let now = Utc.timestamp_opt(1_700_000_000, 0).single().unwrap();
        let mut o = LiveOrder::new(
            NewLiveOrder {
                user_id: "u",
                bot_id: "b",
                exchange: "valr",
                symbol: "BTC/ZAR",
                side: Side::Buy,
                amount: 1.0,
                reference_price: 100.0,
                intent: LiveIntent::Entry { candle_time: 0 },
                order_record_id: "r",
                decision_id: None,
            },
            now,
        );
        o.exchange_order_id = Some(exchange_id.into());
        o.merge_fills(fills.iter().map(|(id, amount, price)| LiveFill {
            trade_id: id.to_string(),
            price: *price,
            amount: *amount,
            fee: 0.0,
            fee_currency: "ZAR".into(),
            at: now,
        }));
        o
    }

    fn theirs(order_id: &str, trade_id: &str, amount: f64, price: f64) -> ExchangeFill {
        ExchangeFill {
            trade_id: trade_id.into(),
            exchange_order_id: order_id.into(),
            price,
            amount,
            fee: 0.0,
            fee_currency: "ZAR".into(),
            side: Side::Buy,
            at: Utc.timestamp_opt(1_700_000_000, 0).single().unwrap(),
        }
    }

    #[test]
    fn identical_histories_have_no_difference_and_manual_trades_are_only_counted() {
        let ours = [order("X1", &[("t1", 0.4, 100.0), ("t2", 0.6, 101.0)])];
        let history = [
            theirs("X1", "t1", 0.4, 100.0),
            theirs("X1", "t2", 0.6, 101.000000000001),
            theirs("MANUAL", "t9", 3.0, 99.0),
        ];
        let c = compare(&ours, &history);
        assert_eq!(c.fills_compared, 2);
        assert_eq!(c.other_trades, 1);
        assert!(c.differences.is_empty(), "{:?}", c.differences);
    }

    #[test]
    fn every_kind_of_difference_is_found() {
        let ours = [order("X1", &[("t1", 0.4, 100.0), ("t2", 0.6, 101.0)])];
        let history = [
            theirs("X1", "t1", 0.5, 100.0), // amount differs
            theirs("X1", "t3", 0.1, 102.0), // not booked here
        ];
        let c = compare(&ours, &history);
        let kinds: Vec<_> = c
            .differences
            .iter()
            .map(|d| (d.kind, d.trade_id.as_str()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (DifferenceKind::Mismatch, "t1"),
                (DifferenceKind::MissingHere, "t3"),
                (DifferenceKind::MissingOnExchange, "t2"),
            ]
        );
    }
}
