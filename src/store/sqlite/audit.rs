//! SQLite implementation of `AuditRepo`.

use async_trait::async_trait;
use sqlx::{Row, SqlitePool};

use super::{from_millis, map_err, to_millis};
use crate::store::audit::{AuditEntry, AuditRepo};
use crate::store::StoreResult;

pub(super) struct SqliteAudit {
    pub(super) pool: SqlitePool,
}

#[async_trait]
impl AuditRepo for SqliteAudit {
    async fn append(&self, e: &AuditEntry) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_log (id, admin_id, action, target_type, target_id, details, ip, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&e.id)
        .bind(&e.admin_id)
        .bind(&e.action)
        .bind(&e.target_type)
        .bind(&e.target_id)
        .bind(e.details.to_string())
        .bind(&e.ip)
        .bind(to_millis(e.timestamp))
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn list(&self, limit: u32, offset: u32) -> StoreResult<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT * FROM audit_log ORDER BY timestamp DESC, id DESC LIMIT ? OFFSET ?",
        )
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|row| {
                let details: String = row.try_get("details").map_err(map_err)?;
                Ok(AuditEntry {
                    id: row.try_get("id").map_err(map_err)?,
                    admin_id: row.try_get("admin_id").map_err(map_err)?,
                    action: row.try_get("action").map_err(map_err)?,
                    target_type: row.try_get("target_type").map_err(map_err)?,
                    target_id: row.try_get("target_id").map_err(map_err)?,
                    details: serde_json::from_str(&details).unwrap_or(serde_json::Value::Null),
                    ip: row.try_get("ip").map_err(map_err)?,
                    timestamp: from_millis(row.try_get("timestamp").map_err(map_err)?),
                })
            })
            .collect()
    }

    async fn count(&self) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(n.max(0) as u64)
    }
}
