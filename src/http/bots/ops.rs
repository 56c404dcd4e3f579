//! Shared bot operations used by several routers (bots, system, admin, training): DTOs,
//! transition context, pausing a user's bots, and publishing domain events.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::domain::bot::{Bot, BotStatus};
use crate::domain::status_machine::{self, BotAction, TransitionContext};
use crate::error::{AppError, AppResult};
use crate::events::EventType;
use crate::state::AppState;
use crate::store::bots::update_bot;
use crate::store::StoreError;

/// A bot as clients see it: every stored field plus the legacy `mode` alias.
pub fn bot_json(bot: &Bot) -> Value {
    let mut value = serde_json::to_value(bot).unwrap_or_else(|_| json!({}));
    if let Some(obj) = value.as_object_mut() {
        obj.insert("mode".into(), json!(bot.trading_mode.as_str()));
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

/// Pauses every active (or bay) bot of a user; returns the paused bots.
pub async fn pause_all(state: &AppState, user_id: &str, reason: &str) -> AppResult<Vec<Bot>> {
    let now = state.clock.now();
    let ctx = TransitionContext {
        now,
        emergency_stop_active: false,
        live_min_training_hours: state.config.trading.live_min_training_hours,
    };
    let mut paused = Vec::new();
    for listed in state
        .store
        .bots
        .list(user_id, Some(BotStatus::Active))
        .await?
    {
        let id = listed.id.clone();
        let pause = |bot: &mut Bot| -> Result<bool, StoreError> {
            let Ok(next) = status_machine::transition(bot, BotAction::Pause, ctx) else {
                return Ok(false);
            };
            status_machine::apply(bot, BotAction::Pause, next, now, Some(reason));
            Ok(true)
        };
        // Applied to the bot as it is when saved, so a fill booked meanwhile stays.
        let updated =
            update_bot(state.store.bots.as_ref(), Some(listed), user_id, &id, pause).await?;
        if let Some((bot, true)) = updated {
            emit(
                state,
                user_id,
                EventType::BotPaused,
                json!({"bot": bot_json(&bot), "message": reason}),
            );
            paused.push(bot);
        }
    }
    Ok(paused)
}

/// Publishes a domain event to the user's realtime clients (WS + SSE, with replay).
pub fn emit(state: &AppState, user_id: &str, kind: EventType, payload: Value) {
    state.events.publish(user_id, kind, payload);
}
