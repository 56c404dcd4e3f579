//! Autopilot reinvestment (SPEC §9): when a user's paper bots have grown past their starting
//! capital (profit after fees: capital moves only by net fills), that surplus is moved into one
//! new bot a day, within `MAX_BOTS`. Capital is moved, never created: each move is booked in
//! the ledger as `transfer` entries (out of each donor, into the new bot) that sum to zero.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::bot::{Bot, BotStatus, Exchange, TradingMode};
use crate::domain::bot_rules::{MAX_CAPITAL, MIN_CAPITAL};
use crate::domain::ledger::{LedgerKind, NewLedgerEntry};

/// One donor's share of the new bot's capital.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Withdrawal {
    pub bot_id: String,
    pub amount: f64,
}

/// What the autopilot will do for one user today.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReinvestPlan {
    pub capital: f64,
    /// The exchange of the biggest donor (tried first; others if its cap is reached).
    pub exchange: Exchange,
    pub withdrawals: Vec<Withdrawal>,
}

/// Profit a bot holds above its starting capital that may be moved (paper bots that are
/// running or paused; live capital sits on an exchange and is never moved by bookkeeping).
pub fn surplus(bot: &Bot) -> f64 {
    let eligible = bot.trading_mode == TradingMode::Paper
        && matches!(bot.status, BotStatus::Active | BotStatus::Paused);
    let surplus = bot.current_capital - bot.initial_capital;
    if eligible && surplus.is_finite() && surplus > 0.0 {
        surplus
    } else {
        0.0
    }
}

/// True when the autopilot already spawned a bot for this user on `now`'s UTC day.
pub fn spawned_today(bots: &[Bot], now: DateTime<Utc>) -> bool {
    bots.iter()
        .any(|b| b.autopilot_spawned && b.created_at.date_naive() == now.date_naive())
}

/// The day's reinvestment for a user's (non-deleted) bots, or `None` when there is not
/// enough profit for a bot's minimum capital, the user is at `max_bots`, or it already ran today.
pub fn plan_reinvestment(bots: &[Bot], now: DateTime<Utc>, max_bots: u32) -> Option<ReinvestPlan> {
    let live_bots = bots.iter().filter(|b| b.status != BotStatus::Deleted);
    if live_bots.count() >= max_bots as usize || spawned_today(bots, now) {
        return None;
    }
    let donors: Vec<(&Bot, f64)> = bots
        .iter()
        .map(|b| (b, surplus(b)))
        .filter(|(_, s)| *s > 0.0)
        .collect();
    let total: f64 = donors.iter().map(|(_, s)| s).sum();
    if total < MIN_CAPITAL {
        return None;
    }
    let capital = total.min(MAX_CAPITAL);
    let share = capital / total;
    let exchange = donors
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(b, _)| b.exchange)?;
    let withdrawals = donors
        .iter()
        .map(|(b, s)| Withdrawal {
            bot_id: b.id.clone(),
            amount: s * share,
        })
        .collect();
    Some(ReinvestPlan {
        capital,
        exchange,
        withdrawals,
    })
}

/// What may be taken out of a donor now: the planned share, but never below its starting
/// capital (a loss booked since the plan shrinks the surplus). Amounts under a cent are 0.
pub fn withdrawal_amount(bot: &Bot, planned: f64) -> f64 {
    let amount = planned.min(surplus(bot));
    if amount.is_finite() && amount >= 0.01 {
        amount
    } else {
        0.0
    }
}

/// One leg of a reinvestment in the ledger: `amount` < 0 out of a donor, > 0 into the new bot.
/// `ref_id` is `<transfer id>:<bot id>` (unique per leg; the legs share the transfer id).
pub fn transfer_entry(
    user_id: &str,
    bot_id: &str,
    amount: f64,
    currency: &str,
    transfer_id: &str,
    description: String,
    now: DateTime<Utc>,
) -> NewLedgerEntry {
    NewLedgerEntry {
        user_id: user_id.to_string(),
        kind: LedgerKind::Transfer,
        amount,
        currency: currency.to_string(),
        bot_id: Some(bot_id.to_string()),
        ref_id: format!("{transfer_id}:{bot_id}"),
        description,
        timestamp: now,
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::domain::bot::test_support::{paper_bot, t0};

    fn grown(profit: f64) -> Bot {
        let mut bot = paper_bot();
        bot.id = uuid::Uuid::new_v4().to_string();
        bot.record_trade(profit, t0());
        bot
    }

    #[test]
    fn surplus_over_the_minimum_becomes_one_new_bot() {
        let bots = vec![grown(80.0), grown(40.0), grown(-30.0)];
        let plan = plan_reinvestment(&bots, t0(), 45).unwrap();
        assert_eq!(plan.capital, 120.0);
        assert_eq!(plan.withdrawals.len(), 2);
        let moved: f64 = plan.withdrawals.iter().map(|w| w.amount).sum();
        assert_eq!(moved, 120.0);
    }

    #[test]
    fn too_little_profit_or_no_room_spawns_nothing() {
        assert_eq!(plan_reinvestment(&[grown(99.0)], t0(), 45), None);
        assert_eq!(plan_reinvestment(&[grown(500.0)], t0(), 1), None);
    }

    #[test]
    fn once_a_day() {
        let mut spawned = paper_bot();
        spawned.autopilot_spawned = true;
        spawned.created_at = t0();
        let bots = vec![grown(500.0), spawned];
        assert_eq!(
            plan_reinvestment(&bots, t0() + Duration::hours(3), 45),
            None
        );
        assert!(plan_reinvestment(&bots, t0() + Duration::days(1), 45).is_some());
    }

    #[test]
    fn live_and_stopped_bots_are_not_donors() {
        let mut live = grown(500.0);
        live.trading_mode = TradingMode::Live;
        let mut stopped = grown(500.0);
        stopped.status = BotStatus::Stopped;
        assert_eq!(plan_reinvestment(&[live, stopped], t0(), 45), None);
    }

    #[test]
    fn a_withdrawal_never_takes_a_donor_below_its_starting_capital() {
        let bot = grown(200.0);
        assert_eq!(withdrawal_amount(&bot, 150.0), 150.0);
        assert_eq!(withdrawal_amount(&bot, 1000.0), 200.0);
        assert_eq!(withdrawal_amount(&grown(-5.0), 150.0), 0.0);
        assert_eq!(withdrawal_amount(&grown(0.001), 150.0), 0.0);
    }
}
