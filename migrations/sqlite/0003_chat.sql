-- AI chat: conversations and messages, every row owned by one user. Times are UTC unix millis.
-- No foreign key to users: the MongoDB engine has none either, and account deletion removes
-- chat data explicitly through the chat repository.
CREATE TABLE IF NOT EXISTS conversations (
    id         TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL,
    title      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_user_updated ON conversations(user_id, updated_at);

CREATE TABLE IF NOT EXISTS chat_messages (
    id              TEXT PRIMARY KEY NOT NULL,
    user_id         TEXT NOT NULL,
    conversation_id TEXT,
    role            TEXT NOT NULL,
    content         TEXT NOT NULL,
    model_used      TEXT,
    timestamp       INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chat_messages_user_time ON chat_messages(user_id, timestamp);
CREATE INDEX IF NOT EXISTS chat_messages_user_conversation
    ON chat_messages(user_id, conversation_id, timestamp);
