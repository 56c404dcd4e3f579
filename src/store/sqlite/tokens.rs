//! SQLite implementation of `TokenRepo`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Row, SqlitePool};

use std::sync::Arc;

use super::token_checks::TokenChecks;
use super::{from_millis, map_err, to_millis};
use crate::store::tokens::{RefreshToken, TokenRepo};
use crate::store::StoreResult;

pub(super) struct SqliteTokens {
    pub(super) pool: SqlitePool,
    /// Revoking or forgetting a user's tokens goes through `checks.write` (token_checks.rs).
    pub(super) checks: Arc<TokenChecks>,
}

#[async_trait]
impl TokenRepo for SqliteTokens {
    async fn revoke_jti(
        &self,
        jti: &str,
        user_id: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let pool = self.pool.clone();
        let (jti, owner) = (jti.to_owned(), user_id.to_owned());
        self.checks
            .write(user_id, async move {
                sqlx::query(
                    "INSERT OR IGNORE INTO revoked_tokens (jti, user_id, expires_at) VALUES (?, ?, ?)",
                )
                .bind(&jti)
                .bind(&owner)
                .bind(to_millis(expires_at))
                .execute(&pool)
                .await
                .map_err(map_err)?;
                Ok(())
            })
            .await
    }

    async fn is_jti_revoked(&self, jti: &str) -> StoreResult<bool> {
        let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM revoked_tokens WHERE jti = ?")
            .bind(jti)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(found.is_some())
    }

    async fn insert_refresh(&self, t: &RefreshToken) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, user_id, family_id, token_version, created_at, expires_at, used_at, revoked_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&t.token_hash)
        .bind(&t.user_id)
        .bind(&t.family_id)
        .bind(t.token_version)
        .bind(to_millis(t.created_at))
        .bind(to_millis(t.expires_at))
        .bind(t.used_at.map(to_millis))
        .bind(t.revoked_at.map(to_millis))
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn find_refresh(&self, token_hash: &str) -> StoreResult<Option<RefreshToken>> {
        let row = sqlx::query(
            "SELECT token_hash, user_id, family_id, token_version, created_at, expires_at, used_at, revoked_at \
             FROM refresh_tokens WHERE token_hash = ?",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(RefreshToken {
            token_hash: row.try_get("token_hash").map_err(map_err)?,
            user_id: row.try_get("user_id").map_err(map_err)?,
            family_id: row.try_get("family_id").map_err(map_err)?,
            token_version: row.try_get("token_version").map_err(map_err)?,
            created_at: from_millis(row.try_get("created_at").map_err(map_err)?),
            expires_at: from_millis(row.try_get("expires_at").map_err(map_err)?),
            used_at: row
                .try_get::<Option<i64>, _>("used_at")
                .map_err(map_err)?
                .map(from_millis),
            revoked_at: row
                .try_get::<Option<i64>, _>("revoked_at")
                .map_err(map_err)?
                .map(from_millis),
        }))
    }

    async fn mark_refresh_used(&self, token_hash: &str, at: DateTime<Utc>) -> StoreResult<bool> {
        let result = sqlx::query(
            "UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND revoked_at IS NULL",
        )
        .bind(to_millis(at))
        .bind(token_hash)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(result.rows_affected() == 1)
    }

    async fn revoke_family(&self, family_id: &str, at: DateTime<Utc>) -> StoreResult<u64> {
        let result = sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL",
        )
        .bind(to_millis(at))
        .bind(family_id)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(result.rows_affected())
    }

    async fn revoke_refresh(
        &self,
        token_hash: &str,
        user_id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let result = sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = ? WHERE token_hash = ? AND user_id = ? AND revoked_at IS NULL",
        )
        .bind(to_millis(at))
        .bind(token_hash)
        .bind(user_id)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(result.rows_affected() == 1)
    }

    async fn purge_expired(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        let now = to_millis(now);
        let a = sqlx::query("DELETE FROM revoked_tokens WHERE expires_at < ?")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        let b = sqlx::query("DELETE FROM refresh_tokens WHERE expires_at < ?")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(a.rows_affected() + b.rows_affected())
    }

    async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64> {
        let pool = self.pool.clone();
        let owner = user_id.to_owned();
        self.checks
            .write(user_id, async move {
                let a = sqlx::query("DELETE FROM revoked_tokens WHERE user_id = ?")
                    .bind(&owner)
                    .execute(&pool)
                    .await
                    .map_err(map_err)?;
                let b = sqlx::query("DELETE FROM refresh_tokens WHERE user_id = ?")
                    .bind(&owner)
                    .execute(&pool)
                    .await
                    .map_err(map_err)?;
                Ok(a.rows_affected() + b.rows_affected())
            })
            .await
    }
}
