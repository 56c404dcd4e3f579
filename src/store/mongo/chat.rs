//! MongoDB implementation of `ChatRepo` (collections `chat_messages`, `conversations`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, DateTime as BsonDateTime, Document};
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::users::count_field;
use super::{from_bson, map_err, to_bson};
use crate::domain::chat::{ChatRole, ChatUsage, Conversation, StoredMessage};
use crate::store::{ChatRepo, StoreError, StoreResult};

/// Tie-breaker for messages stored in the same millisecond (a prompt and a stored-only
/// message, say): Mongo has no insertion order to sort by, so each insert takes the next
/// number. Process-local is enough: ties only matter within one millisecond.
static SEQUENCE: AtomicI64 = AtomicI64::new(0);

#[derive(Debug, Serialize, Deserialize)]
struct MessageDoc {
    #[serde(rename = "_id")]
    id: String,
    user_id: String,
    conversation_id: Option<String>,
    role: String,
    content: String,
    model_used: Option<String>,
    timestamp: BsonDateTime,
    #[serde(default)]
    seq: i64,
}

impl TryFrom<MessageDoc> for StoredMessage {
    type Error = StoreError;
    fn try_from(d: MessageDoc) -> Result<Self, StoreError> {
        Ok(StoredMessage {
            role: ChatRole::parse(&d.role)
                .ok_or_else(|| StoreError::Other(format!("bad chat role {}", d.role)))?,
            id: d.id,
            user_id: d.user_id,
            conversation_id: d.conversation_id,
            content: d.content,
            model_used: d.model_used,
            timestamp: from_bson(d.timestamp),
        })
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct ConversationDoc {
    #[serde(rename = "_id")]
    id: String,
    user_id: String,
    title: String,
    created_at: BsonDateTime,
    updated_at: BsonDateTime,
}

impl ConversationDoc {
    fn into_domain(self, message_count: u64) -> Conversation {
        Conversation {
            id: self.id,
            user_id: self.user_id,
            title: self.title,
            created_at: from_bson(self.created_at),
            updated_at: from_bson(self.updated_at),
            message_count,
        }
    }
}

pub(super) struct MongoChat {
    messages: Collection<MessageDoc>,
    conversations: Collection<ConversationDoc>,
}

impl MongoChat {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            messages: db.collection("chat_messages"),
            conversations: db.collection("conversations"),
        }
    }

    /// Newest `limit` matches, returned oldest first. `limit == 0` is answered here because
    /// a Mongo limit of 0 means "no limit".
    async fn newest(&self, filter: Document, limit: u32) -> StoreResult<Vec<StoredMessage>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let cursor = self
            .messages
            .find(filter)
            .sort(doc! {"timestamp": -1, "seq": -1})
            .limit(i64::from(limit))
            .await
            .map_err(map_err)?;
        let docs: Vec<MessageDoc> = cursor.try_collect().await.map_err(map_err)?;
        let mut messages = docs
            .into_iter()
            .map(StoredMessage::try_from)
            .collect::<StoreResult<Vec<_>>>()?;
        messages.reverse();
        Ok(messages)
    }

    /// Message counts per conversation for `ids`, grouped in the database.
    async fn counts(&self, user_id: &str, ids: &[String]) -> StoreResult<HashMap<String, u64>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let pipeline = vec![
            doc! {"$match": {"user_id": user_id, "conversation_id": {"$in": ids}}},
            doc! {"$group": {"_id": "$conversation_id", "n": {"$sum": 1}}},
        ];
        let mut cursor = self.messages.aggregate(pipeline).await.map_err(map_err)?;
        let mut counts = HashMap::new();
        while let Some(row) = cursor.try_next().await.map_err(map_err)? {
            if let Ok(id) = row.get_str("_id") {
                counts.insert(id.to_string(), count_field(&row));
            }
        }
        Ok(counts)
    }
}

#[async_trait]
impl ChatRepo for MongoChat {
    async fn insert_message(&self, m: &StoredMessage) -> StoreResult<()> {
        let doc = MessageDoc {
            id: m.id.clone(),
            user_id: m.user_id.clone(),
            conversation_id: m.conversation_id.clone(),
            role: m.role.as_str().into(),
            content: m.content.clone(),
            model_used: m.model_used.clone(),
            timestamp: to_bson(m.timestamp),
            seq: SEQUENCE.fetch_add(1, Ordering::Relaxed),
        };
        self.messages.insert_one(doc).await.map_err(map_err)?;
        if let Some(conversation_id) = &m.conversation_id {
            // `$max` only ever moves updated_at forward, even for back-dated messages.
            self.conversations
                .update_one(
                    doc! {"_id": conversation_id, "user_id": &m.user_id},
                    doc! {"$max": {"updated_at": to_bson(m.timestamp)}},
                )
                .await
                .map_err(map_err)?;
        }
        Ok(())
    }

    async fn history(
        &self,
        user_id: &str,
        since: DateTime<Utc>,
        limit: u32,
        conversation_id: Option<&str>,
    ) -> StoreResult<Vec<StoredMessage>> {
        let mut filter = doc! {"user_id": user_id, "timestamp": {"$gte": to_bson(since)}};
        if let Some(id) = conversation_id {
            filter.insert("conversation_id", id);
        }
        self.newest(filter, limit).await
    }

    async fn recent_for_context(
        &self,
        user_id: &str,
        conversation_id: Option<&str>,
        n: u32,
    ) -> StoreResult<Vec<StoredMessage>> {
        // A null filter value matches the default thread (null or missing field).
        self.newest(
            doc! {"user_id": user_id, "conversation_id": conversation_id},
            n,
        )
        .await
    }

    async fn clear(&self, user_id: &str) -> StoreResult<u64> {
        let deleted = self
            .messages
            .delete_many(doc! {"user_id": user_id})
            .await
            .map_err(map_err)?
            .deleted_count;
        self.conversations
            .delete_many(doc! {"user_id": user_id})
            .await
            .map_err(map_err)?;
        Ok(deleted)
    }

    async fn create_conversation(&self, c: &Conversation) -> StoreResult<()> {
        let doc = ConversationDoc {
            id: c.id.clone(),
            user_id: c.user_id.clone(),
            title: c.title.clone(),
            created_at: to_bson(c.created_at),
            updated_at: to_bson(c.updated_at),
        };
        self.conversations.insert_one(doc).await.map_err(map_err)?;
        Ok(())
    }

    async fn list_conversations(&self, user_id: &str) -> StoreResult<Vec<Conversation>> {
        let cursor = self
            .conversations
            .find(doc! {"user_id": user_id})
            .sort(doc! {"updated_at": -1, "created_at": -1})
            .await
            .map_err(map_err)?;
        let docs: Vec<ConversationDoc> = cursor.try_collect().await.map_err(map_err)?;
        let ids: Vec<String> = docs.iter().map(|d| d.id.clone()).collect();
        let counts = self.counts(user_id, &ids).await?;
        Ok(docs
            .into_iter()
            .map(|d| {
                let n = counts.get(&d.id).copied().unwrap_or(0);
                d.into_domain(n)
            })
            .collect())
    }

    async fn get_conversation(&self, user_id: &str, id: &str) -> StoreResult<Option<Conversation>> {
        let Some(found) = self
            .conversations
            .find_one(doc! {"_id": id, "user_id": user_id})
            .await
            .map_err(map_err)?
        else {
            return Ok(None);
        };
        let n = self
            .messages
            .count_documents(doc! {"user_id": user_id, "conversation_id": id})
            .await
            .map_err(map_err)?;
        Ok(Some(found.into_domain(n)))
    }

    async fn delete_conversation(&self, user_id: &str, id: &str) -> StoreResult<bool> {
        // Messages first (they are filtered by owner too): if the second step fails, the
        // conversation is still there and a retried delete finishes the job.
        self.messages
            .delete_many(doc! {"user_id": user_id, "conversation_id": id})
            .await
            .map_err(map_err)?;
        let deleted = self
            .conversations
            .delete_one(doc! {"_id": id, "user_id": user_id})
            .await
            .map_err(map_err)?
            .deleted_count
            == 1;
        Ok(deleted)
    }

    async fn usage_for_user(&self, user_id: &str) -> StoreResult<ChatUsage> {
        let pipeline = vec![
            doc! {"$match": {"user_id": user_id}},
            doc! {"$group": {
                "_id": null,
                "n": {"$sum": 1},
                "bytes": {"$sum": {"$strLenBytes": "$content"}},
            }},
        ];
        let mut cursor = self.messages.aggregate(pipeline).await.map_err(map_err)?;
        let mut usage = ChatUsage::default();
        if let Some(row) = cursor.try_next().await.map_err(map_err)? {
            usage.messages = count_field(&row);
            usage.bytes = row
                .get_i64("bytes")
                .ok()
                .or_else(|| row.get_i32("bytes").ok().map(i64::from))
                .unwrap_or(0)
                .max(0) as u64;
        }
        usage.conversations = self
            .conversations
            .count_documents(doc! {"user_id": user_id})
            .await
            .map_err(map_err)?;
        Ok(usage)
    }
}
