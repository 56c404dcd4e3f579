//! SQLite implementation of `UserRepo`.

use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

use std::sync::Arc;

use super::direct::DirectReader;
use super::token_checks::{Lookup, TokenChecks};
use super::{from_millis, map_err, to_millis};
use crate::domain::user::{Role, User, UserStatus, UserStatusCounts};
use crate::store::{ProfileChanges, StoreError, StoreResult, UserRepo};

pub(super) struct SqliteUsers {
    pub(super) pool: SqlitePool,
    pub(super) direct: Arc<DirectReader>,
    /// Kept token-check answers; every write below goes through `checks.write` so other
    /// processes on the file drop theirs too.
    pub(super) checks: Arc<TokenChecks>,
}

/// The user columns in one place (a macro so `concat!` can build whole statements at compile time).
macro_rules! user_columns {
    () => {
        "id, email, first_name, password_hash, role, status, currency, token_version, \
         must_change_password, created_at, updated_at, last_seen"
    };
}
const COLUMNS: &str = user_columns!();

/// Column reads shared by sqlx rows and the direct reader's rows, so a user is decoded one way.
trait UserColumns {
    fn text(&self, name: &'static str) -> StoreResult<String>;
    fn int(&self, name: &'static str) -> StoreResult<i64>;
    fn opt_int(&self, name: &'static str) -> StoreResult<Option<i64>>;
}

impl UserColumns for SqliteRow {
    fn text(&self, name: &'static str) -> StoreResult<String> {
        self.try_get(name).map_err(map_err)
    }
    fn int(&self, name: &'static str) -> StoreResult<i64> {
        self.try_get(name).map_err(map_err)
    }
    fn opt_int(&self, name: &'static str) -> StoreResult<Option<i64>> {
        self.try_get(name).map_err(map_err)
    }
}

/// The position of a column in `user_columns!()`: rusqlite resolves a name by asking SQLite
/// for every column's name in turn, which showed in `/api/auth/me`'s profile.
fn position(name: &str) -> usize {
    const NAMES: [&str; 12] = [
        "id",
        "email",
        "first_name",
        "password_hash",
        "role",
        "status",
        "currency",
        "token_version",
        "must_change_password",
        "created_at",
        "updated_at",
        "last_seen",
    ];
    // An unknown name maps past the end, so rusqlite answers "invalid column index".
    NAMES.iter().position(|n| *n == name).unwrap_or(NAMES.len())
}

impl UserColumns for rusqlite::Row<'_> {
    fn text(&self, name: &'static str) -> StoreResult<String> {
        self.get(position(name)).map_err(direct_err)
    }
    fn int(&self, name: &'static str) -> StoreResult<i64> {
        self.get(position(name)).map_err(direct_err)
    }
    fn opt_int(&self, name: &'static str) -> StoreResult<Option<i64>> {
        self.get(position(name)).map_err(direct_err)
    }
}

fn direct_err(err: rusqlite::Error) -> StoreError {
    StoreError::Other(err.to_string())
}

fn row_to_user(row: &impl UserColumns) -> StoreResult<User> {
    let role = row.text("role")?;
    let status = row.text("status")?;
    Ok(User {
        id: row.text("id")?,
        email: row.text("email")?,
        first_name: row.text("first_name")?,
        password_hash: row.text("password_hash")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Other(format!("bad role {role}")))?,
        status: UserStatus::parse(&status)
            .ok_or_else(|| StoreError::Other(format!("bad status {status}")))?,
        currency: row.text("currency")?,
        token_version: row.int("token_version")?,
        must_change_password: row.int("must_change_password")? != 0,
        created_at: from_millis(row.int("created_at")?),
        updated_at: from_millis(row.int("updated_at")?),
        last_seen: row.opt_int("last_seen")?.map(from_millis),
    })
}

#[async_trait]
impl UserRepo for SqliteUsers {
    async fn create(&self, user: &User) -> StoreResult<()> {
        let pool = self.pool.clone();
        let user = user.clone();
        self.checks
            .write(&user.id.clone(), async move {
                sqlx::query(&format!(
                    "INSERT INTO users ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                ))
                .bind(&user.id)
                .bind(&user.email)
                .bind(&user.first_name)
                .bind(&user.password_hash)
                .bind(user.role.as_str())
                .bind(user.status.as_str())
                .bind(&user.currency)
                .bind(user.token_version)
                .bind(user.must_change_password as i64)
                .bind(to_millis(user.created_at))
                .bind(to_millis(user.updated_at))
                .bind(user.last_seen.map(to_millis))
                .execute(&pool)
                .await
                .map_err(map_err)?;
                Ok(())
            })
            .await
    }

    async fn find_by_id(&self, id: &str) -> StoreResult<Option<User>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.as_ref().map(row_to_user).transpose()
    }

    async fn find_for_token(&self, id: &str, jti: &str) -> StoreResult<Option<User>> {
        // Every authenticated request runs this: answered from the kept answers while the user
        // is unchanged (token_checks.rs), else one indexed statement read inline (direct.rs).
        const SQL: &str = concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = ?2)"
        );
        let epoch = match self.checks.lookup(id, jti) {
            // A closed store answers nothing, kept or not.
            Lookup::Kept(user) if !self.direct.is_closed() => return Ok(Some(user)),
            Lookup::Kept(_) => return Err(super::direct::closed()),
            Lookup::Read { epoch } => epoch,
        };
        let found = self
            .direct
            .read(|conn| {
                let mut statement = conn.prepare_cached(SQL)?;
                let mut rows = statement.query([id, jti])?;
                Ok(rows.next()?.map(row_to_user))
            })?
            .transpose()?;
        if let Some(user) = &found {
            self.checks.keep(jti, epoch, user);
        }
        Ok(found)
    }

    async fn find_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE email = ?"))
            .bind(email)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.as_ref().map(row_to_user).transpose()
    }

    async fn update(&self, user: &User) -> StoreResult<bool> {
        let pool = self.pool.clone();
        let user = user.clone();
        self.checks
            .write(&user.id.clone(), async move {
                let result = sqlx::query(
                    "UPDATE users SET email = ?, first_name = ?, password_hash = ?, role = ?, status = ?, currency = ?, \
                     token_version = ?, must_change_password = ?, updated_at = ?, last_seen = ? WHERE id = ?",
                )
                .bind(&user.email)
                .bind(&user.first_name)
                .bind(&user.password_hash)
                .bind(user.role.as_str())
                .bind(user.status.as_str())
                .bind(&user.currency)
                .bind(user.token_version)
                .bind(user.must_change_password as i64)
                .bind(to_millis(user.updated_at))
                .bind(user.last_seen.map(to_millis))
                .bind(&user.id)
                .execute(&pool)
                .await
                .map_err(map_err)?;
                Ok(result.rows_affected() == 1)
            })
            .await
    }

    async fn update_profile(
        &self,
        id: &str,
        changes: &ProfileChanges,
        updated_at: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<Option<User>> {
        let pool = self.pool.clone();
        let changes = changes.clone();
        let owned_id = id.to_owned();
        self.checks
            .write(id, async move {
                let new_password = changes.password_hash.is_some() as i64;
                let row = sqlx::query(&format!(
                    "UPDATE users SET first_name = COALESCE(?, first_name), currency = COALESCE(?, currency), \
                     email = COALESCE(?, email), password_hash = COALESCE(?, password_hash), \
                     must_change_password = CASE WHEN ? = 1 THEN 0 ELSE must_change_password END, \
                     token_version = token_version + ?, updated_at = ? WHERE id = ? RETURNING {COLUMNS}"
                ))
                .bind(&changes.first_name)
                .bind(&changes.currency)
                .bind(&changes.email)
                .bind(&changes.password_hash)
                .bind(new_password)
                .bind(new_password)
                .bind(to_millis(updated_at))
                .bind(&owned_id)
                .fetch_optional(&pool)
                .await
                .map_err(map_err)?;
                row.as_ref().map(row_to_user).transpose()
            })
            .await
    }

    async fn bump_token_version(&self, id: &str) -> StoreResult<Option<i64>> {
        let pool = self.pool.clone();
        let owned_id = id.to_owned();
        self.checks
            .write(id, async move {
                sqlx::query_scalar(
                    "UPDATE users SET token_version = token_version + 1 WHERE id = ? RETURNING token_version",
                )
                .bind(&owned_id)
                .fetch_optional(&pool)
                .await
                .map_err(map_err)
            })
            .await
    }

    async fn count_by_status(&self) -> StoreResult<UserStatusCounts> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, COUNT(*) FROM users GROUP BY status")
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
        let mut counts = UserStatusCounts::default();
        for (status, n) in rows {
            let n = n.max(0) as u64;
            match UserStatus::parse(&status) {
                Some(UserStatus::Pending) => counts.pending = n,
                Some(UserStatus::Active) => counts.active = n,
                Some(UserStatus::Blocked) => counts.blocked = n,
                None => {}
            }
        }
        Ok(counts)
    }

    async fn count_active_admins(&self) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM users WHERE role = 'admin' AND status = 'active'",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(n.max(0) as u64)
    }

    async fn list(&self, limit: u32, offset: u32) -> StoreResult<Vec<User>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM users ORDER BY created_at, id LIMIT ? OFFSET ?"
        ))
        .bind(limit as i64)
        .bind(offset as i64)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter().map(row_to_user).collect()
    }

    async fn delete(&self, id: &str) -> StoreResult<bool> {
        let pool = self.pool.clone();
        let owned_id = id.to_owned();
        self.checks
            .write(id, async move {
                let result = sqlx::query("DELETE FROM users WHERE id = ?")
                    .bind(&owned_id)
                    .execute(&pool)
                    .await
                    .map_err(map_err)?;
                Ok(result.rows_affected() == 1)
            })
            .await
    }

    async fn touch_last_seen(
        &self,
        id: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<()> {
        // Announced like any other write: the kept answer carries `last_seen`, which decides
        // when the next touch is due.
        let pool = self.pool.clone();
        let owned_id = id.to_owned();
        self.checks
            .write(id, async move {
                sqlx::query("UPDATE users SET last_seen = ? WHERE id = ?")
                    .bind(to_millis(at))
                    .bind(&owned_id)
                    .execute(&pool)
                    .await
                    .map_err(map_err)?;
                Ok(())
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn positions_follow_the_column_list() {
        let listed: Vec<&str> = user_columns!().split(',').map(str::trim).collect();
        for (i, name) in listed.iter().enumerate() {
            assert_eq!(super::position(name), i, "{name}");
        }
        assert_eq!(super::position("nope"), listed.len());
    }
}
