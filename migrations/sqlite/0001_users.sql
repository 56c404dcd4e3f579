-- Users: one row per account. Times are UTC unix milliseconds.
CREATE TABLE IF NOT EXISTS users (
    id                   TEXT PRIMARY KEY NOT NULL,
    email                TEXT NOT NULL UNIQUE,
    first_name           TEXT NOT NULL,
    password_hash        TEXT NOT NULL,
    role                 TEXT NOT NULL DEFAULT 'user',
    status               TEXT NOT NULL DEFAULT 'active',
    currency             TEXT NOT NULL DEFAULT 'ZAR',
    token_version        INTEGER NOT NULL DEFAULT 0,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    last_seen            INTEGER
);
CREATE INDEX IF NOT EXISTS users_status ON users(status);
CREATE INDEX IF NOT EXISTS users_role_status ON users(role, status);
