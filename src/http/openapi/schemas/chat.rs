//! AI chat and conversations (SPEC §6).

use utoipa::ToSchema;

#[derive(ToSchema)]
pub enum ChatRole {
    user,
    assistant,
    system,
}

#[derive(ToSchema)]
pub struct ChatRequest {
    /// Trimmed, then 1 ..= 4000 characters; longer is a 422 (never truncated).
    #[schema(min_length = 1, max_length = 4000)]
    pub content: String,
    pub conversation_id: Option<String>,
    /// `assistant` / `system` messages are only stored (no AI turn).
    pub role: Option<ChatRole>,
}

#[derive(ToSchema)]
pub struct ChatReply {
    /// The stored reply's id.
    pub id: Option<String>,
    /// `assistant`.
    pub role: ChatRole,
    pub content: String,
    pub conversation_id: Option<String>,
    pub model_used: Option<String>,
    /// `user`, `env` or null.
    pub key_source: Option<String>,
    pub timestamp: String,
    /// `ai_unavailable` or `no_api_key` when the reply is a fallback.
    pub error: Option<String>,
    /// `show_admin_panel` for admin-panel phrases.
    pub action: Option<String>,
    pub requires_password: Option<bool>,
}

/// `role:"assistant"|"system"` bodies are stored, not answered.
#[derive(ToSchema)]
pub struct StoredMessage {
    pub success: bool,
    /// Always true.
    pub stored: bool,
    pub message: ChatMessage,
}

/// What a chat post answers: the assistant's reply, or (for a stored-only role) the stored
/// message.
#[derive(ToSchema)]
#[serde(untagged)]
pub enum ChatAnswer {
    Reply(ChatReply),
    Stored(StoredMessage),
}

#[derive(ToSchema)]
pub struct ChatMessage {
    pub id: String,
    pub role: ChatRole,
    pub content: String,
    pub timestamp: String,
    pub conversation_id: Option<String>,
}

#[derive(ToSchema)]
pub struct ChatHistory {
    /// Oldest first.
    pub messages: Vec<ChatMessage>,
    pub count: u32,
    /// The look-back actually used (after clamping to 1..=365).
    pub days: u32,
    /// The limit actually used (after clamping to 1..=500).
    pub limit: u32,
}

#[derive(ToSchema)]
pub struct NewConversation {
    /// Blank or missing: "New conversation"; longer than 200 characters: cut to 200.
    pub title: Option<String>,
}

#[derive(ToSchema)]
pub struct Conversation {
    pub id: String,
    pub title: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub message_count: u64,
    /// Present on `GET /api/ai/conversations/{id}`.
    pub messages: Option<Vec<ChatMessage>>,
}

#[derive(ToSchema)]
pub struct ConversationList {
    pub conversations: Vec<Conversation>,
    pub count: u32,
}

#[derive(ToSchema)]
pub struct NewMessage {
    /// Trimmed, then 1 ..= 4000 characters; longer is a 422 (never truncated).
    #[schema(min_length = 1, max_length = 4000)]
    pub content: String,
    pub role: Option<ChatRole>,
}

#[derive(ToSchema)]
pub struct ConversationDeleted {
    pub success: bool,
    pub deleted: bool,
    pub id: String,
}
