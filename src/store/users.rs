//! The users repository contract.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;
use crate::domain::user::{User, UserStatusCounts};

/// What a user may change about their own account. `None` leaves a field as stored.
///
/// Deliberately has no role, status or absolute `token_version`: a profile write must never
/// undo an admin's concurrent block, promotion or token-version bump.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfileChanges {
    pub first_name: Option<String>,
    pub currency: Option<String>,
    /// Already normalised; a taken email is `StoreError::Duplicate("email")`.
    pub email: Option<String>,
    /// A new password hash: also clears `must_change_password` and increments `token_version`
    /// (relative to the stored value), so every older token dies.
    pub password_hash: Option<String>,
}

#[async_trait]
pub trait UserRepo: Send + Sync {
    /// Inserts a new user; a taken email is `StoreError::Duplicate("email")`.
    async fn create(&self, user: &User) -> StoreResult<()>;
    async fn find_by_id(&self, id: &str) -> StoreResult<Option<User>>;
    /// The user an access token names, or `None` when there is no such user or the token's
    /// `jti` is revoked (both are the same 401). One lookup per authenticated request, so the
    /// engines answer it in one round trip where they can.
    async fn find_for_token(&self, id: &str, jti: &str) -> StoreResult<Option<User>>;
    /// `email` must already be normalised.
    async fn find_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    /// Replaces the stored user with `user` (matched by id); false when it does not exist.
    async fn update(&self, user: &User) -> StoreResult<bool>;
    /// Writes only the given profile fields (and `updated_at`) in one statement; returns the
    /// user as stored afterwards, or `None` when it does not exist.
    async fn update_profile(
        &self,
        id: &str,
        changes: &ProfileChanges,
        updated_at: DateTime<Utc>,
    ) -> StoreResult<Option<User>>;
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
