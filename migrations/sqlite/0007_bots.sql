-- Bots: indexed columns for queries and aggregates, the full aggregate as JSON in `doc`.
CREATE TABLE IF NOT EXISTS bots (
    id              TEXT PRIMARY KEY NOT NULL,
    user_id         TEXT NOT NULL,
    name_key        TEXT NOT NULL,
    exchange        TEXT NOT NULL,
    status          TEXT NOT NULL,
    trading_mode    TEXT NOT NULL,
    initial_capital REAL NOT NULL,
    current_capital REAL NOT NULL,
    total_profit    REAL NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    doc             TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS bots_user_name ON bots(user_id, name_key);
CREATE INDEX IF NOT EXISTS bots_user_status ON bots(user_id, status);
CREATE INDEX IF NOT EXISTS bots_status ON bots(status);
