-- Strategy decisions (SPEC §16): one row per evaluation or manual action; the document holds
-- the reason and indicator values. Read newest first per bot and per user.
CREATE TABLE IF NOT EXISTS decisions (
    id        TEXT    PRIMARY KEY,
    user_id   TEXT    NOT NULL,
    bot_id    TEXT    NOT NULL,
    timestamp INTEGER NOT NULL,
    doc       TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_bot_time ON decisions (user_id, bot_id, timestamp DESC);
CREATE INDEX IF NOT EXISTS decisions_user_time ON decisions (user_id, timestamp DESC);
