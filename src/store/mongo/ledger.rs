//! MongoDB implementation of `LedgerRepo`. Entries are keyed `<user>:<seq>` (plus a unique
//! (user_id, seq) index), so two appends sealed after the same head cannot both land: the
//! loser re-reads the head and seals again. The head lives in `ledger_heads`.

use async_trait::async_trait;
use futures_util::TryStreamExt;
use mongodb::bson::{doc, Document};
use mongodb::{Collection, Database};

use super::json_doc::{from_document, to_document};
use super::{map_err, to_bson};
use crate::domain::ledger::{self, ChainReport, LedgerEntry, NewLedgerEntry};
use crate::store::ledger::{
    check_head, prev_for_append, ChainWalk, LedgerFilter, LedgerHead, LedgerRepo, LedgerTotals,
    APPEND_ATTEMPTS, VERIFY_PAGE,
};
use crate::store::{StoreError, StoreResult};

const DATES: &[&str] = &["timestamp"];

#[derive(Clone)]
pub(super) struct MongoLedger {
    entries: Collection<Document>,
    heads: Collection<Document>,
}

fn decode(mut d: Document) -> StoreResult<LedgerEntry> {
    d.remove("_id");
    from_document(d, DATES)
}

fn int(d: &Document, key: &str) -> i64 {
    d.get_i64(key)
        .or_else(|_| d.get_i32(key).map(i64::from))
        .unwrap_or(0)
}

impl MongoLedger {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            entries: db.collection("ledger"),
            heads: db.collection("ledger_heads"),
        }
    }

    async fn head(&self, user_id: &str) -> StoreResult<Option<LedgerHead>> {
        let found = self
            .heads
            .find_one(doc! {"_id": user_id})
            .await
            .map_err(map_err)?;
        Ok(found.map(|d| LedgerHead {
            seq: int(&d, "seq").max(0) as u64,
            hash: d.get_str("hash").unwrap_or_default().to_string(),
        }))
    }

    /// Moves the head forward (never back). Insert first, update on duplicate (see tests/README).
    async fn advance_head(&self, entry: &LedgerEntry) -> StoreResult<()> {
        let seq = entry.seq as i64;
        let first = doc! {"_id": &entry.user_id, "seq": seq, "hash": &entry.hash};
        match self.heads.insert_one(first).await.map_err(map_err) {
            Ok(_) => Ok(()),
            Err(StoreError::Duplicate(_)) => {
                self.heads
                    .update_one(
                        doc! {"_id": &entry.user_id, "seq": {"$lt": seq}},
                        doc! {"$set": {"seq": seq, "hash": &entry.hash}},
                    )
                    .await
                    .map_err(map_err)?;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    async fn newest(&self, user_id: &str) -> StoreResult<Option<LedgerEntry>> {
        let found = self
            .entries
            .find_one(doc! {"user_id": user_id})
            .sort(doc! {"seq": -1})
            .await
            .map_err(map_err)?;
        found.map(decode).transpose()
    }
}

#[async_trait]
impl LedgerRepo for MongoLedger {
    async fn append(&self, new: NewLedgerEntry) -> StoreResult<LedgerEntry> {
        for _ in 0..APPEND_ATTEMPTS {
            let head = self.head(&new.user_id).await?;
            let prev = prev_for_append(&new.user_id, head, self.newest(&new.user_id).await?);
            let entry = ledger::seal(new.clone(), prev.as_ref())
                .map_err(|e| StoreError::Other(format!("ledger: {e}")))?;
            let mut d = to_document(&entry, DATES)?;
            d.insert("_id", format!("{}:{}", entry.user_id, entry.seq));
            match self.entries.insert_one(d).await.map_err(map_err) {
                Ok(_) => {
                    self.advance_head(&entry).await?;
                    return Ok(entry);
                }
                Err(StoreError::Duplicate(_)) => {
                    let same_ref = doc! {"user_id": &new.user_id, "kind": new.kind.as_str(), "ref_id": &new.ref_id};
                    if self
                        .entries
                        .find_one(same_ref)
                        .await
                        .map_err(map_err)?
                        .is_some()
                    {
                        return Err(StoreError::Duplicate("ref_id".into()));
                    }
                    tokio::task::yield_now().await; // lost the race for this seq: seal again
                }
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Unavailable(
            "ledger append kept losing races; try again".into(),
        ))
    }

    async fn list(&self, user_id: &str, f: &LedgerFilter) -> StoreResult<Vec<LedgerEntry>> {
        let mut filter = doc! {"user_id": user_id};
        if let Some(kind) = f.kind {
            filter.insert("kind", kind.as_str());
        }
        if let Some(bot) = &f.bot_id {
            filter.insert("bot_id", bot);
        }
        let mut range = Document::new();
        if let Some(since) = f.since {
            range.insert("$gte", to_bson(since));
        }
        if let Some(until) = f.until {
            range.insert("$lt", to_bson(until));
        }
        if !range.is_empty() {
            filter.insert("timestamp", range);
        }
        let cursor = self
            .entries
            .find(filter)
            .sort(doc! {"seq": -1})
            .limit(i64::from(f.limit))
            .await
            .map_err(map_err)?;
        let docs: Vec<Document> = cursor.try_collect().await.map_err(map_err)?;
        docs.into_iter().map(decode).collect()
    }

    async fn verify(&self, user_id: &str) -> StoreResult<ChainReport> {
        let mut walk = ChainWalk::new();
        loop {
            let cursor = self
                .entries
                .find(doc! {"user_id": user_id, "seq": {"$gte": walk.next_seq as i64}})
                .sort(doc! {"seq": 1})
                .limit(i64::from(VERIFY_PAGE))
                .await
                .map_err(map_err)?;
            let docs: Vec<Document> = cursor.try_collect().await.map_err(map_err)?;
            let page = docs
                .into_iter()
                .map(decode)
                .collect::<StoreResult<Vec<_>>>()?;
            if let Some(report) = walk.step(&page) {
                return Ok(check_head(report, self.head(user_id).await?));
            }
        }
    }

    async fn totals(&self, user_id: &str) -> StoreResult<LedgerTotals> {
        let pipeline = vec![
            doc! {"$match": {"user_id": user_id}},
            doc! {"$group": {
                "_id": {"$concat": ["$kind", "|", {"$ifNull": ["$bot_id", ""]}]},
                "total": {"$sum": "$amount"},
                "n": {"$sum": 1},
            }},
        ];
        let mut cursor = self.entries.aggregate(pipeline).await.map_err(map_err)?;
        let mut totals = LedgerTotals::default();
        while let Some(row) = cursor.try_next().await.map_err(map_err)? {
            let key = row.get_str("_id").unwrap_or("");
            let (kind, bot) = key.split_once('|').unwrap_or((key, ""));
            let total = row
                .get_f64("total")
                .unwrap_or_else(|_| int(&row, "total") as f64);
            crate::store::common::fold_totals(
                &mut totals,
                kind,
                bot,
                total,
                int(&row, "n").max(0) as u64,
            );
        }
        Ok(totals)
    }

    async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64> {
        let r = self
            .entries
            .delete_many(doc! {"user_id": user_id})
            .await
            .map_err(map_err)?;
        self.heads
            .delete_one(doc! {"_id": user_id})
            .await
            .map_err(map_err)?;
        Ok(r.deleted_count)
    }
}
