//! Live orders (whole documents, optimistic versioning): what the tracker polls, what the
//! daily notional cap sums, and what reconciliation compares with the exchange.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;
use crate::domain::live_order::LiveOrder;

#[async_trait]
pub trait LiveOrderRepo: Send + Sync {
    async fn insert(&self, order: &LiveOrder) -> StoreResult<()>;
    /// Saves `order` if the stored copy still has `order.version - 1`; false when someone saved
    /// in between (the caller re-reads and retries).
    async fn save(&self, order: &LiveOrder) -> StoreResult<bool>;
    async fn find(&self, user_id: &str, id: &str) -> StoreResult<Option<LiveOrder>>;
    /// The live order executing the pipeline record `order_record_id`.
    async fn find_by_record(
        &self,
        user_id: &str,
        order_record_id: &str,
    ) -> StoreResult<Option<LiveOrder>>;
    /// The user's live orders (one bot's, or all), newest first.
    async fn list(
        &self,
        user_id: &str,
        bot_id: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<LiveOrder>>;
    /// Orders not terminal yet, or terminal but not booked, due for a poll at `now`
    /// (every user), oldest poll first.
    async fn due(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<LiveOrder>>;
    /// The user's open orders (not terminal).
    async fn open_for_user(&self, user_id: &str) -> StoreResult<Vec<LiveOrder>>;
    /// Sum of `notional` of the user's orders created at or after `since`, rejected ones
    /// excepted (the daily cap).
    async fn notional_since(&self, user_id: &str, since: DateTime<Utc>) -> StoreResult<f64>;
    async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64>;
}
