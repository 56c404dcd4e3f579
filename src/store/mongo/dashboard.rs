//! MongoDB implementation of `DashboardRepo`: collections `countdowns` and `greetings` (one
//! document per user and day, `_id` = `<user_id>:<day>`, so the mark is one insert).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, DateTime as BsonDateTime};
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::{from_bson, map_err, to_bson};
use crate::domain::countdown::Countdown;
use crate::store::dashboard::DashboardRepo;
use crate::store::{StoreError, StoreResult};

#[derive(Debug, Serialize, Deserialize)]
struct CountdownDoc {
    #[serde(rename = "_id")]
    id: String,
    user_id: String,
    #[serde(default)]
    slot: i64,
    label: String,
    target_amount: f64,
    #[serde(deserialize_with = "super::dates::required")]
    created_at: BsonDateTime,
    #[serde(deserialize_with = "super::dates::required")]
    updated_at: BsonDateTime,
}

#[derive(Debug, Serialize, Deserialize)]
struct GreetingDoc {
    #[serde(rename = "_id")]
    id: String,
    user_id: String,
    day: String,
    greeted_at: BsonDateTime,
}

pub(super) struct MongoDashboard {
    countdowns: Collection<CountdownDoc>,
    greetings: Collection<GreetingDoc>,
}

impl MongoDashboard {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            countdowns: db.collection("countdowns"),
            greetings: db.collection("greetings"),
        }
    }
}

#[async_trait]
impl DashboardRepo for MongoDashboard {
    async fn countdowns(&self, user_id: &str) -> StoreResult<Vec<Countdown>> {
        let cursor = self
            .countdowns
            .find(doc! {"user_id": user_id})
            .sort(doc! {"created_at": 1, "_id": 1})
            .await
            .map_err(map_err)?;
        let docs: Vec<CountdownDoc> = cursor.try_collect().await.map_err(map_err)?;
        Ok(docs
            .into_iter()
            .map(|d| Countdown {
                id: d.id,
                user_id: d.user_id,
                label: d.label,
                target_amount: d.target_amount,
                created_at: from_bson(d.created_at),
                updated_at: from_bson(d.updated_at),
            })
            .collect())
    }

    async fn insert_countdown(&self, c: &Countdown, slot: u32) -> StoreResult<()> {
        let d = CountdownDoc {
            id: c.id.clone(),
            user_id: c.user_id.clone(),
            slot: i64::from(slot),
            label: c.label.clone(),
            target_amount: c.target_amount,
            created_at: to_bson(c.created_at),
            updated_at: to_bson(c.updated_at),
        };
        self.countdowns.insert_one(d).await.map_err(map_err)?;
        Ok(())
    }

    async fn delete_countdown(&self, user_id: &str, id: &str) -> StoreResult<bool> {
        let done = self
            .countdowns
            .delete_one(doc! {"_id": id, "user_id": user_id})
            .await
            .map_err(map_err)?;
        Ok(done.deleted_count == 1)
    }

    async fn mark_greeted(
        &self,
        user_id: &str,
        day: NaiveDate,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let d = GreetingDoc {
            id: format!("{user_id}:{day}"),
            user_id: user_id.to_string(),
            day: day.to_string(),
            greeted_at: to_bson(at),
        };
        match self.greetings.insert_one(d).await.map_err(map_err) {
            Ok(_) => Ok(true),
            Err(StoreError::Duplicate(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64> {
        let a = self
            .countdowns
            .delete_many(doc! {"user_id": user_id})
            .await
            .map_err(map_err)?;
        let b = self
            .greetings
            .delete_many(doc! {"user_id": user_id})
            .await
            .map_err(map_err)?;
        Ok(a.deleted_count + b.deleted_count)
    }
}
