//! Bot lifecycle use case: one start/stop/pause/resume action decided by the status machine,
//! written as a compare-and-set on the status it was decided on, and announced.

use serde_json::json;

use crate::app::bots::{bot_json, commit_transition, load_bot, transition_context, Commit};
use crate::app::events::emit;
use crate::domain::bot::Bot;
use crate::domain::status_machine::{self, BotAction, Refusal, EMERGENCY_STOP_REFUSAL};
use crate::error::AppResult;
use crate::events::EventType;
use crate::state::AppState;

/// How often a transition is re-decided when the bot's status changed between reading and
/// writing it (another request or an engine got there first).
const TRANSITION_ATTEMPTS: usize = 3;

/// How an action went.
#[derive(Debug, Clone)]
pub enum ActionOutcome {
    /// Written and announced: the bot as stored and the message sent with the event.
    Done { bot: Box<Bot>, message: String },
    /// Refused by the rules (nothing written): the bot as it is and why.
    Refused { bot: Box<Bot>, refusal: Refusal },
}

/// Runs one action on the user's bot. Another user's id is `BOT_NOT_FOUND`.
pub async fn act(
    state: &AppState,
    user_id: &str,
    bot_id: &str,
    action: BotAction,
    reason: Option<&str>,
) -> AppResult<ActionOutcome> {
    for _ in 0..TRANSITION_ATTEMPTS {
        let before = load_bot(state, user_id, bot_id).await?;
        let now = state.clock.now();
        let ctx = transition_context(state, user_id, now).await?;
        let next = match status_machine::transition(&before, action, ctx) {
            Ok(next) => next,
            Err(refusal) => return Ok(refused(before, refusal)),
        };
        let mut bot = before.clone();
        status_machine::apply(&mut bot, action, next, now, reason);
        match commit_transition(state, &before, &bot).await? {
            Commit::Written(stored) => return Ok(announce(state, user_id, action, stored)),
            Commit::StatusChanged => continue,
            Commit::EmergencyStop => {
                let current = load_bot(state, user_id, bot_id).await?;
                return Ok(refused(current, Refusal::new(EMERGENCY_STOP_REFUSAL)));
            }
        }
    }
    let current = load_bot(state, user_id, bot_id).await?;
    Ok(refused(
        current,
        Refusal::new("The bot's status changed meanwhile; try again"),
    ))
}

fn refused(bot: Bot, refusal: Refusal) -> ActionOutcome {
    ActionOutcome::Refused {
        bot: Box::new(bot),
        refusal,
    }
}

/// Publishes the action's event.
fn announce(state: &AppState, user_id: &str, action: BotAction, bot: Box<Bot>) -> ActionOutcome {
    let (event, verb) = match action {
        BotAction::Start => (EventType::BotStarted, "started"),
        BotAction::Stop => (EventType::BotStopped, "stopped"),
        BotAction::Pause => (EventType::BotPaused, "paused"),
        _ => (EventType::BotResumed, "resumed"),
    };
    let message = format!("Bot '{}' {verb}", bot.name);
    emit(
        state,
        user_id,
        event,
        json!({"bot": bot_json(&bot), "message": message}),
    );
    ActionOutcome::Done { bot, message }
}
