-- The old dashboard's per-user state: custom countdowns and one greeting mark per user and UTC
-- day. Each countdown takes one of the user's slots (0 or 1): the unique (user_id, slot) pair
-- is what keeps a user at 2 even when two requests race.
CREATE TABLE IF NOT EXISTS countdowns (
    id            TEXT    PRIMARY KEY,
    user_id       TEXT    NOT NULL,
    slot          INTEGER NOT NULL,
    label         TEXT    NOT NULL,
    target_amount REAL    NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS countdowns_user_slot ON countdowns (user_id, slot);
CREATE TABLE IF NOT EXISTS greetings (
    user_id    TEXT    NOT NULL,
    day        TEXT    NOT NULL,
    greeted_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, day)
);
