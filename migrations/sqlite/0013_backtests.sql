-- Backtest jobs (SPEC §17): the whole job as JSON, with the columns the lookups need.
CREATE TABLE IF NOT EXISTS backtests (
    id         TEXT    PRIMARY KEY,
    user_id    TEXT    NOT NULL,
    status     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    doc        TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS backtests_user_time ON backtests (user_id, created_at DESC);
CREATE INDEX IF NOT EXISTS backtests_status ON backtests (status);
