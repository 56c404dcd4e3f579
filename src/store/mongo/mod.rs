//! MongoDB engine (production): official driver, indexes from `migrations/mongo/` applied at boot.

mod audit;
mod backtests;
mod bot_status;
mod bots;
mod candles;
mod chat;
mod dashboard;
mod dates;
mod decisions;
mod funding_plans;
mod json_doc;
mod keys;
mod leases;
mod ledger;
mod live_orders;
mod orders;
mod platform;
mod settings;
mod tokens;
mod trade_days;
mod trade_stats;
mod trades;
mod trades_write;
mod users;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mongodb::bson::{doc, Document};
use mongodb::error::{ErrorKind, WriteFailure};
use mongodb::options::{ClientOptions, IndexOptions};
use mongodb::{Client, Database, IndexModel};
use serde::Deserialize;

use super::{Store, StoreAdmin, StoreError, StoreResult};

const INDEXES: &str = include_str!("../../../migrations/mongo/indexes.json");

#[derive(Deserialize)]
struct IndexFile {
    version: i64,
    indexes: Vec<IndexSpec>,
}

#[derive(Deserialize)]
struct IndexSpec {
    collection: String,
    name: String,
    keys: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    unique: bool,
    #[serde(default)]
    expire_after_seconds: Option<u64>,
    /// Only documents that have the field are indexed (fields few documents carry).
    #[serde(default)]
    sparse: bool,
}

/// Connects to `url` (one attempt) and applies indexes.
pub async fn open(
    url: &str,
    db_name: &str,
    timeout: Duration,
    migrate: bool,
) -> StoreResult<Store> {
    let mut options = ClientOptions::parse(url)
        .await
        .map_err(|e| StoreError::Unavailable(format!("invalid MONGODB_URL: {}", e.kind)))?;
    options.app_name = Some("amarktai".into());
    options.server_selection_timeout = Some(timeout);
    options.connect_timeout = Some(timeout);
    let client = Client::with_options(options).map_err(map_err)?;
    let db = client.database(db_name);
    let admin = Arc::new(MongoAdmin {
        client,
        db: db.clone(),
    });
    admin.ping().await?;
    if migrate {
        admin.migrate().await?;
    }
    let ledger = ledger::MongoLedger::new(&db);
    let orders = orders::MongoOrders::new(&db);
    let trades = trades::MongoTrades::new(&db, ledger.clone(), orders.clone());
    Ok(Store {
        admin,
        users: Arc::new(users::MongoUsers::new(&db)),
        tokens: Arc::new(tokens::MongoTokens::new(&db)),
        keys: Arc::new(keys::MongoKeys::new(&db)),
        settings: Arc::new(settings::MongoSettings::new(&db)),
        alerts: Arc::new(settings::MongoAlerts::new(&db)),
        audit: Arc::new(audit::MongoAudit::new(&db)),
        chat: Arc::new(chat::MongoChat::new(&db)),
        bots: Arc::new(bots::MongoBots::new(&db)),
        platform: Arc::new(platform::MongoPlatform::new(&db)),
        orders: Arc::new(orders),
        trades: Arc::new(trades),
        trade_stats: Arc::new(trade_stats::MongoTradeStats::new(&db)),
        ledger: Arc::new(ledger),
        leases: Arc::new(leases::MongoLeases::new(&db)),
        candles: Arc::new(candles::MongoCandles::new(&db)),
        decisions: Arc::new(decisions::MongoDecisions::new(&db)),
        live_orders: Arc::new(live_orders::MongoLiveOrders::new(&db)),
        funding_plans: Arc::new(funding_plans::MongoFundingPlans::new(&db)),
        backtests: Arc::new(backtests::MongoBacktests::new(&db)),
        dashboard: Arc::new(dashboard::MongoDashboard::new(&db)),
    })
}

struct MongoAdmin {
    client: Client,
    db: Database,
}

fn index_file() -> StoreResult<IndexFile> {
    serde_json::from_str(INDEXES)
        .map_err(|e| StoreError::Other(format!("bad migrations/mongo/indexes.json: {e}")))
}

#[async_trait]
impl StoreAdmin for MongoAdmin {
    fn engine(&self) -> &'static str {
        "mongodb"
    }

    async fn ping(&self) -> StoreResult<()> {
        self.db
            .run_command(doc! {"ping": 1})
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn collections(&self) -> StoreResult<Vec<String>> {
        let mut names = self.db.list_collection_names().await.map_err(map_err)?;
        names.retain(|n| !n.starts_with("system."));
        names.sort();
        Ok(names)
    }

    async fn migrate(&self) -> StoreResult<()> {
        let file = index_file()?;
        for spec in &file.indexes {
            let mut keys = Document::new();
            for (field, order) in &spec.keys {
                keys.insert(field.clone(), order.as_i64().unwrap_or(1) as i32);
            }
            let options = IndexOptions::builder()
                .name(spec.name.clone())
                .unique(spec.unique.then_some(true))
                .expire_after(spec.expire_after_seconds.map(Duration::from_secs))
                .sparse(spec.sparse.then_some(true))
                .build();
            let model = IndexModel::builder().keys(keys).options(options).build();
            self.db
                .collection::<Document>(&spec.collection)
                .create_index(model)
                .await
                .map_err(map_err)?;
        }
        trade_days::TradeDays::backfill(&self.db).await?;
        self.db
            .collection::<Document>("schema_migrations")
            .update_one(
                doc! {"_id": "indexes"},
                doc! {"$max": {"version": file.version}, "$set": {"applied_at": mongodb::bson::DateTime::now()}},
            )
            .upsert(true)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn migrations_applied(&self) -> StoreResult<bool> {
        let wanted = index_file()?.version;
        let applied = self
            .db
            .collection::<Document>("schema_migrations")
            .find_one(doc! {"_id": "indexes"})
            .await
            .map_err(map_err)?
            .and_then(|d| {
                d.get_i64("version")
                    .ok()
                    .or_else(|| d.get_i32("version").ok().map(i64::from))
            });
        Ok(applied.is_some_and(|v| v >= wanted))
    }

    async fn close(&self) {
        self.client.clone().shutdown().await;
    }
}

/// Maps driver errors: duplicate key -> Duplicate, network/selection -> Unavailable.
pub(crate) fn map_err(err: mongodb::error::Error) -> StoreError {
    match err.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(we)) if we.code == 11000 => {
            StoreError::Duplicate(duplicate_field(&we.message))
        }
        ErrorKind::Command(ce) if ce.code == 11000 => {
            StoreError::Duplicate(duplicate_field(&ce.message))
        }
        ErrorKind::InsertMany(im) => {
            match im
                .write_errors
                .as_ref()
                .and_then(|errs| errs.iter().find(|e| e.code == 11000))
            {
                Some(dup) => StoreError::Duplicate(duplicate_field(&dup.message)),
                None => StoreError::Other(err.to_string()),
            }
        }
        ErrorKind::ServerSelection { .. }
        | ErrorKind::Io(_)
        | ErrorKind::ConnectionPoolCleared { .. }
        | ErrorKind::Shutdown => StoreError::Unavailable(err.to_string()),
        _ => StoreError::Other(err.to_string()),
    }
}

/// "E11000 duplicate key error ... index: users_email_unique dup key: { email: ... }" -> "email".
fn duplicate_field(message: &str) -> String {
    message
        .split("dup key: {")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .map(|f| f.trim().trim_matches('"').to_string())
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| "record".to_string())
}

pub(crate) fn to_bson(t: DateTime<Utc>) -> mongodb::bson::DateTime {
    mongodb::bson::DateTime::from_millis(t.timestamp_millis())
}

pub(crate) fn from_bson(t: mongodb::bson::DateTime) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn duplicate_field_is_read_from_the_server_message() {
        let msg = r#"E11000 duplicate key error collection: amarktai.users index: users_email_unique dup key: { email: "a@b.c" }"#;
        assert_eq!(super::duplicate_field(msg), "email");
        assert_eq!(super::duplicate_field("E11000 something else"), "record");
    }

    #[test]
    fn index_definitions_parse() {
        let file = super::index_file().unwrap();
        assert!(file
            .indexes
            .iter()
            .any(|i| i.collection == "users" && i.unique));
    }
}
