//! SQLite implementation of `ApiKeyRepo`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

use super::{from_millis, map_err, to_millis};
use crate::store::keys::{ApiKeyRecord, ApiKeyRepo};
use crate::store::StoreResult;

pub(super) struct SqliteKeys {
    pub(super) pool: SqlitePool,
}

const COLUMNS: &str =
    "id, user_id, provider, api_key_enc, api_secret_enc, passphrase_enc, masked_key, status, \
                       created_at, updated_at, last_tested_at, last_test_error";

fn row_to_record(row: &SqliteRow) -> StoreResult<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: row.try_get("id").map_err(map_err)?,
        user_id: row.try_get("user_id").map_err(map_err)?,
        provider: row.try_get("provider").map_err(map_err)?,
        api_key_enc: row.try_get("api_key_enc").map_err(map_err)?,
        api_secret_enc: row.try_get("api_secret_enc").map_err(map_err)?,
        passphrase_enc: row.try_get("passphrase_enc").map_err(map_err)?,
        masked_key: row.try_get("masked_key").map_err(map_err)?,
        status: row.try_get("status").map_err(map_err)?,
        created_at: from_millis(row.try_get("created_at").map_err(map_err)?),
        updated_at: from_millis(row.try_get("updated_at").map_err(map_err)?),
        last_tested_at: row
            .try_get::<Option<i64>, _>("last_tested_at")
            .map_err(map_err)?
            .map(from_millis),
        last_test_error: row.try_get("last_test_error").map_err(map_err)?,
    })
}

#[async_trait]
impl ApiKeyRepo for SqliteKeys {
    async fn upsert(&self, r: &ApiKeyRecord) -> StoreResult<ApiKeyRecord> {
        let row = sqlx::query(&format!(
            "INSERT INTO api_keys ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT(user_id, provider) DO UPDATE SET api_key_enc = excluded.api_key_enc, \
             api_secret_enc = excluded.api_secret_enc, passphrase_enc = excluded.passphrase_enc, \
             masked_key = excluded.masked_key, status = excluded.status, updated_at = excluded.updated_at, \
             last_tested_at = excluded.last_tested_at, last_test_error = excluded.last_test_error \
             RETURNING {COLUMNS}"
        ))
        .bind(&r.id)
        .bind(&r.user_id)
        .bind(&r.provider)
        .bind(&r.api_key_enc)
        .bind(&r.api_secret_enc)
        .bind(&r.passphrase_enc)
        .bind(&r.masked_key)
        .bind(&r.status)
        .bind(to_millis(r.created_at))
        .bind(to_millis(r.updated_at))
        .bind(r.last_tested_at.map(to_millis))
        .bind(&r.last_test_error)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        row_to_record(&row)
    }

    async fn find(&self, user_id: &str, provider: &str) -> StoreResult<Option<ApiKeyRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM api_keys WHERE user_id = ? AND provider = ?"
        ))
        .bind(user_id)
        .bind(provider)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        row.as_ref().map(row_to_record).transpose()
    }

    async fn list_for_user(&self, user_id: &str) -> StoreResult<Vec<ApiKeyRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM api_keys WHERE user_id = ? ORDER BY provider"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter().map(row_to_record).collect()
    }

    async fn delete(&self, user_id: &str, provider: &str) -> StoreResult<bool> {
        let r = sqlx::query("DELETE FROM api_keys WHERE user_id = ? AND provider = ?")
            .bind(user_id)
            .bind(provider)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn record_test(
        &self,
        user_id: &str,
        provider: &str,
        status: &str,
        at: DateTime<Utc>,
        error: Option<&str>,
    ) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE api_keys SET status = ?, last_tested_at = ?, last_test_error = ? WHERE user_id = ? AND provider = ?",
        )
        .bind(status)
        .bind(to_millis(at))
        .bind(error)
        .bind(user_id)
        .bind(provider)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn count_for_user(&self, user_id: &str) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_keys WHERE user_id = ?")
            .bind(user_id)
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(n.max(0) as u64)
    }

    async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64> {
        let r = sqlx::query("DELETE FROM api_keys WHERE user_id = ?")
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(r.rows_affected())
    }

    async fn page_all(&self, after_id: Option<&str>, limit: u32) -> StoreResult<Vec<ApiKeyRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM api_keys WHERE id > ? ORDER BY id LIMIT ?"
        ))
        .bind(after_id.unwrap_or(""))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter().map(row_to_record).collect()
    }

    async fn replace_encrypted(
        &self,
        id: &str,
        expected_key_enc: &str,
        api_key_enc: &str,
        api_secret_enc: Option<&str>,
        passphrase_enc: Option<&str>,
    ) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE api_keys SET api_key_enc = ?, api_secret_enc = ?, passphrase_enc = ? WHERE id = ? AND api_key_enc = ?",
        )
        .bind(api_key_enc)
        .bind(api_secret_enc)
        .bind(passphrase_enc)
        .bind(id)
        .bind(expected_key_enc)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(r.rows_affected() == 1)
    }
}
