//! SQLite implementation of `DashboardRepo` (tables `countdowns`, `greetings`).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{Row, SqlitePool};

use super::{from_millis, map_err, to_millis};
use crate::domain::countdown::Countdown;
use crate::store::dashboard::DashboardRepo;
use crate::store::{StoreError, StoreResult};

pub(super) struct SqliteDashboard {
    pub(super) pool: SqlitePool,
}

#[async_trait]
impl DashboardRepo for SqliteDashboard {
    async fn countdowns(&self, user_id: &str) -> StoreResult<Vec<Countdown>> {
        let rows = sqlx::query(
            "SELECT id, user_id, label, target_amount, created_at, updated_at FROM countdowns \
             WHERE user_id = ? ORDER BY created_at, id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(rows
            .iter()
            .map(|r| Countdown {
                id: r.get("id"),
                user_id: r.get("user_id"),
                label: r.get("label"),
                target_amount: r.get("target_amount"),
                created_at: from_millis(r.get("created_at")),
                updated_at: from_millis(r.get("updated_at")),
            })
            .collect())
    }

    async fn insert_countdown(&self, c: &Countdown, slot: u32) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO countdowns (id, user_id, slot, label, target_amount, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&c.id)
        .bind(&c.user_id)
        .bind(i64::from(slot))
        .bind(&c.label)
        .bind(c.target_amount)
        .bind(to_millis(c.created_at))
        .bind(to_millis(c.updated_at))
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn delete_countdown(&self, user_id: &str, id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM countdowns WHERE id = ? AND user_id = ?")
            .bind(id)
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn mark_greeted(
        &self,
        user_id: &str,
        day: NaiveDate,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO greetings (user_id, day, greeted_at) VALUES (?, ?, ?) \
             ON CONFLICT (user_id, day) DO NOTHING",
        )
        .bind(user_id)
        .bind(day.to_string())
        .bind(to_millis(at))
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let a = sqlx::query("DELETE FROM countdowns WHERE user_id = ?")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        let b = sqlx::query("DELETE FROM greetings WHERE user_id = ?")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit()
            .await
            .map_err(|e| StoreError::Other(format!("delete dashboard state: {e}")))?;
        Ok(a.rows_affected() + b.rows_affected())
    }
}
