//! Ledger reconciliation: does each bot's capital equal its starting capital plus the fills
//! the ledger booked for it? (`GET /api/ledger/reconcile`)

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
    pub ledger_fills: f64,
    /// `initial_capital + ledger_fills`.
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

/// Compares every bot with the fills the ledger holds for it (`fills_by_bot`: bot id -> sum).
pub fn reconcile(bots: &[Bot], fills_by_bot: &BTreeMap<String, f64>) -> Reconciliation {
    let rows: Vec<BotReconciliation> = bots
        .iter()
        .map(|bot| {
            let ledger_fills = fills_by_bot.get(&bot.id).copied().unwrap_or(0.0);
            let expected_capital = bot.initial_capital + ledger_fills;
            let difference = bot.current_capital - expected_capital;
            BotReconciliation {
                bot_id: bot.id.clone(),
                name: bot.name.clone(),
                initial_capital: bot.initial_capital,
                ledger_fills,
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
        let r = reconcile(&[good, drifted], &fills);
        assert!(!r.reconciled);
        assert_eq!(r.mismatched, 1);
        assert!(r.bots[0].matches);
        assert_eq!(r.bots[1].difference, 103.0);
        assert_eq!(r.fills_without_bot, 4.0);
    }
}
