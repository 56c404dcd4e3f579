//! MongoDB implementation of `TradeStatsRepo`: `$match` on the `(user_id, timestamp)` /
//! `(user_id, day)` indexes, then one `$group` (by `null` or by the plain `day` string, which
//! every MongoDB-compatible server evaluates). Trades still being booked are left out.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use mongodb::options::InsertManyOptions;
use mongodb::{Collection, Database};

use super::trades::MongoTrades;
use super::users::count_field;
use super::{map_err, to_bson};
use crate::domain::periods::PeriodBucket;
use crate::domain::portfolio::WinLoss;
use crate::domain::trade::{day_key, Trade};
use crate::store::trade_stats::{TradeStatsRepo, TradeTotals};
use crate::store::StoreResult;

/// Documents per `insert_many` call.
const IMPORT_CHUNK: usize = 1000;

pub(super) struct MongoTradeStats {
    trades: Collection<Document>,
}

impl MongoTradeStats {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            trades: db.collection("trades"),
        }
    }
}

/// The user's booked trades (same visibility as the trades repository).
fn visible(user_id: &str) -> Document {
    doc! {"user_id": user_id, "stage": {"$nin": ["pending"]}}
}

fn number(row: &Document, key: &str) -> f64 {
    match row.get(key) {
        Some(Bson::Double(v)) => *v,
        Some(Bson::Int32(v)) => f64::from(*v),
        Some(Bson::Int64(v)) => *v as f64,
        _ => 0.0,
    }
}

fn optional_number(row: &Document, key: &str) -> Option<f64> {
    matches!(
        row.get(key),
        Some(Bson::Double(_) | Bson::Int32(_) | Bson::Int64(_))
    )
    .then(|| number(row, key))
}

#[async_trait]
impl TradeStatsRepo for MongoTradeStats {
    async fn totals(
        &self,
        user_id: &str,
        since: Option<DateTime<Utc>>,
    ) -> StoreResult<TradeTotals> {
        let mut filter = visible(user_id);
        if let Some(since) = since {
            filter.insert("timestamp", doc! {"$gte": to_bson(since)});
        }
        let won = doc! {"$gt": ["$profit_loss", 0]};
        let lost = doc! {"$lt": ["$profit_loss", 0]};
        let pipeline = vec![
            doc! {"$match": filter},
            doc! {"$group": {
                "_id": Bson::Null,
                "n": {"$sum": 1},
                "wins": {"$sum": {"$cond": [won.clone(), 1, 0]}},
                "losses": {"$sum": {"$cond": [lost.clone(), 1, 0]}},
                "profit": {"$sum": "$profit_loss"},
                "gross_profit": {"$sum": {"$cond": [won, "$profit_loss", 0]}},
                "gross_loss": {"$sum": {"$cond": [lost, "$profit_loss", 0]}},
                "fees": {"$sum": "$fees"},
                "slippage": {"$sum": "$slippage_cost"},
                "best": {"$max": "$profit_loss"},
                "worst": {"$min": "$profit_loss"},
            }},
        ];
        let mut cursor = self.trades.aggregate(pipeline).await.map_err(map_err)?;
        let row = cursor
            .try_next()
            .await
            .map_err(map_err)?
            .unwrap_or_default();
        Ok(TradeTotals {
            results: WinLoss {
                wins: number(&row, "wins").max(0.0) as u64,
                losses: number(&row, "losses").max(0.0) as u64,
                total: count_field(&row),
                gross_profit: number(&row, "gross_profit"),
                gross_loss: -number(&row, "gross_loss"),
                best: optional_number(&row, "best"),
                worst: optional_number(&row, "worst"),
            },
            profit: number(&row, "profit"),
            fees: number(&row, "fees"),
            slippage: number(&row, "slippage"),
        })
    }

    async fn daily_results(
        &self,
        user_id: &str,
        since: Option<DateTime<Utc>>,
    ) -> StoreResult<Vec<PeriodBucket>> {
        let mut filter = visible(user_id);
        if let Some(since) = since {
            filter.insert("day", doc! {"$gte": day_key(since)});
        }
        let pipeline = vec![
            doc! {"$match": filter},
            doc! {"$group": {"_id": "$day", "profit": {"$sum": "$profit_loss"}, "n": {"$sum": 1}, "fees": {"$sum": "$fees"}}},
            doc! {"$sort": {"_id": 1}},
        ];
        let mut cursor = self.trades.aggregate(pipeline).await.map_err(map_err)?;
        let mut out = Vec::new();
        while let Some(row) = cursor.try_next().await.map_err(map_err)? {
            let Some(period_start) =
                crate::store::sqlite::day_start(row.get_str("_id").unwrap_or(""))
            else {
                continue;
            };
            out.push(PeriodBucket {
                period_start,
                profit: number(&row, "profit"),
                trades: count_field(&row),
                fees: number(&row, "fees"),
            });
        }
        Ok(out)
    }

    async fn import(&self, trades: &[Trade]) -> StoreResult<u64> {
        let mut stored = 0;
        for chunk in trades.chunks(IMPORT_CHUNK) {
            let docs = chunk
                .iter()
                .map(MongoTrades::encode)
                .collect::<StoreResult<Vec<Document>>>()?;
            let done = self
                .trades
                .insert_many(docs)
                .with_options(InsertManyOptions::builder().ordered(true).build())
                .await
                .map_err(map_err)?;
            stored += done.inserted_ids.len() as u64;
        }
        Ok(stored)
    }
}
