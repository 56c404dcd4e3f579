//! Background engines: each is a `tick()` plus a loop; this module tracks their last tick.

use std::collections::BTreeMap;
use std::sync::RwLock;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::FeatureFlags;

pub const TRADING_SCHEDULER: &str = "trading_scheduler";
pub const AI_BODYGUARD: &str = "ai_bodyguard";
pub const AUTOPILOT: &str = "autopilot";
pub const DAILY_RESET: &str = "daily_reset";

/// What preflight and `/api/health` show per engine.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EngineStatus {
    pub enabled: bool,
    pub last_tick: Option<DateTime<Utc>>,
    pub last_outcome: Option<String>,
    pub lag_seconds: Option<i64>,
}

/// Shared, cheap-to-read status of every engine.
#[derive(Debug, Default)]
pub struct EngineRegistry {
    engines: RwLock<BTreeMap<&'static str, EngineStatus>>,
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
        registry
    }

    pub fn register(&self, name: &'static str, enabled: bool) {
        if let Ok(mut map) = self.engines.write() {
            map.insert(
                name,
                EngineStatus {
                    enabled,
                    last_tick: None,
                    last_outcome: None,
                    lag_seconds: None,
                },
            );
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

    /// Names of the engines the flags enabled (for the startup log line).
    pub fn enabled_names(&self) -> Vec<&'static str> {
        self.engines
            .read()
            .map(|map| {
                map.iter()
                    .filter(|(_, s)| s.enabled)
                    .map(|(n, _)| *n)
                    .collect()
            })
            .unwrap_or_default()
    }
}
