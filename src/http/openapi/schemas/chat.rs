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
    /// 1 ..= 4000 characters.
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
    pub days: u32,
    pub limit: u32,
}

#[derive(ToSchema)]
pub struct NewConversation {
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
    pub content: String,
    pub role: Option<ChatRole>,
}

#[derive(ToSchema)]
pub struct ConversationDeleted {
    pub success: bool,
    pub deleted: bool,
    pub id: String,
}
