//! AI chat assistant: an OpenAI-compatible client, prompt building and canned replies.

mod client;
mod parse;
pub mod prompt;
mod replies;
pub mod service;

use serde::{Deserialize, Serialize};

pub use crate::domain::chat::ChatRole;
pub use client::{AiClient, AiError, AiReply};
pub use prompt::{build_messages, StoredTurn, UserSummary};
pub use replies::{admin_trigger, fallback_reply, no_key_guidance};

/// One message as the chat-completions API takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: ChatRole,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: ChatRole, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
        }
    }
}
