-- Exchange / AI provider credentials: one row per (user, provider), secrets AES-256-GCM encrypted.
CREATE TABLE IF NOT EXISTS api_keys (
    id              TEXT PRIMARY KEY NOT NULL,
    user_id         TEXT NOT NULL,
    provider        TEXT NOT NULL,
    api_key_enc     TEXT NOT NULL,
    api_secret_enc  TEXT,
    passphrase_enc  TEXT,
    masked_key      TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'saved_untested',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    last_tested_at  INTEGER,
    last_test_error TEXT,
    UNIQUE (user_id, provider)
);
CREATE INDEX IF NOT EXISTS api_keys_user ON api_keys(user_id);
