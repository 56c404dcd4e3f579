-- Revoked access-token ids (kept until the token would have expired anyway) and refresh tokens
-- (stored as SHA-256 hashes; rotation marks the old one used, re-use revokes the family).
CREATE TABLE IF NOT EXISTS revoked_tokens (
    jti        TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS revoked_tokens_expires ON revoked_tokens(expires_at);

CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_hash    TEXT PRIMARY KEY NOT NULL,
    user_id       TEXT NOT NULL,
    family_id     TEXT NOT NULL,
    token_version INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER,
    revoked_at    INTEGER
);
CREATE INDEX IF NOT EXISTS refresh_tokens_family ON refresh_tokens(family_id);
CREATE INDEX IF NOT EXISTS refresh_tokens_user ON refresh_tokens(user_id);
CREATE INDEX IF NOT EXISTS refresh_tokens_expires ON refresh_tokens(expires_at);
