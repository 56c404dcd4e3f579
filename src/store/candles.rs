//! Candles (SPEC §15): one row/document per candle, unique per (exchange, pair, timeframe,
//! open_time); writes are idempotent (a candle already stored is left as it is).

use async_trait::async_trait;

use super::StoreResult;
use crate::domain::candles::{Candle, Series};

/// One stored series and its extent, as the database aggregates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    pub exchange: String,
    pub pair: String,
    pub timeframe: String,
    /// Open time (epoch ms) of the oldest candle.
    pub first: i64,
    /// Open time (epoch ms) of the newest candle.
    pub last: i64,
    pub count: i64,
}

#[async_trait]
pub trait CandleRepo: Send + Sync {
    /// Stores the candles not stored yet (others are left unchanged) in one transaction;
    /// answers how many were new.
    async fn upsert_many(&self, series: &Series, candles: &[Candle]) -> StoreResult<u64>;
    /// Candles with `since <= open_time <= until`, oldest first, at most `limit`: the first
    /// `limit` from `since` when it is given, else the newest `limit` up to `until`.
    async fn range(
        &self,
        series: &Series,
        since: Option<i64>,
        until: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Candle>>;
    /// Open time of the newest stored candle.
    async fn last_open_time(&self, series: &Series) -> StoreResult<Option<i64>>;
    /// Every stored series with its first/last open time and count (grouped in the database).
    async fn datasets(&self) -> StoreResult<Vec<Dataset>>;
    /// The stored open times in `since..=until`, ascending (for gap detection).
    async fn open_times(&self, series: &Series, since: i64, until: i64) -> StoreResult<Vec<i64>>;
}
