//! Backtest use cases shared by the API and the CLI: loading the candles of a run.

use crate::domain::candles::{Candle, Series};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::candles::CandleRepo;

/// The most candles one backtest reads (about 9.5 years of 1m candles, ~240 MB in memory).
pub const MAX_BACKTEST_CANDLES: u32 = 5_000_000;

/// The stored candles of `series` with `start <= open_time <= end`, oldest first. No candles
/// is a 422 naming the dataset (and what is stored, so the user can pick a range that exists).
pub async fn load_candles(
    repo: &dyn CandleRepo,
    series: &Series,
    start: Option<i64>,
    end: Option<i64>,
) -> AppResult<Vec<Candle>> {
    let since = Some(start.unwrap_or(0));
    let candles = repo
        .range(series, since, end, MAX_BACKTEST_CANDLES + 1)
        .await?;
    if candles.len() > MAX_BACKTEST_CANDLES as usize {
        return Err(AppError::validation(vec![FieldError::new(
            "end",
            format!(
                "the range holds more than {MAX_BACKTEST_CANDLES} candles; choose a shorter one"
            ),
        )]));
    }
    if candles.is_empty() {
        let stored = repo.last_open_time(series).await?;
        let hint = if stored.is_some() {
            "there are stored candles for it, but none in the chosen start..end range"
        } else {
            "nothing is stored for it yet (amarktai data import|download)"
        };
        return Err(AppError::validation(vec![FieldError::new(
            "dataset",
            format!("no {series} candles: {hint}"),
        )]));
    }
    Ok(candles)
}
