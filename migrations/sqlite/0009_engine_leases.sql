-- Engine leases: one row per background engine; the holder runs its ticks until `expires_at`
-- (epoch millis). Taken or renewed by one conditional upsert (see store/sqlite/leases.rs).
CREATE TABLE IF NOT EXISTS engine_leases (
    name        TEXT PRIMARY KEY NOT NULL,
    holder      TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    acquired_at INTEGER NOT NULL
);
