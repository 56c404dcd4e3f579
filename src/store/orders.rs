//! The orders repository contract: one record per valid submission. A unique index on
//! (user, idempotency key) makes two concurrent submits with one key produce one order.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;
use crate::domain::order_record::OrderRecord;

#[async_trait]
pub trait OrderRepo: Send + Sync {
    /// Inserts a new record; `Duplicate("idempotency_key")` when the user already used the key.
    async fn insert(&self, order: &OrderRecord) -> StoreResult<()>;
    /// One of the user's orders by id.
    async fn find(&self, user_id: &str, id: &str) -> StoreResult<Option<OrderRecord>>;
    async fn find_by_key(&self, user_id: &str, key: &str) -> StoreResult<Option<OrderRecord>>;
    /// Replaces a still-pending record with its outcome; false when it is no longer pending.
    async fn finish(&self, order: &OrderRecord) -> StoreResult<bool>;
    /// The user's pending orders, oldest first.
    async fn list_pending(&self, user_id: &str, limit: u32) -> StoreResult<Vec<OrderRecord>>;
    /// Orders of the bot refused at the `execution` stage since `since` (the breaker's errors).
    async fn count_errors_since(
        &self,
        user_id: &str,
        bot_id: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<u32>;
    async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64>;
}
