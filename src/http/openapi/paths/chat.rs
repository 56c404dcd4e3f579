//! AI chat and conversations (SPEC §6).

use crate::http::openapi::op::{delete, get, post, Op, Param};
use crate::http::openapi::schemas::chat::*;
use crate::http::openapi::schemas::common::DeletedCount;

const TAG: &str = "AI chat";

// The limits below are enforced in `domain::chat`, `ai::prompt` and `http::chat`; the unit
// tests at the bottom keep this text in step with those constants.

/// What the chat routes refuse (422) and what they only cut down.
const CHAT_RULES: &str = "`content` is trimmed, then must hold 1 to 4000 characters (Unicode characters, not bytes): empty, whitespace-only or longer content is refused with a 422 naming `content` (it is not truncated). The provider sees the system prompt (the caller's live summary) and at most the last 10 messages of the conversation. Provider failures answer 200 with a friendly reply and `error:\"ai_unavailable\"`; no key at all: `error:\"no_api_key\"`. A body with `role:\"assistant\"|\"system\"` is only stored and answers `{success, stored:true, message}`; any other `role` is a 422. Someone else's `conversation_id`: 404.";

/// How the history window treats out-of-range numbers.
const HISTORY_RULES: &str = "Out-of-range `days` / `limit` are clamped, not refused: `days` to 1..=365 and `limit` to 1..=500 (e.g. `days=0` reads as 1, `limit=9999` as 500); the response echoes the values actually used. A value that is not a whole number is a 422 naming the parameter.";
const DAYS_DOC: &str = "Look-back in days (default 30); clamped to 1..=365";
const LIMIT_DOC: &str = "Max messages, the newest ones (default 100); clamped to 1..=500";

pub fn ops() -> Vec<Op> {
    vec![
        post("/api/ai/chat", TAG, "Send a message; get the assistant's reply")
            .describe(CHAT_RULES)
            .body::<ChatRequest>()
            .ok::<ChatReply>()
            .errors(&[404]),
        get("/api/ai/chat/history", TAG, "The caller's messages, oldest first")
            .describe(HISTORY_RULES)
            .query("days", Param::Int, DAYS_DOC)
            .query("limit", Param::Int, LIMIT_DOC)
            .query("conversation_id", Param::Str, "Only this conversation (someone else's: 404)")
            .ok::<ChatHistory>()
            .errors(&[422]),
        delete("/api/ai/chat/history", TAG, "Delete the caller's chat history")
            .ok::<DeletedCount>(),
        post("/api/ai/chat/clear", TAG, "Delete the caller's chat history (POST form)")
            .ok::<DeletedCount>(),
        post("/api/ai/conversations", TAG, "Start a conversation")
            .status(201)
            .describe("The body is optional; a missing or blank `title` becomes \"New conversation\", a longer one than 200 characters is cut to 200 (not refused).")
            .optional_body::<NewConversation>()
            .ok::<Conversation>(),
        get("/api/ai/conversations", TAG, "The caller's conversations")
            .ok::<ConversationList>(),
        get("/api/ai/conversations/{id}", TAG, "A conversation with its messages")
            .describe("At most the newest 500 messages (the history route's largest `limit`), oldest first.")
            .ok::<Conversation>(),
        delete("/api/ai/conversations/{id}", TAG, "Delete a conversation")
            .ok::<ConversationDeleted>(),
        post("/api/ai/conversations/{id}/messages", TAG, "Chat within a conversation")
            .describe(CHAT_RULES)
            .body::<NewMessage>()
            .ok::<ChatReply>(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ai::prompt::CONTEXT_MESSAGES;
    use crate::domain::chat::{MAX_CONTENT_CHARS, MAX_TITLE_CHARS};
    use crate::http::chat::{DAYS_RANGE, LIMIT_RANGE};

    fn range((lo, hi): (i64, i64)) -> String {
        format!("{lo}..={hi}")
    }

    #[test]
    fn the_documented_limits_are_the_enforced_ones() {
        assert!(CHAT_RULES.contains(&format!("1 to {MAX_CONTENT_CHARS} characters")));
        assert!(CHAT_RULES.contains(&format!("last {CONTEXT_MESSAGES} messages")));
        assert!(HISTORY_RULES.contains(&format!("`days` to {}", range(DAYS_RANGE))));
        assert!(HISTORY_RULES.contains(&format!("`limit` to {}", range(LIMIT_RANGE))));
        assert!(HISTORY_RULES.contains(&format!("`limit=9999` as {}", LIMIT_RANGE.1)));
        assert!(DAYS_DOC.ends_with(&range(DAYS_RANGE)));
        assert!(LIMIT_DOC.ends_with(&range(LIMIT_RANGE)));
        let show = ops()
            .into_iter()
            .find(|op| op.path == "/api/ai/conversations/{id}")
            .map(|op| serde_json::to_string(&op.build()).unwrap_or_default())
            .unwrap_or_default();
        assert!(show.contains(&format!("newest {} messages", LIMIT_RANGE.1)));
        let create = ops()
            .into_iter()
            .find(|op| op.path == "/api/ai/conversations")
            .map(|op| serde_json::to_string(&op.build()).unwrap_or_default())
            .unwrap_or_default();
        assert!(create.contains(&format!("cut to {MAX_TITLE_CHARS}")));
        let spec: serde_json::Value =
            serde_json::from_str(crate::http::openapi::spec_json()).unwrap_or_default();
        for schema in ["ChatRequest", "NewMessage"] {
            let content = &spec["components"]["schemas"][schema]["properties"]["content"];
            assert_eq!(content["maxLength"], MAX_CONTENT_CHARS, "{schema}");
            assert_eq!(content["minLength"], 1, "{schema}");
        }
    }
}
