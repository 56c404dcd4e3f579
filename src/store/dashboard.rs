//! Per-user dashboard state: custom countdowns and the once-a-day AI greeting mark.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::StoreResult;
use crate::domain::countdown::Countdown;

#[async_trait]
pub trait DashboardRepo: Send + Sync {
    /// The user's countdowns, oldest first.
    async fn countdowns(&self, user_id: &str) -> StoreResult<Vec<Countdown>>;
    /// Stores the countdown in `slot` (0-based, below the per-user maximum); a slot already
    /// taken is `StoreError::Duplicate` (the unique (user, slot) key decides races).
    async fn insert_countdown(&self, countdown: &Countdown, slot: u32) -> StoreResult<()>;
    /// False when the user has no such countdown (someone else's included).
    async fn delete_countdown(&self, user_id: &str, id: &str) -> StoreResult<bool>;
    /// Marks `day` greeted for the user; false when it already was (one insert, so two
    /// concurrent greetings cannot both win).
    async fn mark_greeted(
        &self,
        user_id: &str,
        day: NaiveDate,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Countdowns and greeting marks of the user (account deletion).
    async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64>;
}
