//! The chat rules behind `/api/ai/*`: which key answers, what context goes with a question,
//! and one question-answer turn (stored on both sides whatever the provider does).

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::prompt::CONTEXT_MESSAGES;
use super::{
    admin_trigger, build_messages, fallback_reply, no_key_guidance, AiError, ChatRole, UserSummary,
};
use crate::domain::chat::StoredMessage;
use crate::domain::gates::utc_day_start;
use crate::domain::user::User;
use crate::events::EventType;
use crate::state::AppState;
use crate::store::StoreResult;

/// `key_source` values (SPEC §6).
pub const KEY_SOURCE_USER: &str = "user";
pub const KEY_SOURCE_ENV: &str = "env";

/// The text answered to an admin-panel request (the dashboard opens its password prompt).
pub const ADMIN_PANEL_REPLY: &str =
    "Opening the admin panel. Please enter the admin password to continue.";

/// What one `ask` produced.
#[derive(Debug, Clone)]
pub enum Turn {
    /// The assistant answered (provider reply, fallback or key guidance); the question and
    /// this reply are both stored. `error` is `no_api_key` / `ai_unavailable` when not the AI.
    Answered {
        reply: StoredMessage,
        key_source: Option<&'static str>,
        error: Option<&'static str>,
    },
    /// An admin-panel request, answered locally. Neither side is stored: stored turns are
    /// later sent as context, and trigger phrases must never reach the provider.
    AdminPanel { timestamp: DateTime<Utc> },
}

/// The API key for `user_id` and where it came from: the user's saved `openai` key wins over
/// the server's `OPENAI_API_KEY`; `(None, None)` when neither exists.
pub async fn resolve_key(
    state: &AppState,
    user_id: &str,
) -> (Option<String>, Option<&'static str>) {
    if let Some(key) = saved_user_key(state, user_id).await {
        return (Some(key), Some(KEY_SOURCE_USER));
    }
    match state.config.openai_api_key.as_ref() {
        Some(key) if !key.expose().trim().is_empty() => {
            (Some(key.expose().trim().to_string()), Some(KEY_SOURCE_ENV))
        }
        _ => (None, None),
    }
}

/// The user's saved, decrypted `openai` key. A store or decryption failure falls back to the
/// env key (logged, never with the key): a broken saved key must not take chat down.
async fn saved_user_key(state: &AppState, user_id: &str) -> Option<String> {
    let record = match state.store.keys.find(user_id, "openai").await {
        Ok(record) => record?,
        Err(err) => {
            tracing::warn!(error = %err, "could not read the saved openai key; using the server key");
            return None;
        }
    };
    match state.secrets.decrypt(&record.api_key_enc, user_id) {
        Ok(key) if !key.trim().is_empty() => Some(key.trim().to_string()),
        Ok(_) => None,
        Err(err) => {
            tracing::warn!(error = %err, "saved openai key cannot be decrypted; using the server key");
            None
        }
    }
}

/// The user's live situation for the system prompt, aggregated in the database.
pub async fn user_summary(state: &AppState, user: &User) -> StoreResult<UserSummary> {
    let now = state.clock.now();
    let bots = state.store.bots.summary(&user.id).await?;
    let settings = state.store.settings.get(&user.id, now).await?;
    // Today is the UTC day, as for the limit gate and the circuit breaker.
    let todays_pnl = state
        .store
        .trades
        .pnl_since(&user.id, None, utc_day_start(now))
        .await?;
    let mode = if settings.emergency_stop {
        "emergency_stop"
    } else if settings.live_trading {
        "live"
    } else if settings.paper_trading {
        "paper"
    } else {
        "off"
    };
    Ok(UserSummary {
        first_name: user.first_name.clone(),
        currency: user.currency.clone(),
        bots_by_status: bots.by_status,
        total_capital: bots.total_capital,
        todays_pnl,
        mode: mode.to_string(),
    })
}

/// Stores a message without an AI turn (client-sent `assistant` / `system` messages).
pub async fn store_only(
    state: &AppState,
    user_id: &str,
    role: ChatRole,
    content: &str,
    conversation_id: Option<&str>,
) -> StoreResult<StoredMessage> {
    let message = StoredMessage::new(
        user_id,
        conversation_id,
        role,
        content,
        None,
        state.clock.now(),
    );
    state.store.chat.insert_message(&message).await?;
    publish_chat_message(state, &message);
    Ok(message)
}

/// One user question (already validated, conversation ownership already checked): stores it,
/// asks the provider with context, stores and returns the answer.
///
/// Takes owned values so the caller can run it on its own task: a client that disconnects
/// mid-answer must not leave a question without its stored reply.
pub async fn ask(
    state: AppState,
    user: User,
    content: String,
    conversation_id: Option<String>,
) -> StoreResult<Turn> {
    if admin_trigger(&content) {
        return Ok(Turn::AdminPanel {
            timestamp: state.clock.now(),
        });
    }
    let conversation = conversation_id.as_deref();
    // Context is read before the question is stored, so it is the 10 messages before it.
    let history = state
        .store
        .chat
        .recent_for_context(&user.id, conversation, CONTEXT_MESSAGES as u32)
        .await?;
    store_only(&state, &user.id, ChatRole::User, &content, conversation).await?;

    let (key, key_source) = resolve_key(&state, &user.id).await;
    let (text, model, error) = match key {
        None => (no_key_guidance(), None, Some("no_api_key")),
        Some(key) => {
            let summary = user_summary(&state, &user).await?;
            let messages = build_messages(&summary, &history, &content);
            match call_provider(&state, &key, &messages).await {
                Ok(reply) => (reply.content, Some(reply.model), None),
                Err(err) => {
                    tracing::warn!(error = %err, key_source, "AI provider failed; answering with the fallback");
                    (fallback_reply(&err), None, Some("ai_unavailable"))
                }
            }
        }
    };
    metrics::counter!("ai_chat_turns_total", "outcome" => error.unwrap_or("ok")).increment(1);
    let reply = StoredMessage::new(
        &user.id,
        conversation,
        ChatRole::Assistant,
        &text,
        model.as_deref(),
        state.clock.now(),
    );
    state.store.chat.insert_message(&reply).await?;
    publish_chat_message(&state, &reply);
    Ok(Turn::Answered {
        reply,
        key_source,
        error,
    })
}

/// The provider call, bounded so that both attempts finish inside the request timeout: the
/// caller then always gets the fallback (200) rather than the middleware's timeout error.
async fn call_provider(
    state: &AppState,
    key: &str,
    messages: &[super::ChatMessage],
) -> Result<super::AiReply, AiError> {
    let budget = Duration::from_secs(
        state
            .config
            .request_timeout_seconds
            .saturating_sub(2)
            .max(1),
    );
    match tokio::time::timeout(budget, state.ai.chat(key, messages)).await {
        Ok(result) => result,
        Err(_) => Err(AiError::Timeout),
    }
}

/// The message shape every chat route and the `chat_message` event carry.
pub fn message_json(m: &StoredMessage) -> serde_json::Value {
    serde_json::json!({
        "id": m.id,
        "role": m.role.as_str(),
        "content": m.content,
        "timestamp": m.timestamp.to_rfc3339(),
        "conversation_id": m.conversation_id,
    })
}

/// Announces a stored chat message to the user's realtime clients (event `chat_message`), so
/// another open tab shows it. The payload is the user's own message, as history returns it.
pub fn publish_chat_message(state: &AppState, message: &StoredMessage) {
    state.events.publish(
        &message.user_id,
        EventType::ChatMessage,
        serde_json::json!({ "message": message_json(message) }),
    );
}
