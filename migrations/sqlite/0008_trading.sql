-- Trading core: order records, trades, and the per-user ledger hash chain with its head.
CREATE TABLE IF NOT EXISTS orders (
    id              TEXT PRIMARY KEY NOT NULL,
    user_id         TEXT NOT NULL,
    bot_id          TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    status          TEXT NOT NULL,
    gate_failed     TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    doc             TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS orders_user_key ON orders(user_id, idempotency_key);
CREATE INDEX IF NOT EXISTS orders_user_status ON orders(user_id, status, created_at);
CREATE INDEX IF NOT EXISTS orders_bot_time ON orders(bot_id, created_at);

CREATE TABLE IF NOT EXISTS trades (
    id            TEXT PRIMARY KEY NOT NULL,
    user_id       TEXT NOT NULL,
    bot_id        TEXT NOT NULL,
    exchange      TEXT NOT NULL,
    amount        REAL NOT NULL,
    entry_price   REAL NOT NULL,
    fees          REAL NOT NULL,
    slippage_cost REAL NOT NULL,
    profit_loss   REAL NOT NULL,
    is_profitable INTEGER NOT NULL,
    timestamp     INTEGER NOT NULL,
    day           TEXT NOT NULL,
    doc           TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS trades_user_time ON trades(user_id, timestamp, id);
CREATE INDEX IF NOT EXISTS trades_user_bot_time ON trades(user_id, bot_id, timestamp, id);
CREATE INDEX IF NOT EXISTS trades_user_exchange_time ON trades(user_id, exchange, timestamp);
CREATE INDEX IF NOT EXISTS trades_user_day ON trades(user_id, day);

CREATE TABLE IF NOT EXISTS ledger (
    user_id   TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    amount    REAL NOT NULL,
    bot_id    TEXT,
    ref_id    TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    doc       TEXT NOT NULL,
    PRIMARY KEY (user_id, seq)
);
CREATE UNIQUE INDEX IF NOT EXISTS ledger_user_kind_ref ON ledger(user_id, kind, ref_id);
CREATE INDEX IF NOT EXISTS ledger_user_time ON ledger(user_id, timestamp);

CREATE TABLE IF NOT EXISTS ledger_heads (
    user_id TEXT PRIMARY KEY NOT NULL,
    seq     INTEGER NOT NULL,
    hash    TEXT NOT NULL
);
