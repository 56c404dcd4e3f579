//! SQLite implementation of `BacktestRepo`: the job as JSON, status and time as columns.

use async_trait::async_trait;
use sqlx::SqlitePool;

use super::{map_err, to_millis};
use crate::domain::backtest_job::BacktestJob;
use crate::store::backtests::BacktestRepo;
use crate::store::{StoreError, StoreResult};

pub(super) struct SqliteBacktests {
    pub(super) pool: SqlitePool,
}

fn encode(job: &BacktestJob) -> StoreResult<String> {
    serde_json::to_string(job).map_err(|e| StoreError::Other(format!("encode backtest: {e}")))
}

fn decode(doc: &str) -> StoreResult<BacktestJob> {
    serde_json::from_str(doc).map_err(|e| StoreError::Other(format!("bad backtest document: {e}")))
}

#[async_trait]
impl BacktestRepo for SqliteBacktests {
    async fn insert(&self, job: &BacktestJob) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO backtests (id, user_id, status, created_at, doc) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&job.id)
        .bind(&job.user_id)
        .bind(job.status.as_str())
        .bind(to_millis(job.created_at))
        .bind(encode(job)?)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn save(&self, job: &BacktestJob) -> StoreResult<bool> {
        let done =
            sqlx::query("UPDATE backtests SET status = ?, doc = ? WHERE id = ? AND user_id = ?")
                .bind(job.status.as_str())
                .bind(encode(job)?)
                .bind(&job.id)
                .bind(&job.user_id)
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn find(&self, user_id: &str, id: &str) -> StoreResult<Option<BacktestJob>> {
        let doc: Option<String> =
            sqlx::query_scalar("SELECT doc FROM backtests WHERE id = ? AND user_id = ?")
                .bind(id)
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
        doc.as_deref().map(decode).transpose()
    }

    async fn list(&self, user_id: &str, limit: u32) -> StoreResult<Vec<BacktestJob>> {
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM backtests WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
        )
        .bind(user_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        docs.iter().map(|d| decode(d)).collect()
    }

    async fn list_training(&self, user_id: &str, limit: u32) -> StoreResult<Vec<BacktestJob>> {
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM backtests WHERE user_id = ? AND json_extract(doc, '$.training') IS NOT NULL \
             ORDER BY created_at DESC, id DESC LIMIT ?",
        )
        .bind(user_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        docs.iter().map(|d| decode(d)).collect()
    }

    async fn delete(&self, user_id: &str, id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM backtests WHERE id = ? AND user_id = ?")
            .bind(id)
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn count_active(&self, user_id: &str) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM backtests WHERE user_id = ? AND status IN ('queued', 'running')",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(n.max(0) as u64)
    }

    async fn fail_unfinished(&self, reason: &str) -> StoreResult<u64> {
        let done = sqlx::query(
            "UPDATE backtests SET status = 'failed', \
             doc = json_set(doc, '$.status', 'failed', '$.error', ?) \
             WHERE status IN ('queued', 'running')",
        )
        .bind(reason)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected())
    }
}
