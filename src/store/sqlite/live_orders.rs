//! SQLite implementation of `LiveOrderRepo`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

use super::{map_err, to_millis};
use crate::domain::live_order::LiveOrder;
use crate::store::live_orders::LiveOrderRepo;
use crate::store::{StoreError, StoreResult};

pub(super) struct SqliteLiveOrders {
    pub(super) pool: SqlitePool,
}

fn encode(order: &LiveOrder) -> StoreResult<String> {
    serde_json::to_string(order).map_err(|e| StoreError::Other(format!("encode live order: {e}")))
}

fn decode(doc: &str) -> StoreResult<LiveOrder> {
    serde_json::from_str(doc)
        .map_err(|e| StoreError::Other(format!("bad live order document: {e}")))
}

fn decode_all(docs: Vec<String>) -> StoreResult<Vec<LiveOrder>> {
    docs.iter().map(|d| decode(d)).collect()
}

/// The tracker still has work: not terminal, or terminal with fills not booked yet.
pub(crate) fn pending(order: &LiveOrder) -> bool {
    !order.state.is_terminal() || !order.booked
}

#[async_trait]
impl LiveOrderRepo for SqliteLiveOrders {
    async fn insert(&self, o: &LiveOrder) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO live_orders (id, user_id, bot_id, order_record_id, state, pending, notional, \
             next_poll_at, created_at, version, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&o.id)
        .bind(&o.user_id)
        .bind(&o.bot_id)
        .bind(&o.order_record_id)
        .bind(o.state.as_str())
        .bind(pending(o))
        .bind(o.notional)
        .bind(to_millis(o.next_poll_at))
        .bind(to_millis(o.created_at))
        .bind(o.version as i64)
        .bind(encode(o)?)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn save(&self, o: &LiveOrder) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE live_orders SET state = ?, pending = ?, next_poll_at = ?, version = ?, doc = ? \
             WHERE id = ? AND user_id = ? AND version = ?",
        )
        .bind(o.state.as_str())
        .bind(pending(o))
        .bind(to_millis(o.next_poll_at))
        .bind(o.version as i64)
        .bind(encode(o)?)
        .bind(&o.id)
        .bind(&o.user_id)
        .bind(o.version as i64 - 1)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn find(&self, user_id: &str, id: &str) -> StoreResult<Option<LiveOrder>> {
        let doc: Option<String> =
            sqlx::query_scalar("SELECT doc FROM live_orders WHERE id = ? AND user_id = ?")
                .bind(id)
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
        doc.as_deref().map(decode).transpose()
    }

    async fn find_by_record(
        &self,
        user_id: &str,
        order_record_id: &str,
    ) -> StoreResult<Option<LiveOrder>> {
        let doc: Option<String> = sqlx::query_scalar(
            "SELECT doc FROM live_orders WHERE user_id = ? AND order_record_id = ? \
             ORDER BY created_at DESC LIMIT 1",
        )
        .bind(user_id)
        .bind(order_record_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        doc.as_deref().map(decode).transpose()
    }

    async fn list(
        &self,
        user_id: &str,
        bot_id: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<LiveOrder>> {
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM live_orders WHERE user_id = ? AND (? IS NULL OR bot_id = ?) \
             ORDER BY created_at DESC, id DESC LIMIT ?",
        )
        .bind(user_id)
        .bind(bot_id)
        .bind(bot_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        decode_all(docs)
    }

    async fn due(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<LiveOrder>> {
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM live_orders WHERE pending = 1 AND next_poll_at <= ? \
             ORDER BY next_poll_at, id LIMIT ?",
        )
        .bind(to_millis(now))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        decode_all(docs)
    }

    async fn open_for_user(&self, user_id: &str) -> StoreResult<Vec<LiveOrder>> {
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM live_orders WHERE user_id = ? AND state IN ('new', 'submitted', 'partially_filled') \
             ORDER BY created_at, id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        decode_all(docs)
    }

    async fn notional_since(&self, user_id: &str, since: DateTime<Utc>) -> StoreResult<f64> {
        let sum: Option<f64> = sqlx::query_scalar(
            "SELECT SUM(notional) FROM live_orders WHERE user_id = ? AND created_at >= ? AND state != 'rejected'",
        )
        .bind(user_id)
        .bind(to_millis(since))
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(sum.unwrap_or(0.0))
    }

    async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM live_orders WHERE user_id = ?")
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected())
    }
}
