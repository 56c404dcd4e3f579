//! Market sync (SPEC §15, `ENABLE_MARKET_DATA`): every minute, keeps the candles of the series
//! active bots trade current (their exchange's default pair at 1m) and backfills the gaps of
//! the last day. Downloads are resumable, so a tick only asks for what is missing.

use std::collections::BTreeSet;
use std::time::Duration;

use async_trait::async_trait;

use super::runner::Engine;
use crate::config::Config;
use crate::domain::bot::BotStatus;
use crate::domain::bot_enums::Exchange;
use crate::domain::candles::{gaps, Pair, Series, Timeframe};
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

/// The pair a bot on `exchange` trades when it names none: BTC/ZAR on the South African
/// exchanges, BTC/USDT on the others.
pub fn default_pair(exchange: Exchange) -> Pair {
    let quote = match exchange {
        Exchange::Luno | Exchange::Valr | Exchange::Ovex => "ZAR",
        Exchange::Binance | Exchange::Kucoin => "USDT",
    };
    Pair {
        base: "BTC".into(),
        quote: quote.into(),
    }
}

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

/// The series the active bots need, one per exchange (sorted, deduplicated).
pub async fn wanted_series(state: &AppState) -> AppResult<Vec<Series>> {
    let bots = state
        .store
        .bots
        .list_by_status(BotStatus::Active, MAX_BOTS)
        .await?;
    let exchanges: BTreeSet<&'static str> = bots.iter().map(|b| b.exchange.as_str()).collect();
    Ok(exchanges
        .into_iter()
        .filter_map(Exchange::parse)
        .map(|e| Series::new(e, default_pair(e), Timeframe::M1))
        .collect())
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
    for series in wanted_series(state).await? {
        if supports(series.exchange, series.timeframe).is_err() {
            report.unsupported += 1;
            continue;
        }
        match sync_one(&downloader, &series, now).await {
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
    now: i64,
) -> Result<(u64, usize), crate::market::download::DownloadError> {
    let mut inserted = downloader
        .download_days(series, WINDOW_DAYS, now, &mut |_| {})
        .await?
        .inserted;
    let tf = series.timeframe;
    let since = tf.floor(now - i64::from(WINDOW_DAYS) * 86_400_000);
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
