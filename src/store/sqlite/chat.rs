//! SQLite implementation of `ChatRepo` (tables `chat_messages`, `conversations`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

use super::{from_millis, map_err, to_millis};
use crate::domain::chat::{ChatRole, ChatUsage, Conversation, StoredMessage};
use crate::store::{ChatRepo, StoreError, StoreResult};

pub(super) struct SqliteChat {
    pub(super) pool: SqlitePool,
}

const MESSAGE_COLUMNS: &str = "id, user_id, conversation_id, role, content, model_used, timestamp";

/// Conversations with their message count and `updated_at` moved up to the newest message,
/// both computed by the database (index seeks on `chat_messages_user_conversation`).
/// `{filter}` is spliced into the inner WHERE clause.
fn conversation_select(filter: &str) -> String {
    format!(
        "SELECT id, user_id, title, created_at, MAX(updated_at, COALESCE(last_at, 0)) AS updated_at, \
         message_count, rid FROM (SELECT c.rowid AS rid, c.id, c.user_id, c.title, c.created_at, \
         c.updated_at, \
         (SELECT COUNT(*) FROM chat_messages m WHERE m.user_id = c.user_id AND m.conversation_id = c.id) \
         AS message_count, \
         (SELECT MAX(timestamp) FROM chat_messages m WHERE m.user_id = c.user_id AND m.conversation_id = c.id) \
         AS last_at FROM conversations c WHERE {filter})"
    )
}

fn row_to_message(row: &SqliteRow) -> StoreResult<StoredMessage> {
    let role: String = row.try_get("role").map_err(map_err)?;
    Ok(StoredMessage {
        id: row.try_get("id").map_err(map_err)?,
        user_id: row.try_get("user_id").map_err(map_err)?,
        conversation_id: row.try_get("conversation_id").map_err(map_err)?,
        role: ChatRole::parse(&role)
            .ok_or_else(|| StoreError::Other(format!("bad chat role {role}")))?,
        content: row.try_get("content").map_err(map_err)?,
        model_used: row.try_get("model_used").map_err(map_err)?,
        timestamp: from_millis(row.try_get("timestamp").map_err(map_err)?),
    })
}

fn row_to_conversation(row: &SqliteRow) -> StoreResult<Conversation> {
    Ok(Conversation {
        id: row.try_get("id").map_err(map_err)?,
        user_id: row.try_get("user_id").map_err(map_err)?,
        title: row.try_get("title").map_err(map_err)?,
        created_at: from_millis(row.try_get("created_at").map_err(map_err)?),
        updated_at: from_millis(row.try_get("updated_at").map_err(map_err)?),
        message_count: row
            .try_get::<i64, _>("message_count")
            .map_err(map_err)?
            .max(0) as u64,
    })
}

/// Newest first from the database, then flipped: callers always get oldest first.
/// `rowid` breaks ties between messages stored in the same millisecond (insertion order).
fn oldest_first(rows: Vec<SqliteRow>) -> StoreResult<Vec<StoredMessage>> {
    let mut messages = rows
        .iter()
        .map(row_to_message)
        .collect::<StoreResult<Vec<_>>>()?;
    messages.reverse();
    Ok(messages)
}

#[async_trait]
impl ChatRepo for SqliteChat {
    async fn insert_message(&self, m: &StoredMessage) -> StoreResult<()> {
        sqlx::query(&format!(
            "INSERT INTO chat_messages ({MESSAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(&m.id)
        .bind(&m.user_id)
        .bind(&m.conversation_id)
        .bind(m.role.as_str())
        .bind(&m.content)
        .bind(&m.model_used)
        .bind(to_millis(m.timestamp))
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn history(
        &self,
        user_id: &str,
        since: DateTime<Utc>,
        limit: u32,
        conversation_id: Option<&str>,
    ) -> StoreResult<Vec<StoredMessage>> {
        let conversation_filter = if conversation_id.is_some() {
            "AND conversation_id = ?"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM chat_messages WHERE user_id = ? AND timestamp >= ? \
             {conversation_filter} ORDER BY timestamp DESC, rowid DESC LIMIT ?"
        );
        let mut query = sqlx::query(&sql).bind(user_id).bind(to_millis(since));
        if let Some(id) = conversation_id {
            query = query.bind(id);
        }
        let rows = query
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        oldest_first(rows)
    }

    async fn recent_for_context(
        &self,
        user_id: &str,
        conversation_id: Option<&str>,
        n: u32,
    ) -> StoreResult<Vec<StoredMessage>> {
        // `IS` matches NULL (the default thread) as well as a concrete id.
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM chat_messages WHERE user_id = ? AND conversation_id IS ? \
             ORDER BY timestamp DESC, rowid DESC LIMIT ?"
        ))
        .bind(user_id)
        .bind(conversation_id)
        .bind(i64::from(n))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        oldest_first(rows)
    }

    async fn clear(&self, user_id: &str) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let deleted = sqlx::query("DELETE FROM chat_messages WHERE user_id = ?")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?
            .rows_affected();
        sqlx::query("DELETE FROM conversations WHERE user_id = ?")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(deleted)
    }

    async fn create_conversation(&self, c: &Conversation) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO conversations (id, user_id, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&c.id)
        .bind(&c.user_id)
        .bind(&c.title)
        .bind(to_millis(c.created_at))
        .bind(to_millis(c.updated_at))
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn list_conversations(&self, user_id: &str) -> StoreResult<Vec<Conversation>> {
        let sql = format!(
            "{} ORDER BY updated_at DESC, rid DESC",
            conversation_select("c.user_id = ?")
        );
        let rows = sqlx::query(&sql)
            .bind(user_id)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(row_to_conversation).collect()
    }

    async fn get_conversation(&self, user_id: &str, id: &str) -> StoreResult<Option<Conversation>> {
        let row = sqlx::query(&conversation_select("c.id = ? AND c.user_id = ?"))
            .bind(id)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.as_ref().map(row_to_conversation).transpose()
    }

    async fn delete_conversation(&self, user_id: &str, id: &str) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let deleted = sqlx::query("DELETE FROM conversations WHERE id = ? AND user_id = ?")
            .bind(id)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?
            .rows_affected()
            == 1;
        if deleted {
            sqlx::query("DELETE FROM chat_messages WHERE user_id = ? AND conversation_id = ?")
                .bind(user_id)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)?;
        Ok(deleted)
    }

    async fn usage_for_user(&self, user_id: &str) -> StoreResult<ChatUsage> {
        // CAST AS BLOB makes length() count UTF-8 bytes (as Mongo's $strLenBytes), not chars.
        let (messages, bytes, conversations): (i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM chat_messages WHERE user_id = ?), \
             (SELECT COALESCE(SUM(length(CAST(content AS BLOB))), 0) FROM chat_messages WHERE user_id = ?), \
             (SELECT COUNT(*) FROM conversations WHERE user_id = ?)",
        )
        .bind(user_id)
        .bind(user_id)
        .bind(user_id)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(ChatUsage {
            messages: messages.max(0) as u64,
            conversations: conversations.max(0) as u64,
            bytes: bytes.max(0) as u64,
        })
    }
}
