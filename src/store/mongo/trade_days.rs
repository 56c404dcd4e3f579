//! MongoDB: the per-(user, UTC day) rollup of trade results (`trade_days`), the same numbers
//! the SQLite `trade_days` table keeps (migration 0010), so all-time totals and daily series
//! cost O(days) instead of O(trades).
//!
//! Without multi-document transactions the rollup cannot be updated in the same write as the
//! trade, so every increment is made idempotent instead: it names what it adds (the trade id
//! for a fill, `import:<batch>` for one chunk of a bulk import) and is one atomic update of the
//! day's document, filtered on that marker not being in its `applied` list and pushing it in
//! the same update. Re-running it (a retry, `repair`, two processes completing one fill)
//! matches nothing. When the day's document does not exist yet the update upserts it; if it
//! does exist and already holds the marker, the upsert's insert collides on `_id` (a
//! duplicate-key error), which is told apart from two first writers racing on a new day by
//! retrying once as a plain update. (`$nin`, not `$ne`: the test server nx-27017 gives `$ne`
//! on an array field scalar semantics in updates; both mean the same on MongoDB.)
//!
//! `applied` grows by one id per fill (the limit gate caps fills per user and day,
//! `MAX_TRADES_PER_USER_DAILY`) and one per import chunk; reads never fetch it.
//!
//! Which trades are in the rollup: every trade whose stage is `done` or absent (documents
//! older than the rollup), plus `booked` ones whose rollup step already ran. Fills roll up
//! after `booked` and before `done`, import chunks while still `pending` (invisible) and
//! before `done`; `repair` finishes the rest.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use mongodb::options::InsertManyOptions;
use mongodb::{Collection, Database};

use super::map_err;
use super::users::count_field;
use crate::domain::periods::{bucket_start, Period, PeriodBucket};
use crate::domain::portfolio::WinLoss;
use crate::domain::trade::{day_key, Trade};
use crate::store::trade_stats::TradeTotals;
use crate::store::{StoreError, StoreResult};

/// Rollup documents per `insert_many` while rebuilding.
const BACKFILL_CHUNK: usize = 1000;

/// What a set of trades adds to one user's day.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct DayDelta {
    pub user_id: String,
    pub day: String,
    pub trades: i64,
    pub wins: i64,
    pub losses: i64,
    pub profit: f64,
    pub fees: f64,
    pub slippage: f64,
    pub gross_profit: f64,
    /// Sum of the losing results, as a positive number (as in SQLite).
    pub gross_loss: f64,
    pub best: f64,
    pub worst: f64,
}

impl DayDelta {
    pub fn of(trade: &Trade) -> Self {
        let pnl = trade.profit_loss;
        Self {
            user_id: trade.user_id.clone(),
            day: trade.day(),
            trades: 1,
            wins: i64::from(pnl > 0.0),
            losses: i64::from(pnl < 0.0),
            profit: pnl,
            fees: trade.fees,
            slippage: trade.slippage_cost,
            gross_profit: pnl.max(0.0),
            gross_loss: -pnl.min(0.0),
            best: pnl,
            worst: pnl,
        }
    }

    fn add(&mut self, other: &DayDelta) {
        self.trades += other.trades;
        self.wins += other.wins;
        self.losses += other.losses;
        self.profit += other.profit;
        self.fees += other.fees;
        self.slippage += other.slippage;
        self.gross_profit += other.gross_profit;
        self.gross_loss += other.gross_loss;
        self.best = self.best.max(other.best);
        self.worst = self.worst.min(other.worst);
    }

    /// One delta per (user, day) present in `trades`.
    pub fn per_day(trades: &[Trade]) -> Vec<DayDelta> {
        let mut days: BTreeMap<(String, String), DayDelta> = BTreeMap::new();
        for trade in trades {
            let delta = DayDelta::of(trade);
            match days.get_mut(&(delta.user_id.clone(), delta.day.clone())) {
                Some(sum) => sum.add(&delta),
                None => {
                    days.insert((delta.user_id.clone(), delta.day.clone()), delta);
                }
            }
        }
        days.into_values().collect()
    }

    /// `<user>:<day>`: the day is fixed-width at the end, so ids never collide.
    fn key(&self) -> String {
        format!("{}:{}", self.user_id, self.day)
    }
}

pub(super) fn number(row: &Document, key: &str) -> f64 {
    match row.get(key) {
        Some(Bson::Double(v)) => *v,
        Some(Bson::Int32(v)) => f64::from(*v),
        Some(Bson::Int64(v)) => *v as f64,
        _ => 0.0,
    }
}

pub(super) fn optional_number(row: &Document, key: &str) -> Option<f64> {
    matches!(
        row.get(key),
        Some(Bson::Double(_) | Bson::Int32(_) | Bson::Int64(_))
    )
    .then(|| number(row, key))
}

fn count(row: &Document, key: &str) -> u64 {
    number(row, key).max(0.0) as u64
}

/// Sums of two disjoint sets of trades.
fn combined(a: TradeTotals, b: TradeTotals) -> TradeTotals {
    let pick = |x: Option<f64>, y: Option<f64>, f: fn(f64, f64) -> f64| match (x, y) {
        (Some(x), Some(y)) => Some(f(x, y)),
        (x, None) => x,
        (None, y) => y,
    };
    TradeTotals {
        results: WinLoss {
            wins: a.results.wins + b.results.wins,
            losses: a.results.losses + b.results.losses,
            total: a.results.total + b.results.total,
            gross_profit: a.results.gross_profit + b.results.gross_profit,
            gross_loss: a.results.gross_loss + b.results.gross_loss,
            best: pick(a.results.best, b.results.best, f64::max),
            worst: pick(a.results.worst, b.results.worst, f64::min),
        },
        profit: a.profit + b.profit,
        fees: a.fees + b.fees,
        slippage: a.slippage + b.slippage,
    }
}

/// The `$group` stage summing trades (as stored in `trades`) into rollup fields; `gross_loss`
/// comes out negative (a plain `$sum` of the losing results).
fn trades_group(id: Bson) -> Document {
    let won = doc! {"$gt": ["$profit_loss", 0]};
    let lost = doc! {"$lt": ["$profit_loss", 0]};
    doc! {
        "_id": id,
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
    }
}

/// A row of `trades_group` as totals.
fn totals_of_trades_row(row: &Document) -> TradeTotals {
    TradeTotals {
        results: WinLoss {
            wins: count(row, "wins"),
            losses: count(row, "losses"),
            total: count_field(row),
            gross_profit: number(row, "gross_profit"),
            gross_loss: -number(row, "gross_loss"),
            best: optional_number(row, "best"),
            worst: optional_number(row, "worst"),
        },
        profit: number(row, "profit"),
        fees: number(row, "fees"),
        slippage: number(row, "slippage"),
    }
}

/// The user's trades that count (same visibility as the trades repository).
pub(super) fn visible(user_id: &str) -> Document {
    doc! {"user_id": user_id, "stage": {"$nin": ["pending"]}}
}

/// Trades a rebuild puts in the rollup: complete (`done`, or no stage: older documents) and
/// placeable on a user's day.
fn settled() -> Document {
    doc! {
        "stage": {"$nin": ["pending", "booked"]},
        "user_id": {"$exists": true},
        "day": {"$exists": true},
    }
}

#[derive(Clone)]
pub(super) struct TradeDays {
    days: Collection<Document>,
    trades: Collection<Document>,
}

impl TradeDays {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            days: db.collection("trade_days"),
            trades: db.collection("trades"),
        }
    }

    /// Adds `delta` to its day unless `marker` was added before. True when it was added now.
    pub(super) async fn apply(&self, marker: &str, delta: &DayDelta) -> StoreResult<bool> {
        let filter = doc! {"_id": delta.key(), "applied": {"$nin": [marker]}};
        let update = doc! {
            "$inc": {
                "trades": delta.trades, "wins": delta.wins, "losses": delta.losses,
                "profit": delta.profit, "fees": delta.fees, "slippage": delta.slippage,
                "gross_profit": delta.gross_profit, "gross_loss": delta.gross_loss,
            },
            "$max": {"best": delta.best},
            "$min": {"worst": delta.worst},
            "$push": {"applied": marker},
            "$set": {"user_id": &delta.user_id, "day": &delta.day},
        };
        let first = self
            .days
            .update_one(filter.clone(), update.clone())
            .upsert(true)
            .await
            .map_err(map_err);
        match first {
            Ok(_) => Ok(true),
            // The day exists: either it holds the marker already, or another writer created it
            // between our match and our insert. A plain update tells which.
            Err(StoreError::Duplicate(_)) => {
                let again = self
                    .days
                    .update_one(filter, update)
                    .await
                    .map_err(map_err)?;
                Ok(again.matched_count == 1)
            }
            Err(e) => Err(e),
        }
    }

    /// Rolls up one complete chunk of a bulk import (stored `pending` with `import_batch`),
    /// then marks it `done`. Every day of the chunk is applied before any trade is marked, and
    /// callers pass the whole chunk, so a re-run derives the same increments and adds nothing.
    pub(super) async fn finish_import(&self, batch: &str, trades: &[Trade]) -> StoreResult<()> {
        let marker = format!("import:{batch}");
        for delta in DayDelta::per_day(trades) {
            self.apply(&marker, &delta).await?;
        }
        self.trades
            .update_many(
                doc! {"import_batch": batch, "stage": "pending"},
                doc! {"$set": {"stage": "done"}},
            )
            .await
            .map_err(map_err)?;
        Ok(())
    }

    /// Totals of the user's rollup days after `after_day` (all days when `None`).
    async fn rollup_totals(
        &self,
        user_id: &str,
        after_day: Option<&str>,
    ) -> StoreResult<TradeTotals> {
        let mut filter = doc! {"user_id": user_id};
        if let Some(day) = after_day {
            filter.insert("day", doc! {"$gt": day});
        }
        let pipeline = vec![
            doc! {"$match": filter},
            doc! {"$group": {
                "_id": Bson::Null,
                "n": {"$sum": "$trades"},
                "wins": {"$sum": "$wins"},
                "losses": {"$sum": "$losses"},
                "profit": {"$sum": "$profit"},
                "fees": {"$sum": "$fees"},
                "slippage": {"$sum": "$slippage"},
                "gross_profit": {"$sum": "$gross_profit"},
                "gross_loss": {"$sum": "$gross_loss"},
                "best": {"$max": "$best"},
                "worst": {"$min": "$worst"},
            }},
        ];
        let mut cursor = self.days.aggregate(pipeline).await.map_err(map_err)?;
        let row = cursor
            .try_next()
            .await
            .map_err(map_err)?
            .unwrap_or_default();
        let total = number(&row, "n").max(0.0) as u64;
        Ok(TradeTotals {
            results: WinLoss {
                wins: count(&row, "wins"),
                losses: count(&row, "losses"),
                total,
                gross_profit: number(&row, "gross_profit"),
                gross_loss: number(&row, "gross_loss"),
                best: optional_number(&row, "best").filter(|_| total > 0),
                worst: optional_number(&row, "worst").filter(|_| total > 0),
            },
            profit: number(&row, "profit"),
            fees: number(&row, "fees"),
            slippage: number(&row, "slippage"),
        })
    }

    /// Totals of the user's trades at or after `since` (all when `None`): the rollup for
    /// whole days, and the trades themselves for the window's first, partial day (over the
    /// `(user_id, timestamp)` index), as the SQLite engine does.
    pub(super) async fn totals(
        &self,
        user_id: &str,
        since: Option<DateTime<Utc>>,
    ) -> StoreResult<TradeTotals> {
        let Some(since) = since else {
            return self.rollup_totals(user_id, None).await;
        };
        let next_midnight = bucket_start(since, Period::Daily) + Duration::days(1);
        let mut filter = visible(user_id);
        filter.insert(
            "timestamp",
            doc! {"$gte": super::to_bson(since), "$lt": super::to_bson(next_midnight)},
        );
        let pipeline = vec![
            doc! {"$match": filter},
            doc! {"$group": trades_group(Bson::Null)},
        ];
        let mut cursor = self.trades.aggregate(pipeline).await.map_err(map_err)?;
        let first_day = cursor
            .try_next()
            .await
            .map_err(map_err)?
            .map(|row| totals_of_trades_row(&row))
            .unwrap_or_default();
        let later_days = self.rollup_totals(user_id, Some(&day_key(since))).await?;
        Ok(combined(first_day, later_days))
    }

    /// One bucket per rollup day on or after `from_day` (all when `None`), oldest first.
    pub(super) async fn daily(
        &self,
        user_id: &str,
        from_day: Option<String>,
    ) -> StoreResult<Vec<PeriodBucket>> {
        let mut filter = doc! {"user_id": user_id};
        if let Some(day) = from_day {
            filter.insert("day", doc! {"$gte": day});
        }
        let cursor = self
            .days
            .find(filter)
            .projection(doc! {"day": 1, "profit": 1, "trades": 1, "fees": 1})
            .sort(doc! {"day": 1})
            .await
            .map_err(map_err)?;
        let rows: Vec<Document> = cursor.try_collect().await.map_err(map_err)?;
        Ok(rows
            .iter()
            .filter(|row| number(row, "trades") > 0.0)
            .filter_map(|row| {
                let period_start = crate::store::common::day_start(row.get_str("day").ok()?)?;
                Some(PeriodBucket {
                    period_start,
                    profit: number(row, "profit"),
                    trades: count(row, "trades"),
                    fees: number(row, "fees"),
                })
            })
            .collect())
    }

    pub(super) async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64> {
        let r = self
            .days
            .delete_many(doc! {"user_id": user_id})
            .await
            .map_err(map_err)?;
        Ok(r.deleted_count)
    }

    /// Inserts rebuilt days; true when some day already existed (written meanwhile by a fill
    /// on another instance), which must not fail the boot.
    async fn insert_rebuilt(&self, days: Vec<Document>) -> StoreResult<bool> {
        let inserted = self
            .days
            .insert_many(days)
            .with_options(InsertManyOptions::builder().ordered(false).build())
            .await
            .map_err(map_err);
        match inserted {
            Ok(_) => Ok(false),
            Err(StoreError::Duplicate(_)) => Ok(true),
            Err(e) => Err(e),
        }
    }

    /// Whether the rollup holds as many trades as the stored trades say it should: at least
    /// every trade that is `done` (or has no stage), at most those plus every trade still in
    /// flight (a `booked` fill, or a `pending` fill or import chunk, may or may not be rolled
    /// up yet). The four counts are taken in this order so that fills completing meanwhile on
    /// another instance cannot make a sound rollup look wrong: a trade moves only forward
    /// (pending, booked, rollup, done), so one done before the rollup is read is in it, and
    /// one in the rollup is in flight or done when those are counted afterwards. O(days) for
    /// the rollup plus two index counts over the trades, once per boot.
    async fn counts_agree(&self) -> StoreResult<bool> {
        let settled = settled();
        let in_flight = doc! {"stage": {"$in": ["pending", "booked"]}};
        let done_before = self
            .trades
            .count_documents(settled.clone())
            .await
            .map_err(map_err)?;
        let pipeline = vec![doc! {"$group": {"_id": Bson::Null, "n": {"$sum": "$trades"}}}];
        let mut cursor = self.days.aggregate(pipeline).await.map_err(map_err)?;
        let rolled = cursor
            .try_next()
            .await
            .map_err(map_err)?
            .map(|row| count(&row, "n"))
            .unwrap_or(0);
        let flying = self
            .trades
            .count_documents(in_flight)
            .await
            .map_err(map_err)?;
        let done_after = self
            .trades
            .count_documents(settled)
            .await
            .map_err(map_err)?;
        Ok(done_before <= rolled && rolled <= done_after + flying)
    }

    /// Builds the rollup from the trades when it was never built (the first boot of a version
    /// that has it; `schema_migrations` `_id: "trade_days"` records that it ran) or when it
    /// no longer holds the trades it should (`counts_agree`: a dropped or partly deleted
    /// collection, a rebuild a crash cut short, double-counted days). Counts trades whose stage
    /// is `done` or absent; `booked` fills and complete `pending` import chunks are rolled up
    /// by `repair`, which the server runs right after. A rollup whose counts are right but whose
    /// sums were edited is not detected here: deleting the mark and restarting rebuilds it.
    /// Run it with no other server instance writing fills (their fills in flight while the
    /// collection is rebuilt would be lost from it until the next rebuild).
    pub(super) async fn backfill(db: &Database) -> StoreResult<()> {
        let marks = db.collection::<Document>("schema_migrations");
        let this = Self::new(db);
        let built = marks
            .find_one(doc! {"_id": "trade_days"})
            .await
            .map_err(map_err)?;
        if built.is_some() {
            if this.counts_agree().await? {
                return Ok(());
            }
            tracing::warn!("trade_days rollup disagrees with the trades; rebuilding it");
            // Unmarked until the rebuild completes, so a crash part-way rebuilds again.
            marks
                .delete_one(doc! {"_id": "trade_days"})
                .await
                .map_err(map_err)?;
        }
        this.days.delete_many(doc! {}).await.map_err(map_err)?;
        let key = doc! {"$concat": ["$user_id", ":", "$day"]};
        let mut group = trades_group(Bson::Document(key));
        group.insert("user_id", doc! {"$first": "$user_id"});
        group.insert("day", doc! {"$first": "$day"});
        let pipeline = vec![doc! {"$match": settled()}, doc! {"$group": group}];
        let mut cursor = this.trades.aggregate(pipeline).await.map_err(map_err)?;
        let mut chunk = Vec::with_capacity(BACKFILL_CHUNK);
        let mut collided = false;
        while let Some(row) = cursor.try_next().await.map_err(map_err)? {
            let (Ok(id), Ok(user_id), Ok(day)) = (
                row.get_str("_id"),
                row.get_str("user_id"),
                row.get_str("day"),
            ) else {
                continue; // a document without user or day cannot be placed on a day
            };
            let t = totals_of_trades_row(&row);
            chunk.push(doc! {
                "_id": id, "user_id": user_id, "day": day,
                "trades": t.results.total as i64, "wins": t.results.wins as i64,
                "losses": t.results.losses as i64, "profit": t.profit, "fees": t.fees,
                "slippage": t.slippage, "gross_profit": t.results.gross_profit,
                "gross_loss": t.results.gross_loss,
                "best": t.results.best.unwrap_or(0.0), "worst": t.results.worst.unwrap_or(0.0),
                "applied": Vec::<String>::new(),
            });
            if chunk.len() == BACKFILL_CHUNK {
                collided |= this.insert_rebuilt(std::mem::take(&mut chunk)).await?;
            }
        }
        if !chunk.is_empty() {
            collided |= this.insert_rebuilt(chunk).await?;
        }
        if collided {
            // A fill on another instance created a day while we rebuilt it: that day holds
            // only that fill. Left unmarked, so the next start rebuilds again.
            tracing::warn!("trade_days rebuilt while fills were written elsewhere; rebuilding again at the next start");
            return Ok(());
        }
        marks
            .update_one(doc! {"_id": "trade_days"}, doc! {"$set": {"built": "yes"}})
            .upsert(true)
            .await
            .map_err(map_err)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(pnls: &[f64]) -> TradeTotals {
        TradeTotals {
            results: WinLoss::from_pnls(pnls.iter().copied()),
            profit: pnls.iter().sum(),
            fees: pnls.len() as f64,
            slippage: 0.0,
        }
    }

    #[test]
    fn combined_totals_equal_the_totals_of_the_union() {
        let a = [5.0, -2.0, 0.0];
        let b = [-7.0, 3.0];
        let all: Vec<f64> = a.iter().chain(b.iter()).copied().collect();
        assert_eq!(combined(totals(&a), totals(&b)), totals(&all));
        assert_eq!(combined(totals(&[]), totals(&b)), totals(&b));
        assert_eq!(combined(totals(&a), totals(&[])), totals(&a));
    }
}
