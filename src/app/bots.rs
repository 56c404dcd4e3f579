//! Bot use cases shared by handlers and engines: the client view of a bot, loading the
//! caller's bot, the transition context and compare-and-set commit, pausing a user's bots.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::domain::bot::{Bot, BotStatus};
use crate::domain::status_machine::TransitionContext;
use crate::error::{AppError, AppResult};
use crate::events::EventType;
use crate::state::AppState;

pub use crate::app::events::emit;

/// A bot as clients see it: every stored field plus the legacy `mode` alias.
pub fn bot_json(bot: &Bot) -> Value {
    let mut value = serde_json::to_value(bot).unwrap_or_else(|_| json!({}));
    if let Some(obj) = value.as_object_mut() {
        obj.insert("mode".into(), json!(bot.trading_mode.as_str()));
        // Documents from before strategies have no pair: show the one the bot trades.
        obj.insert("pair".into(), json!(bot.trading_pair().to_string()));
        // SPEC §16: the risk fields sit on the bot as they are sent (stored in `params`).
        let risk = bot.risk();
        obj.insert("stop_loss_pct".into(), json!(risk.stop_loss_pct));
        obj.insert("take_profit_pct".into(), json!(risk.take_profit_pct));
        obj.insert("trailing_stop_pct".into(), json!(risk.trailing_stop_pct));
        obj.insert("position_size_pct".into(), json!(risk.position_size_pct));
        obj.insert("cooldown_candles".into(), json!(risk.cooldown_candles));
    }
    value
}

/// Loads the caller's bot or answers 404 (another user's id looks exactly like a missing one).
pub async fn load_bot(state: &AppState, user_id: &str, bot_id: &str) -> AppResult<Bot> {
    state
        .store
        .bots
        .find(user_id, bot_id)
        .await?
        .ok_or_else(|| AppError::not_found("BOT_NOT_FOUND", "Bot not found"))
}

/// What the status machine needs to know about the user right now.
pub async fn transition_context(
    state: &AppState,
    user_id: &str,
    now: DateTime<Utc>,
) -> AppResult<TransitionContext> {
    let settings = state.store.settings.get(user_id, now).await?;
    Ok(TransitionContext {
        now,
        emergency_stop_active: settings.emergency_stop,
        live_min_training_hours: state.config.trading.live_min_training_hours,
    })
}

/// Pauses every active bot of a user in one conditional store statement (so a bot cannot be
/// skipped half-way through a loop); returns the paused bots and announces each.
pub async fn pause_all(state: &AppState, user_id: &str, reason: &str) -> AppResult<Vec<Bot>> {
    let now = state.clock.now();
    let paused = state
        .store
        .bots
        .pause_all_active(user_id, reason, now)
        .await?;
    for bot in &paused {
        emit(
            state,
            user_id,
            EventType::BotPaused,
            json!({"bot": bot_json(bot), "message": reason}),
        );
    }
    Ok(paused)
}

/// How writing an allowed transition went.
#[derive(Debug, Clone, PartialEq)]
pub enum Commit {
    /// Written; the bot as stored now.
    Written(Box<Bot>),
    /// The stored status was no longer the one the transition was decided on.
    StatusChanged,
    /// The bot went active but the emergency stop was switched on meanwhile: it was put back.
    EmergencyStop,
}

/// Writes `after` (a transition of `before` decided by the status machine) only if the bot is
/// still in `before`'s status. A bot that becomes active then re-reads the emergency stop: the
/// stop sets its flag before pausing, so either that pause sees this bot active, or this
/// re-read sees the flag and the bot is put back to how it was.
pub async fn commit_transition(state: &AppState, before: &Bot, after: &Bot) -> AppResult<Commit> {
    let bots = &state.store.bots;
    let Some(written) = bots.transition_status(after, &[before.status]).await? else {
        return Ok(Commit::StatusChanged);
    };
    if written.status != BotStatus::Active {
        return Ok(Commit::Written(Box::new(written)));
    }
    let settings = state
        .store
        .settings
        .get(&after.user_id, state.clock.now())
        .await?;
    if !settings.emergency_stop {
        return Ok(Commit::Written(Box::new(written)));
    }
    // If the stop's own pause got here first, the bot is already paused: nothing to undo.
    let mut back = before.clone();
    back.updated_at = state.clock.now();
    bots.transition_status(&back, &[BotStatus::Active]).await?;
    Ok(Commit::EmergencyStop)
}
