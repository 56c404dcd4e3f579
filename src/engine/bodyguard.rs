//! AI bodyguard engine (SPEC §9; on unless `DISABLE_AI_BODYGUARD`): every 300 s it releases
//! finished quarantines, applies the per-bot rules of `domain::bodyguard` to running bots, and
//! pauses all of a user's bots once their daily loss reaches the limit.

use std::collections::BTreeSet;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::notify;
use super::runner::Engine;
use crate::config::Config;
use crate::domain::bodyguard::{self, GuardAction, GuardLimits, Verdict};
use crate::domain::bot::{Bot, BotStatus};
use crate::domain::quarantine;
use crate::domain::status_machine::{self, BotAction, TransitionContext};
use crate::error::AppResult;
use crate::state::AppState;
use crate::store::bots::update_bot;
use crate::store::StoreError;

pub const INTERVAL: Duration = Duration::from_secs(300);
/// Most bots one tick looks at per status (a bound on memory, far above real fleets).
pub const BATCH: u32 = 10_000;
const SOURCE: &str = "ai_bodyguard";

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BodyguardReport {
    pub checked: usize,
    pub paused: usize,
    pub quarantined: usize,
    pub released: usize,
    pub users_paused: usize,
}

pub struct Bodyguard;

#[async_trait]
impl Engine for Bodyguard {
    fn name(&self) -> &'static str {
        super::AI_BODYGUARD
    }
    fn interval(&self, _config: &Config) -> Duration {
        INTERVAL
    }
    async fn tick(&self, state: &AppState) -> AppResult<String> {
        tick(state).await.map(|r| format!("{r:?}"))
    }
}

/// One bodyguard pass at `state.clock.now()`.
pub async fn tick(state: &AppState) -> AppResult<BodyguardReport> {
    let now = state.clock.now();
    let limits = GuardLimits::from_config(&state.config.trading);
    let mut report = BodyguardReport {
        released: release_due_quarantines(state, now).await?,
        ..BodyguardReport::default()
    };

    let active = state
        .store
        .bots
        .list_by_status(BotStatus::Active, BATCH)
        .await?;
    let mut users = BTreeSet::new();
    for bot in active {
        report.checked += 1;
        users.insert(bot.user_id.clone());
        if let Some(verdict) = bodyguard::check_bot(&bot, now, &limits) {
            match act_on_bot(state, bot, &verdict, now).await? {
                Some(GuardAction::Pause) => report.paused += 1,
                Some(GuardAction::Quarantine) => report.quarantined += 1,
                None => {}
            }
        }
    }
    for user_id in users {
        if guard_daily_loss(state, &user_id, now, &limits).await? {
            report.users_paused += 1;
        }
    }
    Ok(report)
}

async fn release_due_quarantines(state: &AppState, now: DateTime<Utc>) -> AppResult<usize> {
    let mut released = 0;
    for listed in state
        .store
        .bots
        .list_by_status(BotStatus::Quarantined, BATCH)
        .await?
    {
        let (user_id, id) = (listed.user_id.clone(), listed.id.clone());
        // Saved on the bot as it is now (a listing is old by the time we get to it).
        let updated = update_bot::<StoreError, _>(
            state.store.bots.as_ref(),
            Some(listed),
            &user_id,
            &id,
            |bot| Ok(quarantine::release_if_due(bot, now)),
        )
        .await?;
        if let Some((bot, true)) = updated {
            notify::status_changed(
                state,
                &bot,
                BotStatus::Quarantined,
                "Quarantine over; ready to start",
                SOURCE,
            );
            released += 1;
        }
    }
    Ok(released)
}

/// Pauses or quarantines one bot; returns what was done (nothing if the bot moved meanwhile).
async fn act_on_bot(
    state: &AppState,
    listed: Bot,
    verdict: &Verdict,
    now: DateTime<Utc>,
) -> AppResult<Option<GuardAction>> {
    let old = listed.status;
    let ctx = TransitionContext {
        now,
        emergency_stop_active: false,
        live_min_training_hours: state.config.trading.live_min_training_hours,
    };
    let reason = format!("AI bodyguard: {}", verdict.message);
    let apply = |bot: &mut Bot| -> Result<bool, StoreError> {
        match verdict.action {
            GuardAction::Pause => {
                let Ok(next) = status_machine::transition(bot, BotAction::Pause, ctx) else {
                    return Ok(false);
                };
                status_machine::apply(bot, BotAction::Pause, next, now, Some(&reason));
            }
            GuardAction::Quarantine => {
                if status_machine::transition(bot, BotAction::Quarantine, ctx).is_err()
                    || quarantine::quarantine(bot, now, &reason)
                        == quarantine::QuarantineOutcome::Ignored
                {
                    return Ok(false);
                }
            }
        }
        bodyguard::reset_after_action(bot);
        Ok(true)
    };
    // The listing is from the start of the tick: the change is applied to the bot as it is
    // when saved, so fills booked meanwhile stay (see `store::bots::update_bot`).
    let (user_id, id) = (listed.user_id.clone(), listed.id.clone());
    let updated = update_bot(
        state.store.bots.as_ref(),
        Some(listed),
        &user_id,
        &id,
        apply,
    )
    .await?;
    let Some((bot, true)) = updated else {
        return Ok(None);
    };
    let message = format!(
        "{} {}: {}",
        bot.name,
        match bot.status {
            BotStatus::Paused => "paused",
            BotStatus::Stopped => "stopped for good",
            _ => "quarantined",
        },
        verdict.message
    );
    let severity = if verdict.action == GuardAction::Quarantine {
        "critical"
    } else {
        "warning"
    };
    notify::alert(
        state,
        &bot.user_id,
        Some(&bot.id),
        "bodyguard",
        severity,
        &message,
    )
    .await?;
    notify::status_changed(state, &bot, old, &reason, SOURCE);
    tracing::info!(bot_id = %bot.id, rule = ?verdict.rule, status = bot.status.as_str(), "bodyguard acted");
    Ok(Some(verdict.action))
}

/// Pauses every running bot of the user when today's loss reached the limit.
async fn guard_daily_loss(
    state: &AppState,
    user_id: &str,
    now: DateTime<Utc>,
    limits: &GuardLimits,
) -> AppResult<bool> {
    let bots = state.store.bots.list(user_id, None).await?;
    if !bodyguard::daily_loss_breached(&bots, now, limits) {
        return Ok(false);
    }
    let loss = bodyguard::daily_loss_pct(&bots, now);
    let reason = format!(
        "AI bodyguard: daily loss of {loss:.1} % reached the {} % limit",
        limits.daily_loss_limit_pct
    );
    let paused = crate::app::bots::pause_all(state, user_id, &reason).await?;
    if paused.is_empty() {
        return Ok(false);
    }
    for bot in &paused {
        notify::status_changed(state, bot, BotStatus::Active, &reason, SOURCE);
    }
    let message = format!("{reason}; {} bots paused", paused.len());
    notify::alert(state, user_id, None, "bodyguard", "critical", &message).await?;
    Ok(true)
}
