//! The tokens repository contract: revoked access-token ids and rotating refresh tokens.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;

/// A stored refresh token (only its SHA-256 hash is kept).
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshToken {
    pub token_hash: String,
    pub user_id: String,
    /// All tokens rotated from one login share a family; re-use revokes the family.
    pub family_id: String,
    /// The user's `token_version` when issued; a bump kills the token.
    pub token_version: i64,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait TokenRepo: Send + Sync {
    /// Revokes an access token id until `expires_at` (idempotent).
    async fn revoke_jti(
        &self,
        jti: &str,
        user_id: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    async fn is_jti_revoked(&self, jti: &str) -> StoreResult<bool>;
    async fn insert_refresh(&self, token: &RefreshToken) -> StoreResult<()>;
    async fn find_refresh(&self, token_hash: &str) -> StoreResult<Option<RefreshToken>>;
    /// Marks the token used if (and only if) it was unused and not revoked; false means it
    /// was already used or revoked (a re-use, or a lost race with a concurrent refresh).
    async fn mark_refresh_used(&self, token_hash: &str, at: DateTime<Utc>) -> StoreResult<bool>;
    /// Revokes every token of a family; returns how many were newly revoked.
    async fn revoke_family(&self, family_id: &str, at: DateTime<Utc>) -> StoreResult<u64>;
    /// Revokes one refresh token if it belongs to `user_id`.
    async fn revoke_refresh(
        &self,
        token_hash: &str,
        user_id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Deletes expired rows (Mongo also has TTL indexes; SQLite relies on this).
    async fn purge_expired(&self, now: DateTime<Utc>) -> StoreResult<u64>;
    /// Removes every token row of a user (account deletion).
    async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64>;
}
