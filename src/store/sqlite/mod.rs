//! SQLite engine (embedded default): one WAL-mode file under `DATA_DIR`, migrations via sqlx.

mod audit;
mod backtests;
mod bot_status;
mod bots;
mod candles;
mod chat;
mod dashboard;
mod decisions;
mod direct;
mod funding_plans;
mod keys;
mod leases;
mod ledger;
mod live_orders;
mod orders;
mod platform;
mod settings;
mod token_checks;
mod tokens;
mod trade_stats;
mod trades;
mod trades_write;
mod user_epochs;
mod users;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use super::{Store, StoreAdmin, StoreError, StoreResult};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Opens (creating if needed) `<data_dir>/amarktai.db` and applies migrations. A token check's
/// answer is reused for at most `token_check_max_age` without a write to its user (zero: never).
pub async fn open(
    data_dir: &Path,
    timeout: Duration,
    migrate: bool,
    token_check_max_age: Duration,
) -> StoreResult<Store> {
    std::fs::create_dir_all(data_dir).map_err(|e| {
        StoreError::Unavailable(format!("cannot create {}: {e}", data_dir.display()))
    })?;
    let path = data_dir.join("amarktai.db");
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
        .map_err(map_err)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true);
    // No ping before each acquire (sqlx's default): an embedded file connection cannot drop
    // like a network one, and the ping is an extra round trip to the connection's worker thread
    // on every query (about half the thread wake-ups of an authenticated request; see bench/).
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .min_connections(1)
        .test_before_acquire(false)
        .acquire_timeout(timeout)
        .connect_with(options)
        .await
        .map_err(map_err)?;
    let direct = Arc::new(direct::DirectReader::open(&path)?);
    // Beside the database like its `-wal` and `-shm`: shared by every process on this file.
    let epochs = user_epochs::UserEpochs::open(&data_dir.join("amarktai.db-users"), &path)?;
    let checks = Arc::new(token_checks::TokenChecks::new(epochs, token_check_max_age));
    let admin = Arc::new(SqliteAdmin {
        pool: pool.clone(),
        direct: direct.clone(),
    });
    if migrate {
        admin.migrate().await?;
    }
    Ok(Store {
        admin,
        users: Arc::new(users::SqliteUsers {
            pool: pool.clone(),
            direct: direct.clone(),
            checks: checks.clone(),
        }),
        tokens: Arc::new(tokens::SqliteTokens {
            pool: pool.clone(),
            checks,
        }),
        keys: Arc::new(keys::SqliteKeys { pool: pool.clone() }),
        settings: Arc::new(settings::SqliteSettings { pool: pool.clone() }),
        alerts: Arc::new(settings::SqliteAlerts { pool: pool.clone() }),
        audit: Arc::new(audit::SqliteAudit { pool: pool.clone() }),
        chat: Arc::new(chat::SqliteChat { pool: pool.clone() }),
        bots: Arc::new(bots::SqliteBots {
            pool: pool.clone(),
            direct,
        }),
        platform: Arc::new(platform::SqlitePlatform { pool: pool.clone() }),
        orders: Arc::new(orders::SqliteOrders { pool: pool.clone() }),
        trades: Arc::new(trades::SqliteTrades { pool: pool.clone() }),
        trade_stats: Arc::new(trade_stats::SqliteTradeStats { pool: pool.clone() }),
        ledger: Arc::new(ledger::SqliteLedger { pool: pool.clone() }),
        leases: Arc::new(leases::SqliteLeases { pool: pool.clone() }),
        candles: Arc::new(candles::SqliteCandles { pool: pool.clone() }),
        decisions: Arc::new(decisions::SqliteDecisions { pool: pool.clone() }),
        live_orders: Arc::new(live_orders::SqliteLiveOrders { pool: pool.clone() }),
        funding_plans: Arc::new(funding_plans::SqliteFundingPlans { pool: pool.clone() }),
        backtests: Arc::new(backtests::SqliteBacktests { pool: pool.clone() }),
        dashboard: Arc::new(dashboard::SqliteDashboard { pool }),
    })
}

struct SqliteAdmin {
    pool: SqlitePool,
    direct: Arc<direct::DirectReader>,
}

#[async_trait]
impl StoreAdmin for SqliteAdmin {
    fn engine(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn collections(&self) -> StoreResult<Vec<String>> {
        sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)
    }

    async fn migrate(&self) -> StoreResult<()> {
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Other(format!("sqlite migration failed: {e}")))
    }

    async fn migrations_applied(&self) -> StoreResult<bool> {
        let table: Option<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        if table.is_none() {
            return Ok(false);
        }
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success = 1")
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
        Ok(MIGRATOR.iter().all(|m| applied.contains(&m.version)))
    }

    async fn close(&self) {
        self.direct.close();
        self.pool.close().await;
    }
}

/// Maps sqlx errors to the storage error kinds the domain understands.
pub(crate) fn map_err(err: sqlx::Error) -> StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            // "UNIQUE constraint failed: users.email" -> "email"
            let field = db
                .message()
                .rsplit(['.', ' '])
                .next()
                .unwrap_or("record")
                .to_string();
            StoreError::Duplicate(field)
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            StoreError::Unavailable(err.to_string())
        }
        _ => StoreError::Other(err.to_string()),
    }
}

pub(crate) fn to_millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}
