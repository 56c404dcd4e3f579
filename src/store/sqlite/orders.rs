//! SQLite implementation of `OrderRepo`: indexed columns plus the record as JSON in `doc`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Executor, Sqlite, SqlitePool};

use super::{map_err, to_millis};
use crate::domain::order_record::{OrderRecord, OrderStatus, STAGE_EXECUTION};
use crate::store::orders::OrderRepo;
use crate::store::{StoreError, StoreResult};

pub(super) struct SqliteOrders {
    pub(super) pool: SqlitePool,
}

fn decode(doc: &str) -> StoreResult<OrderRecord> {
    serde_json::from_str(doc).map_err(|e| StoreError::Other(format!("bad order document: {e}")))
}

fn encode(order: &OrderRecord) -> StoreResult<String> {
    serde_json::to_string(order).map_err(|e| StoreError::Other(format!("encode order: {e}")))
}

/// Replaces a pending order with its outcome (used alone and inside the fill transaction).
pub(super) async fn finish_with<'e, E: Executor<'e, Database = Sqlite>>(
    exec: E,
    order: &OrderRecord,
) -> StoreResult<bool> {
    let r = sqlx::query(
        "UPDATE orders SET status = ?, gate_failed = ?, updated_at = ?, doc = ? \
         WHERE id = ? AND user_id = ? AND status = 'pending'",
    )
    .bind(order.status.as_str())
    .bind(order.gate_failed.as_deref())
    .bind(to_millis(order.updated_at))
    .bind(encode(order)?)
    .bind(&order.id)
    .bind(&order.user_id)
    .execute(exec)
    .await
    .map_err(map_err)?;
    Ok(r.rows_affected() == 1)
}

#[async_trait]
impl OrderRepo for SqliteOrders {
    async fn insert(&self, order: &OrderRecord) -> StoreResult<()> {
        let result = sqlx::query(
            "INSERT INTO orders (id, user_id, bot_id, idempotency_key, status, gate_failed, created_at, updated_at, doc) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&order.id)
        .bind(&order.user_id)
        .bind(&order.bot_id)
        .bind(&order.idempotency_key)
        .bind(order.status.as_str())
        .bind(order.gate_failed.as_deref())
        .bind(to_millis(order.created_at))
        .bind(to_millis(order.updated_at))
        .bind(encode(order)?)
        .execute(&self.pool)
        .await
        .map_err(map_err);
        match result {
            Ok(_) => Ok(()),
            Err(StoreError::Duplicate(_)) => Err(StoreError::Duplicate("idempotency_key".into())),
            Err(e) => Err(e),
        }
    }

    async fn find(&self, user_id: &str, id: &str) -> StoreResult<Option<OrderRecord>> {
        let doc: Option<String> =
            sqlx::query_scalar("SELECT doc FROM orders WHERE id = ? AND user_id = ?")
                .bind(id)
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
        doc.as_deref().map(decode).transpose()
    }

    async fn find_by_key(&self, user_id: &str, key: &str) -> StoreResult<Option<OrderRecord>> {
        let doc: Option<String> =
            sqlx::query_scalar("SELECT doc FROM orders WHERE user_id = ? AND idempotency_key = ?")
                .bind(user_id)
                .bind(key)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
        doc.as_deref().map(decode).transpose()
    }

    async fn finish(&self, order: &OrderRecord) -> StoreResult<bool> {
        finish_with(&self.pool, order).await
    }

    async fn list_pending(&self, user_id: &str, limit: u32) -> StoreResult<Vec<OrderRecord>> {
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM orders WHERE user_id = ? AND status = ? ORDER BY created_at, id LIMIT ?",
        )
        .bind(user_id)
        .bind(OrderStatus::Pending.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        docs.iter().map(|d| decode(d)).collect()
    }

    async fn count_errors_since(
        &self,
        user_id: &str,
        bot_id: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<u32> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM orders WHERE bot_id = ? AND user_id = ? AND gate_failed = ? AND created_at >= ?",
        )
        .bind(bot_id)
        .bind(user_id)
        .bind(STAGE_EXECUTION)
        .bind(to_millis(since))
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(u32::try_from(n.max(0)).unwrap_or(u32::MAX))
    }

    async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64> {
        let r = sqlx::query("DELETE FROM orders WHERE user_id = ?")
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(r.rows_affected())
    }
}
