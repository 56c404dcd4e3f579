//! MongoDB implementation of `OrderRepo`. The unique index `orders_user_key_unique` on
//! (user_id, idempotency_key) lets exactly one of several concurrent submits with one key in.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, Document};
use mongodb::{Collection, Database};

use super::json_doc::{from_document, to_document};
use super::{map_err, to_bson};
use crate::domain::order_record::{OrderRecord, STAGE_EXECUTION};
use crate::store::orders::OrderRepo;
use crate::store::{StoreError, StoreResult};

const DATES: &[&str] = &["created_at", "updated_at"];

#[derive(Clone)]
pub(super) struct MongoOrders {
    orders: Collection<Document>,
}

impl MongoOrders {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            orders: db.collection("orders"),
        }
    }
}

#[async_trait]
impl OrderRepo for MongoOrders {
    async fn insert(&self, order: &OrderRecord) -> StoreResult<()> {
        match self
            .orders
            .insert_one(to_document(order, DATES)?)
            .await
            .map_err(map_err)
        {
            Ok(_) => Ok(()),
            Err(StoreError::Duplicate(_)) => Err(StoreError::Duplicate("idempotency_key".into())),
            Err(e) => Err(e),
        }
    }

    async fn find(&self, user_id: &str, id: &str) -> StoreResult<Option<OrderRecord>> {
        let found = self
            .orders
            .find_one(doc! {"_id": id, "user_id": user_id})
            .await
            .map_err(map_err)?;
        found.map(|d| from_document(d, DATES)).transpose()
    }

    async fn find_by_key(&self, user_id: &str, key: &str) -> StoreResult<Option<OrderRecord>> {
        let found = self
            .orders
            .find_one(doc! {"user_id": user_id, "idempotency_key": key})
            .await
            .map_err(map_err)?;
        found.map(|d| from_document(d, DATES)).transpose()
    }

    async fn finish(&self, order: &OrderRecord) -> StoreResult<bool> {
        let r = self
            .orders
            .replace_one(
                doc! {"_id": &order.id, "user_id": &order.user_id, "status": "pending"},
                to_document(order, DATES)?,
            )
            .await
            .map_err(map_err)?;
        Ok(r.matched_count == 1)
    }

    async fn list_pending(&self, user_id: &str, limit: u32) -> StoreResult<Vec<OrderRecord>> {
        let cursor = self
            .orders
            .find(doc! {"user_id": user_id, "status": "pending"})
            .sort(doc! {"created_at": 1, "_id": 1})
            .limit(i64::from(limit))
            .await
            .map_err(map_err)?;
        let docs: Vec<Document> = cursor.try_collect().await.map_err(map_err)?;
        docs.into_iter().map(|d| from_document(d, DATES)).collect()
    }

    async fn count_errors_since(
        &self,
        user_id: &str,
        bot_id: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<u32> {
        let n = self
            .orders
            .count_documents(doc! {
                "bot_id": bot_id, "user_id": user_id, "gate_failed": STAGE_EXECUTION,
                "created_at": {"$gte": to_bson(since)},
            })
            .await
            .map_err(map_err)?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64> {
        let r = self
            .orders
            .delete_many(doc! {"user_id": user_id})
            .await
            .map_err(map_err)?;
        Ok(r.deleted_count)
    }
}
