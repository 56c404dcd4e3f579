//! The chat repository contract: messages and conversations, always scoped by user id.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;
use crate::domain::chat::{ChatUsage, Conversation, StoredMessage};

#[async_trait]
pub trait ChatRepo: Send + Sync {
    /// Stores one message. Callers check conversation ownership first (`get_conversation`);
    /// the store does not refuse unknown conversation ids.
    async fn insert_message(&self, message: &StoredMessage) -> StoreResult<()>;

    /// The newest `limit` messages of `user_id` with `timestamp >= since`, returned oldest
    /// first. `conversation_id: None` means every message of the user (any conversation).
    async fn history(
        &self,
        user_id: &str,
        since: DateTime<Utc>,
        limit: u32,
        conversation_id: Option<&str>,
    ) -> StoreResult<Vec<StoredMessage>>;

    /// The last `n` messages of one thread, oldest first, for the provider's context.
    /// `conversation_id: None` is the default thread (messages outside any conversation).
    async fn recent_for_context(
        &self,
        user_id: &str,
        conversation_id: Option<&str>,
        n: u32,
    ) -> StoreResult<Vec<StoredMessage>>;

    /// Deletes every message and conversation of `user_id`; returns the number of messages
    /// deleted (0 when already clear, so it is idempotent).
    async fn clear(&self, user_id: &str) -> StoreResult<u64>;

    async fn create_conversation(&self, conversation: &Conversation) -> StoreResult<()>;

    /// The user's conversations, most recently active first. On every read, `message_count`
    /// is counted and `updated_at` is the later of the stored value and the newest message
    /// (derived, so storing a message is one insert with nothing to keep in sync).
    async fn list_conversations(&self, user_id: &str) -> StoreResult<Vec<Conversation>>;

    /// The conversation when `user_id` owns it; `None` for missing and for someone else's.
    async fn get_conversation(&self, user_id: &str, id: &str) -> StoreResult<Option<Conversation>>;

    /// Deletes an owned conversation and its messages; false when not found / not owned.
    async fn delete_conversation(&self, user_id: &str, id: &str) -> StoreResult<bool>;

    /// Message/conversation counts and content bytes, aggregated in the database.
    async fn usage_for_user(&self, user_id: &str) -> StoreResult<ChatUsage>;
}
