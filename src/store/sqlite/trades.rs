//! SQLite implementation of `TradeRepo`: queries and aggregates in SQL over indexed columns
//! (the trade itself is kept as JSON in `doc`). Writes live in `trades_write.rs`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Row, SqlitePool};

use super::{from_millis, map_err, to_millis, trades_write};
use crate::domain::bot::Bot;
use crate::domain::gates::LimitCounts;
use crate::domain::periods::PeriodBucket;
use crate::domain::portfolio::PnlPoint;
use crate::domain::trade::{Trade, TradeQuery, TradeStats};
use crate::store::common::day_start;
use crate::store::trades::{FillWrite, LimitScope, TradeRepo};
use crate::store::{StoreError, StoreResult};

pub(super) struct SqliteTrades {
    pub(super) pool: SqlitePool,
}

fn decode(doc: &str) -> StoreResult<Trade> {
    serde_json::from_str(doc).map_err(|e| StoreError::Other(format!("bad trade document: {e}")))
}

fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

#[async_trait]
impl TradeRepo for SqliteTrades {
    async fn record_fill(&self, write: &FillWrite) -> StoreResult<Bot> {
        trades_write::record_fill(&self.pool, write).await
    }

    async fn repair(&self, _user_id: Option<&str>) -> StoreResult<u64> {
        Ok(0) // fills are transactional here: nothing is ever half written
    }

    async fn find(&self, user_id: &str, id: &str) -> StoreResult<Option<Trade>> {
        let doc: Option<String> =
            sqlx::query_scalar("SELECT doc FROM trades WHERE id = ? AND user_id = ?")
                .bind(id)
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
        doc.as_deref().map(decode).transpose()
    }

    async fn recent(&self, user_id: &str, limit: u32) -> StoreResult<Vec<Trade>> {
        self.page(
            user_id,
            &TradeQuery {
                limit,
                ..TradeQuery::default()
            },
        )
        .await
    }

    async fn page(&self, user_id: &str, q: &TradeQuery) -> StoreResult<Vec<Trade>> {
        let (after_ts, after_id) = match &q.after {
            Some(c) => (Some(c.timestamp_ms), Some(c.id.as_str())),
            None => (None, None),
        };
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM trades WHERE user_id = ? AND (? IS NULL OR bot_id = ?) \
             AND (? IS NULL OR timestamp >= ?) AND (? IS NULL OR timestamp < ?) \
             AND (? IS NULL OR timestamp < ? OR (timestamp = ? AND id < ?)) \
             ORDER BY timestamp DESC, id DESC LIMIT ?",
        )
        .bind(user_id)
        .bind(q.bot_id.as_deref())
        .bind(q.bot_id.as_deref())
        .bind(q.since.map(to_millis))
        .bind(q.since.map(to_millis))
        .bind(q.until.map(to_millis))
        .bind(q.until.map(to_millis))
        .bind(after_ts)
        .bind(after_ts)
        .bind(after_ts)
        .bind(after_id)
        .bind(i64::from(q.limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        docs.iter().map(|d| decode(d)).collect()
    }

    async fn stats(&self, user_id: &str, bot_id: Option<&str>) -> StoreResult<TradeStats> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, COALESCE(SUM(profit_loss > 0), 0) AS wins, COALESCE(SUM(profit_loss <= 0), 0) AS losses, \
             COALESCE(SUM(profit_loss), 0.0) AS pnl, COALESCE(SUM(MAX(profit_loss, 0.0)), 0.0) AS gross_profit, \
             COALESCE(SUM(MIN(profit_loss, 0.0)), 0.0) AS gross_loss, COALESCE(SUM(fees), 0.0) AS fees, \
             COALESCE(SUM(slippage_cost), 0.0) AS slippage, COALESCE(MAX(profit_loss), 0.0) AS best, \
             COALESCE(MIN(profit_loss), 0.0) AS worst, COALESCE(SUM(amount * entry_price), 0.0) AS volume \
             FROM trades WHERE user_id = ? AND (? IS NULL OR bot_id = ?)",
        )
        .bind(user_id)
        .bind(bot_id)
        .bind(bot_id)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        let int = |k: &str| {
            row.try_get::<i64, _>(k)
                .map(|v| v.max(0) as u64)
                .map_err(map_err)
        };
        let num = |k: &str| row.try_get::<f64, _>(k).map_err(map_err);
        Ok(TradeStats {
            total_trades: int("n")?,
            winning_trades: int("wins")?,
            losing_trades: int("losses")?,
            total_profit: num("pnl")?,
            gross_profit: num("gross_profit")?,
            gross_loss: num("gross_loss")?,
            total_fees: num("fees")?,
            total_slippage: num("slippage")?,
            best_trade: num("best")?,
            worst_trade: num("worst")?,
            total_volume: num("volume")?,
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
        sqlx::query_scalar(
            "SELECT COALESCE(SUM(profit_loss), 0.0) FROM trades WHERE user_id = ? AND (? IS NULL OR bot_id = ?) AND timestamp >= ?",
        )
        .bind(user_id)
        .bind(bot_id)
        .bind(bot_id)
        .bind(to_millis(since))
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)
    }

    async fn limit_counts(&self, s: &LimitScope<'_>) -> StoreResult<LimitCounts> {
        let (bot, user, burst): (i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM trades WHERE user_id = ?1 AND bot_id = ?2 AND timestamp >= ?3), \
                    (SELECT COUNT(*) FROM trades WHERE user_id = ?1 AND timestamp >= ?3), \
                    (SELECT COUNT(*) FROM trades WHERE user_id = ?1 AND exchange = ?4 AND timestamp >= ?5)",
        )
        .bind(s.user_id)
        .bind(s.bot_id)
        .bind(to_millis(s.day_start))
        .bind(s.exchange)
        .bind(to_millis(s.burst_start))
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(LimitCounts {
            bot_trades_today: count(bot),
            user_trades_today: count(user),
            exchange_orders_in_burst_window: count(burst),
        })
    }

    async fn consecutive_losses(
        &self,
        user_id: &str,
        bot_id: &str,
        since: Option<DateTime<Utc>>,
        max: u32,
    ) -> StoreResult<u32> {
        let wins: Vec<bool> = sqlx::query_scalar(
            "SELECT profit_loss > 0 FROM trades WHERE user_id = ? AND bot_id = ? AND (? IS NULL OR timestamp > ?) \
             ORDER BY timestamp DESC, id DESC LIMIT ?",
        )
        .bind(user_id)
        .bind(bot_id)
        .bind(since.map(to_millis))
        .bind(since.map(to_millis))
        .bind(i64::from(max))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(wins.iter().take_while(|w| !**w).count() as u32)
    }

    async fn daily_buckets(
        &self,
        user_id: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<PeriodBucket>> {
        let rows: Vec<(String, f64, i64, f64)> = sqlx::query_as(
            "SELECT day, SUM(profit_loss), COUNT(*), SUM(fees) FROM trades WHERE user_id = ? AND timestamp >= ? \
             GROUP BY day ORDER BY day",
        )
        .bind(user_id)
        .bind(to_millis(since))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(rows
            .into_iter()
            .filter_map(|(day, profit, n, fees)| {
                day_start(&day).map(|period_start| PeriodBucket {
                    period_start,
                    profit,
                    trades: n.max(0) as u64,
                    fees,
                })
            })
            .collect())
    }

    async fn pnl_points(
        &self,
        user_id: &str,
        since: Option<DateTime<Utc>>,
        limit: u32,
    ) -> StoreResult<Vec<PnlPoint>> {
        let rows: Vec<(i64, f64)> = sqlx::query_as(
            "SELECT timestamp, profit_loss FROM trades WHERE user_id = ? AND (? IS NULL OR timestamp >= ?) \
             ORDER BY timestamp DESC, id DESC LIMIT ?",
        )
        .bind(user_id)
        .bind(since.map(to_millis))
        .bind(since.map(to_millis))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        let mut points: Vec<PnlPoint> = rows
            .into_iter()
            .map(|(ts, pnl)| PnlPoint {
                timestamp: from_millis(ts),
                pnl,
            })
            .collect();
        points.reverse();
        Ok(points)
    }

    async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64> {
        let r = sqlx::query("DELETE FROM trades WHERE user_id = ?")
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(r.rows_affected())
    }
}
