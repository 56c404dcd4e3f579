//! Background engines (SPEC §9): each is a `tick()` plus a loop (see `runner`); this module
//! tracks which engines the flags allow, which actually started, and their last tick.

pub mod autopilot;
pub mod bodyguard;
pub mod daily_reset;
pub mod flags_line;
pub mod live_tracker;
pub mod market_sync;
pub(crate) mod notify;
pub mod runner;
pub mod scheduler;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::task::JoinHandle;

use crate::config::FeatureFlags;
use crate::state::AppState;

pub use runner::{run_once, Engine, TickOutcome};
pub use scheduler::TradeExecutor;

pub const TRADING_SCHEDULER: &str = "trading_scheduler";
pub const AI_BODYGUARD: &str = "ai_bodyguard";
pub const AUTOPILOT: &str = "autopilot";
pub const DAILY_RESET: &str = "daily_reset";
pub const MARKET_SYNC: &str = "market_sync";
pub const LIVE_TRACKER: &str = "live_tracker";
pub const LIVE_RECONCILE: &str = "live_reconcile";

/// What preflight and `/api/health` show per engine.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EngineStatus {
    /// The feature flags allow this engine.
    pub enabled: bool,
    /// Its loop is running in this process.
    pub started: bool,
    pub last_tick: Option<DateTime<Utc>>,
    /// `ok`, `error`, `timeout`, or `standby` (another instance holds the lease).
    pub last_outcome: Option<String>,
    pub lag_seconds: Option<i64>,
}

/// Shared, cheap-to-read status of every engine.
#[derive(Debug)]
pub struct EngineRegistry {
    /// This process's id as a lease holder.
    instance_id: String,
    engines: RwLock<BTreeMap<&'static str, EngineStatus>>,
}

impl Default for EngineRegistry {
    fn default() -> Self {
        Self {
            instance_id: uuid::Uuid::new_v4().to_string(),
            engines: RwLock::default(),
        }
    }
}

impl EngineRegistry {
    /// Which engines the flags allow (SPEC §9).
    pub fn from_flags(flags: &FeatureFlags) -> Self {
        let registry = Self::default();
        let schedulers = flags.enable_trading && flags.enable_schedulers;
        registry.register(TRADING_SCHEDULER, schedulers);
        registry.register(AI_BODYGUARD, !flags.disable_ai_bodyguard);
        registry.register(AUTOPILOT, flags.enable_autopilot);
        registry.register(DAILY_RESET, flags.enable_schedulers);
        registry.register(MARKET_SYNC, flags.enable_market_data);
        let live = flags.enable_trading && flags.enable_live_trading;
        registry.register(LIVE_TRACKER, live);
        registry.register(LIVE_RECONCILE, live);
        registry
    }

    /// The id this process holds engine leases under.
    pub fn instance_id(&self) -> &str {
        &self.instance_id
    }

    pub fn register(&self, name: &'static str, enabled: bool) {
        if let Ok(mut map) = self.engines.write() {
            map.insert(
                name,
                EngineStatus {
                    enabled,
                    started: false,
                    last_tick: None,
                    last_outcome: None,
                    lag_seconds: None,
                },
            );
        }
    }

    pub fn is_enabled(&self, name: &str) -> bool {
        self.engines
            .read()
            .map(|map| map.get(name).is_some_and(|s| s.enabled))
            .unwrap_or(false)
    }

    /// Called once the engine's loop has been spawned.
    pub fn mark_started(&self, name: &'static str) {
        if let Ok(mut map) = self.engines.write() {
            if let Some(status) = map.get_mut(name) {
                status.started = true;
            }
        }
    }

    /// Records a finished tick; also counts it in `engine_ticks_total`.
    pub fn record_tick(&self, name: &'static str, at: DateTime<Utc>, outcome: &str) {
        metrics::counter!("engine_ticks_total", "engine" => name, "outcome" => outcome.to_string())
            .increment(1);
        if let Ok(mut map) = self.engines.write() {
            if let Some(status) = map.get_mut(name) {
                status.last_tick = Some(at);
                status.last_outcome = Some(outcome.to_string());
            }
        }
    }

    /// A snapshot with `lag_seconds` computed against `now`.
    pub fn snapshot(&self, now: DateTime<Utc>) -> BTreeMap<String, EngineStatus> {
        let Ok(map) = self.engines.read() else {
            return BTreeMap::new();
        };
        map.iter()
            .map(|(name, status)| {
                let mut status = status.clone();
                status.lag_seconds = status.last_tick.map(|t| (now - t).num_seconds().max(0));
                (name.to_string(), status)
            })
            .collect()
    }

    /// Names of the engines the flags enabled.
    pub fn enabled_names(&self) -> Vec<&'static str> {
        self.names_where(|s| s.enabled)
    }

    /// Names of the engines whose loops are running.
    pub fn started_names(&self) -> Vec<&'static str> {
        self.names_where(|s| s.started)
    }

    fn names_where(&self, keep: impl Fn(&EngineStatus) -> bool) -> Vec<&'static str> {
        self.engines
            .read()
            .map(|map| {
                map.iter()
                    .filter(|(_, s)| keep(s))
                    .map(|(n, _)| *n)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Spawns the loop of every engine the flags allow. The trading scheduler also needs an
/// executor (the server passes `trading::strategy_runner::StrategyExecutor`); `None` leaves it not
/// started, and the startup line says so. Returns the loops' handles (they end when `state.shutdown` fires).
pub fn start(state: &AppState, executor: Option<Arc<dyn TradeExecutor>>) -> Vec<JoinHandle<()>> {
    let mut engines: Vec<Arc<dyn Engine>> = vec![
        Arc::new(bodyguard::Bodyguard),
        Arc::new(autopilot::Autopilot),
        Arc::new(daily_reset::DailyReset),
        Arc::new(market_sync::MarketSync),
        Arc::new(live_tracker::LiveTracker),
        Arc::new(live_tracker::LiveReconcile),
    ];
    if let Some(executor) = executor {
        engines.push(Arc::new(scheduler::TradingScheduler::new(executor)));
    }
    engines
        .into_iter()
        .filter(|engine| state.engines.is_enabled(engine.name()))
        .map(|engine| {
            state.engines.mark_started(engine.name());
            tokio::spawn(runner::run_loop(state.clone(), engine))
        })
        .collect()
}
