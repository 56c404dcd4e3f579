//! Storage: repository traits (one per aggregate) with a SQLite and a MongoDB implementation.

pub mod audit;
pub mod backtests;
pub mod bots;
pub mod candles;
pub mod chat;
pub mod common;
pub mod dashboard;
pub mod decisions;
pub mod funding_plans;
pub mod keys;
pub mod leases;
pub mod ledger;
pub mod live_orders;
pub mod mongo;
pub mod orders;
pub mod platform;
pub mod settings;
pub mod sqlite;
pub mod tokens;
pub mod trade_stats;
pub mod trades;
pub mod users;

use std::sync::Arc;

use async_trait::async_trait;

pub use audit::{AuditEntry, AuditRepo};
pub use backtests::BacktestRepo;
pub use bots::BotRepo;
pub use candles::{CandleRepo, Dataset};
pub use chat::ChatRepo;
pub use dashboard::DashboardRepo;
pub use decisions::DecisionRepo;
pub use funding_plans::FundingPlanRepo;
pub use keys::{ApiKeyRecord, ApiKeyRepo};
pub use leases::LeaseRepo;
pub use ledger::LedgerRepo;
pub use live_orders::LiveOrderRepo;
pub use orders::OrderRepo;
pub use platform::PlatformRepo;
pub use settings::{AlertRepo, SettingsRepo};
pub use tokens::{RefreshToken, TokenRepo};
pub use trade_stats::TradeStatsRepo;
pub use trades::TradeRepo;
pub use users::{ProfileChanges, UserRepo};

/// Storage failures the domain can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write (e.g. the email is taken).
    #[error("duplicate {0}")]
    Duplicate(String),
    /// The database cannot be reached right now; callers answer 503.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("storage error: {0}")]
    Other(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Engine-level operations: health, schema, shutdown.
#[async_trait]
pub trait StoreAdmin: Send + Sync {
    /// "sqlite" or "mongodb".
    fn engine(&self) -> &'static str;
    /// One cheap round trip to the database.
    async fn ping(&self) -> StoreResult<()>;
    /// Names of the tables/collections present.
    async fn collections(&self) -> StoreResult<Vec<String>>;
    /// Applies migrations / indexes; idempotent.
    async fn migrate(&self) -> StoreResult<()>;
    /// True when every known migration has been applied.
    async fn migrations_applied(&self) -> StoreResult<bool>;
    /// Flushes and closes connections (graceful shutdown).
    async fn close(&self);
}

/// Every repository the application uses, behind trait objects.
#[derive(Clone)]
pub struct Store {
    pub admin: Arc<dyn StoreAdmin>,
    pub users: Arc<dyn UserRepo>,
    pub tokens: Arc<dyn TokenRepo>,
    pub keys: Arc<dyn ApiKeyRepo>,
    pub settings: Arc<dyn SettingsRepo>,
    pub alerts: Arc<dyn AlertRepo>,
    pub audit: Arc<dyn AuditRepo>,
    pub chat: Arc<dyn ChatRepo>,
    pub bots: Arc<dyn BotRepo>,
    /// Cross-user aggregates (admin, `/api/status`).
    pub platform: Arc<dyn PlatformRepo>,
    pub orders: Arc<dyn OrderRepo>,
    pub live_orders: Arc<dyn LiveOrderRepo>,
    pub funding_plans: Arc<dyn FundingPlanRepo>,
    pub trades: Arc<dyn TradeRepo>,
    /// Read-side aggregates over trades (portfolio, profits, analytics).
    pub trade_stats: Arc<dyn TradeStatsRepo>,
    pub ledger: Arc<dyn LedgerRepo>,
    /// Engine leases (one runner per engine across instances).
    pub leases: Arc<dyn LeaseRepo>,
    /// Market data (candles).
    pub candles: Arc<dyn CandleRepo>,
    /// Strategy decisions.
    pub decisions: Arc<dyn DecisionRepo>,
    /// Backtest jobs.
    pub backtests: Arc<dyn BacktestRepo>,
    /// Custom countdowns and greeting marks of the old dashboard.
    pub dashboard: Arc<dyn DashboardRepo>,
}

impl Store {
    pub fn engine(&self) -> &'static str {
        self.admin.engine()
    }
}

/// Opens the configured engine, retrying an unreachable database with exponential backoff.
pub async fn connect(config: &crate::config::Config) -> StoreResult<Store> {
    connect_with(config, config.db_connect_attempts, true).await
}

/// `connect` with an explicit attempt count and whether to apply migrations (doctor does not).
pub async fn connect_with(
    config: &crate::config::Config,
    attempts: u32,
    migrate: bool,
) -> StoreResult<Store> {
    use std::time::Duration;
    let timeout = Duration::from_millis(config.db_timeout_ms);
    let attempts = attempts.max(1);
    let mut delay = Duration::from_millis(250);
    let mut attempt = 1;
    loop {
        let result = match &config.mongodb_url {
            Some(url) => mongo::open(url.expose(), &config.mongodb_db, timeout, migrate).await,
            None => {
                let max_age = Duration::from_millis(config.token_check_max_age_ms);
                sqlite::open(&config.data_dir, timeout, migrate, max_age).await
            }
        };
        match result {
            Ok(store) => return Ok(store),
            Err(StoreError::Unavailable(cause)) if attempt < attempts => {
                tracing::warn!(
                    engine = config.storage_engine(),
                    attempt,
                    retry_in_ms = delay.as_millis() as u64,
                    cause = %cause,
                    "database not reachable; retrying"
                );
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(8));
                attempt += 1;
            }
            Err(err) => return Err(err),
        }
    }
}

impl Store {
    /// Deletes a user and everything they own, in every collection (audit entries are kept).
    /// Children first, then the user row, then its tokens, so a failure part-way leaves the
    /// account visible (and the delete can simply be repeated) rather than orphaned data, and
    /// never a live account whose logged-out tokens work again.
    pub async fn delete_user_cascade(&self, user_id: &str) -> StoreResult<serde_json::Value> {
        let keys = self.keys.delete_for_user(user_id).await?;
        let dashboard = self.dashboard.delete_for_user(user_id).await?;
        let alerts = self.alerts.clear(user_id).await?;
        let chat_messages = self.chat.clear(user_id).await?;
        let live_orders = self.live_orders.delete_for_user(user_id).await?;
        let funding_plans = self.funding_plans.delete_for_user(user_id).await?;
        let orders = self.orders.delete_for_user(user_id).await?;
        let trades = self.trades.delete_for_user(user_id).await?;
        let ledger = self.ledger.delete_for_user(user_id).await?;
        let bots = self.bots.delete_for_user(user_id).await?;
        let settings = self.settings.delete_for_user(user_id).await?;
        // The user row before its tokens: while the user exists, its revoked tokens must stay
        // revoked (deleting them first would let a logged-out token in again until the row goes).
        let user = self.users.delete(user_id).await?;
        let tokens = self.tokens.delete_for_user(user_id).await?;
        Ok(serde_json::json!({
            "api_keys": keys, "dashboard": dashboard, "live_orders": live_orders, "funding_plans": funding_plans, "alerts": alerts, "chat_messages": chat_messages, "orders": orders, "trades": trades, "ledger": ledger, "bots": bots, "settings": settings, "tokens": tokens, "user": user,
        }))
    }
}
