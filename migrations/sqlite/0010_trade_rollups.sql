-- Portfolio reads: a per-user, per-UTC-day rollup of trade results kept by triggers in the
-- same transaction as the trade insert/delete, so all-time totals and daily series cost
-- O(days), not O(trades). Trades are never updated in place (a closed trade is final).
-- best/worst only grow wider: after a partial delete they may name a deleted trade's result
-- (the only delete today removes all of a user's trades, which removes their rows too).
CREATE TABLE IF NOT EXISTS trade_days (
    user_id      TEXT NOT NULL,
    day          TEXT NOT NULL,
    trades       INTEGER NOT NULL,
    wins         INTEGER NOT NULL,
    losses       INTEGER NOT NULL,
    profit       REAL NOT NULL,
    fees         REAL NOT NULL,
    slippage     REAL NOT NULL,
    gross_profit REAL NOT NULL,
    gross_loss   REAL NOT NULL,
    best         REAL NOT NULL,
    worst        REAL NOT NULL,
    PRIMARY KEY (user_id, day)
) WITHOUT ROWID;

INSERT OR REPLACE INTO trade_days
SELECT user_id, day, COUNT(*), SUM(profit_loss > 0), SUM(profit_loss < 0), SUM(profit_loss),
       SUM(fees), SUM(slippage_cost), SUM(MAX(profit_loss, 0.0)), -SUM(MIN(profit_loss, 0.0)),
       MAX(profit_loss), MIN(profit_loss)
FROM trades GROUP BY user_id, day;

CREATE TRIGGER IF NOT EXISTS trade_days_after_insert AFTER INSERT ON trades
BEGIN
    INSERT INTO trade_days (user_id, day, trades, wins, losses, profit, fees, slippage,
                            gross_profit, gross_loss, best, worst)
    VALUES (NEW.user_id, NEW.day, 1, NEW.profit_loss > 0, NEW.profit_loss < 0, NEW.profit_loss,
            NEW.fees, NEW.slippage_cost, MAX(NEW.profit_loss, 0.0), -MIN(NEW.profit_loss, 0.0),
            NEW.profit_loss, NEW.profit_loss)
    ON CONFLICT (user_id, day) DO UPDATE SET
        trades = trades + 1,
        wins = wins + excluded.wins,
        losses = losses + excluded.losses,
        profit = profit + excluded.profit,
        fees = fees + excluded.fees,
        slippage = slippage + excluded.slippage,
        gross_profit = gross_profit + excluded.gross_profit,
        gross_loss = gross_loss + excluded.gross_loss,
        best = MAX(best, excluded.best),
        worst = MIN(worst, excluded.worst);
END;

CREATE TRIGGER IF NOT EXISTS trade_days_after_delete AFTER DELETE ON trades
BEGIN
    UPDATE trade_days SET
        trades = trades - 1,
        wins = wins - (OLD.profit_loss > 0),
        losses = losses - (OLD.profit_loss < 0),
        profit = profit - OLD.profit_loss,
        fees = fees - OLD.fees,
        slippage = slippage - OLD.slippage_cost,
        gross_profit = gross_profit - MAX(OLD.profit_loss, 0.0),
        gross_loss = gross_loss + MIN(OLD.profit_loss, 0.0)
    WHERE user_id = OLD.user_id AND day = OLD.day;
    DELETE FROM trade_days WHERE user_id = OLD.user_id AND day = OLD.day AND trades <= 0;
END;

-- Windowed reads (win rate today/7d/30d, equity points) scan only the index, never the JSON doc.
CREATE INDEX IF NOT EXISTS trades_user_time_result
    ON trades(user_id, timestamp, id, profit_loss, fees, slippage_cost);
