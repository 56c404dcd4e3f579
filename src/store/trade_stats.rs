//! The read side of trades for `/api/portfolio`, `/api/profits` and `/api/analytics/*`:
//! totals and per-day results aggregated in the database, plus a bulk import of closed trades
//! (history imports, test seeding, benchmarks). Kept apart from `trades.rs` (the write path).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;
use crate::domain::periods::PeriodBucket;
use crate::domain::trade::Trade;

pub use crate::domain::analytics::TradeTotals;

#[async_trait]
pub trait TradeStatsRepo: Send + Sync {
    /// Totals of the user's trades at or after `since` (all of them when `None`).
    async fn totals(&self, user_id: &str, since: Option<DateTime<Utc>>)
        -> StoreResult<TradeTotals>;
    /// One bucket per UTC day that has trades, on or after the day of `since` (all days when
    /// `None`), oldest first. Callers pass a UTC midnight: a bucket is a whole day.
    async fn daily_results(
        &self,
        user_id: &str,
        since: Option<DateTime<Utc>>,
    ) -> StoreResult<Vec<PeriodBucket>>;
    /// Stores already-closed trades as they are (no bot, ledger or order side effects).
    /// Returns how many were stored. Not reachable over HTTP.
    async fn import(&self, trades: &[Trade]) -> StoreResult<u64>;
}
