//! MongoDB implementation of `AuditRepo` (collection `audit_log`).

use async_trait::async_trait;
use futures_util::TryStreamExt;
use mongodb::bson::{doc, DateTime as BsonDateTime, Document};
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::{from_bson, map_err, to_bson};
use crate::store::audit::{AuditEntry, AuditRepo};
use crate::store::StoreResult;

#[derive(Debug, Serialize, Deserialize)]
struct AuditDoc {
    #[serde(rename = "_id")]
    id: String,
    admin_id: String,
    action: String,
    target_type: Option<String>,
    target_id: Option<String>,
    /// Stored as a sub-document so it can be queried; converted from/to JSON.
    details: Document,
    ip: Option<String>,
    #[serde(deserialize_with = "super::dates::required")]
    timestamp: BsonDateTime,
}

pub(super) struct MongoAudit {
    audit: Collection<AuditDoc>,
}

impl MongoAudit {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            audit: db.collection("audit_log"),
        }
    }
}

#[async_trait]
impl AuditRepo for MongoAudit {
    async fn append(&self, e: &AuditEntry) -> StoreResult<()> {
        let details = mongodb::bson::to_document(&e.details).unwrap_or_default();
        let d = AuditDoc {
            id: e.id.clone(),
            admin_id: e.admin_id.clone(),
            action: e.action.clone(),
            target_type: e.target_type.clone(),
            target_id: e.target_id.clone(),
            details,
            ip: e.ip.clone(),
            timestamp: to_bson(e.timestamp),
        };
        self.audit.insert_one(d).await.map_err(map_err)?;
        Ok(())
    }

    async fn list(&self, limit: u32, offset: u32) -> StoreResult<Vec<AuditEntry>> {
        let cursor = self
            .audit
            .find(doc! {})
            .sort(doc! {"timestamp": -1, "_id": -1})
            .skip(u64::from(offset))
            .limit(i64::from(limit))
            .await
            .map_err(map_err)?;
        let docs: Vec<AuditDoc> = cursor.try_collect().await.map_err(map_err)?;
        Ok(docs
            .into_iter()
            .map(|d| AuditEntry {
                id: d.id,
                admin_id: d.admin_id,
                action: d.action,
                target_type: d.target_type,
                target_id: d.target_id,
                details: serde_json::to_value(&d.details).unwrap_or(serde_json::Value::Null),
                ip: d.ip,
                timestamp: from_bson(d.timestamp),
            })
            .collect())
    }

    async fn count(&self) -> StoreResult<u64> {
        self.audit.count_documents(doc! {}).await.map_err(map_err)
    }
}
