-- Market data (SPEC §15): one row per candle in typed columns. The composite primary key is
-- the uniqueness rule and the only index (WITHOUT ROWID: the table is clustered on it), so
-- range reads, "last candle" and the per-series GROUP BY all walk the key in order.
CREATE TABLE IF NOT EXISTS candles (
    exchange  TEXT    NOT NULL,
    pair      TEXT    NOT NULL,
    timeframe TEXT    NOT NULL,
    open_time INTEGER NOT NULL,
    open      REAL    NOT NULL,
    high      REAL    NOT NULL,
    low       REAL    NOT NULL,
    close     REAL    NOT NULL,
    volume    REAL    NOT NULL,
    PRIMARY KEY (exchange, pair, timeframe, open_time)
) WITHOUT ROWID;
