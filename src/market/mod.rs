//! Market data use cases: importing candle files, downloading from exchanges, keeping
//! series current (uses `exchange/` and `store/`).

pub mod download;
pub mod import;

use serde::Serialize;

use crate::domain::bot_enums::Exchange;
use crate::domain::candles::{expected_count, gaps, Pair, Series, Timeframe};
use crate::store::{CandleRepo, StoreResult};

/// A stored series with its extent and the number of holes in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatasetSummary {
    pub exchange: String,
    pub pair: String,
    pub timeframe: String,
    pub first: i64,
    pub last: i64,
    pub count: i64,
    /// Runs of missing candles between `first` and `last`.
    pub gaps: i64,
}

/// Every stored series; gaps are counted only for series shorter than their span implies.
pub async fn datasets(repo: &dyn CandleRepo) -> StoreResult<Vec<DatasetSummary>> {
    let mut out = Vec::new();
    for d in repo.datasets().await? {
        let series = match (
            Exchange::parse(&d.exchange),
            Pair::parse(&d.pair),
            Timeframe::parse(&d.timeframe),
        ) {
            (Some(e), Some(p), Some(t)) => Some(Series::new(e, p, t)),
            _ => None,
        };
        let gap_count = match &series {
            Some(s) if d.count < expected_count(d.first, d.last, s.timeframe) => {
                let times = repo.open_times(s, d.first, d.last).await?;
                gaps(&times, s.timeframe).len() as i64
            }
            _ => 0,
        };
        out.push(DatasetSummary {
            exchange: d.exchange,
            pair: d.pair,
            timeframe: d.timeframe,
            first: d.first,
            last: d.last,
            count: d.count,
            gaps: gap_count,
        });
    }
    Ok(out)
}
