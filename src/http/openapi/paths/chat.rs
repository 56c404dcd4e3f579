//! AI chat and conversations (SPEC §6).

use crate::http::openapi::op::{delete, get, post, Op, Param};
use crate::http::openapi::schemas::chat::*;
use crate::http::openapi::schemas::common::DeletedCount;

const TAG: &str = "AI chat";

pub fn ops() -> Vec<Op> {
    vec![
        post("/api/ai/chat", TAG, "Send a message; get the assistant's reply")
            .describe("Provider failures answer 200 with a friendly reply and `error:\"ai_unavailable\"`; no key at all: `error:\"no_api_key\"`. A body with `role:\"assistant\"|\"system\"` is only stored and answers `{success, stored:true, message}`.")
            .body::<ChatRequest>()
            .ok::<ChatReply>(),
        get("/api/ai/chat/history", TAG, "The caller's messages, oldest first")
            .query("days", Param::Int, "Look-back in days (default 30)")
            .query("limit", Param::Int, "Max messages (default 100)")
            .query("conversation_id", Param::Str, "Only this conversation")
            .ok::<ChatHistory>()
            .errors(&[422]),
        delete("/api/ai/chat/history", TAG, "Delete the caller's chat history")
            .ok::<DeletedCount>(),
        post("/api/ai/chat/clear", TAG, "Delete the caller's chat history (POST form)")
            .ok::<DeletedCount>(),
        post("/api/ai/conversations", TAG, "Start a conversation")
            .status(201)
            .optional_body::<NewConversation>()
            .ok::<Conversation>(),
        get("/api/ai/conversations", TAG, "The caller's conversations")
            .ok::<ConversationList>(),
        get("/api/ai/conversations/{id}", TAG, "A conversation with its messages")
            .ok::<Conversation>(),
        delete("/api/ai/conversations/{id}", TAG, "Delete a conversation")
            .ok::<ConversationDeleted>(),
        post("/api/ai/conversations/{id}/messages", TAG, "Chat within a conversation")
            .body::<NewMessage>()
            .ok::<ChatReply>(),
    ]
}
