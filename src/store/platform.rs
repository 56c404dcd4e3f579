//! Cross-user aggregates for the admin dashboard and `/api/status`: storage used per user
//! and platform-wide bot and trade counts, all computed in the database.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::StoreResult;
pub use crate::domain::storage::StoredKind;

/// Rows one user holds in one collection and their approximate size in bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserUsage {
    pub user_id: String,
    pub count: u64,
    pub bytes: u64,
}

/// Trades across every user. All zero while the trades collection does not exist yet.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TradeTotals {
    pub total: u64,
    /// Trades with `timestamp >= since` (the start of the UTC day for `/api/status`).
    pub since: u64,
    pub total_profit: f64,
}

/// Non-deleted bots across every user, grouped by (status, trading mode).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BotGroup {
    pub status: String,
    pub trading_mode: String,
    pub count: u64,
    pub total_profit: f64,
}

#[async_trait]
pub trait PlatformRepo: Send + Sync {
    /// One row per user owning anything in `kind` (one grouped query). SQLite sizes are the
    /// sum of the byte lengths of each row's columns; MongoDB sizes are `$bsonSize`.
    /// A collection that does not exist yet reports nothing.
    async fn storage_by_user(&self, kind: StoredKind) -> StoreResult<Vec<UserUsage>>;
    async fn trade_totals(&self, since: DateTime<Utc>) -> StoreResult<TradeTotals>;
    async fn bot_groups(&self) -> StoreResult<Vec<BotGroup>>;
}
