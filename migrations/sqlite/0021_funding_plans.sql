-- Funding plans (existing dashboard, wallet): `slot` is 'pending' while the plan is pending and
-- the plan id afterwards, so a bot has at most one pending plan.
CREATE TABLE IF NOT EXISTS funding_plans (
    id         TEXT    PRIMARY KEY,
    user_id    TEXT    NOT NULL,
    bot_id     TEXT    NOT NULL,
    slot       TEXT    NOT NULL,
    status     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    doc        TEXT    NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS funding_plans_bot_slot ON funding_plans (user_id, bot_id, slot);
CREATE INDEX IF NOT EXISTS funding_plans_user_time ON funding_plans (user_id, created_at DESC);
