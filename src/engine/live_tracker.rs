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

/// The daily reconciliation of every user with live bots (`trading::live_reconcile`).
pub struct LiveReconcile;

/// Once a day; the first tick runs at boot.
pub const RECONCILE_INTERVAL: Duration = Duration::from_secs(24 * 3600);

#[async_trait]
impl Engine for LiveReconcile {
    fn name(&self) -> &'static str {
        super::LIVE_RECONCILE
    }
    fn interval(&self, _config: &Config) -> Duration {
        RECONCILE_INTERVAL
    }
    async fn tick(&self, state: &AppState) -> AppResult<String> {
        let users = live_users(state).await?;
        let mut differences = 0;
        for user in &users {
            match crate::trading::live_reconcile::reconcile(
                state,
                user,
                crate::trading::live_reconcile::DEFAULT_WINDOW_HOURS,
            )
            .await
            {
                Ok(report) => differences += report.differences,
                Err(e) => tracing::warn!(user_id = %user, error = %e, "live reconciliation failed"),
            }
        }
        Ok(format!(
            "{} users reconciled, {differences} differences",
            users.len()
        ))
    }
}

/// Users owning at least one live bot.
async fn live_users(state: &AppState) -> AppResult<Vec<String>> {
    const PAGE: u32 = 500;
    let mut users = std::collections::BTreeSet::new();
    let mut offset = 0;
    loop {
        let bots = state.store.bots.list_all(PAGE, offset).await?;
        for bot in &bots {
            if bot.trading_mode == crate::domain::bot::TradingMode::Live {
                users.insert(bot.user_id.clone());
            }
        }
        if bots.len() < PAGE as usize {
            break;
        }
        offset += PAGE;
    }
    Ok(users.into_iter().collect())
}
