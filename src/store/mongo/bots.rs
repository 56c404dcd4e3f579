//! MongoDB implementation of `BotRepo`. Caps are enforced with a per-user slot counter
//! document updated by one conditional `$inc`, so concurrent creates cannot overshoot them
//! (no multi-document transaction needed).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use mongodb::{Collection, Database};

use super::json_doc::{from_document, to_document};
use super::{map_err, users::count_field};
use crate::domain::bot::{Bot, BotStatus, Exchange};
use crate::store::bots::{
    deleted_name_key, name_key, BotCaps, BotRepo, BotSummary, BotTotals, CreateOutcome,
    UPDATE_ATTEMPTS,
};
use crate::store::common::as_deleted;
use crate::store::{StoreError, StoreResult};

const DATES: &[&str] = &[
    "created_at",
    "updated_at",
    "started_at",
    "stopped_at",
    "paper_start_date",
    "bay_entered_at",
    "promoted_at",
    "last_trade_at",
    "retraining_until",
    "breaker_reset_at",
    "hour_started_at",
];

pub(super) struct MongoBots {
    bots: Collection<Document>,
    slots: Collection<Document>,
}

impl MongoBots {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            bots: db.collection("bots"),
            slots: db.collection("bot_slots"),
        }
    }

    pub(super) fn encode(bot: &Bot) -> StoreResult<Document> {
        let mut d = to_document(bot, DATES)?;
        let key = if bot.status == BotStatus::Deleted {
            deleted_name_key(&bot.id)
        } else {
            name_key(&bot.name)
        };
        d.insert("active_name_key", key);
        Ok(d)
    }

    /// Matches a bot still at `version` (0: a document written before versions, without it).
    pub(super) fn version_filter(version: u64) -> Document {
        if version == 0 {
            doc! {"version": {"$exists": false}}
        } else {
            doc! {"version": i64::try_from(version).unwrap_or(i64::MAX)}
        }
    }

    pub(super) fn decode(mut d: Document) -> StoreResult<Bot> {
        d.remove("active_name_key");
        from_document(d, DATES)
    }

    /// A user's bots matching `filter`, oldest first (used by `bot_status`).
    pub(super) async fn collect_from(
        bots: &Collection<Document>,
        filter: Document,
    ) -> StoreResult<Vec<Bot>> {
        let cursor = bots
            .find(filter)
            .sort(doc! {"created_at": 1, "_id": 1})
            .await
            .map_err(map_err)?;
        let docs: Vec<Document> = cursor.try_collect().await.map_err(map_err)?;
        docs.into_iter().map(Self::decode).collect()
    }

    async fn collect(
        &self,
        filter: Document,
        sort: Document,
        skip: u64,
        limit: i64,
    ) -> StoreResult<Vec<Bot>> {
        let cursor = self
            .bots
            .find(filter)
            .sort(sort)
            .skip(skip)
            .limit(limit)
            .await
            .map_err(map_err)?;
        let docs: Vec<Document> = cursor.try_collect().await.map_err(map_err)?;
        docs.into_iter().map(Self::decode).collect()
    }

    /// Makes sure the user's slot document exists, counting existing bots the first time.
    async fn ensure_slots(&self, user_id: &str) -> StoreResult<()> {
        if self
            .slots
            .find_one(doc! {"_id": user_id})
            .await
            .map_err(map_err)?
            .is_some()
        {
            return Ok(());
        }
        let mut slots = doc! {"_id": user_id, "total": 0_i64};
        for exchange in Exchange::ALL {
            let n = self
                .bots
                .count_documents(doc! {"user_id": user_id, "exchange": exchange.as_str(), "status": {"$ne": "deleted"}})
                .await
                .map_err(map_err)?;
            slots.insert(exchange.as_str(), n as i64);
            let total = slots.get_i64("total").unwrap_or(0) + n as i64;
            slots.insert("total", total);
        }
        match self.slots.insert_one(slots).await.map_err(map_err) {
            Ok(_) | Err(StoreError::Duplicate(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Takes `n` slots on `exchange` if both caps allow; false when they do not.
    async fn reserve(
        &self,
        user_id: &str,
        exchange: Exchange,
        n: i64,
        caps: BotCaps,
    ) -> StoreResult<bool> {
        let ex = exchange.as_str();
        let r = self
            .slots
            .update_one(
                doc! {"_id": user_id, ex: {"$lte": i64::from(caps.exchange_max) - n}, "total": {"$lte": i64::from(caps.total_max) - n}},
                doc! {"$inc": {ex: n, "total": n}},
            )
            .await
            .map_err(map_err)?;
        Ok(r.modified_count == 1)
    }

    async fn release(&self, user_id: &str, exchange: Exchange, n: i64) -> StoreResult<()> {
        self.slots
            .update_one(
                doc! {"_id": user_id},
                doc! {"$inc": {exchange.as_str(): -n, "total": -n}},
            )
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn which_limit(
        &self,
        user_id: &str,
        exchange: Exchange,
        n: i64,
        caps: BotCaps,
    ) -> StoreResult<CreateOutcome> {
        let slots = self
            .slots
            .find_one(doc! {"_id": user_id})
            .await
            .map_err(map_err)?
            .unwrap_or_default();
        let used = slots
            .get_i64(exchange.as_str())
            .or_else(|_| slots.get_i32(exchange.as_str()).map(i64::from))
            .unwrap_or(0);
        Ok(if used + n > i64::from(caps.exchange_max) {
            CreateOutcome::ExchangeLimit
        } else {
            CreateOutcome::TotalLimit
        })
    }
}

#[async_trait]
impl BotRepo for MongoBots {
    async fn create(&self, bot: &Bot, caps: BotCaps) -> StoreResult<CreateOutcome> {
        self.create_many(std::slice::from_ref(bot), caps).await
    }

    async fn create_many(&self, bots: &[Bot], caps: BotCaps) -> StoreResult<CreateOutcome> {
        let Some(first) = bots.first() else {
            return Ok(CreateOutcome::Created);
        };
        let (user_id, exchange, n) = (first.user_id.as_str(), first.exchange, bots.len() as i64);
        if bots
            .iter()
            .any(|b| b.user_id != user_id || b.exchange != exchange)
        {
            return Err(StoreError::Other(
                "create_many needs one user and one exchange".into(),
            ));
        }
        self.ensure_slots(user_id).await?;
        if !self.reserve(user_id, exchange, n, caps).await? {
            return self.which_limit(user_id, exchange, n, caps).await;
        }
        let docs = bots
            .iter()
            .map(Self::encode)
            .collect::<StoreResult<Vec<_>>>()?;
        match self.bots.insert_many(docs).await.map_err(map_err) {
            Ok(_) => Ok(CreateOutcome::Created),
            Err(err) => {
                // All or nothing: remove whatever part of the batch got in, give the slots back.
                let ids: Vec<&str> = bots.iter().map(|b| b.id.as_str()).collect();
                self.bots
                    .delete_many(doc! {"_id": {"$in": ids}})
                    .await
                    .map_err(map_err)?;
                self.release(user_id, exchange, n).await?;
                match err {
                    StoreError::Duplicate(_) => Ok(CreateOutcome::DuplicateName),
                    other => Err(other),
                }
            }
        }
    }

    async fn find(&self, user_id: &str, id: &str) -> StoreResult<Option<Bot>> {
        let found = self
            .bots
            .find_one(doc! {"_id": id, "user_id": user_id, "status": {"$ne": "deleted"}})
            .await
            .map_err(map_err)?;
        found.map(Self::decode).transpose()
    }

    async fn find_any(&self, id: &str) -> StoreResult<Option<Bot>> {
        let found = self
            .bots
            .find_one(doc! {"_id": id, "status": {"$ne": "deleted"}})
            .await
            .map_err(map_err)?;
        found.map(Self::decode).transpose()
    }

    async fn list(&self, user_id: &str, status: Option<BotStatus>) -> StoreResult<Vec<Bot>> {
        if status == Some(BotStatus::Deleted) {
            // Deleted bots are never listed (the status filter below would replace `$ne`).
            return Ok(Vec::new());
        }
        let mut filter = doc! {"user_id": user_id, "status": {"$ne": "deleted"}};
        if let Some(status) = status {
            filter.insert("status", status.as_str());
        }
        self.collect(filter, doc! {"created_at": 1, "_id": 1}, 0, 0)
            .await
    }

    async fn list_all(&self, limit: u32, offset: u32) -> StoreResult<Vec<Bot>> {
        self.collect(
            doc! {"status": {"$ne": "deleted"}},
            doc! {"created_at": 1, "_id": 1},
            u64::from(offset),
            i64::from(limit),
        )
        .await
    }

    async fn list_by_status(&self, status: BotStatus, limit: u32) -> StoreResult<Vec<Bot>> {
        self.collect(
            doc! {"status": status.as_str()},
            doc! {"created_at": 1, "_id": 1},
            0,
            i64::from(limit),
        )
        .await
    }

    async fn save(&self, bot: &Bot) -> StoreResult<bool> {
        let mut stored = bot.clone();
        stored.version = bot.version + 1;
        let mut filter =
            doc! {"_id": &bot.id, "user_id": &bot.user_id, "status": {"$ne": "deleted"}};
        filter.extend(Self::version_filter(bot.version));
        let r = self
            .bots
            .replace_one(filter, Self::encode(&stored)?)
            .await
            .map_err(map_err)?;
        Ok(r.matched_count == 1)
    }

    async fn transfer_capital(
        &self,
        user_id: &str,
        id: &str,
        delta: f64,
        floor: Option<f64>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut filter = doc! {"_id": id, "user_id": user_id, "status": {"$ne": "deleted"}};
        if let Some(floor) = floor {
            filter.insert("current_capital", doc! {"$gte": floor - delta});
        }
        let r = self
            .bots
            .update_one(
                filter,
                doc! {
                    "$inc": {"current_capital": delta, "peak_capital": delta, "hour_peak_capital": delta, "version": 1_i64},
                    "$set": {"updated_at": super::to_bson(now)},
                },
            )
            .await
            .map_err(map_err)?;
        Ok(r.matched_count == 1)
    }

    async fn soft_delete(
        &self,
        user_id: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Bot>> {
        for _ in 0..UPDATE_ATTEMPTS {
            let Some(before) = self.find(user_id, id).await? else {
                return Ok(None);
            };
            if self.save(&as_deleted(&before, now)).await? {
                self.ensure_slots(user_id).await?;
                self.release(user_id, before.exchange, 1).await?;
                return Ok(Some(before));
            }
        }
        Err(StoreError::Unavailable(
            "the bot kept changing; try again".into(),
        ))
    }

    async fn summary(&self, user_id: &str) -> StoreResult<BotSummary> {
        let pipeline = vec![
            doc! {"$match": {"user_id": user_id, "status": {"$ne": "deleted"}}},
            doc! {"$group": {
                // One string key (not a sub-document): portable across MongoDB-compatible servers.
                "_id": {"$concat": ["$status", "|", "$exchange", "|", "$trading_mode"]},
                "n": {"$sum": 1},
                "initial": {"$sum": "$initial_capital"},
                "capital": {"$sum": "$current_capital"},
                "profit": {"$sum": "$total_profit"},
            }},
        ];
        let mut cursor = self.bots.aggregate(pipeline).await.map_err(map_err)?;
        let mut summary = BotSummary::default();
        while let Some(row) = cursor.try_next().await.map_err(map_err)? {
            let n = count_field(&row);
            let key = row.get_str("_id").unwrap_or("");
            let mut parts = key.split('|');
            let (status, exchange, mode) = (
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
            );
            summary.total += n;
            *summary.by_status.entry(status.to_string()).or_default() += n;
            *summary
                .by_exchange_mode
                .entry(format!("{exchange}/{mode}"))
                .or_default() += n;
            summary.initial_capital += number(&row, "initial");
            summary.total_capital += number(&row, "capital");
            summary.total_profit += number(&row, "profit");
        }
        Ok(summary)
    }

    async fn totals(&self) -> StoreResult<BotTotals> {
        let pipeline = vec![
            doc! {"$match": {"status": {"$ne": "deleted"}}},
            doc! {"$group": {"_id": {"$concat": ["$status", "|", "$trading_mode"]}, "n": {"$sum": 1}}},
        ];
        let mut cursor = self.bots.aggregate(pipeline).await.map_err(map_err)?;
        let mut rows = Vec::new();
        while let Some(row) = cursor.try_next().await.map_err(map_err)? {
            let (status, mode) = row
                .get_str("_id")
                .unwrap_or("")
                .split_once('|')
                .unwrap_or(("", ""));
            rows.push((status.to_string(), mode.to_string(), count_field(&row)));
        }
        Ok(crate::store::common::totals_from(rows.into_iter()))
    }

    async fn usage_for_user(&self, user_id: &str) -> StoreResult<(u64, u64)> {
        // Document-size estimate: names and the fixed-size numeric fields.
        let pipeline = vec![
            doc! {"$match": {"user_id": user_id}},
            doc! {"$group": {"_id": null, "n": {"$sum": 1}, "bytes": {"$sum": {"$add": [{"$strLenBytes": "$name"}, 700]}}}},
        ];
        let mut cursor = self.bots.aggregate(pipeline).await.map_err(map_err)?;
        let Some(row) = cursor.try_next().await.map_err(map_err)? else {
            return Ok((0, 0));
        };
        Ok((count_field(&row), number(&row, "bytes").max(0.0) as u64))
    }

    async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64> {
        let r = self
            .bots
            .delete_many(doc! {"user_id": user_id})
            .await
            .map_err(map_err)?;
        self.slots
            .delete_one(doc! {"_id": user_id})
            .await
            .map_err(map_err)?;
        Ok(r.deleted_count)
    }

    async fn reset_daily_counters(&self, day_start: DateTime<Utc>) -> StoreResult<u64> {
        let r = self
            .bots
            .update_many(
                // `$or` inside `$and`: see tests/README.md on update filters.
                doc! {"$and": [
                    {"status": {"$ne": "deleted"}},
                    {"last_trade_at": {"$lt": super::to_bson(day_start)}},
                    {"$or": [{"daily_profit": {"$ne": 0}}, {"daily_trade_count": {"$ne": 0}}]},
                ]},
                doc! {"$set": {"daily_profit": 0.0, "daily_trade_count": 0_i32}, "$inc": {"version": 1_i64}},
            )
            .await
            .map_err(map_err)?;
        Ok(r.modified_count)
    }

    async fn pause_all_active(
        &self,
        user_id: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Bot>> {
        super::bot_status::pause_all_active(&self.bots, user_id, reason, now).await
    }

    async fn transition_status(&self, bot: &Bot, from: &[BotStatus]) -> StoreResult<Option<Bot>> {
        super::bot_status::transition_status(&self.bots, bot, from).await
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
