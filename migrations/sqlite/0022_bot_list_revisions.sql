-- A revision per user that changes with every write to that user's bots, kept by triggers in
-- the same transaction as the write, so every process on this file sees it change at once.
-- The bot list's rendered-answer cache (app/bot_list.rs) is valid only while it is unchanged.
CREATE TABLE IF NOT EXISTS bot_list_revisions (
    user_id  TEXT PRIMARY KEY NOT NULL,
    revision INTEGER NOT NULL
);

INSERT OR IGNORE INTO bot_list_revisions (user_id, revision)
    SELECT DISTINCT user_id, 1 FROM bots;

CREATE TRIGGER IF NOT EXISTS bots_revision_after_insert AFTER INSERT ON bots
BEGIN
    INSERT OR IGNORE INTO bot_list_revisions (user_id, revision) VALUES (NEW.user_id, 0);
    UPDATE bot_list_revisions SET revision = revision + 1 WHERE user_id = NEW.user_id;
END;

CREATE TRIGGER IF NOT EXISTS bots_revision_after_update AFTER UPDATE ON bots
BEGIN
    INSERT OR IGNORE INTO bot_list_revisions (user_id, revision) VALUES (NEW.user_id, 0);
    UPDATE bot_list_revisions SET revision = revision + 1 WHERE user_id = NEW.user_id;
    UPDATE bot_list_revisions SET revision = revision + 1
        WHERE user_id = OLD.user_id AND OLD.user_id != NEW.user_id;
END;

CREATE TRIGGER IF NOT EXISTS bots_revision_after_delete AFTER DELETE ON bots
BEGIN
    UPDATE bot_list_revisions SET revision = revision + 1 WHERE user_id = OLD.user_id;
END;
