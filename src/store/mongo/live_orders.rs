//! MongoDB implementation of `LiveOrderRepo` (collection `live_orders`): lookup fields at the
//! top, the order as a sub-document.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, DateTime as BsonDateTime, Document};
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::{map_err, to_bson};
use crate::domain::live_order::LiveOrder;
use crate::store::live_orders::LiveOrderRepo;
use crate::store::{StoreError, StoreResult};

#[derive(Debug, Serialize, Deserialize)]
struct OrderDoc {
    #[serde(rename = "_id")]
    id: String,
    user_id: String,
    bot_id: String,
    order_record_id: String,
    state: String,
    pending: bool,
    notional: f64,
    #[serde(deserialize_with = "super::dates::required")]
    next_poll_at: BsonDateTime,
    #[serde(deserialize_with = "super::dates::required")]
    created_at: BsonDateTime,
    version: i64,
    order: Document,
}

pub(super) struct MongoLiveOrders {
    orders: Collection<OrderDoc>,
}

impl MongoLiveOrders {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            orders: db.collection("live_orders"),
        }
    }
}

fn encode(o: &LiveOrder) -> StoreResult<OrderDoc> {
    Ok(OrderDoc {
        id: o.id.clone(),
        user_id: o.user_id.clone(),
        bot_id: o.bot_id.clone(),
        order_record_id: o.order_record_id.clone(),
        state: o.state.as_str().to_string(),
        pending: !o.state.is_terminal() || !o.booked,
        notional: o.notional,
        next_poll_at: to_bson(o.next_poll_at),
        created_at: to_bson(o.created_at),
        version: o.version as i64,
        order: mongodb::bson::to_document(o)
            .map_err(|e| StoreError::Other(format!("encode live order: {e}")))?,
    })
}

fn decode(d: OrderDoc) -> StoreResult<LiveOrder> {
    mongodb::bson::from_document(d.order)
        .map_err(|e| StoreError::Other(format!("bad live order document: {e}")))
}

impl MongoLiveOrders {
    async fn many(
        &self,
        filter: Document,
        sort: Document,
        limit: i64,
    ) -> StoreResult<Vec<LiveOrder>> {
        let cursor = self
            .orders
            .find(filter)
            .sort(sort)
            .limit(limit)
            .await
            .map_err(map_err)?;
        let docs: Vec<OrderDoc> = cursor.try_collect().await.map_err(map_err)?;
        docs.into_iter().map(decode).collect()
    }
}

#[async_trait]
impl LiveOrderRepo for MongoLiveOrders {
    async fn insert(&self, o: &LiveOrder) -> StoreResult<()> {
        self.orders.insert_one(encode(o)?).await.map_err(map_err)?;
        Ok(())
    }

    async fn save(&self, o: &LiveOrder) -> StoreResult<bool> {
        let done = self
            .orders
            .replace_one(
                doc! {"_id": &o.id, "user_id": &o.user_id, "version": o.version as i64 - 1},
                encode(o)?,
            )
            .await
            .map_err(map_err)?;
        Ok(done.matched_count == 1)
    }

    async fn find(&self, user_id: &str, id: &str) -> StoreResult<Option<LiveOrder>> {
        self.orders
            .find_one(doc! {"_id": id, "user_id": user_id})
            .await
            .map_err(map_err)?
            .map(decode)
            .transpose()
    }

    async fn find_by_record(
        &self,
        user_id: &str,
        order_record_id: &str,
    ) -> StoreResult<Option<LiveOrder>> {
        Ok(self
            .many(
                doc! {"user_id": user_id, "order_record_id": order_record_id},
                doc! {"created_at": -1},
                1,
            )
            .await?
            .pop())
    }

    async fn list(
        &self,
        user_id: &str,
        bot_id: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<LiveOrder>> {
        let mut filter = doc! {"user_id": user_id};
        if let Some(bot) = bot_id {
            filter.insert("bot_id", bot);
        }
        self.many(filter, doc! {"created_at": -1, "_id": -1}, i64::from(limit))
            .await
    }

    async fn due(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<LiveOrder>> {
        self.many(
            doc! {"pending": true, "next_poll_at": {"$lte": to_bson(now)}},
            doc! {"next_poll_at": 1, "_id": 1},
            i64::from(limit),
        )
        .await
    }

    async fn open_for_user(&self, user_id: &str) -> StoreResult<Vec<LiveOrder>> {
        self.many(
            doc! {"user_id": user_id, "state": {"$in": ["new", "submitted", "partially_filled"]}},
            doc! {"created_at": 1, "_id": 1},
            0,
        )
        .await
    }

    async fn notional_since(&self, user_id: &str, since: DateTime<Utc>) -> StoreResult<f64> {
        let cursor = self
            .orders
            .find(doc! {"user_id": user_id, "created_at": {"$gte": to_bson(since)}, "state": {"$ne": "rejected"}})
            .await
            .map_err(map_err)?;
        let docs: Vec<OrderDoc> = cursor.try_collect().await.map_err(map_err)?;
        Ok(docs.iter().map(|d| d.notional).sum())
    }

    async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64> {
        let done = self
            .orders
            .delete_many(doc! {"user_id": user_id})
            .await
            .map_err(map_err)?;
        Ok(done.deleted_count)
    }
}
