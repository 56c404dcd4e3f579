//! AI chat records: stored messages, conversations and the content rules they obey.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Longest message content accepted from a client (SPEC §6).
pub const MAX_CONTENT_CHARS: usize = 4000;

/// Who wrote a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatRole {
    User,
    Assistant,
    System,
}

impl ChatRole {
    pub fn as_str(self) -> &'static str {
        match self {
            ChatRole::User => "user",
            ChatRole::Assistant => "assistant",
            ChatRole::System => "system",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "user" => Some(ChatRole::User),
            "assistant" => Some(ChatRole::Assistant),
            "system" => Some(ChatRole::System),
            _ => None,
        }
    }
}

/// One stored chat message. Never serialised to clients directly: the routes map it to DTOs.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMessage {
    pub id: String,
    pub user_id: String,
    /// `None` is the user's default thread (plain `/api/ai/chat`).
    pub conversation_id: Option<String>,
    pub role: ChatRole,
    pub content: String,
    /// The provider model that wrote an assistant reply; `None` for everything else.
    pub model_used: Option<String>,
    pub timestamp: DateTime<Utc>,
}

impl StoredMessage {
    pub fn new(
        user_id: &str,
        conversation_id: Option<&str>,
        role: ChatRole,
        content: &str,
        model_used: Option<&str>,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            user_id: user_id.to_string(),
            conversation_id: conversation_id.map(str::to_string),
            role,
            content: content.to_string(),
            model_used: model_used.map(str::to_string),
            timestamp: now,
        }
    }
}

/// A named chat thread owned by one user.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub id: String,
    pub user_id: String,
    pub title: String,
    pub created_at: DateTime<Utc>,
    /// Creation time, or the newest message's time when read back from the store.
    pub updated_at: DateTime<Utc>,
    /// Computed by the store when reading (ignored on create).
    pub message_count: u64,
}

/// Title used when the client sends none (or only whitespace).
pub const DEFAULT_CONVERSATION_TITLE: &str = "New conversation";

/// Longest title kept; longer ones are cut (titles are labels, not content).
pub const MAX_TITLE_CHARS: usize = 200;

impl Conversation {
    pub fn new(user_id: &str, title: &str, now: DateTime<Utc>) -> Self {
        let title = title.trim();
        let title = if title.is_empty() {
            DEFAULT_CONVERSATION_TITLE.to_string()
        } else {
            title.chars().take(MAX_TITLE_CHARS).collect()
        };
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            user_id: user_id.to_string(),
            title,
            created_at: now,
            updated_at: now,
            message_count: 0,
        }
    }
}

/// How much chat data one user holds (admin resources page).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ChatUsage {
    pub messages: u64,
    pub conversations: u64,
    /// UTF-8 bytes of message content (approximate storage, excludes overhead).
    pub bytes: u64,
}

/// Why a message body is refused (the routes answer 422).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentError {
    #[error("content must not be empty")]
    Empty,
    #[error("content must be at most {MAX_CONTENT_CHARS} characters")]
    TooLong,
}

/// Trims `raw` and checks it is non-empty and at most `MAX_CONTENT_CHARS` characters.
pub fn validate_content(raw: &str) -> Result<&str, ContentError> {
    let content = raw.trim();
    if content.is_empty() {
        return Err(ContentError::Empty);
    }
    // Characters, not bytes: the limit is what the user sees.
    if content.chars().count() > MAX_CONTENT_CHARS {
        return Err(ContentError::TooLong);
    }
    Ok(content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for role in [ChatRole::User, ChatRole::Assistant, ChatRole::System] {
            assert_eq!(ChatRole::parse(role.as_str()), Some(role));
        }
        assert_eq!(ChatRole::parse("tool"), None);
    }

    #[test]
    fn content_is_trimmed_and_bounded() {
        assert_eq!(validate_content("  hi \n"), Ok("hi"));
        assert_eq!(validate_content(" \t\n"), Err(ContentError::Empty));
        assert!(validate_content(&"é".repeat(MAX_CONTENT_CHARS)).is_ok());
        assert_eq!(
            validate_content(&"a".repeat(MAX_CONTENT_CHARS + 1)),
            Err(ContentError::TooLong)
        );
    }

    #[test]
    fn conversation_titles_default_and_are_cut() {
        let now = Utc::now();
        assert_eq!(
            Conversation::new("u", "   ", now).title,
            DEFAULT_CONVERSATION_TITLE
        );
        let long = "x".repeat(MAX_TITLE_CHARS + 50);
        assert_eq!(
            Conversation::new("u", &long, now).title.len(),
            MAX_TITLE_CHARS
        );
    }
}
