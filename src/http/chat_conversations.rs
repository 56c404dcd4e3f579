//! `/api/ai/conversations*` (SPEC §6): named chat threads, owner only (404 for anyone else).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::ai::service::message_json;
use crate::auth::CurrentUser;
use crate::domain::chat::Conversation;
use crate::error::{parse_optional_json, AppJson, AppResult};
use crate::http::chat::{conversation_not_found, handle_chat, ChatBody, LIMIT_RANGE};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/ai/conversations", post(create).get(list))
        .route("/api/ai/conversations/{id}", get(show).delete(remove))
        .route("/api/ai/conversations/{id}/messages", post(add_message))
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
async fn add_message(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    Path(id): Path<String>,
    AppJson(mut body): AppJson<ChatBody>,
) -> AppResult<Json<Value>> {
    body.conversation_id = Some(id);
    handle_chat(state, auth, body).await
}
