//! The users repository contract.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;
use crate::domain::user::{User, UserStatusCounts};

#[async_trait]
pub trait UserRepo: Send + Sync {
    /// Inserts a new user; a taken email is `StoreError::Duplicate("email")`.
    async fn create(&self, user: &User) -> StoreResult<()>;
    async fn find_by_id(&self, id: &str) -> StoreResult<Option<User>>;
    /// `email` must already be normalised.
    async fn find_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    /// Replaces the stored user with `user` (matched by id); false when it does not exist.
    async fn update(&self, user: &User) -> StoreResult<bool>;
    /// Increments `token_version`, killing every outstanding token; returns the new version.
    async fn bump_token_version(&self, id: &str) -> StoreResult<Option<i64>>;
    async fn count_by_status(&self) -> StoreResult<UserStatusCounts>;
    /// Number of active admins (to protect the last one).
    async fn count_active_admins(&self) -> StoreResult<u64>;
    async fn list(&self, limit: u32, offset: u32) -> StoreResult<Vec<User>>;
    /// Records activity without rewriting the whole user.
    async fn touch_last_seen(&self, id: &str, at: DateTime<Utc>) -> StoreResult<()>;
    async fn delete(&self, id: &str) -> StoreResult<bool>;
}
