//! `/api/ai/chat*` (SPEC §6): ask the assistant, read and clear the caller's history.
//! Conversations live in `chat_conversations`; the rules live in `crate::ai::service`.

use crate::http::openapi::schemas as docs;
use axum::extract::{Query, State};
use axum::Json;
use chrono::Duration;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ai::service::{self, Turn, ADMIN_PANEL_REPLY};
use crate::ai::ChatRole;
use crate::auth::{AuthUser, CurrentUser};
use crate::domain::chat::validate_content;
use crate::error::{AppError, AppJson, AppResult};
use crate::http::chat_conversations;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(chat))
        .routes(routes!(history, clear))
        .routes(routes!(clear_legacy))
        .merge(chat_conversations::router())
}

/// Body of `POST /api/ai/chat` and `POST /api/ai/conversations/{id}/messages`.
#[derive(Debug, Deserialize)]
pub struct ChatBody {
    pub content: String,
    #[serde(default)]
    pub conversation_id: Option<String>,
    /// `user` (default) asks the assistant; `assistant` / `system` are stored only.
    #[serde(default)]
    pub role: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/ai/chat",
    operation_id = "post_api_ai_chat",
    tag = "AI chat",
    summary = "Send a message; get the assistant's reply",
    description = "`content` is trimmed, then must hold 1 to 4000 characters (Unicode characters, not bytes): empty, whitespace-only or longer content is refused with a 422 naming `content` (it is not truncated). The provider sees the system prompt (the caller's live summary) and at most the last 10 messages of the conversation. Provider failures answer 200 with a friendly reply and `error:\"ai_unavailable\"`; no key at all: `error:\"no_api_key\"`. A body with `role:\"assistant\"|\"system\"` is only stored and answers `{success, stored:true, message}`; any other `role` is a 422. Someone else's `conversation_id`: 404.",
    request_body = docs::chat::ChatRequest,
    responses(
        (status = 200, description = "OK", body = docs::chat::ChatAnswer),
        (status = 404, description = "Not found (or another user's resource)", body = docs::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn chat(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    AppJson(body): AppJson<ChatBody>,
) -> AppResult<Json<Value>> {
    handle_chat(state, auth, body).await
}

/// Shared by both chat routes: validates, checks the conversation, then stores or asks.
pub async fn handle_chat(
    state: AppState,
    auth: AuthUser,
    body: ChatBody,
) -> AppResult<Json<Value>> {
    let role = match body.role.as_deref().map(str::trim) {
        None | Some("") => ChatRole::User,
        Some(raw) => ChatRole::parse(&raw.to_ascii_lowercase())
            .ok_or_else(|| AppError::field("role", "must be one of user, assistant, system"))?,
    };
    let content = validate_content(&body.content)
        .map_err(|e| AppError::field("content", &e.to_string()))?
        .to_string();
    let conversation_id = non_blank(body.conversation_id);
    if let Some(id) = conversation_id.as_deref() {
        ensure_conversation(&state, auth.id(), id).await?;
    }

    if role != ChatRole::User {
        let message = service::store_only(
            &state,
            auth.id(),
            role,
            &content,
            conversation_id.as_deref(),
        )
        .await?;
        return Ok(Json(
            json!({"success": true, "stored": true, "message": service::message_json(&message)}),
        ));
    }

    // Its own task: if the client goes away mid-answer, the reply is still stored.
    let task = tokio::spawn(service::ask(
        state.clone(),
        auth.user,
        content,
        conversation_id.clone(),
    ));
    let turn = task.await.map_err(AppError::internal)??;
    Ok(Json(match turn {
        Turn::AdminPanel { timestamp } => json!({
            "action": "show_admin_panel",
            "requires_password": true,
            "role": "assistant",
            "content": ADMIN_PANEL_REPLY,
            "conversation_id": conversation_id,
            "model_used": null,
            "key_source": null,
            "timestamp": timestamp.to_rfc3339(),
        }),
        Turn::Answered {
            reply,
            key_source,
            error,
        } => {
            let mut out = json!({
                "id": reply.id,
                "role": "assistant",
                "content": reply.content,
                "conversation_id": reply.conversation_id,
                "model_used": reply.model_used,
                "key_source": key_source,
                "timestamp": reply.timestamp.to_rfc3339(),
            });
            if let (Some(error), Some(obj)) = (error, out.as_object_mut()) {
                obj.insert("error".into(), error.into());
            }
            out
        }
    }))
}

/// 404 unless the caller owns conversation `id` (someone else's looks exactly like none).
pub async fn ensure_conversation(state: &AppState, user_id: &str, id: &str) -> AppResult<()> {
    match state.store.chat.get_conversation(user_id, id).await? {
        Some(_) => Ok(()),
        None => Err(conversation_not_found()),
    }
}

pub fn conversation_not_found() -> AppError {
    AppError::not_found("CONVERSATION_NOT_FOUND", "Conversation not found")
}

fn non_blank(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// History window bounds. Out-of-range values are clamped, not refused (`days=0` reads as 1,
/// `limit=9999` as 500): a dashboard asking for "everything" still gets an answer, and the
/// response echoes the `days` / `limit` actually used. Non-numbers are a 422.
pub const DAYS_RANGE: (i64, i64) = (1, 365);
pub const LIMIT_RANGE: (i64, i64) = (1, 500);
const DEFAULT_DAYS: i64 = 30;
const DEFAULT_LIMIT: i64 = 100;

/// Query of `GET /api/ai/chat/history`; numbers arrive as text so a bad one is a named 422.
#[derive(Debug, Deserialize)]
struct HistoryQuery {
    days: Option<String>,
    limit: Option<String>,
    conversation_id: Option<String>,
}

fn clamped(field: &str, raw: Option<&str>, default: i64, (lo, hi): (i64, i64)) -> AppResult<i64> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(default),
        Some(r) => r
            .parse::<i64>()
            .map(|n| n.clamp(lo, hi))
            .map_err(|_| AppError::field(field, "must be a whole number")),
    }
}

/// `GET /api/ai/chat/history?days=30&limit=100&conversation_id=`: the caller's newest `limit`
/// messages of the last `days` days, oldest first. `days` is clamped to 1..=365 and `limit`
/// to 1..=500 (see `DAYS_RANGE` / `LIMIT_RANGE`); someone else's conversation is a 404.
#[utoipa::path(
    get,
    path = "/api/ai/chat/history",
    operation_id = "get_api_ai_chat_history",
    tag = "AI chat",
    summary = "The caller's messages, oldest first",
    description = "Out-of-range `days` / `limit` are clamped, not refused: `days` to 1..=365 and `limit` to 1..=500 (e.g. `days=0` reads as 1, `limit=9999` as 500); the response echoes the values actually used. A value that is not a whole number is a 422 naming the parameter.",
    params(
        ("days" = Option<i64>, Query, description = "Look-back in days (default 30); clamped to 1..=365"),
        ("limit" = Option<i64>, Query, description = "Max messages, the newest ones (default 100); clamped to 1..=500"),
        ("conversation_id" = Option<String>, Query, description = "Only this conversation (someone else's: 404)")
    ),
    responses(
        (status = 200, description = "OK", body = docs::chat::ChatHistory),
        (status = 422, description = "Validation failed (error.fields lists the fields)", body = docs::common::ErrorEnvelope),
        (status = 404, description = "No such conversation of the caller (`conversation_id`)", body = docs::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn history(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    Query(query): Query<HistoryQuery>,
) -> AppResult<Json<Value>> {
    let days = clamped("days", query.days.as_deref(), DEFAULT_DAYS, DAYS_RANGE)?;
    let limit = clamped("limit", query.limit.as_deref(), DEFAULT_LIMIT, LIMIT_RANGE)?;
    let conversation_id = non_blank(query.conversation_id);
    if let Some(id) = conversation_id.as_deref() {
        ensure_conversation(&state, auth.id(), id).await?;
    }
    let since = state.clock.now() - Duration::days(days);
    let messages = state
        .store
        .chat
        .history(auth.id(), since, limit as u32, conversation_id.as_deref())
        .await?;
    let messages: Vec<Value> = messages.iter().map(service::message_json).collect();
    Ok(Json(json!({
        "count": messages.len(),
        "messages": messages,
        "days": days,
        "limit": limit,
    })))
}

/// `POST /api/ai/chat/clear` and `DELETE /api/ai/chat/history`: deletes every message and
/// conversation of the caller; idempotent (`deleted_count: 0` the second time).
#[utoipa::path(
    delete,
    path = "/api/ai/chat/history",
    operation_id = "delete_api_ai_chat_history",
    tag = "AI chat",
    summary = "Delete the caller's chat history",
    responses(
        (status = 200, description = "OK", body = docs::common::DeletedCount)
    ),
    security(("bearerAuth" = []))
)]
async fn clear(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
) -> AppResult<Json<Value>> {
    let deleted = state.store.chat.clear(auth.id()).await?;
    Ok(Json(json!({"success": true, "deleted_count": deleted})))
}

/// `POST /api/ai/chat/clear`: the legacy spelling of `DELETE /api/ai/chat/history`.
#[utoipa::path(
    post,
    path = "/api/ai/chat/clear",
    operation_id = "post_api_ai_chat_clear",
    tag = "AI chat",
    summary = "Delete the caller's chat history (POST form)",
    responses(
        (status = 200, description = "OK", body = docs::common::DeletedCount)
    ),
    security(("bearerAuth" = []))
)]
async fn clear_legacy(state: State<AppState>, user: CurrentUser) -> AppResult<Json<Value>> {
    clear(state, user).await
}
