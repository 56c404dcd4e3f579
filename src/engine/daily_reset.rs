//! Daily reset (SPEC §9): after UTC midnight, per-day counters of bots (`daily_profit`,
//! `daily_trade_count`) start again from zero. Runs every minute and is idempotent: it only
//! touches bots whose last trade was before today's midnight and whose counters are not zero.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::runner::Engine;
use crate::config::Config;
use crate::error::AppResult;
use crate::state::AppState;

pub const INTERVAL: Duration = Duration::from_secs(60);

pub struct DailyReset;

#[async_trait]
impl Engine for DailyReset {
    fn name(&self) -> &'static str {
        super::DAILY_RESET
    }
    fn interval(&self, _config: &Config) -> Duration {
        INTERVAL
    }
    async fn tick(&self, state: &AppState) -> AppResult<String> {
        tick(state).await.map(|n| format!("{n} bots reset"))
    }
}

/// UTC midnight at the start of `now`'s day.
pub fn day_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now.date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(now)
}

/// Resets the counters left over from earlier days; returns how many bots changed.
pub async fn tick(state: &AppState) -> AppResult<u64> {
    let midnight = day_start(state.clock.now());
    let reset = state.store.bots.reset_daily_counters(midnight).await?;
    if reset > 0 {
        tracing::info!(bots = reset, day = %midnight.date_naive(), "daily counters reset");
    }
    Ok(reset)
}
