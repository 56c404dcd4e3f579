//! SQLite implementation of `LeaseRepo`: one conditional upsert, atomic under SQLite's single writer.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Row, SqlitePool};

use super::{from_millis, map_err, to_millis};
use crate::store::leases::LeaseRepo;
use crate::store::StoreResult;

pub(super) struct SqliteLeases {
    pub(super) pool: SqlitePool,
}

#[async_trait]
impl LeaseRepo for SqliteLeases {
    async fn try_acquire(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<bool> {
        // The update branch only fires for our own lease or an expired one; otherwise the
        // statement changes nothing and the lease stays with its holder.
        let result = sqlx::query(
            "INSERT INTO engine_leases (name, holder, expires_at, acquired_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT(name) DO UPDATE SET \
               acquired_at = CASE WHEN engine_leases.holder = excluded.holder \
                             THEN engine_leases.acquired_at ELSE excluded.acquired_at END, \
               holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE engine_leases.holder = excluded.holder OR engine_leases.expires_at <= ?",
        )
        .bind(name)
        .bind(holder)
        .bind(to_millis(until))
        .bind(to_millis(now))
        .bind(to_millis(now))
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(result.rows_affected() == 1)
    }

    async fn release(&self, name: &str, holder: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM engine_leases WHERE name = ? AND holder = ?")
            .bind(name)
            .bind(holder)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn current(&self, name: &str) -> StoreResult<Option<(String, DateTime<Utc>)>> {
        let row = sqlx::query("SELECT holder, expires_at FROM engine_leases WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(row.map(|r| {
            (
                r.get::<String, _>("holder"),
                from_millis(r.get::<i64, _>("expires_at")),
            )
        }))
    }
}
