-- Live orders (issue 19): the whole order as JSON, with the columns lookups need. `pending`
-- is 1 while the tracker still has work (open, or terminal but not booked yet).
CREATE TABLE IF NOT EXISTS live_orders (
    id              TEXT    PRIMARY KEY,
    user_id         TEXT    NOT NULL,
    bot_id          TEXT    NOT NULL,
    order_record_id TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    pending         INTEGER NOT NULL,
    notional        REAL    NOT NULL,
    next_poll_at    INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    version         INTEGER NOT NULL,
    doc             TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS live_orders_user_time ON live_orders (user_id, created_at DESC);
CREATE INDEX IF NOT EXISTS live_orders_record ON live_orders (user_id, order_record_id);
CREATE INDEX IF NOT EXISTS live_orders_due ON live_orders (pending, next_poll_at);
