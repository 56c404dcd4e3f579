//! Strategy decisions (append, attach an order, read newest first).

use async_trait::async_trait;

use super::StoreResult;
use crate::domain::decision::Decision;

#[async_trait]
pub trait DecisionRepo: Send + Sync {
    async fn insert(&self, decision: &Decision) -> StoreResult<()>;
    /// Records the order a decision led to (an entry decided on a close fills at the next
    /// candle's open, after the decision was stored). False when no such decision exists.
    async fn attach_order(
        &self,
        user_id: &str,
        decision_id: &str,
        order_id: &str,
    ) -> StoreResult<bool>;
    /// One bot's decisions, newest first.
    async fn for_bot(&self, user_id: &str, bot_id: &str, limit: u32) -> StoreResult<Vec<Decision>>;
    /// All of a user's bots' decisions, newest first.
    async fn recent(&self, user_id: &str, limit: u32) -> StoreResult<Vec<Decision>>;
}
