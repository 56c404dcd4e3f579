//! How an engine runs: one `tick()` at a time, only while this instance holds the engine's
//! database lease, on its interval, until shutdown. Every tick is recorded in the registry.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::MissedTickBehavior;

use crate::config::Config;
use crate::error::AppResult;
use crate::state::AppState;

/// A background engine. Tests drive `tick` (or `run_once`, which adds the lease) directly.
#[async_trait]
pub trait Engine: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    fn interval(&self, config: &Config) -> Duration;
    /// One pass of the engine's work; returns a short summary for the log.
    async fn tick(&self, state: &AppState) -> AppResult<String>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TickOutcome {
    Ok,
    Error,
    /// The tick took so long it could outlive its lease; it was abandoned.
    Timeout,
    /// Another instance holds the lease; nothing was done here.
    Standby,
}

impl TickOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            TickOutcome::Ok => "ok",
            TickOutcome::Error => "error",
            TickOutcome::Timeout => "timeout",
            TickOutcome::Standby => "standby",
        }
    }
}

/// How long a lease lasts: long enough that the holder renews it every interval, short enough
/// that another instance takes over soon after the holder dies.
pub fn lease_ttl(interval: Duration) -> Duration {
    interval * 2 + Duration::from_secs(30)
}

/// A tick must end before its lease can expire, or two instances could overlap.
fn tick_budget(interval: Duration) -> Duration {
    interval + Duration::from_secs(15)
}

/// Takes (or renews) the lease and, if held, runs one tick; records the outcome.
pub async fn run_once(state: &AppState, engine: &dyn Engine) -> TickOutcome {
    let name = engine.name();
    let interval = engine.interval(&state.config);
    let now = state.clock.now();
    let until = now
        + chrono::Duration::from_std(lease_ttl(interval)).unwrap_or(chrono::Duration::minutes(10));
    let holder = state.engines.instance_id();
    let outcome = match state
        .store
        .leases
        .try_acquire(name, holder, now, until)
        .await
    {
        Ok(false) => TickOutcome::Standby,
        Err(e) => {
            tracing::warn!(engine = name, error = %e, "engine lease unavailable; tick skipped");
            TickOutcome::Error
        }
        Ok(true) => match tokio::time::timeout(tick_budget(interval), engine.tick(state)).await {
            Ok(Ok(summary)) => {
                tracing::debug!(engine = name, %summary, "engine tick");
                TickOutcome::Ok
            }
            Ok(Err(e)) => {
                tracing::warn!(engine = name, error = %e, "engine tick failed");
                TickOutcome::Error
            }
            Err(_) => {
                tracing::warn!(engine = name, "engine tick ran past its budget; abandoned");
                TickOutcome::Timeout
            }
        },
    };
    state
        .engines
        .record_tick(name, state.clock.now(), outcome.as_str());
    outcome
}

/// Ticks on the engine's interval until shutdown (a running tick finishes first, bounded by
/// its budget), then releases the lease so another instance can take over at once.
pub async fn run_loop(state: AppState, engine: Arc<dyn Engine>) {
    let mut every = tokio::time::interval(engine.interval(&state.config));
    every.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            _ = state.shutdown.cancelled() => break,
            _ = every.tick() => {
                run_once(&state, engine.as_ref()).await;
            }
        }
    }
    let holder = state.engines.instance_id();
    if let Err(e) = state.store.leases.release(engine.name(), holder).await {
        tracing::warn!(engine = engine.name(), error = %e, "engine lease not released");
    }
    tracing::info!(engine = engine.name(), "engine stopped");
}
