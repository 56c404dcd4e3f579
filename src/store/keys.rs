//! The API-keys repository contract: one encrypted credential set per (user, provider).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;

/// A stored credential set. `*_enc` fields hold `v1:<key id>:<base64>` envelopes only.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKeyRecord {
    pub id: String,
    pub user_id: String,
    pub provider: String,
    pub api_key_enc: String,
    pub api_secret_enc: Option<String>,
    pub passphrase_enc: Option<String>,
    /// First 4 + "..." + last 4 of the key, for display.
    pub masked_key: String,
    /// `saved_untested` | `test_ok` | `test_failed`.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_tested_at: Option<DateTime<Utc>>,
    pub last_test_error: Option<String>,
}

#[async_trait]
pub trait ApiKeyRepo: Send + Sync {
    /// Inserts or replaces the user's credentials for `record.provider` (keeps `id` and
    /// `created_at` of an existing row; resets the test status to what `record` says).
    async fn upsert(&self, record: &ApiKeyRecord) -> StoreResult<ApiKeyRecord>;
    async fn find(&self, user_id: &str, provider: &str) -> StoreResult<Option<ApiKeyRecord>>;
    async fn list_for_user(&self, user_id: &str) -> StoreResult<Vec<ApiKeyRecord>>;
    async fn delete(&self, user_id: &str, provider: &str) -> StoreResult<bool>;
    async fn record_test(
        &self,
        user_id: &str,
        provider: &str,
        status: &str,
        at: DateTime<Utc>,
        error: Option<&str>,
    ) -> StoreResult<bool>;
    async fn count_for_user(&self, user_id: &str) -> StoreResult<u64>;
    async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64>;
    /// A page of all rows ordered by id, after `after_id` (key rotation walks these).
    async fn page_all(&self, after_id: Option<&str>, limit: u32) -> StoreResult<Vec<ApiKeyRecord>>;
    /// Replaces the encrypted fields of one row only if they still equal `expected_key_enc`
    /// (so a concurrent save is never overwritten by a rotation).
    async fn replace_encrypted(
        &self,
        id: &str,
        expected_key_enc: &str,
        api_key_enc: &str,
        api_secret_enc: Option<&str>,
        passphrase_enc: Option<&str>,
    ) -> StoreResult<bool>;
}
