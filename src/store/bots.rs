//! The bots repository contract. Caps and name uniqueness are enforced by the database so
//! concurrent creates cannot overshoot them.
//!
//! Concurrent writers (a fill, the bodyguard, the autopilot, a user's request) never undo each
//! other: every write bumps the bot's `version`, and `save` only replaces the version it read
//! (optimistic concurrency). A caller that lost the race re-reads and re-applies its change
//! (`update_bot`). So a fill booked between an engine's read and its save is never wiped, and a
//! pause is never undone by a fill. Capital moved outside fills goes through `transfer_capital`,
//! a relative update that needs no read at all.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{StoreError, StoreResult};
use crate::domain::bot::{Bot, BotStatus};

/// Limits that must hold after an insert.
#[derive(Debug, Clone, Copy)]
pub struct BotCaps {
    pub exchange_max: u32,
    pub total_max: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateOutcome {
    Created,
    ExchangeLimit,
    TotalLimit,
    DuplicateName,
}

/// Aggregates over a user's (non-deleted) bots, computed in the database.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BotSummary {
    pub total: u64,
    pub by_status: BTreeMap<String, u64>,
    /// "exchange/mode" -> count, e.g. "luno/paper".
    pub by_exchange_mode: BTreeMap<String, u64>,
    pub initial_capital: f64,
    pub total_capital: f64,
    pub total_profit: f64,
}

impl BotSummary {
    pub fn status_count(&self, status: BotStatus) -> u64 {
        self.by_status.get(status.as_str()).copied().unwrap_or(0)
    }
    pub fn exchange_count(&self, exchange: &str) -> u64 {
        self.by_exchange_mode
            .iter()
            .filter(|(k, _)| k.split('/').next() == Some(exchange))
            .map(|(_, n)| n)
            .sum()
    }
}

/// Platform-wide bot counts for `/api/status`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BotTotals {
    pub total: u64,
    pub active: u64,
    pub live: u64,
    pub paper: u64,
}

/// Case-insensitive name key used for uniqueness among a user's live (non-deleted) bots.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Deleted bots free their name: the key becomes unique by construction.
pub fn deleted_name_key(bot_id: &str) -> String {
    format!("\u{0}deleted:{bot_id}")
}

#[async_trait]
pub trait BotRepo: Send + Sync {
    /// Inserts `bot` if the user's per-exchange and total caps still allow it and the name is free.
    async fn create(&self, bot: &Bot, caps: BotCaps) -> StoreResult<CreateOutcome>;
    /// All or nothing: every bot (same user, same exchange) or none.
    async fn create_many(&self, bots: &[Bot], caps: BotCaps) -> StoreResult<CreateOutcome>;
    /// A non-deleted bot of this user.
    async fn find(&self, user_id: &str, id: &str) -> StoreResult<Option<Bot>>;
    /// A non-deleted bot of anyone (admin, engines).
    async fn find_any(&self, id: &str) -> StoreResult<Option<Bot>>;
    /// The user's non-deleted bots, oldest first, optionally of one status.
    async fn list(&self, user_id: &str, status: Option<BotStatus>) -> StoreResult<Vec<Bot>>;
    /// A number that changes with every write to the user's bots, by any process on this
    /// database, or `None` when the engine keeps none (then nothing may be cached on it).
    /// SQLite: kept by triggers in the same transaction as the write (migration 0022).
    async fn list_revision(&self, _user_id: &str) -> StoreResult<Option<i64>> {
        Ok(None)
    }
    /// Non-deleted bots of every user (admin), oldest first.
    async fn list_all(&self, limit: u32, offset: u32) -> StoreResult<Vec<Bot>>;
    /// Non-deleted bots in `status` across users (engines).
    async fn list_by_status(&self, status: BotStatus, limit: u32) -> StoreResult<Vec<Bot>>;
    /// Replaces a non-deleted bot (matched by id and user) if it is still at `bot.version`,
    /// storing it as `bot.version + 1`. False when the bot is gone or was written since it was
    /// read (use `update_bot` to re-apply the change); `Duplicate("name")` on a taken name.
    async fn save(&self, bot: &Bot) -> StoreResult<bool>;
    /// Adds `delta` (negative: takes it out) to the bot's capital and its peaks in one relative
    /// update: a transfer is neither a profit nor a drawdown. With `floor`, only if the capital
    /// stays at or above it. False when the bot is gone or the floor would be crossed.
    async fn transfer_capital(
        &self,
        user_id: &str,
        id: &str,
        delta: f64,
        floor: Option<f64>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Marks the bot deleted (its name becomes free); returns it as it was before.
    async fn soft_delete(
        &self,
        user_id: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Bot>>;
    async fn summary(&self, user_id: &str) -> StoreResult<BotSummary>;
    async fn totals(&self) -> StoreResult<BotTotals>;
    /// (count, approximate bytes) of the user's bot rows.
    async fn usage_for_user(&self, user_id: &str) -> StoreResult<(u64, u64)>;
    /// Hard delete (account deletion).
    async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64>;
    /// Zeroes `daily_profit` and `daily_trade_count` of every bot whose last trade was before
    /// `day_start` (a UTC midnight) and whose counters are not zero yet; returns how many.
    /// Idempotent, so any instance may run it any number of times.
    async fn reset_daily_counters(&self, day_start: DateTime<Utc>) -> StoreResult<u64>;
    /// Pauses every active bot of the user with one conditional statement (emergency stop,
    /// bodyguard): `status`, `pause_reason` and `updated_at` change, nothing else. Returns the
    /// bots it paused, as they are now.
    async fn pause_all_active(
        &self,
        user_id: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Bot>>;
    /// Compare-and-set of a status change: writes `bot`'s lifecycle fields (see
    /// `LIFECYCLE_FIELDS`) only while the stored bot (same id and user, not deleted) is still in
    /// one of `from`, and returns the bot as stored afterwards (with its new version and any
    /// fill booked meanwhile). `None` when it is not (changed meanwhile, deleted, or someone
    /// else's). Fill-owned fields (capital, profit, counters) are never touched.
    async fn transition_status(&self, bot: &Bot, from: &[BotStatus]) -> StoreResult<Option<Bot>>;
}

/// How often `update_bot` re-reads and re-applies a change after losing a race.
pub const UPDATE_ATTEMPTS: usize = 50;

/// Read-modify-write of one bot that survives concurrent writers: `change` is applied to the
/// bot as stored (first to `loaded`, when the caller already read it) and saved; if another
/// write got in between, the bot is read again and `change` applied again. `change` returns
/// `Ok(false)` to write nothing (e.g. a refused transition).
///
/// Returns `None` when the bot is gone, else the bot as stored (or as found, when `change`
/// declined) and whether it was written.
pub async fn update_bot<E, F>(
    repo: &dyn BotRepo,
    loaded: Option<Bot>,
    user_id: &str,
    id: &str,
    mut change: F,
) -> Result<Option<(Bot, bool)>, E>
where
    E: From<StoreError>,
    F: FnMut(&mut Bot) -> Result<bool, E>,
{
    let mut next = loaded;
    for _ in 0..UPDATE_ATTEMPTS {
        let mut bot = match next.take() {
            Some(bot) => bot,
            None => match repo.find(user_id, id).await? {
                Some(bot) => bot,
                None => return Ok(None),
            },
        };
        if !change(&mut bot)? {
            return Ok(Some((bot, false)));
        }
        if repo.save(&bot).await? {
            bot.version += 1;
            return Ok(Some((bot, true)));
        }
        tokio::task::yield_now().await;
    }
    Err(StoreError::Unavailable("the bot kept changing; try again".into()).into())
}

/// The checks both engines make before `transition_status`: nothing to do without a `from`
/// status, and deleting goes through `soft_delete` (it also frees the bot's slot).
pub fn transition_applies(bot: &Bot, from: &[BotStatus]) -> StoreResult<bool> {
    if bot.status == BotStatus::Deleted {
        return Err(StoreError::Other(
            "transition_status cannot delete; use soft_delete".into(),
        ));
    }
    Ok(!from.is_empty())
}

/// The fields a status change writes (`status_machine::apply` sets exactly these).
pub const LIFECYCLE_FIELDS: [&str; 8] = [
    "status",
    "pause_reason",
    "started_at",
    "stopped_at",
    "promoted_at",
    "bay_entered_at",
    "retraining_until",
    "updated_at",
];
