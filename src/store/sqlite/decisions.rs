//! SQLite implementation of `DecisionRepo`: keyed columns for the lookups, the rest as JSON.

use async_trait::async_trait;
use sqlx::SqlitePool;

use super::{map_err, to_millis};
use crate::domain::decision::Decision;
use crate::store::decisions::DecisionRepo;
use crate::store::{StoreError, StoreResult};

pub(super) struct SqliteDecisions {
    pub(super) pool: SqlitePool,
}

fn decode(docs: Vec<String>) -> StoreResult<Vec<Decision>> {
    docs.iter()
        .map(|d| {
            serde_json::from_str(d)
                .map_err(|e| StoreError::Other(format!("bad decision document: {e}")))
        })
        .collect()
}

#[async_trait]
impl DecisionRepo for SqliteDecisions {
    async fn insert(&self, d: &Decision) -> StoreResult<()> {
        let doc = serde_json::to_string(d)
            .map_err(|e| StoreError::Other(format!("encode decision: {e}")))?;
        sqlx::query(
            "INSERT INTO decisions (id, user_id, bot_id, timestamp, doc) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&d.id)
        .bind(&d.user_id)
        .bind(&d.bot_id)
        .bind(to_millis(d.timestamp))
        .bind(doc)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn attach_order(
        &self,
        user_id: &str,
        decision_id: &str,
        order_id: &str,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE decisions SET doc = json_set(doc, '$.order_id', ?) WHERE id = ? AND user_id = ?",
        )
        .bind(order_id)
        .bind(decision_id)
        .bind(user_id)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn for_bot(&self, user_id: &str, bot_id: &str, limit: u32) -> StoreResult<Vec<Decision>> {
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM decisions WHERE user_id = ? AND bot_id = ? ORDER BY timestamp DESC, rowid DESC LIMIT ?",
        )
        .bind(user_id)
        .bind(bot_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        decode(docs)
    }

    async fn recent(&self, user_id: &str, limit: u32) -> StoreResult<Vec<Decision>> {
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM decisions WHERE user_id = ? ORDER BY timestamp DESC, rowid DESC LIMIT ?",
        )
        .bind(user_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        decode(docs)
    }
}
