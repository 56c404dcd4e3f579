//! `/api/admin/bots*`: every user's bots, admin override rules, forced pause/resume and
//! trading-mode changes. Each change goes through the status machine, is audit-logged, and
//! reaches the bot's OWNER as `bot_updated`.

use crate::http::openapi::schemas as docs;
use std::collections::HashMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::app::bots::{self as ops, bot_json};
use crate::app::events::emit;
use crate::auth::{AdminUser, AuthUser};
use crate::domain::bot::{Bot, BotStatus};
use crate::domain::overrides;
use crate::domain::status_machine::{self, BotAction};
use crate::error::{parse_optional_json, AppError, AppJson, AppResult};
use crate::events::EventType;
use crate::http::admin::audit;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_bots))
        .routes(routes!(override_bot))
        .routes(routes!(pause))
        .routes(routes!(resume))
        .merge(crate::http::admin_bot_mode::router())
}

const MAX_REASON_CHARS: usize = 200;

#[derive(Deserialize)]
struct Page {
    limit: Option<u32>,
    offset: Option<u32>,
}

/// Non-deleted bots of every user, oldest first, with the owner's email.
#[utoipa::path(
    get,
    path = "/api/admin/bots",
    operation_id = "get_api_admin_bots",
    tag = "Admin",
    summary = "All bots with their owners",
    responses(
        (status = 200, description = "OK", body = docs::admin::AdminBotList)
    ),
    security(("bearerAuth" = ["admin"]))
)]
async fn list_bots(
    State(state): State<AppState>,
    AdminUser(_): AdminUser,
    Query(page): Query<Page>,
) -> AppResult<Json<Value>> {
    let limit = page.limit.unwrap_or(100).clamp(1, 500);
    let offset = page.offset.unwrap_or(0);
    let bots = state.store.bots.list_all(limit, offset).await?;
    let mut emails: HashMap<String, Option<String>> = HashMap::new();
    let mut rows = Vec::with_capacity(bots.len());
    for bot in &bots {
        if !emails.contains_key(&bot.user_id) {
            let owner = state.store.users.find_by_id(&bot.user_id).await?;
            emails.insert(bot.user_id.clone(), owner.map(|u| u.email));
        }
        rows.push(json!({
            "id": bot.id, "name": bot.name, "user_id": bot.user_id,
            "email": emails.get(&bot.user_id).cloned().flatten(),
            "exchange": bot.exchange.as_str(), "status": bot.status.as_str(),
            "trading_mode": bot.trading_mode.as_str(), "risk_mode": bot.risk_mode.as_str(),
            "total_profit": bot.total_profit, "override_rules": bot.override_rules,
            "pause_reason": bot.pause_reason, "created_at": bot.created_at.to_rfc3339(),
        }));
    }
    let total = state.store.bots.totals().await?.total;
    Ok(Json(
        json!({"bots": rows, "total": total, "limit": limit, "offset": offset}),
    ))
}

pub(crate) async fn load_any(state: &AppState, id: &str) -> AppResult<Bot> {
    state
        .store
        .bots
        .find_any(id)
        .await?
        .ok_or_else(|| AppError::not_found("BOT_NOT_FOUND", "Bot not found"))
}

pub(crate) fn clean_reason(reason: Option<&str>) -> Option<String> {
    reason
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| r.chars().take(MAX_REASON_CHARS).collect())
}

/// One admin change to a bot: new override rules and/or a status action.
struct Change {
    rules: Option<Value>,
    action: Option<BotAction>,
    /// A forced pause/resume of a bot already in that state is a no-op, not a refusal.
    forced: bool,
    reason: Option<String>,
}

/// Runs `change` through the status machine (with the owner's emergency stop), saves it,
/// tells the owner and audits it. A refused transition writes nothing: 200 `success:false`.
async fn apply_change(
    state: &AppState,
    admin: &AuthUser,
    bot_id: &str,
    audit_action: &str,
    change: Change,
) -> AppResult<Json<Value>> {
    let mut bot = load_any(state, bot_id).await?;
    let owner = bot.user_id.clone();
    let now = state.clock.now();
    let mut changes = Map::new();
    if let Some(rules) = change.rules {
        let merged = overrides::merge_override_rules(&bot.override_rules, &rules)?;
        if merged != bot.override_rules {
            changes.insert("override_rules".into(), merged.clone());
            bot.override_rules = merged;
        }
    }
    let already = match change.action {
        Some(BotAction::Pause) => bot.status == BotStatus::Paused,
        Some(BotAction::Resume) => bot.status == BotStatus::Active,
        _ => false,
    };
    if let Some(action) = change.action.filter(|_| !(change.forced && already)) {
        let ctx = ops::transition_context(state, &owner, now).await?;
        match status_machine::transition(&bot, action, ctx) {
            Ok(next) => {
                let reason = change.reason.clone().or_else(|| {
                    (action == BotAction::Pause).then(|| "Paused by admin".to_string())
                });
                status_machine::apply(&mut bot, action, next, now, reason.as_deref());
                changes.insert("status".into(), json!(bot.status));
                changes.insert("pause_reason".into(), json!(bot.pause_reason));
            }
            Err(refusal) => {
                let details =
                    json!({"outcome": "refused", "owner": owner, "message": refusal.reason});
                audit(
                    state,
                    admin.id(),
                    audit_action,
                    Some(("bot", bot_id)),
                    details,
                )
                .await?;
                let mut answer =
                    json!({"success": false, "message": refusal.reason, "bot": bot_json(&bot)});
                if let Some(hours) = refusal.hours_remaining {
                    answer["hours_remaining"] = json!((hours * 100.0).round() / 100.0);
                }
                return Ok(Json(answer));
            }
        }
    }
    save_and_announce(state, admin, &bot, audit_action, changes, change.reason).await
}

/// Persists a changed bot, emits `bot_updated` to its owner and audits; no-ops are audited only.
pub(crate) async fn save_and_announce(
    state: &AppState,
    admin: &AuthUser,
    bot: &Bot,
    audit_action: &str,
    changes: Map<String, Value>,
    reason: Option<String>,
) -> AppResult<Json<Value>> {
    let mut bot = bot.clone();
    if !changes.is_empty() {
        bot.updated_at = state.clock.now();
        if !state.store.bots.save(&bot).await? {
            // Refused because the bot is gone, or because it was written since it was read
            // (e.g. a fill): saving anyway would wipe that write, so the admin retries.
            load_any(state, &bot.id).await?;
            return Err(AppError::conflict(
                "BOT_CHANGED",
                "The bot changed meanwhile (e.g. a trade was booked); try again",
            ));
        }
        bot.version += 1;
        emit(
            state,
            &bot.user_id,
            EventType::BotUpdated,
            json!({"bot_id": bot.id, "changes": changes, "bot": bot_json(&bot), "by": "admin", "reason": reason}),
        );
    }
    let details = json!({"outcome": if changes.is_empty() { "unchanged" } else { "changed" },
        "owner": bot.user_id, "changes": changes, "reason": reason});
    audit(
        state,
        admin.id(),
        audit_action,
        Some(("bot", &bot.id)),
        details,
    )
    .await?;
    let message = if changes.is_empty() {
        format!("Bot '{}' unchanged", bot.name)
    } else {
        format!("Bot '{}' updated by admin", bot.name)
    };
    Ok(Json(
        json!({"success": true, "message": message, "changes": changes, "bot": bot_json(&bot)}),
    ))
}

#[derive(Deserialize)]
struct OverrideBody {
    override_rules: Option<Value>,
    #[serde(default)]
    force_pause: bool,
    #[serde(default)]
    force_resume: bool,
    reason: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/admin/bots/{id}/override",
    operation_id = "post_api_admin_bots_id_override",
    tag = "Admin",
    summary = "Set override rules, optionally pause/resume",
    description = "Emits `bot_updated` to the owner.",
    params(
        ("id" = String, Path)
    ),
    request_body = docs::admin::BotOverride,
    responses(
        (status = 200, description = "OK", body = docs::bots::BotActionResult)
    ),
    security(("bearerAuth" = ["admin"]))
)]
async fn override_bot(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
    AppJson(body): AppJson<OverrideBody>,
) -> AppResult<Json<Value>> {
    if body.force_pause && body.force_resume {
        return Err(AppError::field(
            "force_resume",
            "force_pause and force_resume cannot both be set",
        ));
    }
    let rules = body.override_rules.filter(|r| !r.is_null());
    if rules.is_none() && !body.force_pause && !body.force_resume {
        return Err(AppError::field(
            "override_rules",
            "give override_rules, force_pause or force_resume",
        ));
    }
    let action = match (body.force_pause, body.force_resume) {
        (true, _) => Some(BotAction::Pause),
        (_, true) => Some(BotAction::Resume),
        _ => None,
    };
    let change = Change {
        rules,
        action,
        forced: true,
        reason: clean_reason(body.reason.as_deref()),
    };
    apply_change(&state, &admin, &id, "bot.override", change).await
}

#[derive(Deserialize, Default)]
struct ReasonBody {
    reason: Option<String>,
}

async fn status_action(
    state: &AppState,
    admin: &AuthUser,
    id: &str,
    action: BotAction,
    body: &[u8],
) -> AppResult<Json<Value>> {
    let body: ReasonBody = parse_optional_json(body)?;
    let change = Change {
        rules: None,
        action: Some(action),
        forced: false,
        reason: clean_reason(body.reason.as_deref()),
    };
    let name = if action == BotAction::Pause {
        "bot.pause"
    } else {
        "bot.resume"
    };
    apply_change(state, admin, id, name, change).await
}

#[utoipa::path(
    post,
    path = "/api/admin/bots/{id}/pause",
    operation_id = "post_api_admin_bots_id_pause",
    tag = "Admin",
    summary = "Pause any user's bot",
    params(
        ("id" = String, Path)
    ),
    request_body = Option<docs::common::ReasonBody>,
    responses(
        (status = 200, description = "OK", body = docs::bots::BotActionResult)
    ),
    security(("bearerAuth" = ["admin"]))
)]
async fn pause(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> AppResult<Json<Value>> {
    status_action(&state, &admin, &id, BotAction::Pause, &body).await
}

#[utoipa::path(
    post,
    path = "/api/admin/bots/{id}/resume",
    operation_id = "post_api_admin_bots_id_resume",
    tag = "Admin",
    summary = "Resume any user's bot",
    params(
        ("id" = String, Path)
    ),
    request_body = Option<docs::common::ReasonBody>,
    responses(
        (status = 200, description = "OK", body = docs::bots::BotActionResult)
    ),
    security(("bearerAuth" = ["admin"]))
)]
async fn resume(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> AppResult<Json<Value>> {
    status_action(&state, &admin, &id, BotAction::Resume, &body).await
}
