//! The live order tracker: polls every live order that is not finished (and books finished
//! ones not booked yet) until it is terminal, with per-order backoff (`trading::live::advance`).
//! Its first tick after a boot resolves orders a crash left between send and answer.

use std::time::Duration;

use async_trait::async_trait;

use super::runner::Engine;
use crate::config::Config;
use crate::error::AppResult;
use crate::state::AppState;
use crate::trading::live;

/// Orders advanced per tick at most (the rest wait for the next tick).
const BATCH: u32 = 100;

pub struct LiveTracker;

#[async_trait]
impl Engine for LiveTracker {
    fn name(&self) -> &'static str {
        super::LIVE_TRACKER
    }
    fn interval(&self, config: &Config) -> Duration {
        Duration::from_secs(config.trading.live_poll_seconds)
    }
    async fn tick(&self, state: &AppState) -> AppResult<String> {
        let advanced = tick(state).await?;
        Ok(format!("{advanced} live orders advanced"))
    }
}

/// Advances every due order once; one order's failure does not stop the others.
pub async fn tick(state: &AppState) -> AppResult<usize> {
    let due = state
        .store
        .live_orders
        .due(state.clock.now(), BATCH)
        .await?;
    let mut advanced = 0;
    for order in due {
        let id = order.id.clone();
        match live::advance(state, order).await {
            Ok(_) => advanced += 1,
            Err(e) => tracing::warn!(live_order_id = %id, error = %e, "live order not advanced"),
        }
    }
    Ok(advanced)
}
