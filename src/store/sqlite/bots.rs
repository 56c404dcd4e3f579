//! SQLite implementation of `BotRepo`. Cap checks and inserts are one statement, so SQLite's
//! single writer makes them atomic.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Row, Sqlite, SqlitePool, Transaction};

use std::sync::Arc;

use super::direct::DirectReader;
use super::{map_err, to_millis};
use crate::domain::bot::{Bot, BotStatus};
use crate::store::bots::{
    deleted_name_key, name_key, BotCaps, BotRepo, BotSummary, BotTotals, CreateOutcome,
    UPDATE_ATTEMPTS,
};
use crate::store::common::{as_deleted, totals_from};
use crate::store::{StoreError, StoreResult};

pub(super) struct SqliteBots {
    pub(super) pool: SqlitePool,
    pub(super) direct: Arc<DirectReader>,
}

pub(super) fn decode(doc: &str) -> StoreResult<Bot> {
    serde_json::from_str(doc).map_err(|e| StoreError::Other(format!("bad bot document: {e}")))
}

pub(super) fn encode(bot: &Bot) -> StoreResult<String> {
    serde_json::to_string(bot).map_err(|e| StoreError::Other(format!("encode bot: {e}")))
}

fn key_for(bot: &Bot) -> String {
    if bot.status == BotStatus::Deleted {
        deleted_name_key(&bot.id)
    } else {
        name_key(&bot.name)
    }
}

/// Inserts one bot only if both caps still hold; returns the outcome.
async fn insert_capped(
    tx: &mut Transaction<'_, Sqlite>,
    bot: &Bot,
    caps: BotCaps,
    extra: u32,
) -> StoreResult<CreateOutcome> {
    let result = sqlx::query(
        "INSERT INTO bots (id, user_id, name_key, exchange, status, trading_mode, initial_capital, current_capital, \
         total_profit, created_at, updated_at, doc) \
         SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? \
         WHERE (SELECT COUNT(*) FROM bots WHERE user_id = ? AND exchange = ? AND status != 'deleted') + ? < ? \
           AND (SELECT COUNT(*) FROM bots WHERE user_id = ? AND status != 'deleted') + ? < ?",
    )
    .bind(&bot.id)
    .bind(&bot.user_id)
    .bind(key_for(bot))
    .bind(bot.exchange.as_str())
    .bind(bot.status.as_str())
    .bind(bot.trading_mode.as_str())
    .bind(bot.initial_capital)
    .bind(bot.current_capital)
    .bind(bot.total_profit)
    .bind(to_millis(bot.created_at))
    .bind(to_millis(bot.updated_at))
    .bind(encode(bot)?)
    .bind(&bot.user_id)
    .bind(bot.exchange.as_str())
    .bind(i64::from(extra))
    .bind(i64::from(caps.exchange_max))
    .bind(&bot.user_id)
    .bind(i64::from(extra))
    .bind(i64::from(caps.total_max))
    .execute(&mut **tx)
    .await;
    match result.map_err(map_err) {
        Ok(r) if r.rows_affected() == 1 => Ok(CreateOutcome::Created),
        Ok(_) => {
            let on_exchange: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM bots WHERE user_id = ? AND exchange = ? AND status != 'deleted'",
            )
            .bind(&bot.user_id)
            .bind(bot.exchange.as_str())
            .fetch_one(&mut **tx)
            .await
            .map_err(map_err)?;
            if on_exchange >= i64::from(caps.exchange_max) {
                Ok(CreateOutcome::ExchangeLimit)
            } else {
                Ok(CreateOutcome::TotalLimit)
            }
        }
        Err(StoreError::Duplicate(_)) => Ok(CreateOutcome::DuplicateName),
        Err(e) => Err(e),
    }
}

#[async_trait]
impl BotRepo for SqliteBots {
    async fn create(&self, bot: &Bot, caps: BotCaps) -> StoreResult<CreateOutcome> {
        self.create_many(std::slice::from_ref(bot), caps).await
    }

    async fn create_many(&self, bots: &[Bot], caps: BotCaps) -> StoreResult<CreateOutcome> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        for bot in bots {
            // Earlier rows of this batch are already visible inside the transaction.
            let outcome = insert_capped(&mut tx, bot, caps, 0).await?;
            if outcome != CreateOutcome::Created {
                tx.rollback().await.map_err(map_err)?;
                return Ok(outcome);
            }
        }
        tx.commit().await.map_err(map_err)?;
        Ok(CreateOutcome::Created)
    }

    async fn find(&self, user_id: &str, id: &str) -> StoreResult<Option<Bot>> {
        let doc: Option<String> = sqlx::query_scalar(
            "SELECT doc FROM bots WHERE id = ? AND user_id = ? AND status != 'deleted'",
        )
        .bind(id)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        doc.as_deref().map(decode).transpose()
    }

    async fn find_any(&self, id: &str) -> StoreResult<Option<Bot>> {
        let doc: Option<String> =
            sqlx::query_scalar("SELECT doc FROM bots WHERE id = ? AND status != 'deleted'")
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
        doc.as_deref().map(decode).transpose()
    }

    async fn list(&self, user_id: &str, status: Option<BotStatus>) -> StoreResult<Vec<Bot>> {
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM bots WHERE user_id = ? AND status != 'deleted' AND (? IS NULL OR status = ?) \
             ORDER BY created_at, id",
        )
        .bind(user_id)
        .bind(status.map(|s| s.as_str()))
        .bind(status.map(|s| s.as_str()))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        docs.iter().map(|d| decode(d)).collect()
    }

    async fn list_revision(&self, user_id: &str) -> StoreResult<Option<i64>> {
        // Read inline (direct.rs): the bot list asks on every request. No row yet: the user
        // never had a bot, revision 0 (the first insert makes it 1).
        self.direct.read(|conn| {
            let mut statement =
                conn.prepare_cached("SELECT revision FROM bot_list_revisions WHERE user_id = ?1")?;
            let mut rows = statement.query([user_id])?;
            Ok(Some(match rows.next()? {
                Some(row) => row.get(0)?,
                None => 0,
            }))
        })
    }

    async fn list_all(&self, limit: u32, offset: u32) -> StoreResult<Vec<Bot>> {
        let docs: Vec<String> =
            sqlx::query_scalar("SELECT doc FROM bots WHERE status != 'deleted' ORDER BY created_at, id LIMIT ? OFFSET ?")
                .bind(i64::from(limit))
                .bind(i64::from(offset))
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
        docs.iter().map(|d| decode(d)).collect()
    }

    async fn list_by_status(&self, status: BotStatus, limit: u32) -> StoreResult<Vec<Bot>> {
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM bots WHERE status = ? ORDER BY created_at, id LIMIT ?",
        )
        .bind(status.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        docs.iter().map(|d| decode(d)).collect()
    }

    async fn save(&self, bot: &Bot) -> StoreResult<bool> {
        let mut stored = bot.clone();
        stored.version = bot.version + 1;
        let r = sqlx::query(
            "UPDATE bots SET name_key = ?, exchange = ?, status = ?, trading_mode = ?, initial_capital = ?, \
             current_capital = ?, total_profit = ?, updated_at = ?, doc = ? \
             WHERE id = ? AND user_id = ? AND status != 'deleted' AND COALESCE(json_extract(doc, '$.version'), 0) = ?",
        )
        .bind(key_for(bot))
        .bind(bot.exchange.as_str())
        .bind(bot.status.as_str())
        .bind(bot.trading_mode.as_str())
        .bind(bot.initial_capital)
        .bind(bot.current_capital)
        .bind(bot.total_profit)
        .bind(to_millis(bot.updated_at))
        .bind(encode(&stored)?)
        .bind(&bot.id)
        .bind(&bot.user_id)
        .bind(version_param(bot.version))
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn transfer_capital(
        &self,
        user_id: &str,
        id: &str,
        delta: f64,
        floor: Option<f64>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let updated_at = serde_json::to_value(now)
            .map_err(|e| StoreError::Other(format!("encode time: {e}")))?;
        let r = sqlx::query(
            "UPDATE bots SET current_capital = current_capital + ?1, updated_at = ?2, doc = json_set(doc, \
               '$.current_capital', json_extract(doc, '$.current_capital') + ?1, \
               '$.peak_capital', MAX(COALESCE(json_extract(doc, '$.peak_capital'), 0) + ?1, json_extract(doc, '$.current_capital') + ?1), \
               '$.hour_peak_capital', MAX(COALESCE(json_extract(doc, '$.hour_peak_capital'), 0) + ?1, json_extract(doc, '$.current_capital') + ?1), \
               '$.updated_at', ?3, \
               '$.version', COALESCE(json_extract(doc, '$.version'), 0) + 1) \
             WHERE id = ?4 AND user_id = ?5 AND status != 'deleted' \
               AND (?6 IS NULL OR json_extract(doc, '$.current_capital') + ?1 >= ?6)",
        )
        .bind(delta)
        .bind(to_millis(now))
        .bind(updated_at.as_str().unwrap_or_default().to_string())
        .bind(id)
        .bind(user_id)
        .bind(floor)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(r.rows_affected() == 1)
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
                return Ok(Some(before));
            }
        }
        Err(StoreError::Unavailable(
            "the bot kept changing; try again".into(),
        ))
    }

    async fn summary(&self, user_id: &str) -> StoreResult<BotSummary> {
        let rows = sqlx::query(
            "SELECT status, exchange, trading_mode, COUNT(*) AS n, SUM(initial_capital) AS initial, \
             SUM(current_capital) AS capital, SUM(total_profit) AS profit \
             FROM bots WHERE user_id = ? AND status != 'deleted' GROUP BY status, exchange, trading_mode",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        let mut summary = BotSummary::default();
        for row in rows {
            let n = row.try_get::<i64, _>("n").map_err(map_err)?.max(0) as u64;
            let status: String = row.try_get("status").map_err(map_err)?;
            let exchange: String = row.try_get("exchange").map_err(map_err)?;
            let mode: String = row.try_get("trading_mode").map_err(map_err)?;
            summary.total += n;
            *summary.by_status.entry(status).or_default() += n;
            *summary
                .by_exchange_mode
                .entry(format!("{exchange}/{mode}"))
                .or_default() += n;
            summary.initial_capital += row.try_get::<f64, _>("initial").map_err(map_err)?;
            summary.total_capital += row.try_get::<f64, _>("capital").map_err(map_err)?;
            summary.total_profit += row.try_get::<f64, _>("profit").map_err(map_err)?;
        }
        Ok(summary)
    }

    async fn totals(&self) -> StoreResult<BotTotals> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT status, trading_mode, COUNT(*) FROM bots WHERE status != 'deleted' GROUP BY status, trading_mode",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(totals_from(
            rows.into_iter().map(|(s, m, n)| (s, m, n.max(0) as u64)),
        ))
    }

    async fn usage_for_user(&self, user_id: &str) -> StoreResult<(u64, u64)> {
        let (n, bytes): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), SUM(length(CAST(doc AS BLOB)) + 120) FROM bots WHERE user_id = ?",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok((n.max(0) as u64, bytes.unwrap_or(0).max(0) as u64))
    }

    async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64> {
        // The list revision goes with the bots (nothing of a deleted user stays behind); a
        // server that kept the user's list sees the revision change (to 0) and drops it.
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let r = sqlx::query("DELETE FROM bots WHERE user_id = ?")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        sqlx::query("DELETE FROM bot_list_revisions WHERE user_id = ?")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(r.rows_affected())
    }

    async fn reset_daily_counters(&self, day_start: DateTime<Utc>) -> StoreResult<u64> {
        // `last_trade_at` is RFC 3339 text in the document: its first 10 characters are the
        // UTC date, which compares correctly as text.
        let r = sqlx::query(
            "UPDATE bots SET doc = json_set(doc, '$.daily_profit', 0.0, '$.daily_trade_count', 0, \
               '$.version', COALESCE(json_extract(doc, '$.version'), 0) + 1) \
             WHERE status != 'deleted' \
               AND substr(json_extract(doc, '$.last_trade_at'), 1, 10) < ? \
               AND (json_extract(doc, '$.daily_profit') != 0 OR json_extract(doc, '$.daily_trade_count') != 0)",
        )
        .bind(day_start.format("%Y-%m-%d").to_string())
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(r.rows_affected())
    }

    async fn pause_all_active(
        &self,
        user_id: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Bot>> {
        super::bot_status::pause_all_active(&self.pool, user_id, reason, now).await
    }

    async fn transition_status(&self, bot: &Bot, from: &[BotStatus]) -> StoreResult<Option<Bot>> {
        super::bot_status::transition_status(&self.pool, bot, from).await
    }
}

/// SQLite integers are signed; versions never come near `i64::MAX`.
fn version_param(version: u64) -> i64 {
    i64::try_from(version).unwrap_or(i64::MAX)
}
