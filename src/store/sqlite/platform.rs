//! SQLite implementation of `PlatformRepo`: grouped queries; row sizes are the summed byte
//! lengths of every column, read from the table's own schema so new columns count too.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

use super::{map_err, to_millis};
use crate::store::platform::{BotGroup, PlatformRepo, StoredKind, TradeTotals, UserUsage};
use crate::store::StoreResult;

pub(super) struct SqlitePlatform {
    pub(super) pool: SqlitePool,
}

impl SqlitePlatform {
    /// Whether `table` exists (the trades table arrives with a later migration).
    async fn has_table(&self, table: &str) -> StoreResult<bool> {
        let found: Option<String> =
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?")
                .bind(table)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
        Ok(found.is_some())
    }

    /// `length(CAST(c AS BLOB))` summed over every column of `table` (NULLs count 0).
    async fn row_size_expr(&self, table: &str) -> StoreResult<String> {
        let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info(?)")
            .bind(table)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        if columns.is_empty() {
            return Ok("0".into());
        }
        Ok(columns
            .iter()
            .map(|c| format!("COALESCE(length(CAST({} AS BLOB)), 0)", quote(c)))
            .collect::<Vec<_>>()
            .join(" + "))
    }
}

/// Quotes an identifier taken from the schema (never from a request).
fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

#[async_trait]
impl PlatformRepo for SqlitePlatform {
    async fn storage_by_user(&self, kind: StoredKind) -> StoreResult<Vec<UserUsage>> {
        let table = kind.table();
        if !self.has_table(table).await? {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT user_id, COUNT(*), COALESCE(SUM({}), 0) FROM {} GROUP BY user_id",
            self.row_size_expr(table).await?,
            quote(table)
        );
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(rows
            .into_iter()
            .map(|(user_id, count, bytes)| UserUsage {
                user_id,
                count: count.max(0) as u64,
                bytes: bytes.max(0) as u64,
            })
            .collect())
    }

    async fn trade_totals(&self, since: DateTime<Utc>) -> StoreResult<TradeTotals> {
        if !self.has_table(StoredKind::Trades.table()).await? {
            return Ok(TradeTotals::default());
        }
        let (total, recent, profit): (i64, i64, f64) = sqlx::query_as(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN timestamp >= ? THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(profit_loss), 0.0) FROM trades",
        )
        .bind(to_millis(since))
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(TradeTotals {
            total: total.max(0) as u64,
            since: recent.max(0) as u64,
            total_profit: profit,
        })
    }

    async fn bot_groups(&self) -> StoreResult<Vec<BotGroup>> {
        let rows: Vec<(String, String, i64, f64)> = sqlx::query_as(
            "SELECT status, trading_mode, COUNT(*), COALESCE(SUM(total_profit), 0.0) FROM bots \
             WHERE status != 'deleted' GROUP BY status, trading_mode ORDER BY status, trading_mode",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(rows
            .into_iter()
            .map(|(status, trading_mode, n, profit)| BotGroup {
                status,
                trading_mode,
                count: n.max(0) as u64,
                total_profit: profit,
            })
            .collect())
    }
}
