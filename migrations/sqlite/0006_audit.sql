-- Append-only audit log of admin actions and unlock attempts (no route edits or deletes rows).
CREATE TABLE IF NOT EXISTS audit_log (
    id          TEXT PRIMARY KEY NOT NULL,
    admin_id    TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_type TEXT,
    target_id   TEXT,
    details     TEXT NOT NULL DEFAULT '{}',
    ip          TEXT,
    timestamp   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_time ON audit_log(timestamp);
