//! What engines tell users when they change a bot: an alert row plus realtime events.

use serde_json::json;

use crate::app::bots::bot_json;
use crate::app::events::emit;
use crate::domain::bot::{Bot, BotStatus};
use crate::domain::settings::Alert;
use crate::error::AppResult;
use crate::events::EventType;
use crate::state::AppState;

/// Stores an alert and pushes it to the user's realtime clients.
pub async fn alert(
    state: &AppState,
    user_id: &str,
    bot_id: Option<&str>,
    kind: &str,
    severity: &str,
    message: &str,
) -> AppResult<()> {
    let alert = Alert::new(user_id, bot_id, kind, severity, message, state.clock.now());
    state.store.alerts.insert(&alert).await?;
    emit(state, user_id, EventType::Alert, json!({"alert": alert}));
    Ok(())
}

/// `bot_status_changed {bot_id, bot_name, old_status, new_status, reason, source, bot}`.
pub fn status_changed(state: &AppState, bot: &Bot, old: BotStatus, reason: &str, source: &str) {
    emit(
        state,
        &bot.user_id,
        EventType::BotStatusChanged,
        json!({
            "bot_id": bot.id,
            "bot_name": bot.name,
            "old_status": old.as_str(),
            "new_status": bot.status.as_str(),
            "reason": reason,
            "source": source,
            "bot": bot_json(bot),
        }),
    );
}
