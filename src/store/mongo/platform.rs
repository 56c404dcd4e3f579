//! MongoDB implementation of `PlatformRepo`: one aggregation per question; document sizes
//! are `$bsonSize` of the whole stored document.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use mongodb::Database;

use super::map_err;
use super::users::count_field;
use crate::store::platform::{BotGroup, PlatformRepo, StoredKind, TradeTotals, UserUsage};
use crate::store::StoreResult;

pub(super) struct MongoPlatform {
    db: Database,
}

impl MongoPlatform {
    pub(super) fn new(db: &Database) -> Self {
        Self { db: db.clone() }
    }

    async fn aggregate(
        &self,
        collection: &str,
        pipeline: Vec<Document>,
    ) -> StoreResult<Vec<Document>> {
        let cursor = self
            .db
            .collection::<Document>(collection)
            .aggregate(pipeline)
            .await
            .map_err(map_err)?;
        cursor.try_collect().await.map_err(map_err)
    }
}

/// Reads a numeric aggregate whatever BSON number type the server chose.
fn number(row: &Document, key: &str) -> f64 {
    match row.get(key) {
        Some(Bson::Double(v)) => *v,
        Some(Bson::Int32(v)) => f64::from(*v),
        Some(Bson::Int64(v)) => *v as f64,
        _ => 0.0,
    }
}

/// Trades still being written (crash-safe fill protocol) are not trades yet.
fn booked() -> Document {
    doc! {"stage": {"$ne": "pending"}}
}

#[async_trait]
impl PlatformRepo for MongoPlatform {
    async fn storage_by_user(&self, kind: StoredKind) -> StoreResult<Vec<UserUsage>> {
        // A missing collection simply aggregates to nothing.
        let rows = self
            .aggregate(
                kind.table(),
                vec![doc! {"$group": {
                    "_id": "$user_id",
                    "n": {"$sum": 1},
                    "bytes": {"$sum": {"$bsonSize": "$$ROOT"}},
                }}],
            )
            .await?;
        Ok(rows
            .iter()
            .filter_map(|row| {
                Some(UserUsage {
                    user_id: row.get_str("_id").ok()?.to_string(),
                    count: count_field(row),
                    bytes: number(row, "bytes").max(0.0) as u64,
                })
            })
            .collect())
    }

    async fn trade_totals(&self, since: DateTime<Utc>) -> StoreResult<TradeTotals> {
        let table = StoredKind::Trades.table();
        let rows = self
            .aggregate(
                table,
                vec![
                    doc! {"$match": booked()},
                    doc! {"$group": {"_id": null, "n": {"$sum": 1}, "profit": {"$sum": "$profit_loss"}}},
                ],
            )
            .await?;
        let Some(row) = rows.first() else {
            return Ok(TradeTotals::default());
        };
        let mut recent = booked();
        recent.insert(
            "timestamp",
            doc! {"$gte": mongodb::bson::DateTime::from_millis(since.timestamp_millis())},
        );
        let since_count = self
            .db
            .collection::<Document>(table)
            .count_documents(recent)
            .await
            .map_err(map_err)?;
        Ok(TradeTotals {
            total: count_field(row),
            since: since_count,
            total_profit: number(row, "profit"),
        })
    }

    async fn bot_groups(&self) -> StoreResult<Vec<BotGroup>> {
        // One `$concat` key: the test server cannot group by a sub-document `_id`.
        let rows = self
            .aggregate(
                StoredKind::Bots.table(),
                vec![
                    doc! {"$match": {"status": {"$ne": "deleted"}}},
                    doc! {"$group": {
                        "_id": {"$concat": ["$status", "|", "$trading_mode"]},
                        "n": {"$sum": 1},
                        "profit": {"$sum": "$total_profit"},
                    }},
                    doc! {"$sort": {"_id": 1}},
                ],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|row| {
                let (status, mode) = row
                    .get_str("_id")
                    .unwrap_or("")
                    .split_once('|')
                    .unwrap_or(("", ""));
                BotGroup {
                    status: status.to_string(),
                    trading_mode: mode.to_string(),
                    count: count_field(row),
                    total_profit: number(row, "profit"),
                }
            })
            .collect())
    }
}
