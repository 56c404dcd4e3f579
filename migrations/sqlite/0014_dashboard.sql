-- The old dashboard's per-user state: custom countdowns (at most 2 per user, checked by the
-- app) and one greeting mark per user and UTC day.
CREATE TABLE IF NOT EXISTS countdowns (
    id            TEXT    PRIMARY KEY,
    user_id       TEXT    NOT NULL,
    label         TEXT    NOT NULL,
    target_amount REAL    NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS countdowns_user ON countdowns (user_id, created_at);
CREATE TABLE IF NOT EXISTS greetings (
    user_id    TEXT    NOT NULL,
    day        TEXT    NOT NULL,
    greeted_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, day)
);
