//! The trades repository contract: booking a paper fill as one logical write, and the queries
//! behind `/api/trades*`, the limit gate and the circuit breaker. Aggregations run in the
//! database.
//!
//! `record_fill` writes the trade, the bot's new numbers (`Bot::record_trade`), the ledger
//! entry and the order's outcome together. SQLite does it in one `BEGIN IMMEDIATE`
//! transaction. MongoDB (no multi-document transactions assumed) uses a write-ahead trade
//! document; see `store/mongo/trades_write.rs` for the crash-safety argument, and `repair`,
//! which finishes interrupted fills (called at boot and before trade reads).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;
use crate::domain::bot::Bot;
use crate::domain::gates::LimitCounts;
use crate::domain::ledger::NewLedgerEntry;
use crate::domain::order_record::OrderRecord;
use crate::domain::periods::PeriodBucket;
use crate::domain::portfolio::PnlPoint;
use crate::domain::trade::{Trade, TradeQuery, TradeStats};

/// Everything one paper fill writes.
#[derive(Debug, Clone)]
pub struct FillWrite {
    pub trade: Trade,
    /// The order in its final (filled) state.
    pub order: OrderRecord,
}

impl FillWrite {
    /// The ledger entry booked with the trade (`trade::fill_ledger_entry`).
    pub fn ledger(&self) -> NewLedgerEntry {
        crate::domain::trade::fill_ledger_entry(&self.trade)
    }
}

/// What the limit gate counts, for one order.
#[derive(Debug, Clone)]
pub struct LimitScope<'a> {
    pub user_id: &'a str,
    pub bot_id: &'a str,
    pub exchange: &'a str,
    pub day_start: DateTime<Utc>,
    pub burst_start: DateTime<Utc>,
}

#[async_trait]
pub trait TradeRepo: Send + Sync {
    /// Books the fill; returns the bot as updated. Fails (writing nothing) when the bot is gone.
    async fn record_fill(&self, write: &FillWrite) -> StoreResult<Bot>;
    /// Completes fills a crash interrupted (MongoDB; nothing to do on SQLite), for one user or
    /// all. Returns how many were completed.
    async fn repair(&self, user_id: Option<&str>) -> StoreResult<u64>;
    async fn find(&self, user_id: &str, id: &str) -> StoreResult<Option<Trade>>;
    /// Newest first.
    async fn recent(&self, user_id: &str, limit: u32) -> StoreResult<Vec<Trade>>;
    /// Newest first, filtered, after the cursor.
    async fn page(&self, user_id: &str, query: &TradeQuery) -> StoreResult<Vec<Trade>>;
    async fn stats(&self, user_id: &str, bot_id: Option<&str>) -> StoreResult<TradeStats>;
    /// Sum of `profit_loss` at or after `since` (one bot or all the user's bots).
    async fn pnl_since(
        &self,
        user_id: &str,
        bot_id: Option<&str>,
        since: DateTime<Utc>,
    ) -> StoreResult<f64>;
    /// Trades today for the bot and the user, and on the exchange in the burst window.
    async fn limit_counts(&self, scope: &LimitScope<'_>) -> StoreResult<LimitCounts>;
    /// Losing trades in a row at the end of the bot's history (only trades after `since`),
    /// counting at most `max`.
    async fn consecutive_losses(
        &self,
        user_id: &str,
        bot_id: &str,
        since: Option<DateTime<Utc>>,
        max: u32,
    ) -> StoreResult<u32>;
    /// One bucket per UTC day with trades at or after `since`, oldest first
    /// (`periods::fill_empty_periods` folds them into weeks or months).
    async fn daily_buckets(
        &self,
        user_id: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<PeriodBucket>>;
    /// Per-trade results in time order (oldest first), at most `limit`, for equity curves.
    async fn pnl_points(
        &self,
        user_id: &str,
        since: Option<DateTime<Utc>>,
        limit: u32,
    ) -> StoreResult<Vec<PnlPoint>>;
    async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64>;
}
