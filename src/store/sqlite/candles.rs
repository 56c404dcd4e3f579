//! SQLite implementation of `CandleRepo`: typed columns keyed by (exchange, pair, timeframe,
//! open_time); multi-row `INSERT .. ON CONFLICT DO NOTHING` batches in one transaction.

use async_trait::async_trait;
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};

use super::map_err;
use crate::domain::candles::{Candle, Series};
use crate::store::candles::{CandleRepo, Dataset};
use crate::store::StoreResult;

/// SQLite allows 32766 bind parameters per statement; a candle row binds 9.
const ROWS_PER_STATEMENT: usize = 32_766 / 9;

pub(super) struct SqliteCandles {
    pub(super) pool: SqlitePool,
}

/// A row of `SELECT open_time, open, high, low, close, volume`, decoded by position (no
/// per-row column-name lookups: a 5,000-candle answer decodes 30,000 values).
type CandleRow = (i64, f64, f64, f64, f64, f64);

fn candle_from((open_time, open, high, low, close, volume): CandleRow) -> Candle {
    Candle {
        open_time,
        open,
        high,
        low,
        close,
        volume,
    }
}

#[async_trait]
impl CandleRepo for SqliteCandles {
    async fn upsert_many(&self, series: &Series, candles: &[Candle]) -> StoreResult<u64> {
        if candles.is_empty() {
            return Ok(0);
        }
        let (exchange, pair, timeframe) = (
            series.exchange.as_str(),
            series.pair.to_string(),
            series.timeframe.as_str(),
        );
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let mut inserted = 0;
        for chunk in candles.chunks(ROWS_PER_STATEMENT) {
            let mut query: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO candles (exchange, pair, timeframe, open_time, open, high, low, close, volume) ",
            );
            query.push_values(chunk, |mut row, c| {
                row.push_bind(exchange)
                    .push_bind(pair.as_str())
                    .push_bind(timeframe)
                    .push_bind(c.open_time)
                    .push_bind(c.open)
                    .push_bind(c.high)
                    .push_bind(c.low)
                    .push_bind(c.close)
                    .push_bind(c.volume);
            });
            query.push(" ON CONFLICT (exchange, pair, timeframe, open_time) DO NOTHING");
            let done = query.build().execute(&mut *tx).await.map_err(map_err)?;
            inserted += done.rows_affected();
        }
        tx.commit().await.map_err(map_err)?;
        Ok(inserted)
    }

    async fn range(
        &self,
        series: &Series,
        since: Option<i64>,
        until: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Candle>> {
        // Newest-first when there is no start, so the answer is the latest `limit` candles.
        let order = if since.is_some() { "ASC" } else { "DESC" };
        let sql = format!(
            "SELECT open_time, open, high, low, close, volume FROM candles \
             WHERE exchange = ? AND pair = ? AND timeframe = ? AND open_time >= ? AND open_time <= ? \
             ORDER BY open_time {order} LIMIT ?"
        );
        let rows: Vec<CandleRow> = sqlx::query_as(&sql)
            .bind(series.exchange.as_str())
            .bind(series.pair.to_string())
            .bind(series.timeframe.as_str())
            .bind(since.unwrap_or(i64::MIN))
            .bind(until.unwrap_or(i64::MAX))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        let mut candles: Vec<Candle> = rows.into_iter().map(candle_from).collect();
        if since.is_none() {
            candles.reverse();
        }
        Ok(candles)
    }

    async fn last_open_time(&self, series: &Series) -> StoreResult<Option<i64>> {
        sqlx::query_scalar(
            "SELECT MAX(open_time) FROM candles WHERE exchange = ? AND pair = ? AND timeframe = ?",
        )
        .bind(series.exchange.as_str())
        .bind(series.pair.to_string())
        .bind(series.timeframe.as_str())
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)
    }

    async fn datasets(&self) -> StoreResult<Vec<Dataset>> {
        let rows = sqlx::query(
            "SELECT exchange, pair, timeframe, MIN(open_time) AS first, MAX(open_time) AS last, \
             COUNT(*) AS count FROM candles GROUP BY exchange, pair, timeframe \
             ORDER BY exchange, pair, timeframe",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(rows
            .iter()
            .map(|r| Dataset {
                exchange: r.get("exchange"),
                pair: r.get("pair"),
                timeframe: r.get("timeframe"),
                first: r.get("first"),
                last: r.get("last"),
                count: r.get("count"),
            })
            .collect())
    }

    async fn open_times(&self, series: &Series, since: i64, until: i64) -> StoreResult<Vec<i64>> {
        sqlx::query_scalar(
            "SELECT open_time FROM candles WHERE exchange = ? AND pair = ? AND timeframe = ? \
             AND open_time >= ? AND open_time <= ? ORDER BY open_time",
        )
        .bind(series.exchange.as_str())
        .bind(series.pair.to_string())
        .bind(series.timeframe.as_str())
        .bind(since)
        .bind(until)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)
    }
}
