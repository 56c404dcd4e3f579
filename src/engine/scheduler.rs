//! Trading scheduler (SPEC §9; needs `ENABLE_TRADING` and `ENABLE_SCHEDULERS`): every
//! `TRADING_TICK_SECONDS` each eligible paper bot gets one turn; a strategy acts once per
//! closed candle of its series, so most turns find nothing new and return at once.
//!
//! Each turn goes through `TradeExecutor`; the server uses
//! `trading::strategy_runner::StrategyExecutor` (the bot's strategy on stored candles, fills
//! through the order pipeline, decisions recorded); tests use a recorder.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::runner::Engine;
use crate::config::{Config, FeatureFlags};
use crate::domain::bot::{Bot, BotStatus, TradingMode};
use crate::domain::settings::UserSettings;
use crate::error::AppResult;
use crate::state::AppState;

/// What one bot's turn produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Execution {
    /// An order went through the pipeline (filled or rejected by a gate), with its id.
    Submitted { order_id: String },
    /// The bot decided not to trade this tick (no edge, holding, ...).
    Skipped { reason: String },
}

/// Runs one bot's turn through the order pipeline (tests use a recorder).
#[async_trait]
pub trait TradeExecutor: Send + Sync + 'static {
    async fn execute(&self, bot: &Bot) -> AppResult<Execution>;
}

/// True when `bot` may trade now: running, its owner's mode for it on (paper mode for paper
/// bots; live mode and `ENABLE_LIVE_TRADING` for live bots, whose orders then pass every live
/// gate in `trading::live`), emergency stop off, not switched off by an admin override, and
/// both trading flags on.
pub fn is_eligible(bot: &Bot, owner: &UserSettings, flags: &FeatureFlags) -> bool {
    let admin_disabled = bot.override_rules.get("trading_enabled") == Some(&false.into());
    let mode_on = match bot.trading_mode {
        TradingMode::Paper => owner.paper_trading,
        TradingMode::Live => owner.live_trading && flags.enable_live_trading,
    };
    flags.enable_trading
        && flags.enable_schedulers
        && bot.status == BotStatus::Active
        && mode_on
        && !owner.emergency_stop
        && !admin_disabled
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SchedulerReport {
    pub eligible: usize,
    pub submitted: usize,
    pub skipped: usize,
    pub failed: usize,
}

pub struct TradingScheduler {
    executor: Arc<dyn TradeExecutor>,
}

impl TradingScheduler {
    pub fn new(executor: Arc<dyn TradeExecutor>) -> Self {
        Self { executor }
    }
}

#[async_trait]
impl Engine for TradingScheduler {
    fn name(&self) -> &'static str {
        super::TRADING_SCHEDULER
    }
    fn interval(&self, config: &Config) -> Duration {
        Duration::from_secs(config.trading.trading_tick_seconds)
    }
    async fn tick(&self, state: &AppState) -> AppResult<String> {
        tick(state, self.executor.as_ref())
            .await
            .map(|r| format!("{r:?}"))
    }
}

/// One scheduler pass: every eligible bot, one `execute` each; one bot's failure does not stop
/// the others.
pub async fn tick(state: &AppState, executor: &dyn TradeExecutor) -> AppResult<SchedulerReport> {
    let mut report = SchedulerReport::default();
    let flags = &state.config.flags;
    if !(flags.enable_trading && flags.enable_schedulers) {
        return Ok(report);
    }
    let now = state.clock.now();
    let active = state
        .store
        .bots
        .list_by_status(BotStatus::Active, super::bodyguard::BATCH)
        .await?;
    let mut owners: HashMap<String, UserSettings> = HashMap::new();
    for bot in active {
        if !owners.contains_key(&bot.user_id) {
            let settings = state.store.settings.get(&bot.user_id, now).await?;
            owners.insert(bot.user_id.clone(), settings);
        }
        let Some(owner) = owners.get(&bot.user_id) else {
            continue;
        };
        if !is_eligible(&bot, owner, flags) {
            continue;
        }
        report.eligible += 1;
        match executor.execute(&bot).await {
            Ok(Execution::Submitted { .. }) => report.submitted += 1,
            Ok(Execution::Skipped { .. }) => report.skipped += 1,
            Err(e) => {
                tracing::warn!(bot_id = %bot.id, error = %e, "scheduled trade failed");
                report.failed += 1;
            }
        }
    }
    Ok(report)
}
