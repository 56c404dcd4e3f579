//! MongoDB implementation of `DecisionRepo` (collection `decisions`): lookup fields at the top,
//! the decision itself as a sub-document.

use async_trait::async_trait;
use futures_util::TryStreamExt;
use mongodb::bson::{doc, DateTime as BsonDateTime, Document};
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::{map_err, to_bson};
use crate::domain::decision::Decision;
use crate::store::decisions::DecisionRepo;
use crate::store::{StoreError, StoreResult};

#[derive(Debug, Serialize, Deserialize)]
struct DecisionDoc {
    #[serde(rename = "_id")]
    id: String,
    user_id: String,
    bot_id: String,
    #[serde(deserialize_with = "super::dates::required")]
    timestamp: BsonDateTime,
    /// Wall-clock nanoseconds at insert: orders decisions made in the same millisecond the
    /// way SQLite's rowid does (insertion order).
    #[serde(default)]
    seq: i64,
    decision: Document,
}

pub(super) struct MongoDecisions {
    decisions: Collection<DecisionDoc>,
}

impl MongoDecisions {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            decisions: db.collection("decisions"),
        }
    }

    async fn find(&self, filter: Document, limit: u32) -> StoreResult<Vec<Decision>> {
        let cursor = self
            .decisions
            .find(filter)
            .sort(doc! {"timestamp": -1, "seq": -1, "_id": -1})
            .limit(i64::from(limit))
            .await
            .map_err(map_err)?;
        let docs: Vec<DecisionDoc> = cursor.try_collect().await.map_err(map_err)?;
        docs.into_iter()
            .map(|d| {
                mongodb::bson::from_document(d.decision)
                    .map_err(|e| StoreError::Other(format!("bad decision document: {e}")))
            })
            .collect()
    }
}

#[async_trait]
impl DecisionRepo for MongoDecisions {
    async fn insert(&self, d: &Decision) -> StoreResult<()> {
        let decision = mongodb::bson::to_document(d)
            .map_err(|e| StoreError::Other(format!("encode decision: {e}")))?;
        let doc = DecisionDoc {
            id: d.id.clone(),
            user_id: d.user_id.clone(),
            bot_id: d.bot_id.clone(),
            timestamp: to_bson(d.timestamp),
            seq: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as i64),
            decision,
        };
        self.decisions.insert_one(doc).await.map_err(map_err)?;
        Ok(())
    }

    async fn attach_order(
        &self,
        user_id: &str,
        decision_id: &str,
        order_id: &str,
    ) -> StoreResult<bool> {
        let done = self
            .decisions
            .update_one(
                doc! {"_id": decision_id, "user_id": user_id},
                doc! {"$set": {"decision.order_id": order_id}},
            )
            .await
            .map_err(map_err)?;
        Ok(done.matched_count == 1)
    }

    async fn for_bot(&self, user_id: &str, bot_id: &str, limit: u32) -> StoreResult<Vec<Decision>> {
        self.find(doc! {"user_id": user_id, "bot_id": bot_id}, limit)
            .await
    }

    async fn recent(&self, user_id: &str, limit: u32) -> StoreResult<Vec<Decision>> {
        self.find(doc! {"user_id": user_id}, limit).await
    }
}
