//! SQLite implementation of `LedgerRepo`. Appends run inside a `BEGIN IMMEDIATE` transaction
//! (one writer at a time), so the head read and the insert cannot interleave with another
//! append; the (user, seq) primary key is the backstop.

use async_trait::async_trait;
use sqlx::{Row, SqliteConnection, SqlitePool};

use super::{map_err, to_millis};
use crate::domain::ledger::{self, ChainReport, LedgerEntry, NewLedgerEntry};
use crate::store::common::fold_totals;
use crate::store::ledger::{
    check_head, prev_for_append, ChainWalk, LedgerFilter, LedgerHead, LedgerRepo, LedgerTotals,
    VERIFY_PAGE,
};
use crate::store::{StoreError, StoreResult};

pub(super) struct SqliteLedger {
    pub(super) pool: SqlitePool,
}

fn decode(doc: &str) -> StoreResult<LedgerEntry> {
    serde_json::from_str(doc).map_err(|e| StoreError::Other(format!("bad ledger entry: {e}")))
}

async fn head(conn: &mut SqliteConnection, user_id: &str) -> StoreResult<Option<LedgerHead>> {
    let row: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM ledger_heads WHERE user_id = ?")
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(map_err)?;
    Ok(row.map(|(seq, hash)| LedgerHead {
        seq: seq.max(0) as u64,
        hash,
    }))
}

/// Seals and stores `new` after the user's head, on a connection inside a write transaction.
pub(super) async fn append_in(
    conn: &mut SqliteConnection,
    new: NewLedgerEntry,
) -> StoreResult<LedgerEntry> {
    let newest: Option<String> =
        sqlx::query_scalar("SELECT doc FROM ledger WHERE user_id = ? ORDER BY seq DESC LIMIT 1")
            .bind(&new.user_id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(map_err)?;
    let newest = newest.as_deref().map(decode).transpose()?;
    let prev = prev_for_append(&new.user_id, head(conn, &new.user_id).await?, newest);
    let entry =
        ledger::seal(new, prev.as_ref()).map_err(|e| StoreError::Other(format!("ledger: {e}")))?;
    let doc = serde_json::to_string(&entry)
        .map_err(|e| StoreError::Other(format!("encode ledger entry: {e}")))?;
    sqlx::query(
        "INSERT INTO ledger (user_id, seq, kind, amount, bot_id, ref_id, timestamp, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&entry.user_id)
    .bind(entry.seq as i64)
    .bind(entry.kind.as_str())
    .bind(entry.amount)
    .bind(entry.bot_id.as_deref())
    .bind(&entry.ref_id)
    .bind(to_millis(entry.timestamp))
    .bind(doc)
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    sqlx::query(
        "INSERT INTO ledger_heads (user_id, seq, hash) VALUES (?, ?, ?) \
         ON CONFLICT(user_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
    )
    .bind(&entry.user_id)
    .bind(entry.seq as i64)
    .bind(&entry.hash)
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    Ok(entry)
}

#[async_trait]
impl LedgerRepo for SqliteLedger {
    async fn append(&self, entry: NewLedgerEntry) -> StoreResult<LedgerEntry> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(map_err)?;
        let sealed = append_in(&mut tx, entry).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(sealed)
    }

    async fn list(&self, user_id: &str, f: &LedgerFilter) -> StoreResult<Vec<LedgerEntry>> {
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM ledger WHERE user_id = ? AND (? IS NULL OR kind = ?) AND (? IS NULL OR bot_id = ?) \
             AND (? IS NULL OR timestamp >= ?) AND (? IS NULL OR timestamp < ?) ORDER BY seq DESC LIMIT ?",
        )
        .bind(user_id)
        .bind(f.kind.map(|k| k.as_str()))
        .bind(f.kind.map(|k| k.as_str()))
        .bind(f.bot_id.as_deref())
        .bind(f.bot_id.as_deref())
        .bind(f.since.map(to_millis))
        .bind(f.since.map(to_millis))
        .bind(f.until.map(to_millis))
        .bind(f.until.map(to_millis))
        .bind(i64::from(f.limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        docs.iter().map(|d| decode(d)).collect()
    }

    async fn verify(&self, user_id: &str) -> StoreResult<ChainReport> {
        let mut walk = ChainWalk::new();
        loop {
            let docs: Vec<String> = sqlx::query_scalar(
                "SELECT doc FROM ledger WHERE user_id = ? AND seq >= ? ORDER BY seq LIMIT ?",
            )
            .bind(user_id)
            .bind(walk.next_seq as i64)
            .bind(i64::from(VERIFY_PAGE))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
            let page = docs
                .iter()
                .map(|d| decode(d))
                .collect::<StoreResult<Vec<_>>>()?;
            if let Some(report) = walk.step(&page) {
                let mut conn = self.pool.acquire().await.map_err(map_err)?;
                return Ok(check_head(report, head(&mut conn, user_id).await?));
            }
        }
    }

    async fn totals(&self, user_id: &str) -> StoreResult<LedgerTotals> {
        let rows = sqlx::query(
            "SELECT kind, COALESCE(bot_id, '') AS bot, SUM(amount) AS total, COUNT(*) AS n \
             FROM ledger WHERE user_id = ? GROUP BY kind, bot_id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        let mut totals = LedgerTotals::default();
        for row in rows {
            let kind: String = row.try_get("kind").map_err(map_err)?;
            let bot: String = row.try_get("bot").map_err(map_err)?;
            let total: f64 = row.try_get("total").map_err(map_err)?;
            let n: i64 = row.try_get("n").map_err(map_err)?;
            fold_totals(&mut totals, &kind, &bot, total, n.max(0) as u64);
        }
        Ok(totals)
    }

    async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let r = sqlx::query("DELETE FROM ledger WHERE user_id = ?")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        sqlx::query("DELETE FROM ledger_heads WHERE user_id = ?")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(r.rows_affected())
    }
}
