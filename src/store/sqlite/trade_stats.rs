//! SQLite implementation of `TradeStatsRepo`. All-time totals and daily series read the
//! trigger-maintained `trade_days` rollup (migration 0010: O(days)); a window's first, partial
//! day is aggregated from the trades over a covering index.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};

use super::{map_err, to_millis};
use crate::domain::periods::{bucket_start, Period, PeriodBucket};
use crate::domain::portfolio::WinLoss;
use crate::domain::trade::{day_key, Trade};
use crate::store::common::day_start;
use crate::store::trade_stats::{TradeStatsRepo, TradeTotals};
use crate::store::{StoreError, StoreResult};

pub(super) struct SqliteTradeStats {
    pub(super) pool: SqlitePool,
}

/// Rows per multi-row INSERT (13 parameters each, well under SQLite's variable limit).
const IMPORT_CHUNK: usize = 500;

fn totals_from(row: &SqliteRow) -> StoreResult<TradeTotals> {
    let int = |k: &str| {
        row.try_get::<i64, _>(k)
            .map(|v| v.max(0) as u64)
            .map_err(map_err)
    };
    let num = |k: &str| row.try_get::<f64, _>(k).map_err(map_err);
    let opt = |k: &str| row.try_get::<Option<f64>, _>(k).map_err(map_err);
    Ok(TradeTotals {
        results: WinLoss {
            wins: int("wins")?,
            losses: int("losses")?,
            total: int("n")?,
            gross_profit: num("gross_profit")?,
            gross_loss: num("gross_loss")?,
            best: opt("best")?,
            worst: opt("worst")?,
        },
        profit: num("profit")?,
        fees: num("fees")?,
        slippage: num("slippage")?,
    })
}

#[async_trait]
impl TradeStatsRepo for SqliteTradeStats {
    async fn totals(
        &self,
        user_id: &str,
        since: Option<DateTime<Utc>>,
    ) -> StoreResult<TradeTotals> {
        let row = match since {
            None => sqlx::query(
                "SELECT COALESCE(SUM(trades), 0) AS n, COALESCE(SUM(wins), 0) AS wins, \
                 COALESCE(SUM(losses), 0) AS losses, COALESCE(SUM(profit), 0.0) AS profit, \
                 COALESCE(SUM(fees), 0.0) AS fees, COALESCE(SUM(slippage), 0.0) AS slippage, \
                 COALESCE(SUM(gross_profit), 0.0) AS gross_profit, COALESCE(SUM(gross_loss), 0.0) AS gross_loss, \
                 MAX(best) AS best, MIN(worst) AS worst FROM trade_days WHERE user_id = ?",
            )
            .bind(user_id)
            .fetch_one(&self.pool)
            .await,
            // The first, partial day from the trades (covering index), every later day from
            // the rollup: O(trades on that day + days), whatever the window's trade count.
            Some(since) => sqlx::query(
                "SELECT COALESCE(SUM(n), 0) AS n, COALESCE(SUM(wins), 0) AS wins, COALESCE(SUM(losses), 0) AS losses, \
                 COALESCE(SUM(profit), 0.0) AS profit, COALESCE(SUM(fees), 0.0) AS fees, \
                 COALESCE(SUM(slippage), 0.0) AS slippage, COALESCE(SUM(gross_profit), 0.0) AS gross_profit, \
                 COALESCE(SUM(gross_loss), 0.0) AS gross_loss, MAX(best) AS best, MIN(worst) AS worst FROM ( \
                   SELECT COUNT(*) AS n, SUM(profit_loss > 0) AS wins, SUM(profit_loss < 0) AS losses, \
                          SUM(profit_loss) AS profit, SUM(fees) AS fees, SUM(slippage_cost) AS slippage, \
                          SUM(MAX(profit_loss, 0.0)) AS gross_profit, -SUM(MIN(profit_loss, 0.0)) AS gross_loss, \
                          MAX(profit_loss) AS best, MIN(profit_loss) AS worst \
                   FROM trades WHERE user_id = ?1 AND timestamp >= ?2 AND timestamp < ?3 \
                   UNION ALL \
                   SELECT SUM(trades), SUM(wins), SUM(losses), SUM(profit), SUM(fees), SUM(slippage), \
                          SUM(gross_profit), SUM(gross_loss), MAX(best), MIN(worst) \
                   FROM trade_days WHERE user_id = ?1 AND day > ?4)",
            )
            .bind(user_id)
            .bind(to_millis(since))
            .bind(to_millis(bucket_start(since, Period::Daily) + Duration::days(1)))
            .bind(day_key(since))
            .fetch_one(&self.pool)
            .await,
        }
        .map_err(map_err)?;
        totals_from(&row)
    }

    async fn daily_results(
        &self,
        user_id: &str,
        since: Option<DateTime<Utc>>,
    ) -> StoreResult<Vec<PeriodBucket>> {
        let from_day = since.map(day_key).unwrap_or_default();
        let rows: Vec<(String, f64, i64, f64)> = sqlx::query_as(
            "SELECT day, profit, trades, fees FROM trade_days WHERE user_id = ? AND day >= ? ORDER BY day",
        )
        .bind(user_id)
        .bind(from_day)
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

    async fn import(&self, trades: &[Trade]) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let mut stored = 0;
        for chunk in trades.chunks(IMPORT_CHUNK) {
            let docs = chunk
                .iter()
                .map(|t| {
                    serde_json::to_string(t)
                        .map_err(|e| StoreError::Other(format!("encode trade: {e}")))
                })
                .collect::<StoreResult<Vec<String>>>()?;
            let mut insert: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO trades (id, user_id, bot_id, exchange, amount, entry_price, fees, slippage_cost, \
                 profit_loss, is_profitable, timestamp, day, doc) ",
            );
            insert.push_values(chunk.iter().zip(docs), |mut row, (t, doc)| {
                row.push_bind(&t.id)
                    .push_bind(&t.user_id)
                    .push_bind(&t.bot_id)
                    .push_bind(&t.exchange)
                    .push_bind(t.amount)
                    .push_bind(t.entry_price)
                    .push_bind(t.fees)
                    .push_bind(t.slippage_cost)
                    .push_bind(t.profit_loss)
                    .push_bind(t.is_profitable)
                    .push_bind(to_millis(t.timestamp))
                    .push_bind(t.day())
                    .push_bind(doc);
            });
            let done = insert.build().execute(&mut *tx).await.map_err(map_err)?;
            stored += done.rows_affected();
        }
        tx.commit().await.map_err(map_err)?;
        Ok(stored)
    }
}
