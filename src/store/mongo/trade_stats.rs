//! MongoDB implementation of `TradeStatsRepo`. All-time totals and daily series read the
//! per-day rollup (`trade_days.rs`: O(days)); a window's first, partial day is aggregated from
//! the trades over the `(user_id, timestamp)` index. Trades still being booked are left out.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mongodb::bson::{doc, Document};
use mongodb::options::InsertManyOptions;
use mongodb::{Collection, Database};

use super::map_err;
use super::trade_days::TradeDays;
use super::trades::MongoTrades;
use crate::domain::periods::PeriodBucket;
use crate::domain::trade::{day_key, Trade};
use crate::store::trade_stats::{TradeStatsRepo, TradeTotals};
use crate::store::StoreResult;

/// Documents per `insert_many` call (and per rollup batch).
const IMPORT_CHUNK: usize = 1000;

pub(super) struct MongoTradeStats {
    trades: Collection<Document>,
    days: TradeDays,
}

impl MongoTradeStats {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            trades: db.collection("trades"),
            days: TradeDays::new(db),
        }
    }
}

#[async_trait]
impl TradeStatsRepo for MongoTradeStats {
    async fn totals(
        &self,
        user_id: &str,
        since: Option<DateTime<Utc>>,
    ) -> StoreResult<TradeTotals> {
        self.days.totals(user_id, since).await
    }

    async fn daily_results(
        &self,
        user_id: &str,
        since: Option<DateTime<Utc>>,
    ) -> StoreResult<Vec<PeriodBucket>> {
        self.days.daily(user_id, since.map(day_key)).await
    }

    /// Each chunk is stored `pending` (invisible) with an `import_batch` id and its size,
    /// rolled up under that id, then marked `done`. A crash part-way leaves a pending chunk
    /// that `repair` finishes once it is complete; a chunk the insert did not complete stays
    /// invisible and out of the totals (and is removed here when the insert fails).
    async fn import(&self, trades: &[Trade]) -> StoreResult<u64> {
        let mut stored = 0;
        for chunk in trades.chunks(IMPORT_CHUNK) {
            let batch = uuid::Uuid::new_v4().simple().to_string();
            let docs = chunk
                .iter()
                .map(|t| {
                    let mut d = MongoTrades::encode(t)?;
                    d.insert("stage", "pending");
                    d.insert("import_batch", &batch);
                    d.insert("import_size", chunk.len() as i64);
                    Ok(d)
                })
                .collect::<StoreResult<Vec<Document>>>()?;
            let inserted = self
                .trades
                .insert_many(docs)
                .with_options(InsertManyOptions::builder().ordered(true).build())
                .await
                .map_err(map_err);
            if let Err(e) = inserted {
                let _ = self.trades.delete_many(doc! {"import_batch": &batch}).await;
                return Err(e);
            }
            self.days.finish_import(&batch, chunk).await?;
            stored += chunk.len() as u64;
        }
        Ok(stored)
    }
}
