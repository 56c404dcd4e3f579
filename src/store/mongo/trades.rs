//! MongoDB implementation of `TradeRepo`: queries and aggregation pipelines (grouping by plain
//! string keys, which every MongoDB-compatible server evaluates). Writes: `trades_write.rs`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use mongodb::{Collection, Database};

use super::json_doc::{from_document, to_document};
use super::ledger::MongoLedger;
use super::orders::MongoOrders;
use super::trade_days::TradeDays;
use super::{from_bson, map_err, to_bson, users::count_field};
use crate::domain::bot::Bot;
use crate::domain::gates::LimitCounts;
use crate::domain::periods::PeriodBucket;
use crate::domain::portfolio::PnlPoint;
use crate::domain::trade::{Trade, TradeQuery, TradeStats};
use crate::store::trades::{FillWrite, LimitScope, TradeRepo};
use crate::store::StoreResult;

const DATES: &[&str] = &["timestamp"];

pub(super) struct MongoTrades {
    pub(super) trades: Collection<Document>,
    pub(super) bots: Collection<Document>,
    pub(super) ledger: MongoLedger,
    pub(super) orders: MongoOrders,
    /// The per-day rollup the fill write path keeps (`trade_days.rs`).
    pub(super) days: TradeDays,
}

/// Trades whose bot update is done (pending ones are finished by `repair`).
fn visible(user_id: &str) -> Document {
    doc! {"user_id": user_id, "stage": {"$nin": ["pending"]}}
}

/// `{a: .., b: ..}` as `{$and: [{a: ..}, {b: ..}]}`: the same match on MongoDB, but the test
/// server (nx-27017) ignores a date range in an aggregation `$match` unless it sits inside
/// `$and` (tests/README.md), which made today's P&L count every earlier trade.
fn each_condition_apart(filter: Document) -> Document {
    let parts: Vec<Bson> = filter
        .into_iter()
        .map(|(key, value)| Bson::Document(doc! { key: value }))
        .collect();
    doc! {"$and": parts}
}

fn number(row: &Document, key: &str) -> f64 {
    match row.get(key) {
        Some(Bson::Double(v)) => *v,
        Some(Bson::Int32(v)) => f64::from(*v),
        Some(Bson::Int64(v)) => *v as f64,
        _ => 0.0,
    }
}

fn clamp_u32(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl MongoTrades {
    pub(super) fn new(db: &Database, ledger: MongoLedger, orders: MongoOrders) -> Self {
        Self {
            trades: db.collection("trades"),
            bots: db.collection("bots"),
            ledger,
            orders,
            days: TradeDays::new(db),
        }
    }

    pub(super) fn encode(trade: &Trade) -> StoreResult<Document> {
        let mut d = to_document(trade, DATES)?;
        d.insert("day", trade.day());
        Ok(d)
    }

    pub(super) fn decode(mut d: Document) -> StoreResult<Trade> {
        for extra in ["day", "stage", "order_json", "import_batch", "import_size"] {
            d.remove(extra);
        }
        from_document(d, DATES)
    }

    async fn find_trades(&self, filter: Document, limit: u32) -> StoreResult<Vec<Trade>> {
        let cursor = self
            .trades
            .find(filter)
            .sort(doc! {"timestamp": -1, "_id": -1})
            .limit(i64::from(limit))
            .await
            .map_err(map_err)?;
        let docs: Vec<Document> = cursor.try_collect().await.map_err(map_err)?;
        docs.into_iter().map(Self::decode).collect()
    }

    async fn one_group(&self, filter: Document, group: Document) -> StoreResult<Document> {
        let pipeline = vec![
            doc! {"$match": each_condition_apart(filter)},
            doc! {"$group": group},
        ];
        let mut cursor = self.trades.aggregate(pipeline).await.map_err(map_err)?;
        Ok(cursor
            .try_next()
            .await
            .map_err(map_err)?
            .unwrap_or_default())
    }
}

#[async_trait]
impl TradeRepo for MongoTrades {
    async fn record_fill(&self, write: &FillWrite) -> StoreResult<Bot> {
        self.record(write).await
    }

    async fn repair(&self, user_id: Option<&str>) -> StoreResult<u64> {
        self.repair_pending(user_id).await
    }

    async fn find(&self, user_id: &str, id: &str) -> StoreResult<Option<Trade>> {
        let mut filter = visible(user_id);
        filter.insert("_id", id);
        let found = self.trades.find_one(filter).await.map_err(map_err)?;
        found.map(Self::decode).transpose()
    }

    async fn recent(&self, user_id: &str, limit: u32) -> StoreResult<Vec<Trade>> {
        self.find_trades(visible(user_id), limit).await
    }

    async fn page(&self, user_id: &str, q: &TradeQuery) -> StoreResult<Vec<Trade>> {
        let mut filter = visible(user_id);
        if let Some(bot) = &q.bot_id {
            filter.insert("bot_id", bot);
        }
        let mut range = Document::new();
        if let Some(since) = q.since {
            range.insert("$gte", to_bson(since));
        }
        if let Some(until) = q.until {
            range.insert("$lt", to_bson(until));
        }
        if !range.is_empty() {
            filter.insert("timestamp", range);
        }
        if let Some(c) = &q.after {
            let at = mongodb::bson::DateTime::from_millis(c.timestamp_ms);
            filter.insert(
                "$or",
                vec![
                    doc! {"timestamp": {"$lt": at}},
                    doc! {"timestamp": at, "_id": {"$lt": &c.id}},
                ],
            );
        }
        self.find_trades(filter, q.limit).await
    }

    async fn stats(&self, user_id: &str, bot_id: Option<&str>) -> StoreResult<TradeStats> {
        let mut filter = visible(user_id);
        if let Some(bot) = bot_id {
            filter.insert("bot_id", bot);
        }
        let won = doc! {"$gt": ["$profit_loss", 0]};
        let row = self
            .one_group(
                filter,
                doc! {
                    "_id": Bson::Null,
                    "n": {"$sum": 1},
                    "wins": {"$sum": {"$cond": [won.clone(), 1, 0]}},
                    "pnl": {"$sum": "$profit_loss"},
                    "gross_profit": {"$sum": {"$cond": [won.clone(), "$profit_loss", 0]}},
                    "gross_loss": {"$sum": {"$cond": [won, 0, "$profit_loss"]}},
                    "fees": {"$sum": "$fees"},
                    "slippage": {"$sum": "$slippage_cost"},
                    "best": {"$max": "$profit_loss"},
                    "worst": {"$min": "$profit_loss"},
                    "volume": {"$sum": {"$multiply": ["$amount", "$entry_price"]}},
                },
            )
            .await?;
        let n = count_field(&row);
        let wins = number(&row, "wins").max(0.0) as u64;
        Ok(TradeStats {
            total_trades: n,
            winning_trades: wins,
            losing_trades: n.saturating_sub(wins),
            total_profit: number(&row, "pnl"),
            gross_profit: number(&row, "gross_profit"),
            gross_loss: number(&row, "gross_loss"),
            total_fees: number(&row, "fees"),
            total_slippage: number(&row, "slippage"),
            best_trade: number(&row, "best"),
            worst_trade: number(&row, "worst"),
            total_volume: number(&row, "volume"),
            ..TradeStats::default()
        }
        .finish())
    }

    async fn pnl_since(
        &self,
        user_id: &str,
        bot_id: Option<&str>,
        since: DateTime<Utc>,
    ) -> StoreResult<f64> {
        let mut filter = visible(user_id);
        filter.insert("timestamp", doc! {"$gte": to_bson(since)});
        if let Some(bot) = bot_id {
            filter.insert("bot_id", bot);
        }
        let row = self
            .one_group(
                filter,
                doc! {"_id": Bson::Null, "pnl": {"$sum": "$profit_loss"}},
            )
            .await?;
        Ok(number(&row, "pnl"))
    }

    async fn limit_counts(&self, s: &LimitScope<'_>) -> StoreResult<LimitCounts> {
        // Pending trades count too: the limits must hold while a fill is being booked.
        let day = to_bson(s.day_start);
        let count = |filter: Document| async move {
            self.trades.count_documents(filter).await.map_err(map_err)
        };
        Ok(LimitCounts {
            bot_trades_today: clamp_u32(
                count(doc! {"user_id": s.user_id, "bot_id": s.bot_id, "timestamp": {"$gte": day}})
                    .await?,
            ),
            user_trades_today: clamp_u32(
                count(doc! {"user_id": s.user_id, "timestamp": {"$gte": day}}).await?,
            ),
            exchange_orders_in_burst_window: clamp_u32(
                count(doc! {"user_id": s.user_id, "exchange": s.exchange, "timestamp": {"$gte": to_bson(s.burst_start)}})
                    .await?,
            ),
        })
    }

    async fn consecutive_losses(
        &self,
        user_id: &str,
        bot_id: &str,
        since: Option<DateTime<Utc>>,
        max: u32,
    ) -> StoreResult<u32> {
        let mut filter = visible(user_id);
        filter.insert("bot_id", bot_id);
        if let Some(since) = since {
            filter.insert("timestamp", doc! {"$gt": to_bson(since)});
        }
        let recent = self.find_trades(filter, max).await?;
        Ok(recent.iter().take_while(|t| t.profit_loss <= 0.0).count() as u32)
    }

    async fn daily_buckets(
        &self,
        user_id: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<PeriodBucket>> {
        let mut filter = visible(user_id);
        filter.insert("timestamp", doc! {"$gte": to_bson(since)});
        let pipeline = vec![
            doc! {"$match": each_condition_apart(filter)},
            doc! {"$group": {"_id": "$day", "profit": {"$sum": "$profit_loss"}, "n": {"$sum": 1}, "fees": {"$sum": "$fees"}}},
            doc! {"$sort": {"_id": 1}},
        ];
        let mut cursor = self.trades.aggregate(pipeline).await.map_err(map_err)?;
        let mut out = Vec::new();
        while let Some(row) = cursor.try_next().await.map_err(map_err)? {
            let Some(period_start) =
                crate::store::common::day_start(row.get_str("_id").unwrap_or(""))
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

    async fn pnl_points(
        &self,
        user_id: &str,
        since: Option<DateTime<Utc>>,
        limit: u32,
    ) -> StoreResult<Vec<PnlPoint>> {
        let mut filter = visible(user_id);
        if let Some(since) = since {
            filter.insert("timestamp", doc! {"$gte": to_bson(since)});
        }
        let cursor = self
            .trades
            .find(filter)
            .projection(doc! {"timestamp": 1, "profit_loss": 1})
            .sort(doc! {"timestamp": -1, "_id": -1})
            .limit(i64::from(limit))
            .await
            .map_err(map_err)?;
        let docs: Vec<Document> = cursor.try_collect().await.map_err(map_err)?;
        let mut points: Vec<PnlPoint> = docs
            .iter()
            .filter_map(|d| {
                let ts = super::dates::from_value(d.get("timestamp")?)?;
                Some(PnlPoint {
                    timestamp: from_bson(ts),
                    pnl: number(d, "profit_loss"),
                })
            })
            .collect();
        points.reverse();
        Ok(points)
    }

    /// The trades, then their rollup (a failure in between leaves totals a repeated delete
    /// clears, never trades missing from the totals).
    async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64> {
        let r = self
            .trades
            .delete_many(doc! {"user_id": user_id})
            .await
            .map_err(map_err)?;
        self.days.delete_for_user(user_id).await?;
        Ok(r.deleted_count)
    }
}
