-- Per-user system modes and emergency stop; per-user alerts.
CREATE TABLE IF NOT EXISTS user_settings (
    user_id          TEXT PRIMARY KEY NOT NULL,
    paper_trading    INTEGER NOT NULL DEFAULT 1,
    live_trading     INTEGER NOT NULL DEFAULT 0,
    autopilot        INTEGER NOT NULL DEFAULT 0,
    emergency_stop   INTEGER NOT NULL DEFAULT 0,
    emergency_reason TEXT,
    emergency_at     INTEGER,
    updated_at       INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS alerts (
    id           TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL,
    bot_id       TEXT,
    kind         TEXT NOT NULL,
    severity     TEXT NOT NULL,
    message      TEXT NOT NULL,
    acknowledged INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_user_created ON alerts(user_id, created_at);
