//! Which status changes a bot may make (user actions and system transitions), and why not.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::bot::{Bot, BotStatus};
use crate::domain::quarantine;
use crate::domain::training;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BotAction {
    Start,
    Stop,
    Pause,
    Resume,
    /// System: set by the bodyguard (see `quarantine`).
    Quarantine,
    /// System: leave the live training bay once its hours have passed.
    Promote,
    /// Soft delete; terminal.
    Delete,
}

/// What a transition needs to know besides the bot.
#[derive(Debug, Clone, Copy)]
pub struct TransitionContext {
    pub now: DateTime<Utc>,
    pub emergency_stop_active: bool,
    pub live_min_training_hours: i64,
}

/// Why an action was refused (answered as 200 `success:false`, SPEC §3).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Refusal {
    pub reason: String,
    pub hours_remaining: Option<f64>,
}

impl Refusal {
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            hours_remaining: None,
        }
    }
    pub fn waiting(reason: impl Into<String>, hours_remaining: f64) -> Self {
        Self {
            reason: reason.into(),
            hours_remaining: Some(hours_remaining),
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// The status `action` leads to, or why it may not happen now.
pub fn transition(
    bot: &Bot,
    action: BotAction,
    ctx: TransitionContext,
) -> Result<BotStatus, Refusal> {
    use BotStatus as S;
    if bot.status == S::Deleted {
        return Err(Refusal::new("Bot has been deleted"));
    }
    match action {
        BotAction::Start => match bot.status {
            S::Active => Err(Refusal::new("Bot is already running")),
            _ => start_guards(bot, ctx).map(|()| S::Active),
        },
        BotAction::Resume => match bot.status {
            S::Paused | S::Quarantined => start_guards(bot, ctx).map(|()| S::Active),
            S::Active => Err(Refusal::new("Bot is already running")),
            _ => Err(Refusal::new("Only a paused bot can be resumed")),
        },
        BotAction::Stop => match bot.status {
            S::Stopped => Err(Refusal::new("Bot is already stopped")),
            _ => Ok(S::Stopped),
        },
        BotAction::Pause => match bot.status {
            S::Active => Ok(S::Paused),
            S::Paused => Err(Refusal::new("Bot is already paused")),
            _ => Err(Refusal::new("Only a running bot can be paused")),
        },
        BotAction::Quarantine => match bot.status {
            S::Active | S::Paused => Ok(S::Quarantined),
            _ => Err(Refusal::new(
                "Only a running or paused bot can be quarantined",
            )),
        },
        BotAction::Promote => match bot.status {
            S::LiveTrainingBay => {
                let hours =
                    training::bay_hours_remaining(bot, ctx.now, ctx.live_min_training_hours);
                if hours > 0.0 {
                    Err(Refusal::waiting(
                        format!("Bot is still in live training; {hours:.1} h remaining"),
                        hours,
                    ))
                } else {
                    Ok(S::Paused)
                }
            }
            _ => Err(Refusal::new("Bot is not in the live training bay")),
        },
        BotAction::Delete => Ok(S::Deleted),
    }
}

/// Why start/resume are refused while the user's emergency stop is on.
pub const EMERGENCY_STOP_REFUSAL: &str =
    "Emergency stop is active; disable it before starting bots";

/// Shared by start and resume: nothing may set a bot trading while one of these holds.
fn start_guards(bot: &Bot, ctx: TransitionContext) -> Result<(), Refusal> {
    if quarantine::is_retired(bot) {
        return Err(Refusal::new(
            "Bot was stopped for good after repeated quarantines",
        ));
    }
    let hours = quarantine::retraining_hours_remaining(bot, ctx.now);
    if hours > 0.0 {
        return Err(Refusal::waiting(
            format!("Bot is quarantined for retraining; {hours:.1} h remaining"),
            hours,
        ));
    }
    if ctx.emergency_stop_active {
        return Err(Refusal::new(EMERGENCY_STOP_REFUSAL));
    }
    if let Some(hours) =
        training::live_training_hours_remaining(bot, ctx.now, ctx.live_min_training_hours)
    {
        if hours > 0.0 {
            return Err(Refusal::waiting(
                format!("Bot is in the live training bay; {hours:.1} h remaining"),
                hours,
            ));
        }
    }
    Ok(())
}

pub fn can_start(bot: &Bot, ctx: TransitionContext) -> bool {
    transition(bot, BotAction::Start, ctx).is_ok()
}
pub fn can_stop(bot: &Bot, ctx: TransitionContext) -> bool {
    transition(bot, BotAction::Stop, ctx).is_ok()
}
pub fn can_pause(bot: &Bot, ctx: TransitionContext) -> bool {
    transition(bot, BotAction::Pause, ctx).is_ok()
}
pub fn can_resume(bot: &Bot, ctx: TransitionContext) -> bool {
    transition(bot, BotAction::Resume, ctx).is_ok()
}

/// Records an allowed transition (from `transition`) on the bot with its timestamps.
pub fn apply(
    bot: &mut Bot,
    action: BotAction,
    new_status: BotStatus,
    now: DateTime<Utc>,
    reason: Option<&str>,
) {
    let previous = bot.status;
    bot.status = new_status;
    bot.updated_at = now;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    match new_status {
        BotStatus::Active => {
            bot.started_at = Some(now);
            bot.pause_reason = None;
            bot.retraining_until = None;
            if previous == BotStatus::LiveTrainingBay {
                // Starting straight from a finished bay counts as the promotion.
                bot.promoted_at = Some(now);
            }
        }
        BotStatus::Paused if action == BotAction::Promote => {
            bot.promoted_at = Some(now);
            bot.pause_reason = Some(
                reason
                    .unwrap_or("Promoted from the live training bay; ready to start live")
                    .to_string(),
            );
        }
        BotStatus::Paused => {
            bot.pause_reason = Some(reason.unwrap_or("Paused by user").to_string());
        }
        BotStatus::Stopped | BotStatus::Deleted => {
            if bot.stopped_at.is_none() || new_status == BotStatus::Stopped {
                bot.stopped_at = Some(now);
            }
            bot.pause_reason = reason.map(str::to_string);
        }
        BotStatus::Quarantined => {
            bot.pause_reason = Some(reason.unwrap_or("Quarantined by the bodyguard").to_string());
        }
        BotStatus::LiveTrainingBay => {
            bot.bay_entered_at = Some(now);
        }
    }
}

#[cfg(test)]
mod tests;
