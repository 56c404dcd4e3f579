//! Ledger reconciliation: does each bot's capital equal its external starting capital plus the
//! fills and transfers the ledger booked for it? (`GET /api/ledger/reconcile`)
//!
//! A bot the autopilot created from other bots' profit starts from 0 external capital: its whole
//! starting capital is the `transfer` into it, and each donor has the matching `transfer` out.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::bot::Bot;

/// Differences below this (in the quote currency) are float noise, not a discrepancy.
pub const TOLERANCE: f64 = 0.01;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BotReconciliation {
    pub bot_id: String,
    pub name: String,
    pub initial_capital: f64,
    /// `initial_capital`, or 0 for a bot funded by an autopilot transfer (`Bot::external_capital`).
    pub external_capital: f64,
    pub ledger_fills: f64,
    /// Capital moved in minus moved out (`transfer` entries).
    pub ledger_transfers: f64,
    /// `external_capital + ledger_fills + ledger_transfers`.
    pub expected_capital: f64,
    pub current_capital: f64,
    /// `current_capital - expected_capital`.
    pub difference: f64,
    pub matches: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reconciliation {
    pub reconciled: bool,
    pub bots: Vec<BotReconciliation>,
    pub mismatched: usize,
    /// Fill sums booked for bots that no longer exist (deleted bots keep their history).
    pub fills_without_bot: f64,
}

/// Compares every bot with the fills and transfers the ledger holds for it (bot id -> sum).
pub fn reconcile(
    bots: &[Bot],
    fills_by_bot: &BTreeMap<String, f64>,
    transfers_by_bot: &BTreeMap<String, f64>,
) -> Reconciliation {
    let rows: Vec<BotReconciliation> = bots
        .iter()
        .map(|bot| {
            let ledger_fills = fills_by_bot.get(&bot.id).copied().unwrap_or(0.0);
            let ledger_transfers = transfers_by_bot.get(&bot.id).copied().unwrap_or(0.0);
            let external_capital = bot.external_capital();
            let expected_capital = external_capital + ledger_fills + ledger_transfers;
            let difference = bot.current_capital - expected_capital;
            BotReconciliation {
                bot_id: bot.id.clone(),
                name: bot.name.clone(),
                initial_capital: bot.initial_capital,
                external_capital,
                ledger_fills,
                ledger_transfers,
                expected_capital,
                current_capital: bot.current_capital,
                difference,
                matches: difference.abs() < TOLERANCE,
            }
        })
        .collect();
    let fills_without_bot = fills_by_bot
        .iter()
        .filter(|(id, _)| !bots.iter().any(|b| &b.id == *id))
        .map(|(_, sum)| sum)
        .sum();
    let mismatched = rows.iter().filter(|r| !r.matches).count();
    Reconciliation {
        reconciled: mismatched == 0,
        bots: rows,
        mismatched,
        fills_without_bot,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::bot::test_support::paper_bot;

    #[test]
    fn a_bot_whose_capital_follows_its_fills_reconciles_and_one_that_drifted_does_not() {
        let mut good = paper_bot();
        good.id = "a".into();
        good.current_capital = 1012.5;
        let mut drifted = paper_bot();
        drifted.id = "b".into();
        drifted.current_capital = 1100.0;
        let fills = BTreeMap::from([
            ("a".to_string(), 12.5),
            ("b".to_string(), -3.0),
            ("gone".to_string(), 4.0),
        ]);
        let r = reconcile(&[good, drifted], &fills, &BTreeMap::new());
        assert!(!r.reconciled);
        assert_eq!(r.mismatched, 1);
        assert!(r.bots[0].matches);
        assert_eq!(r.bots[1].difference, 103.0);
        assert_eq!(r.fills_without_bot, 4.0);
    }

    #[test]
    fn transfers_move_expected_capital_and_a_spawned_bot_starts_from_zero() {
        let mut donor = paper_bot();
        donor.id = "donor".into();
        donor.current_capital = 1000.0; // earned 150, gave 150 away
        let mut spawned = paper_bot();
        spawned.id = "spawned".into();
        spawned.autopilot_spawned = true;
        spawned.initial_capital = 150.0;
        spawned.current_capital = 150.0;
        let fills = BTreeMap::from([("donor".to_string(), 150.0)]);
        let transfers = BTreeMap::from([
            ("donor".to_string(), -150.0),
            ("spawned".to_string(), 150.0),
        ]);
        let r = reconcile(&[donor.clone(), spawned.clone()], &fills, &transfers);
        assert!(r.reconciled, "{r:?}");
        assert_eq!(r.bots[1].external_capital, 0.0);
        // Without the transfer entries both bots are off by the moved amount.
        let r = reconcile(&[donor, spawned], &fills, &BTreeMap::new());
        assert_eq!(r.mismatched, 2);
    }
}
