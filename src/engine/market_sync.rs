//! Market sync (SPEC §15, `ENABLE_MARKET_DATA`): every minute, keeps the candles of the series
//! active bots trade current (each bot's pair and timeframe) and backfills the gaps of the
//! window their strategies read (at least the last day). Downloads are resumable, so a tick
//! only asks for what is missing.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;

use super::runner::Engine;
use crate::config::Config;
use crate::domain::bot::BotStatus;
use crate::domain::candles::{gaps, Series, Timeframe};
use crate::error::AppResult;
use crate::exchange::candles::supports;
use crate::market::download::Downloader;
use crate::state::AppState;

pub const INTERVAL: Duration = Duration::from_secs(60);
/// How far back a series is kept complete (first sync and gap backfill).
pub const WINDOW_DAYS: u32 = 1;
/// Gaps backfilled per series and tick (the rest wait for the next tick).
pub const MAX_GAPS_PER_TICK: usize = 10;
/// Bots read per tick.
const MAX_BOTS: u32 = 10_000;

pub struct MarketSync;

#[async_trait]
impl Engine for MarketSync {
    fn name(&self) -> &'static str {
        super::MARKET_SYNC
    }
    fn interval(&self, _config: &Config) -> Duration {
        INTERVAL
    }
    async fn tick(&self, state: &AppState) -> AppResult<String> {
        tick(state).await.map(|r| r.to_string())
    }
}

/// The longest window kept complete for one series (a daily strategy with a long warm-up).
pub const MAX_WINDOW_DAYS: u32 = 400;

/// What one tick did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub series: usize,
    pub inserted: u64,
    pub gaps_filled: usize,
    /// Series skipped because their exchange serves no candles (OVEX).
    pub unsupported: usize,
    pub failed: usize,
}

impl std::fmt::Display for SyncReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} series synced, {} new candles, {} gaps backfilled, {} unsupported, {} failed",
            self.series, self.inserted, self.gaps_filled, self.unsupported, self.failed
        )
    }
}

/// The series the active bots read (sorted, deduplicated), each with the days of history
/// its most demanding strategy needs to warm up (at least [`WINDOW_DAYS`]).
pub async fn wanted_series(state: &AppState) -> AppResult<Vec<(Series, u32)>> {
    let bots = state
        .store
        .bots
        .list_by_status(BotStatus::Active, MAX_BOTS)
        .await?;
    let mut wanted: BTreeMap<(&'static str, String, Timeframe), (Series, u32)> = BTreeMap::new();
    for bot in &bots {
        let series = bot.series();
        let warmup = bot.strategy.build(series.timeframe).warmup() as i64;
        let days = (warmup * series.timeframe.millis() + 86_400_000 - 1) / 86_400_000;
        let days = u32::try_from(days)
            .unwrap_or(MAX_WINDOW_DAYS)
            .clamp(WINDOW_DAYS, MAX_WINDOW_DAYS);
        let key = (
            series.exchange.as_str(),
            series.pair.to_string(),
            series.timeframe,
        );
        let entry = wanted.entry(key).or_insert((series, days));
        entry.1 = entry.1.max(days);
    }
    Ok(wanted.into_values().collect())
}

/// Syncs every wanted series; one failing exchange does not stop the others.
pub async fn tick(state: &AppState) -> AppResult<SyncReport> {
    let now = state.clock.now().timestamp_millis();
    let downloader = Downloader::new(
        &state.http_client,
        &state.config.outbound,
        state.store.candles.as_ref(),
    );
    let mut report = SyncReport::default();
    for (series, days) in wanted_series(state).await? {
        if supports(series.exchange, series.timeframe).is_err() {
            report.unsupported += 1;
            continue;
        }
        match sync_one(&downloader, &series, days, now).await {
            Ok((inserted, filled)) => {
                report.series += 1;
                report.inserted += inserted;
                report.gaps_filled += filled;
            }
            Err(err) => {
                report.failed += 1;
                tracing::warn!(series = %series, error = %err, "market sync failed for this series");
            }
        }
    }
    Ok(report)
}

/// Brings one series up to the last closed candle, then backfills the window's gaps.
async fn sync_one(
    downloader: &Downloader<'_>,
    series: &Series,
    days: u32,
    now: i64,
) -> Result<(u64, usize), crate::market::download::DownloadError> {
    let mut inserted = downloader
        .download_days(series, days, now, &mut |_| {})
        .await?
        .inserted;
    let tf = series.timeframe;
    let since = tf.floor(now - i64::from(days) * 86_400_000);
    let until = tf.floor(now) - tf.millis();
    let times = downloader.repo.open_times(series, since, until).await?;
    let holes = gaps(&times, tf);
    let mut filled = 0;
    for gap in holes.iter().take(MAX_GAPS_PER_TICK) {
        let got = downloader
            .download_range(series, gap.from, gap.to, &mut |_| {})
            .await?
            .inserted;
        inserted += got;
        if got > 0 {
            filled += 1;
        }
    }
    Ok((inserted, filled))
}
