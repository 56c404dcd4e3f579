//! Helpers both storage engines share: how a deleted bot is stored, folding grouped counts
//! and sums into totals, and parsing stored day keys.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::domain::bot::{Bot, BotStatus};
use crate::store::bots::BotTotals;
use crate::store::ledger::LedgerTotals;

/// The bot as `soft_delete` stores it.
pub fn as_deleted(bot: &Bot, now: DateTime<Utc>) -> Bot {
    let mut deleted = bot.clone();
    deleted.status = BotStatus::Deleted;
    deleted.stopped_at = Some(now);
    deleted.updated_at = now;
    deleted
}

/// Folds (status, mode, count) groups into platform totals.
pub fn totals_from(rows: impl Iterator<Item = (String, String, u64)>) -> BotTotals {
    let mut totals = BotTotals::default();
    let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
    for (status, mode, n) in rows {
        totals.total += n;
        *by_status.entry(status).or_default() += n;
        if mode == "live" {
            totals.live += n;
        } else {
            totals.paper += n;
        }
    }
    totals.active = by_status.get("active").copied().unwrap_or(0);
    totals
}

/// Adds one (kind, bot) group to the totals.
pub fn fold_totals(totals: &mut LedgerTotals, kind: &str, bot: &str, sum: f64, n: u64) {
    totals.entries += n;
    *totals.by_kind.entry(kind.to_string()).or_default() += sum;
    if bot.is_empty() {
        return;
    }
    match kind {
        "fill" => *totals.fills_by_bot.entry(bot.to_string()).or_default() += sum,
        "transfer" => *totals.transfers_by_bot.entry(bot.to_string()).or_default() += sum,
        _ => {}
    }
}

/// `YYYY-MM-DD` -> that UTC midnight.
pub fn day_start(day: &str) -> Option<DateTime<Utc>> {
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .ok()
        .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc())
}
