//! `/api/admin/*` (role admin on every route; every action audit-logged): unlock, users, audit log.

use crate::http::openapi::schemas as docs;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use chrono::Duration;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::jwt::Claims;
use crate::auth::secret_eq::secrets_match;
use crate::auth::{password, AdminUser, AuthUser};
use crate::domain::admin_rules::{self, UserAction};
use crate::domain::user::{Role, User, UserStatus};
use crate::error::{parse_optional_json, AppError, AppJson, AppResult};
use crate::http::context;
use crate::state::AppState;
use crate::store::AuditEntry;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(unlock))
        .routes(routes!(verify_unlock))
        .routes(routes!(list_users))
        .routes(routes!(pending_users))
        .routes(routes!(delete_user))
        .routes(routes!(user_action))
        .routes(routes!(audit_logs))
}

const UNLOCK_TTL_SECONDS: i64 = 3600;

/// Appends one audit entry (the admin, what, on whom, details, the caller's IP).
pub async fn audit(
    state: &AppState,
    admin_id: &str,
    action: &str,
    target: Option<(&str, &str)>,
    details: Value,
) -> AppResult<()> {
    let entry = AuditEntry {
        // v7 ids sort by creation time (monotonic within the process), so two entries
        // written in the same millisecond still list newest first.
        id: uuid::Uuid::now_v7().to_string(),
        admin_id: admin_id.to_string(),
        action: action.to_string(),
        target_type: target.map(|(kind, _)| kind.to_string()),
        target_id: target.map(|(_, id)| id.to_string()),
        details,
        ip: context::current_ip(),
        timestamp: state.clock.now(),
    };
    state.store.audit.append(&entry).await?;
    Ok(())
}

#[derive(Deserialize)]
struct UnlockBody {
    password: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/admin/unlock",
    operation_id = "post_api_admin_unlock",
    tag = "Admin",
    summary = "Unlock the admin panel with ADMIN_PASSWORD",
    description = "400 `PASSWORD_REQUIRED` blank or missing password, 403 wrong password, 503 not configured; rate limited. Every attempt, refused ones included, is audited with its `outcome`.",
    request_body = docs::admin::UnlockRequest,
    responses(
        (status = 200, description = "OK", body = docs::admin::Unlocked),
        (status = 400, description = "Bad request (error.code says why)", body = docs::common::ErrorEnvelope),
        (status = 403, description = "Authenticated but not allowed", body = docs::common::ErrorEnvelope),
        (status = 503, description = "Service unavailable", body = docs::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = ["admin"]))
)]
async fn unlock(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppJson(body): AppJson<UnlockBody>,
) -> AppResult<Json<Value>> {
    let Some(expected) = state.config.admin_password.as_ref() else {
        audit(
            &state,
            admin.id(),
            "admin.unlock",
            None,
            json!({"outcome": "not_configured"}),
        )
        .await?;
        return Err(AppError::unavailable("Admin unlock not configured"));
    };
    let given = body.password.unwrap_or_default();
    let given = given.trim();
    if given.is_empty() {
        audit(
            &state,
            admin.id(),
            "admin.unlock",
            None,
            json!({"outcome": "password_missing"}),
        )
        .await?;
        return Err(AppError::bad_request(
            "PASSWORD_REQUIRED",
            "Password is required",
        ));
    }
    let limiter_key = format!("unlock|{}", admin.id());
    if let Err(retry) = state.auth.admin_unlock_limiter.check(&limiter_key) {
        audit(
            &state,
            admin.id(),
            "admin.unlock",
            None,
            json!({"outcome": "rate_limited"}),
        )
        .await?;
        return Err(AppError::rate_limited(retry));
    }
    if !secrets_match(given, expected.expose().trim()) {
        state.auth.admin_unlock_limiter.record_failure(&limiter_key);
        audit(
            &state,
            admin.id(),
            "admin.unlock",
            None,
            json!({"outcome": "invalid_password"}),
        )
        .await?;
        return Err(AppError::forbidden(
            "INVALID_ADMIN_PASSWORD",
            "Invalid admin password",
        ));
    }
    state.auth.admin_unlock_limiter.record_success(&limiter_key);
    let now = state.clock.now();
    let claims = Claims {
        sub: Some(admin.id().to_string()),
        user_id: Some(admin.id().to_string()),
        exp: (now + Duration::seconds(UNLOCK_TTL_SECONDS)).timestamp(),
        iat: now.timestamp(),
        jti: uuid::Uuid::new_v4().to_string(),
        ver: admin.user.token_version,
        role: Some("admin".into()),
        typ: Some("admin_unlock".into()),
    };
    let token = state.auth.jwt.sign(&claims).map_err(AppError::internal)?;
    audit(
        &state,
        admin.id(),
        "admin.unlock",
        None,
        json!({"outcome": "success"}),
    )
    .await?;
    Ok(Json(
        json!({"success": true, "unlock_token": token, "expires_in": UNLOCK_TTL_SECONDS}),
    ))
}

#[derive(Deserialize)]
struct VerifyQuery {
    token: Option<String>,
}

/// Checks an unlock token (header `X-Admin-Unlock-Token` or `?token=`) for the calling admin.
#[utoipa::path(
    get,
    path = "/api/admin/unlock/verify",
    operation_id = "get_api_admin_unlock_verify",
    tag = "Admin",
    summary = "Check an unlock token",
    description = "Token from header `X-Admin-Unlock-Token` or `?token=`.",
    params(
        ("token" = Option<String>, Query, description = "The unlock token")
    ),
    responses(
        (status = 200, description = "OK", body = docs::admin::UnlockVerified)
    ),
    security(("bearerAuth" = ["admin"]))
)]
async fn verify_unlock(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    headers: HeaderMap,
    Query(query): Query<VerifyQuery>,
) -> Json<Value> {
    let token = headers
        .get("x-admin-unlock-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or(query.token)
        .unwrap_or_default();
    let verified = state
        .auth
        .jwt
        .verify_any(token.trim(), state.clock.now())
        .ok()
        .filter(|c| {
            c.typ.as_deref() == Some("admin_unlock")
                && c.subject() == Some(admin.id())
                && c.ver == admin.user.token_version
        });
    match verified {
        Some(claims) => Json(json!({
            "valid": true,
            "expires_at": chrono::DateTime::from_timestamp(claims.exp, 0).map(|t| t.to_rfc3339()),
        })),
        None => Json(json!({"valid": false})),
    }
}

async fn user_row(state: &AppState, u: &User) -> AppResult<Value> {
    let api_keys_count = state.store.keys.count_for_user(&u.id).await?;
    let bots_count = crate::http::admin_counts::bots_count(state, &u.id).await?;
    Ok(json!({
        "id": u.id, "user_id": u.id, "first_name": u.first_name, "email": u.email,
        "role": u.role.as_str(), "status": u.status.as_str(), "is_active": u.status == UserStatus::Active,
        "created_at": u.created_at.to_rfc3339(), "last_seen": u.last_seen.map(|t| t.to_rfc3339()),
        "bots_count": bots_count, "api_keys_count": api_keys_count,
    }))
}

async fn users_matching(state: &AppState, pending_only: bool) -> AppResult<Json<Value>> {
    let mut rows = Vec::new();
    let mut offset = 0;
    loop {
        let page = state.store.users.list(500, offset).await?;
        if page.is_empty() {
            break;
        }
        offset += page.len() as u32;
        for u in page
            .iter()
            .filter(|u| !pending_only || u.status == UserStatus::Pending)
        {
            rows.push(user_row(state, u).await?);
        }
    }
    let total = rows.len();
    Ok(Json(json!({"users": rows, "total": total})))
}

#[utoipa::path(
    get,
    path = "/api/admin/users",
    operation_id = "get_api_admin_users",
    tag = "Admin",
    summary = "All users",
    responses(
        (status = 200, description = "OK", body = docs::admin::AdminUserList)
    ),
    security(("bearerAuth" = ["admin"]))
)]
async fn list_users(
    State(state): State<AppState>,
    AdminUser(_): AdminUser,
) -> AppResult<Json<Value>> {
    users_matching(&state, false).await
}

#[utoipa::path(
    get,
    path = "/api/admin/pending-users",
    operation_id = "get_api_admin_pending_users",
    tag = "Admin",
    summary = "Users awaiting approval",
    responses(
        (status = 200, description = "OK", body = docs::admin::AdminUserList)
    ),
    security(("bearerAuth" = ["admin"]))
)]
async fn pending_users(
    State(state): State<AppState>,
    AdminUser(_): AdminUser,
) -> AppResult<Json<Value>> {
    users_matching(&state, true).await
}

#[derive(Deserialize, Default)]
struct ActionBody {
    role: Option<String>,
    reason: Option<String>,
}

fn parse_action(raw: &str, body: &ActionBody) -> AppResult<UserAction> {
    Ok(match raw {
        "approve" => UserAction::Approve,
        "block" => UserAction::Block,
        "unblock" => UserAction::Unblock,
        "logout" | "force-logout" => UserAction::ForceLogout,
        "reset-password" => UserAction::ResetPassword,
        "role" => {
            let role = body
                .role
                .as_deref()
                .and_then(Role::parse)
                .ok_or_else(|| AppError::field("role", "role must be user or admin"))?;
            UserAction::ChangeRole(role)
        }
        _ => return Err(AppError::not_found("NOT_FOUND", "Not Found")),
    })
}

async fn load_target(state: &AppState, id: &str) -> AppResult<User> {
    state
        .store
        .users
        .find_by_id(id)
        .await?
        .ok_or_else(|| AppError::not_found("USER_NOT_FOUND", "User not found"))
}

/// The self-protection and last-active-admin rules; a refusal is audited before it is returned.
async fn check_rules(
    state: &AppState,
    admin: &AuthUser,
    target: &User,
    action: UserAction,
) -> AppResult<()> {
    let active_admins = state.store.users.count_active_admins().await?;
    if let Err(refused) = admin_rules::check(&admin.user, target, action, active_admins) {
        audit(
            state,
            admin.id(),
            action.name(),
            Some(("user", &target.id)),
            json!({"outcome": "refused", "code": refused.code}),
        )
        .await?;
        return Err(refused);
    }
    Ok(())
}

#[utoipa::path(
    post,
    path = "/api/admin/users/{id}/{action}",
    operation_id = "post_api_admin_users_id_action",
    tag = "Admin",
    summary = "approve | block | unblock | logout | reset-password | role",
    description = "`role` takes `{role}`. Block pauses the user's bots; block, role, reset-password and logout bump `token_version` so old tokens die at once. Self-harm (400 `SELF_ACTION_REFUSED`) and blocking or demoting the last active admin (400 `LAST_ADMIN`; blocked or pending admins do not count) are refused and audited. An unknown action is 404.",
    params(
        ("id" = String, Path),
        ("action" = String, Path)
    ),
    request_body = Option<docs::admin::UserActionBody>,
    responses(
        (status = 200, description = "OK", body = docs::admin::UserActionResult),
        (status = 400, description = "Bad request (error.code says why)", body = docs::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = ["admin"]))
)]
async fn user_action(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path((id, action)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> AppResult<Json<Value>> {
    let body: ActionBody = parse_optional_json(&body)?;
    let action = parse_action(&action, &body)?;
    // Check and change under one lock, so two admins removing each other at once cannot
    // both see the other one still counted as an active admin.
    let _serialised = state.auth.admin_changes.lock().await;
    let target = load_target(&state, &id).await?;
    check_rules(&state, &admin, &target, action).await?;
    let result = apply(&state, &admin, target, action).await?;
    // The audit log records that a reset happened, never the password itself.
    let mut logged = result.clone();
    if let Some(obj) = logged.as_object_mut() {
        obj.remove("temporary_password");
    }
    let details = json!({"reason": body.reason, "result": logged});
    audit(
        &state,
        admin.id(),
        action.name(),
        Some(("user", &id)),
        details,
    )
    .await?;
    let mut answer = json!({"success": true, "user_id": id, "action": action.name()});
    if let Some(temp) = result.get("temporary_password") {
        answer["temporary_password"] = temp.clone();
    }
    answer["message"] = json!(format!("{} done", action.name()));
    Ok(Json(answer))
}

/// Applies one action; bumps `token_version` whenever old tokens must die at once.
async fn apply(
    state: &AppState,
    _admin: &AuthUser,
    mut target: User,
    action: UserAction,
) -> AppResult<Value> {
    let now = state.clock.now();
    let mut result = json!({});
    match action {
        UserAction::Approve => target.status = UserStatus::Active,
        UserAction::Unblock => target.status = UserStatus::Active,
        UserAction::Block => {
            target.status = UserStatus::Blocked;
            target.token_version += 1;
            result["bots_paused"] = json!(
                crate::http::admin_counts::pause_all_bots(
                    state,
                    &target.id,
                    "Account blocked by admin"
                )
                .await?
            );
        }
        UserAction::ForceLogout => target.token_version += 1,
        UserAction::ResetPassword => {
            let temporary = admin_rules::one_time_password();
            target.password_hash = password::hash(temporary.clone()).await?;
            target.must_change_password = true;
            target.token_version += 1;
            result["temporary_password"] = json!(temporary);
        }
        UserAction::ChangeRole(role) => {
            target.role = role;
            target.token_version += 1;
        }
        UserAction::Delete => unreachable_delete()?,
    }
    target.updated_at = now;
    if !state.store.users.update(&target).await? {
        return Err(AppError::not_found("USER_NOT_FOUND", "User not found"));
    }
    Ok(result)
}

fn unreachable_delete() -> AppResult<()> {
    Err(AppError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        "Use DELETE /api/admin/users/{id}",
    ))
}

#[utoipa::path(
    delete,
    path = "/api/admin/users/{id}",
    operation_id = "delete_api_admin_users_id",
    tag = "Admin",
    summary = "Delete a user and everything they own",
    description = "Cascade over every collection: bots, orders, trades, ledger, keys, chat messages and conversations, alerts, settings, refresh tokens; only the audit log keeps naming the user. Deleting yourself (400 `SELF_ACTION_REFUSED`) or the last active admin (400 `LAST_ADMIN`) is refused and audited.",
    params(
        ("id" = String, Path)
    ),
    responses(
        (status = 200, description = "OK", body = docs::admin::UserDeleted),
        (status = 400, description = "Bad request (error.code says why)", body = docs::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = ["admin"]))
)]
async fn delete_user(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let _serialised = state.auth.admin_changes.lock().await;
    let target = load_target(&state, &id).await?;
    check_rules(&state, &admin, &target, UserAction::Delete).await?;
    let removed = state.store.delete_user_cascade(&id).await?;
    audit(
        &state,
        admin.id(),
        UserAction::Delete.name(),
        Some(("user", &id)),
        json!({"email": target.email, "removed": removed.clone()}),
    )
    .await?;
    Ok(Json(
        json!({"success": true, "message": "User deleted", "user_id": id, "removed": removed}),
    ))
}

#[derive(Deserialize)]
struct Page {
    limit: Option<u32>,
    offset: Option<u32>,
}

#[utoipa::path(
    get,
    path = "/api/admin/audit-logs",
    operation_id = "get_api_admin_audit_logs",
    tag = "Admin",
    summary = "Audit log, newest first",
    params(
        ("limit" = Option<i64>, Query, description = "Page size"),
        ("offset" = Option<i64>, Query, description = "Skip this many")
    ),
    responses(
        (status = 200, description = "OK", body = docs::admin::AuditLogs)
    ),
    security(("bearerAuth" = ["admin"]))
)]
async fn audit_logs(
    State(state): State<AppState>,
    AdminUser(_): AdminUser,
    Query(page): Query<Page>,
) -> AppResult<Json<Value>> {
    let limit = page.limit.unwrap_or(100).clamp(1, 1000);
    let offset = page.offset.unwrap_or(0);
    let logs = state.store.audit.list(limit, offset).await?;
    let total = state.store.audit.count().await?;
    Ok(Json(
        json!({"logs": logs, "total": total, "limit": limit, "offset": offset}),
    ))
}
