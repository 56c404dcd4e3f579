//! `/api/admin/*` and `/api/status` (SPEC §1, §10): role `admin`, audit-logged.

use crate::http::openapi::op::{delete, get, post, Op, Param};
use crate::http::openapi::schemas::admin::*;
use crate::http::openapi::schemas::bots::BotActionResult;
use crate::http::openapi::schemas::common::ReasonBody;
use crate::http::openapi::schemas::health::AdminStatus;

const TAG: &str = "Admin";

pub fn ops() -> Vec<Op> {
    vec![
        get("/api/status", TAG, "Platform status: users, bots, trades today")
            .admin()
            .ok::<AdminStatus>(),
        post("/api/admin/unlock", TAG, "Unlock the admin panel with ADMIN_PASSWORD")
            .admin()
            .describe("400 `PASSWORD_REQUIRED` blank or missing password, 403 wrong password, 503 not configured; rate limited. Every attempt, refused ones included, is audited with its `outcome`.")
            .body::<UnlockRequest>()
            .ok::<Unlocked>()
            .errors(&[400, 403, 503]),
        get("/api/admin/unlock/verify", TAG, "Check an unlock token")
            .admin()
            .describe("Token from header `X-Admin-Unlock-Token` or `?token=`.")
            .query("token", Param::Str, "The unlock token")
            .ok::<UnlockVerified>(),
        get("/api/admin/users", TAG, "All users").admin().ok::<AdminUserList>(),
        get("/api/admin/pending-users", TAG, "Users awaiting approval")
            .admin()
            .ok::<AdminUserList>(),
        delete("/api/admin/users/{id}", TAG, "Delete a user and everything they own")
            .admin()
            .describe("Cascade over every collection: bots, orders, trades, ledger, keys, chat messages and conversations, alerts, settings, refresh tokens; only the audit log keeps naming the user. Deleting yourself (400 `SELF_ACTION_REFUSED`) or the last active admin (400 `LAST_ADMIN`) is refused and audited.")
            .ok::<UserDeleted>()
            .errors(&[400]),
        post("/api/admin/users/{id}/{action}", TAG, "approve | block | unblock | logout | reset-password | role")
            .admin()
            .describe("`role` takes `{role}`. Block pauses the user's bots; block, role, reset-password and logout bump `token_version` so old tokens die at once. Self-harm (400 `SELF_ACTION_REFUSED`) and blocking or demoting the last active admin (400 `LAST_ADMIN`; blocked or pending admins do not count) are refused and audited. An unknown action is 404.")
            .optional_body::<UserActionBody>()
            .ok::<UserActionResult>()
            .errors(&[400]),
        get("/api/admin/audit-logs", TAG, "Audit log, newest first")
            .admin()
            .query("limit", Param::Int, "Page size")
            .query("offset", Param::Int, "Skip this many")
            .ok::<AuditLogs>(),
        get("/api/admin/bots", TAG, "All bots with their owners").admin().ok::<AdminBotList>(),
        post("/api/admin/bots/{id}/override", TAG, "Set override rules, optionally pause/resume")
            .admin()
            .describe("Emits `bot_updated` to the owner.")
            .body::<BotOverride>()
            .ok::<BotActionResult>(),
        post("/api/admin/bots/{id}/pause", TAG, "Pause any user's bot")
            .admin()
            .optional_body::<ReasonBody>()
            .ok::<BotActionResult>(),
        post("/api/admin/bots/{id}/resume", TAG, "Resume any user's bot")
            .admin()
            .optional_body::<ReasonBody>()
            .ok::<BotActionResult>(),
        post("/api/admin/bots/{id}/mode", TAG, "Switch a bot between paper and live")
            .admin()
            .body::<BotModeChange>()
            .ok::<BotActionResult>(),
        get("/api/admin/resources/users", TAG, "Storage used per user (computed in the database)")
            .admin()
            .ok::<ResourceUsage>(),
        get("/api/admin/storage", TAG, "Alias of /api/admin/resources/users")
            .admin()
            .ok::<ResourceUsage>(),
        get("/api/admin/system-stats", TAG, "Platform-wide counters").admin().ok::<SystemStats>(),
    ]
}
