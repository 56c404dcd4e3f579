//! `/api/ai/conversations*` (SPEC §6): named chat threads, owner only (404 for anyone else).

use crate::http::openapi::schemas as docs;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ai::service::message_json;
use crate::auth::CurrentUser;
use crate::domain::chat::Conversation;
use crate::error::{parse_optional_json, AppJson, AppResult};
use crate::http::chat::{conversation_not_found, handle_chat, ChatBody, LIMIT_RANGE};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(show, remove))
        .routes(routes!(add_message))
}

#[derive(Debug, Default, Deserialize)]
struct CreateBody {
    #[serde(default)]
    title: Option<String>,
}

fn conversation_dto(c: &Conversation) -> Value {
    json!({
        "id": c.id,
        "title": c.title,
        "created_at": c.created_at.to_rfc3339(),
        "updated_at": c.updated_at.to_rfc3339(),
        "message_count": c.message_count,
    })
}

/// `POST /api/ai/conversations {title?}` -> 201 with the conversation. The body is optional
/// (a dashboard's "new chat" button may send nothing); a blank title gets the default.
#[utoipa::path(
    post,
    path = "/api/ai/conversations",
    operation_id = "post_api_ai_conversations",
    tag = "AI chat",
    summary = "Start a conversation",
    description = "The body is optional; a missing or blank `title` becomes \"New conversation\", a longer one than 200 characters is cut to 200 (not refused).",
    request_body = Option<docs::chat::NewConversation>,
    responses(
        (status = 201, description = "Created", body = docs::chat::Conversation)
    ),
    security(("bearerAuth" = []))
)]
async fn create(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    body: Bytes,
) -> AppResult<(StatusCode, Json<Value>)> {
    let body: CreateBody = parse_optional_json(&body)?;
    let conversation = Conversation::new(
        auth.id(),
        body.title.as_deref().unwrap_or(""),
        state.clock.now(),
    );
    state.store.chat.create_conversation(&conversation).await?;
    Ok((StatusCode::CREATED, Json(conversation_dto(&conversation))))
}

/// `GET /api/ai/conversations`: the caller's conversations, most recently active first.
#[utoipa::path(
    get,
    path = "/api/ai/conversations",
    operation_id = "get_api_ai_conversations",
    tag = "AI chat",
    summary = "The caller's conversations",
    responses(
        (status = 200, description = "OK", body = docs::chat::ConversationList)
    ),
    security(("bearerAuth" = []))
)]
async fn list(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
) -> AppResult<Json<Value>> {
    let conversations = state.store.chat.list_conversations(auth.id()).await?;
    let items: Vec<Value> = conversations.iter().map(conversation_dto).collect();
    Ok(Json(json!({"count": items.len(), "conversations": items})))
}

/// `GET /api/ai/conversations/{id}`: the conversation plus its newest messages (at most the
/// history route's largest `limit`), oldest first.
#[utoipa::path(
    get,
    path = "/api/ai/conversations/{id}",
    operation_id = "get_api_ai_conversations_id",
    tag = "AI chat",
    summary = "A conversation with its messages",
    description = "At most the newest 500 messages (the history route's largest `limit`), oldest first.",
    params(
        ("id" = String, Path)
    ),
    responses(
        (status = 200, description = "OK", body = docs::chat::Conversation)
    ),
    security(("bearerAuth" = []))
)]
async fn show(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let conversation = state
        .store
        .chat
        .get_conversation(auth.id(), &id)
        .await?
        .ok_or_else(conversation_not_found)?;
    let messages = state
        .store
        .chat
        .history(
            auth.id(),
            DateTime::<Utc>::UNIX_EPOCH,
            LIMIT_RANGE.1 as u32,
            Some(&id),
        )
        .await?;
    let mut out = conversation_dto(&conversation);
    if let Some(obj) = out.as_object_mut() {
        obj.insert(
            "messages".into(),
            messages.iter().map(message_json).collect::<Vec<_>>().into(),
        );
    }
    Ok(Json(out))
}

/// `DELETE /api/ai/conversations/{id}`: the conversation and its messages; 404 when the caller
/// does not own it (including a second delete).
#[utoipa::path(
    delete,
    path = "/api/ai/conversations/{id}",
    operation_id = "delete_api_ai_conversations_id",
    tag = "AI chat",
    summary = "Delete a conversation",
    params(
        ("id" = String, Path)
    ),
    responses(
        (status = 200, description = "OK", body = docs::chat::ConversationDeleted)
    ),
    security(("bearerAuth" = []))
)]
async fn remove(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    if !state.store.chat.delete_conversation(auth.id(), &id).await? {
        return Err(conversation_not_found());
    }
    Ok(Json(json!({"success": true, "deleted": true, "id": id})))
}

/// `POST /api/ai/conversations/{id}/messages {content, role?}`: exactly `POST /api/ai/chat`
/// within this conversation (the path id wins over any `conversation_id` in the body).
#[utoipa::path(
    post,
    path = "/api/ai/conversations/{id}/messages",
    operation_id = "post_api_ai_conversations_id_messages",
    tag = "AI chat",
    summary = "Chat within a conversation",
    description = "`content` is trimmed, then must hold 1 to 4000 characters (Unicode characters, not bytes): empty, whitespace-only or longer content is refused with a 422 naming `content` (it is not truncated). The provider sees the system prompt (the caller's live summary) and at most the last 10 messages of the conversation. Provider failures answer 200 with a friendly reply and `error:\"ai_unavailable\"`; no key at all: `error:\"no_api_key\"`. A body with `role:\"assistant\"|\"system\"` is only stored and answers `{success, stored:true, message}`; any other `role` is a 422. Someone else's `conversation_id`: 404.",
    params(
        ("id" = String, Path)
    ),
    request_body = docs::chat::NewMessage,
    responses(
        (status = 200, description = "OK", body = docs::chat::ChatAnswer)
    ),
    security(("bearerAuth" = []))
)]
async fn add_message(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    Path(id): Path<String>,
    AppJson(mut body): AppJson<ChatBody>,
) -> AppResult<Json<Value>> {
    body.conversation_id = Some(id);
    handle_chat(state, auth, body).await
}
