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
    /// The domain view: `updated_at` also counts the newest message (see `ChatRepo`).
    fn into_domain(self, activity: Option<&Activity>) -> Conversation {
        let stored = from_bson(self.updated_at);
        Conversation {
            id: self.id,
            user_id: self.user_id,
            title: self.title,
            created_at: from_bson(self.created_at),
            updated_at: activity
                .and_then(|a| a.last)
                .map_or(stored, |last| last.max(stored)),
            message_count: activity.map_or(0, |a| a.count),
        }
    }
}

/// Message count and newest message time of one conversation.
struct Activity {
    count: u64,
    last: Option<DateTime<Utc>>,
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

    /// Message count and newest timestamp per conversation in `ids`, grouped in the database.
    async fn activity(
        &self,
        user_id: &str,
        ids: &[String],
    ) -> StoreResult<HashMap<String, Activity>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let pipeline = vec![
            doc! {"$match": {"user_id": user_id, "conversation_id": {"$in": ids}}},
            // Sorted newest first so `$first` is the newest time (the `$sort` + `$first` idiom
            // reads the index; it also avoids `$max` on dates, which some wire-compatible
            // servers answer as text).
            doc! {"$sort": {"timestamp": -1}},
            doc! {"$group": {"_id": "$conversation_id", "n": {"$sum": 1}, "last": {"$first": "$timestamp"}}},
        ];
        let mut cursor = self.messages.aggregate(pipeline).await.map_err(map_err)?;
        let mut activity = HashMap::new();
        while let Some(row) = cursor.try_next().await.map_err(map_err)? {
            if let Ok(id) = row.get_str("_id") {
                let last = row.get_datetime("last").ok().map(|t| from_bson(*t));
                let count = count_field(&row);
                activity.insert(id.to_string(), Activity { count, last });
            }
        }
        Ok(activity)
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
            .await
            .map_err(map_err)?;
        let docs: Vec<ConversationDoc> = cursor.try_collect().await.map_err(map_err)?;
        let ids: Vec<String> = docs.iter().map(|d| d.id.clone()).collect();
        let activity = self.activity(user_id, &ids).await?;
        let mut list: Vec<Conversation> = docs
            .into_iter()
            .map(|d| {
                let a = activity.get(&d.id);
                d.into_domain(a)
            })
            .collect();
        // Sorted here because `updated_at` depends on the messages (one user's list is small).
        list.sort_by_key(|c| std::cmp::Reverse((c.updated_at, c.created_at)));
        Ok(list)
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
        let activity = self.activity(user_id, &[id.to_string()]).await?;
        Ok(Some(found.into_domain(activity.get(id))))
    }

    async fn delete_conversation(&self, user_id: &str, id: &str) -> StoreResult<bool> {
        // Messages first (they are filtered by owner too): if the second step fails, the
        // conversation is still there and a retried delete finishes the job.
        self.messages
            .delete_many(doc! {"user_id": user_id, "conversation_id": id})
            .await
            .map_err(map_err)?;
        let result = self
            .conversations
            .delete_one(doc! {"_id": id, "user_id": user_id})
            .await
            .map_err(map_err)?;
        Ok(result.deleted_count == 1)
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
            // `$sum` yields i32 or i64 depending on size; read either.
            let bytes = row
                .get_i64("bytes")
                .or_else(|_| row.get_i32("bytes").map(i64::from));
            usage.bytes = bytes.unwrap_or(0).max(0) as u64;
        }
        usage.conversations = self
            .conversations
            .count_documents(doc! {"user_id": user_id})
            .await
            .map_err(map_err)?;
        Ok(usage)
    }
}
