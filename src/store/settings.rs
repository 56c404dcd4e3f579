//! Repository contracts for per-user settings (modes, emergency stop) and alerts.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;
use crate::domain::settings::{Alert, SystemMode, UserSettings};

#[async_trait]
pub trait SettingsRepo: Send + Sync {
    /// The user's settings, or the defaults when none were saved.
    async fn get(&self, user_id: &str, now: DateTime<Utc>) -> StoreResult<UserSettings>;
    async fn set_mode(
        &self,
        user_id: &str,
        mode: SystemMode,
        enabled: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<UserSettings>;
    async fn set_emergency_stop(
        &self,
        user_id: &str,
        on: bool,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<UserSettings>;
    /// Users who switched `mode` on (engines iterate these).
    async fn users_with_mode(&self, mode: SystemMode) -> StoreResult<Vec<String>>;
    async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64>;
}

#[async_trait]
pub trait AlertRepo: Send + Sync {
    async fn insert(&self, alert: &Alert) -> StoreResult<()>;
    /// Newest first.
    async fn list(
        &self,
        user_id: &str,
        limit: u32,
        include_acknowledged: bool,
    ) -> StoreResult<Vec<Alert>>;
    async fn acknowledge(&self, user_id: &str, id: &str) -> StoreResult<bool>;
    /// Deletes all of the user's alerts; returns how many.
    async fn clear(&self, user_id: &str) -> StoreResult<u64>;
    /// (count, approximate bytes) computed in the database.
    async fn usage_for_user(&self, user_id: &str) -> StoreResult<(u64, u64)>;
}
