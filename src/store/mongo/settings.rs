//! MongoDB implementations of `SettingsRepo` (`user_settings`, `_id` = user id) and `AlertRepo`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, DateTime as BsonDateTime, Document};
use mongodb::options::ReturnDocument;
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::{from_bson, map_err, to_bson};
use crate::domain::settings::{Alert, SystemMode, UserSettings};
use crate::store::settings::{AlertRepo, SettingsRepo};
use crate::store::{StoreError, StoreResult};

fn yes() -> bool {
    true
}

#[derive(Debug, Serialize, Deserialize)]
struct SettingsDoc {
    #[serde(rename = "_id")]
    user_id: String,
    #[serde(default = "yes", deserialize_with = "super::dates::flag")]
    paper_trading: bool,
    #[serde(default, deserialize_with = "super::dates::flag")]
    live_trading: bool,
    #[serde(default, deserialize_with = "super::dates::flag")]
    autopilot: bool,
    #[serde(default, deserialize_with = "super::dates::flag")]
    emergency_stop: bool,
    #[serde(default)]
    emergency_reason: Option<String>,
    #[serde(default, deserialize_with = "super::dates::optional")]
    emergency_at: Option<BsonDateTime>,
    #[serde(deserialize_with = "super::dates::required")]
    updated_at: BsonDateTime,
}

impl From<SettingsDoc> for UserSettings {
    fn from(d: SettingsDoc) -> Self {
        Self {
            user_id: d.user_id,
            paper_trading: d.paper_trading,
            live_trading: d.live_trading,
            autopilot: d.autopilot,
            emergency_stop: d.emergency_stop,
            emergency_reason: d.emergency_reason,
            emergency_at: d.emergency_at.map(from_bson),
            updated_at: from_bson(d.updated_at),
        }
    }
}

pub(super) struct MongoSettings {
    settings: Collection<SettingsDoc>,
}

impl MongoSettings {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            settings: db.collection("user_settings"),
        }
    }

    /// `$set` on the user's document, creating it (with defaults) when missing.
    async fn update(&self, user_id: &str, set: Document) -> StoreResult<UserSettings> {
        let saved = self
            .settings
            .find_one_and_update(doc! {"_id": user_id}, doc! {"$set": set})
            .upsert(true)
            .return_document(ReturnDocument::After)
            .await
            .map_err(map_err)?;
        saved
            .map(UserSettings::from)
            .ok_or_else(|| StoreError::Other("settings upsert returned nothing".into()))
    }
}

#[async_trait]
impl SettingsRepo for MongoSettings {
    async fn get(&self, user_id: &str, now: DateTime<Utc>) -> StoreResult<UserSettings> {
        let found = self
            .settings
            .find_one(doc! {"_id": user_id})
            .await
            .map_err(map_err)?;
        Ok(found
            .map(UserSettings::from)
            .unwrap_or_else(|| UserSettings::defaults(user_id, now)))
    }

    async fn set_mode(
        &self,
        user_id: &str,
        mode: SystemMode,
        enabled: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<UserSettings> {
        self.update(
            user_id,
            doc! {mode.column(): enabled, "updated_at": to_bson(now)},
        )
        .await
    }

    async fn set_emergency_stop(
        &self,
        user_id: &str,
        on: bool,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<UserSettings> {
        let set = doc! {
            "emergency_stop": on,
            "emergency_reason": if on { reason } else { None },
            "emergency_at": on.then(|| to_bson(now)),
            "updated_at": to_bson(now),
        };
        self.update(user_id, set).await
    }

    async fn users_with_mode(&self, mode: SystemMode) -> StoreResult<Vec<String>> {
        let cursor = self
            .settings
            .find(doc! {mode.column(): true})
            .sort(doc! {"_id": 1})
            .await
            .map_err(map_err)?;
        let docs: Vec<SettingsDoc> = cursor.try_collect().await.map_err(map_err)?;
        Ok(docs.into_iter().map(|d| d.user_id).collect())
    }

    async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64> {
        let r = self
            .settings
            .delete_one(doc! {"_id": user_id})
            .await
            .map_err(map_err)?;
        Ok(r.deleted_count)
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct AlertDoc {
    #[serde(rename = "_id")]
    id: String,
    user_id: String,
    bot_id: Option<String>,
    kind: String,
    severity: String,
    message: String,
    #[serde(deserialize_with = "super::dates::flag")]
    acknowledged: bool,
    #[serde(deserialize_with = "super::dates::required")]
    created_at: BsonDateTime,
}

pub(super) struct MongoAlerts {
    alerts: Collection<AlertDoc>,
}

impl MongoAlerts {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            alerts: db.collection("alerts"),
        }
    }
}

#[async_trait]
impl AlertRepo for MongoAlerts {
    async fn insert(&self, a: &Alert) -> StoreResult<()> {
        let d = AlertDoc {
            id: a.id.clone(),
            user_id: a.user_id.clone(),
            bot_id: a.bot_id.clone(),
            kind: a.kind.clone(),
            severity: a.severity.clone(),
            message: a.message.clone(),
            acknowledged: a.acknowledged,
            created_at: to_bson(a.created_at),
        };
        self.alerts.insert_one(d).await.map_err(map_err)?;
        Ok(())
    }

    async fn list(
        &self,
        user_id: &str,
        limit: u32,
        include_acknowledged: bool,
    ) -> StoreResult<Vec<Alert>> {
        let mut filter = doc! {"user_id": user_id};
        if !include_acknowledged {
            filter.insert("acknowledged", false);
        }
        let cursor = self
            .alerts
            .find(filter)
            .sort(doc! {"created_at": -1, "_id": -1})
            .limit(i64::from(limit))
            .await
            .map_err(map_err)?;
        let docs: Vec<AlertDoc> = cursor.try_collect().await.map_err(map_err)?;
        Ok(docs
            .into_iter()
            .map(|d| Alert {
                id: d.id,
                user_id: d.user_id,
                bot_id: d.bot_id,
                kind: d.kind,
                severity: d.severity,
                message: d.message,
                acknowledged: d.acknowledged,
                created_at: from_bson(d.created_at),
            })
            .collect())
    }

    async fn acknowledge(&self, user_id: &str, id: &str) -> StoreResult<bool> {
        let r = self
            .alerts
            .update_one(
                doc! {"_id": id, "user_id": user_id},
                doc! {"$set": {"acknowledged": true}},
            )
            .await
            .map_err(map_err)?;
        Ok(r.matched_count == 1)
    }

    async fn clear(&self, user_id: &str) -> StoreResult<u64> {
        let r = self
            .alerts
            .delete_many(doc! {"user_id": user_id})
            .await
            .map_err(map_err)?;
        Ok(r.deleted_count)
    }

    async fn usage_for_user(&self, user_id: &str) -> StoreResult<(u64, u64)> {
        let pipeline = vec![
            doc! {"$match": {"user_id": user_id}},
            doc! {"$group": {"_id": null, "n": {"$sum": 1}, "bytes": {"$sum": {"$add": [
                {"$strLenBytes": "$message"}, {"$strLenBytes": "$kind"}, {"$strLenBytes": "$_id"}, 60
            ]}}}},
        ];
        let mut cursor = self.alerts.aggregate(pipeline).await.map_err(map_err)?;
        let Some(row) = cursor.try_next().await.map_err(map_err)? else {
            return Ok((0, 0));
        };
        let bytes = row
            .get_i64("bytes")
            .ok()
            .or_else(|| row.get_i32("bytes").ok().map(i64::from))
            .unwrap_or(0);
        Ok((super::users::count_field(&row), bytes.max(0) as u64))
    }
}
