//! MongoDB: booking a paper fill without multi-document transactions, crash-safe.
//!
//! A fill touches five documents: trade, bot, day rollup, ledger entry, order. The trade
//! document is the write-ahead record: it is inserted first with `stage: "pending"` and
//! carries everything needed to finish the fill (the final order as JSON; the ledger entry and
//! the rollup increment are derived from the trade). Then, each step idempotent:
//!
//! 1. **bot**: read the bot, then the trade. If the trade is no longer `pending`, or the bot's
//!    `last_trade_id` is this trade, it is already booked. Otherwise, if the bot's
//!    `last_trade_id` names another trade, that trade is marked `booked` first (its effect is
//!    in the bot). Then the bot is replaced with `record_trade` applied and
//!    `last_trade_id = this trade`, on the condition that `last_trade_id` and `trades_count`
//!    are unchanged since the read (else re-read and retry).
//!    Invariant: a bot's `last_trade_id` only moves off a trade after that trade is marked
//!    `booked`, and the trade is read after the bot; so "trade pending and not the bot's last"
//!    proves the trade is not in the bot, and no trade is ever booked twice.
//! 2. **trade** `stage: "booked"` (trade reads show only booked trades).
//! 3. **day rollup** (`trade_days.rs`): one atomic increment marked with the trade id, which
//!    a re-run cannot apply twice.
//! 4. **ledger** entry appended (a duplicate `ref_id` means it is already there).
//! 5. **order** finished (no-op if it already is).
//! 6. **trade** `stage: "done"`.
//!
//! A crash anywhere leaves a trade that is not `done`; `repair` re-runs the steps for such
//! trades once at boot (`lib.rs`) and before trade reads. So no trade stays without its bot
//! update or its rollup, and no bot update exists without its trade (the trade document is
//! written first). Bulk imports (`trade_stats.rs`) store `pending` chunks with an
//! `import_batch` id; `repair` rolls up a complete chunk (marked with the batch id) and marks
//! it `done`.

use mongodb::bson::{doc, Document};

use super::bots::MongoBots;
use super::map_err;
use super::trade_days::DayDelta;
use super::trades::MongoTrades;
use crate::domain::bot::Bot;
use crate::domain::order_record::OrderRecord;
use crate::domain::trade::{fill_ledger_entry, Trade};
use crate::store::ledger::LedgerRepo;
use crate::store::orders::OrderRepo;
use crate::store::trades::FillWrite;
use crate::store::{StoreError, StoreResult};

const BOOK_ATTEMPTS: usize = 100;
/// Unfinished trades one `repair` call looks at.
const REPAIR_BATCH: i64 = 500;

impl MongoTrades {
    pub(super) async fn record(&self, write: &FillWrite) -> StoreResult<Bot> {
        let trade = &write.trade;
        let exists = self
            .bots
            .find_one(doc! {"_id": &trade.bot_id, "user_id": &trade.user_id, "status": {"$ne": "deleted"}})
            .await
            .map_err(map_err)?;
        if exists.is_none() {
            return Err(StoreError::Other(format!("bot {} not found", trade.bot_id)));
        }
        let order_json = serde_json::to_string(&write.order)
            .map_err(|e| StoreError::Other(format!("encode order: {e}")))?;
        let mut d = Self::encode(trade)?;
        d.insert("stage", "pending");
        d.insert("order_json", order_json);
        self.trades.insert_one(d).await.map_err(map_err)?;
        self.complete(trade, &write.order).await
    }

    /// Steps 1-6 for a trade already stored; returns the bot as it is afterwards.
    pub(super) async fn complete(&self, trade: &Trade, order: &OrderRecord) -> StoreResult<Bot> {
        let bot = self.book_on_bot(trade).await?;
        self.set_stage(&trade.id, "booked").await?;
        // The rollup step sits after `booked` and before `done` on purpose. Not earlier: until
        // the bot holds the trade, `book_on_bot` may still void it (bot gone), and a voided
        // trade must never have been counted. Not later than `done`: `repair` re-runs only
        // trades that are not `done`, so a process dying anywhere between `booked` and this
        // step leaves a trade the boot repair (and `settle_trades` before every portfolio
        // read) completes; dying after it, the re-run finds the trade id in the day's
        // `applied` list and adds nothing. A retried `record_fill` of the same trade fails on
        // the write-ahead insert (duplicate id) and so never counts it twice either.
        self.days.apply(&trade.id, &DayDelta::of(trade)).await?;
        match self.ledger.append(fill_ledger_entry(trade)).await {
            Ok(_) | Err(StoreError::Duplicate(_)) => {}
            Err(e) => return Err(e),
        }
        self.orders.finish(order).await?;
        self.set_stage(&trade.id, "done").await?;
        Ok(bot)
    }

    async fn set_stage(&self, trade_id: &str, stage: &str) -> StoreResult<()> {
        let from: &[&str] = if stage == "booked" {
            &["pending"]
        } else {
            &["pending", "booked"]
        };
        self.trades
            .update_one(
                doc! {"_id": trade_id, "stage": {"$in": from}},
                doc! {"$set": {"stage": stage}},
            )
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn stage_of(&self, trade_id: &str) -> StoreResult<Option<String>> {
        let found = self
            .trades
            .find_one(doc! {"_id": trade_id})
            .await
            .map_err(map_err)?;
        Ok(found.and_then(|d| d.get_str("stage").ok().map(str::to_string)))
    }

    async fn book_on_bot(&self, trade: &Trade) -> StoreResult<Bot> {
        for _ in 0..BOOK_ATTEMPTS {
            let Some(raw) = self
                .bots
                .find_one(doc! {"_id": &trade.bot_id, "user_id": &trade.user_id})
                .await
                .map_err(map_err)?
            else {
                // The bot is gone for good (account deleted): the fill is void.
                self.trades
                    .delete_one(doc! {"_id": &trade.id})
                    .await
                    .map_err(map_err)?;
                return Err(StoreError::Other(format!("bot {} not found", trade.bot_id)));
            };
            let mut bot = MongoBots::decode(raw)?;
            let already = match self.stage_of(&trade.id).await?.as_deref() {
                Some("pending") => bot.last_trade_id.as_deref() == Some(trade.id.as_str()),
                Some(_) => true,
                None => return Err(StoreError::Other(format!("trade {} vanished", trade.id))),
            };
            if already {
                return Ok(bot);
            }
            let last = bot.last_trade_id.clone();
            if let Some(previous) = &last {
                self.set_stage(previous, "booked").await?;
            }
            let count = bot.trades_count as i64;
            let mut filter: Document =
                doc! {"_id": &bot.id, "last_trade_id": last, "trades_count": count};
            // Also unchanged by any other writer (a pause saved meanwhile must not be undone).
            filter.extend(MongoBots::version_filter(bot.version));
            bot.record_trade(trade.profit_loss, trade.timestamp);
            bot.last_trade_id = Some(trade.id.clone());
            bot.version += 1;
            let r = self
                .bots
                .replace_one(filter, MongoBots::encode(&bot)?)
                .await
                .map_err(map_err)?;
            if r.matched_count == 1 {
                return Ok(bot);
            }
            tokio::task::yield_now().await;
        }
        Err(StoreError::Unavailable(
            "bot kept changing while booking a trade; try again".into(),
        ))
    }

    /// Finishes every fill and complete import chunk that is not `done` (fills oldest first,
    /// at most `REPAIR_BATCH` a call), for one user or all.
    pub(super) async fn repair_pending(&self, user_id: Option<&str>) -> StoreResult<u64> {
        use futures_util::TryStreamExt;
        // `$in`, not `$ne: "done"`: trades without a stage (older documents) are complete, and
        // this shape stays on the `(stage, timestamp)` index. Import chunks are apart so that
        // an abandoned one can never crowd fills out of the batch.
        let mut filter = doc! {
            "stage": {"$in": ["pending", "booked"]},
            "import_batch": {"$exists": false},
        };
        if let Some(user) = user_id {
            filter.insert("user_id", user);
        }
        let cursor = self
            .trades
            .find(filter)
            .sort(doc! {"timestamp": 1, "_id": 1})
            .limit(REPAIR_BATCH)
            .await
            .map_err(map_err)?;
        let docs: Vec<Document> = cursor.try_collect().await.map_err(map_err)?;
        let mut repaired = 0;
        for d in docs {
            let order: Option<OrderRecord> = d
                .get_str("order_json")
                .ok()
                .and_then(|j| serde_json::from_str(j).ok());
            let trade = Self::decode(d)?;
            let Some(order) = order else {
                // Not written by `record` (no order to finish): count it and close it.
                self.days.apply(&trade.id, &DayDelta::of(&trade)).await?;
                self.set_stage(&trade.id, "done").await?;
                continue;
            };
            match self.complete(&trade, &order).await {
                Ok(_) => repaired += 1,
                Err(StoreError::Other(cause)) if cause.contains("not found") => {}
                Err(e) => return Err(e),
            }
        }
        Ok(repaired + self.repair_imports(user_id).await?)
    }

    /// Finishes import chunks left `pending` whose every trade is stored (a chunk still being
    /// inserted, or whose insert died, is left alone: invisible and out of the totals).
    async fn repair_imports(&self, user_id: Option<&str>) -> StoreResult<u64> {
        use futures_util::TryStreamExt;
        let mut filter = doc! {"stage": "pending", "import_batch": {"$exists": true}};
        if let Some(user) = user_id {
            filter.insert("user_id", user);
        }
        let batches = self
            .trades
            .distinct("import_batch", filter)
            .await
            .map_err(map_err)?;
        let mut repaired = 0;
        for batch in batches.iter().filter_map(|b| b.as_str()) {
            let cursor = self
                .trades
                .find(doc! {"import_batch": batch})
                .await
                .map_err(map_err)?;
            let docs: Vec<Document> = cursor.try_collect().await.map_err(map_err)?;
            let size = docs
                .first()
                .and_then(|d| {
                    d.get_i64("import_size")
                        .ok()
                        .or_else(|| d.get_i32("import_size").ok().map(i64::from))
                })
                .unwrap_or(i64::MAX);
            if (docs.len() as i64) < size {
                continue;
            }
            let trades = docs
                .into_iter()
                .map(Self::decode)
                .collect::<StoreResult<Vec<Trade>>>()?;
            self.days.finish_import(batch, &trades).await?;
            repaired += trades.len() as u64;
        }
        Ok(repaired)
    }
}
