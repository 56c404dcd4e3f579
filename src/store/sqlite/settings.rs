//! SQLite implementations of `SettingsRepo` and `AlertRepo`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

use super::{from_millis, map_err, to_millis};
use crate::domain::settings::{Alert, SystemMode, UserSettings};
use crate::store::settings::{AlertRepo, SettingsRepo};
use crate::store::StoreResult;

pub(super) struct SqliteSettings {
    pub(super) pool: SqlitePool,
}

fn row_to_settings(row: &SqliteRow) -> StoreResult<UserSettings> {
    Ok(UserSettings {
        user_id: row.try_get("user_id").map_err(map_err)?,
        paper_trading: row.try_get::<i64, _>("paper_trading").map_err(map_err)? != 0,
        live_trading: row.try_get::<i64, _>("live_trading").map_err(map_err)? != 0,
        autopilot: row.try_get::<i64, _>("autopilot").map_err(map_err)? != 0,
        emergency_stop: row.try_get::<i64, _>("emergency_stop").map_err(map_err)? != 0,
        emergency_reason: row.try_get("emergency_reason").map_err(map_err)?,
        emergency_at: row
            .try_get::<Option<i64>, _>("emergency_at")
            .map_err(map_err)?
            .map(from_millis),
        updated_at: from_millis(row.try_get("updated_at").map_err(map_err)?),
    })
}

impl SqliteSettings {
    async fn ensure_row(&self, user_id: &str, now: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query("INSERT OR IGNORE INTO user_settings (user_id, updated_at) VALUES (?, ?)")
            .bind(user_id)
            .bind(to_millis(now))
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }
}

#[async_trait]
impl SettingsRepo for SqliteSettings {
    async fn get(&self, user_id: &str, now: DateTime<Utc>) -> StoreResult<UserSettings> {
        let row = sqlx::query("SELECT * FROM user_settings WHERE user_id = ?")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        match row {
            Some(row) => row_to_settings(&row),
            None => Ok(UserSettings::defaults(user_id, now)),
        }
    }

    async fn set_mode(
        &self,
        user_id: &str,
        mode: SystemMode,
        enabled: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<UserSettings> {
        self.ensure_row(user_id, now).await?;
        // The column name comes from a closed enum, never from input.
        let sql = format!(
            "UPDATE user_settings SET {} = ?, updated_at = ? WHERE user_id = ? RETURNING *",
            mode.column()
        );
        let row = sqlx::query(&sql)
            .bind(enabled as i64)
            .bind(to_millis(now))
            .bind(user_id)
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        row_to_settings(&row)
    }

    async fn set_emergency_stop(
        &self,
        user_id: &str,
        on: bool,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<UserSettings> {
        self.ensure_row(user_id, now).await?;
        let row = sqlx::query(
            "UPDATE user_settings SET emergency_stop = ?, emergency_reason = ?, emergency_at = ?, updated_at = ? \
             WHERE user_id = ? RETURNING *",
        )
        .bind(on as i64)
        .bind(if on { reason } else { None })
        .bind(on.then(|| to_millis(now)))
        .bind(to_millis(now))
        .bind(user_id)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        row_to_settings(&row)
    }

    async fn users_with_mode(&self, mode: SystemMode) -> StoreResult<Vec<String>> {
        let sql = format!(
            "SELECT user_id FROM user_settings WHERE {} = 1 ORDER BY user_id",
            mode.column()
        );
        sqlx::query_scalar(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)
    }

    async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64> {
        let r = sqlx::query("DELETE FROM user_settings WHERE user_id = ?")
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(r.rows_affected())
    }
}

pub(super) struct SqliteAlerts {
    pub(super) pool: SqlitePool,
}

fn row_to_alert(row: &SqliteRow) -> StoreResult<Alert> {
    Ok(Alert {
        id: row.try_get("id").map_err(map_err)?,
        user_id: row.try_get("user_id").map_err(map_err)?,
        bot_id: row.try_get("bot_id").map_err(map_err)?,
        kind: row.try_get("kind").map_err(map_err)?,
        severity: row.try_get("severity").map_err(map_err)?,
        message: row.try_get("message").map_err(map_err)?,
        acknowledged: row.try_get::<i64, _>("acknowledged").map_err(map_err)? != 0,
        created_at: from_millis(row.try_get("created_at").map_err(map_err)?),
    })
}

#[async_trait]
impl AlertRepo for SqliteAlerts {
    async fn insert(&self, a: &Alert) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO alerts (id, user_id, bot_id, kind, severity, message, acknowledged, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&a.id)
        .bind(&a.user_id)
        .bind(&a.bot_id)
        .bind(&a.kind)
        .bind(&a.severity)
        .bind(&a.message)
        .bind(a.acknowledged as i64)
        .bind(to_millis(a.created_at))
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn list(
        &self,
        user_id: &str,
        limit: u32,
        include_acknowledged: bool,
    ) -> StoreResult<Vec<Alert>> {
        let rows = sqlx::query(
            "SELECT * FROM alerts WHERE user_id = ? AND (? OR acknowledged = 0) ORDER BY created_at DESC, id DESC LIMIT ?",
        )
        .bind(user_id)
        .bind(include_acknowledged)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter().map(row_to_alert).collect()
    }

    async fn acknowledge(&self, user_id: &str, id: &str) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE alerts SET acknowledged = 1 WHERE user_id = ? AND id = ?")
            .bind(user_id)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn clear(&self, user_id: &str) -> StoreResult<u64> {
        let r = sqlx::query("DELETE FROM alerts WHERE user_id = ?")
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(r.rows_affected())
    }

    async fn usage_for_user(&self, user_id: &str) -> StoreResult<(u64, u64)> {
        let (count, bytes): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), SUM(length(id) + length(kind) + length(severity) + length(message) + 40) FROM alerts WHERE user_id = ?",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok((count.max(0) as u64, bytes.unwrap_or(0).max(0) as u64))
    }
}
