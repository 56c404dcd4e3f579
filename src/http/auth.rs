//! `/api/auth/*`: register, login, refresh, logout, me, profile, password.

use crate::http::openapi::schemas as docs;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::profile::{self, ProfileEdit, ProfileUpdated};
use crate::auth::service::{self, Registered, Session};
use crate::auth::CurrentUser;
use crate::domain::user::User;
use crate::error::{parse_json, parse_optional_json, read_body, AppError, AppJson, AppResult};
use crate::http::context;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(profile, update_profile))
        .routes(routes!(change_password))
}

/// The user as clients see it: both `id` and `user_id`, never a hash or secret. Borrows the
/// stored user's strings (answered on every `/api/auth/me`).
#[derive(Debug, Serialize)]
pub struct UserDto<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub first_name: &'a str,
    pub email: &'a str,
    pub role: &'static str,
    pub is_admin: bool,
    pub status: &'static str,
    pub currency: &'a str,
    pub must_change_password: bool,
    pub created_at: String,
    pub last_seen: Option<String>,
}

impl<'a> From<&'a User> for UserDto<'a> {
    fn from(u: &'a User) -> Self {
        Self {
            id: &u.id,
            user_id: &u.id,
            first_name: &u.first_name,
            email: &u.email,
            role: u.role.as_str(),
            is_admin: u.is_admin(),
            status: u.status.as_str(),
            currency: &u.currency,
            must_change_password: u.must_change_password,
            created_at: u.created_at.to_rfc3339(),
            last_seen: u.last_seen.map(|t| t.to_rfc3339()),
        }
    }
}

fn session_body(session: &Session) -> serde_json::Value {
    json!({
        "access_token": session.access_token,
        "token_type": "bearer",
        "token": session.access_token,
        "refresh_token": session.refresh_token,
        "expires_in": session.expires_in,
        "user": UserDto::from(&session.user),
    })
}

#[derive(Deserialize)]
struct RegisterBody {
    first_name: Option<String>,
    name: Option<String>,
    email: Option<String>,
    password: Option<String>,
    password_hash: Option<String>,
    invite_code: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/auth/register",
    operation_id = "post_api_auth_register",
    tag = "Auth",
    summary = "Create an account",
    description = "200 with a session, or 201 `{message, status:\"pending\"}` when `REQUIRE_APPROVAL=true`. Header `X-Invite-Code` is accepted too. 403 wrong invite code, 409 email taken, 400 both/neither of `password`/`password_hash`.",
    request_body = docs::auth::RegisterRequest,
    responses(
        (status = 200, description = "OK", body = docs::auth::Session),
        (status = 400, description = "Bad request (error.code says why)", body = docs::common::ErrorEnvelope),
        (status = 403, description = "Authenticated but not allowed", body = docs::common::ErrorEnvelope),
        (status = 409, description = "Conflict", body = docs::common::ErrorEnvelope)
    )
)]
async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppJson(body): AppJson<RegisterBody>,
) -> AppResult<Response> {
    let header_code = headers
        .get("x-invite-code")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let input = service::RegisterInput {
        first_name: body.first_name.or(body.name),
        email: body.email,
        password: body.password,
        legacy_password_hash: body.password_hash,
        invite_code: body.invite_code.or(header_code),
    };
    Ok(match service::register(&state, input).await? {
        Registered::Active(session) => Json(session_body(&session)).into_response(),
        Registered::Pending => (
            StatusCode::CREATED,
            Json(json!({"message": "Signup received. Await approval.", "status": "pending"})),
        )
            .into_response(),
    })
}

#[derive(Deserialize)]
struct LoginBody {
    email: Option<String>,
    username: Option<String>,
    password: Option<String>,
}

/// Login accepts JSON or an HTML/OAuth2-style form body.
#[utoipa::path(
    post,
    path = "/api/auth/login",
    operation_id = "post_api_auth_login",
    tag = "Auth",
    summary = "Log in (JSON or form)",
    description = "401 \"Invalid email or password\"; 403 \"Account disabled\" / \"Account pending approval\"; 429 after `LOGIN_RATE_LIMIT_ATTEMPTS` failures per IP+email.",
    request_body(content((docs::auth::LoginRequest = "application/json"), (docs::auth::LoginRequest = "application/x-www-form-urlencoded"))),
    responses(
        (status = 200, description = "OK", body = docs::auth::Session),
        (status = 400, description = "Bad request (error.code says why)", body = docs::common::ErrorEnvelope),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = docs::common::ErrorEnvelope),
        (status = 403, description = "Authenticated but not allowed", body = docs::common::ErrorEnvelope)
    )
)]
async fn login(State(state): State<AppState>, req: Request) -> AppResult<Json<serde_json::Value>> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let ip = context::client_ip(&req, state.config.trust_proxy);
    let bytes = read_body(req, &state).await?;
    let body: LoginBody = if is_form {
        serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| AppError::field("body", "Malformed form body"))?
    } else {
        parse_json(&bytes)?
    };
    let email = body
        .email
        .or(body.username)
        .filter(|e| !e.trim().is_empty());
    let (Some(email), Some(password)) = (email, body.password.filter(|p| !p.is_empty())) else {
        return Err(AppError::field(
            "email",
            "email (or username) and password are required",
        ));
    };
    let session = service::login(&state, &ip, &email, password).await?;
    Ok(Json(session_body(&session)))
}

#[derive(Deserialize)]
struct RefreshBody {
    refresh_token: String,
}

#[utoipa::path(
    post,
    path = "/api/auth/refresh",
    operation_id = "post_api_auth_refresh",
    tag = "Auth",
    summary = "Rotate the refresh token",
    description = "Re-use of a rotated refresh token revokes the whole token family.",
    request_body = docs::auth::RefreshRequest,
    responses(
        (status = 200, description = "OK", body = docs::auth::Session),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = docs::common::ErrorEnvelope)
    )
)]
async fn refresh(
    State(state): State<AppState>,
    AppJson(body): AppJson<RefreshBody>,
) -> AppResult<Json<serde_json::Value>> {
    let session = service::refresh(&state, &body.refresh_token).await?;
    Ok(Json(session_body(&session)))
}

#[derive(Deserialize, Default)]
struct LogoutBody {
    refresh_token: Option<String>,
}

/// Idempotent: a token that verifies but is already revoked still gets `success`.
#[utoipa::path(
    post,
    path = "/api/auth/logout",
    operation_id = "post_api_auth_logout",
    tag = "Auth",
    summary = "Revoke the access token (and refresh token)",
    description = "Idempotent.",
    request_body = Option<docs::auth::LogoutRequest>,
    responses(
        (status = 200, description = "OK", body = docs::common::SuccessMessage)
    ),
    security(("bearerAuth" = []))
)]
async fn logout(State(state): State<AppState>, req: Request) -> AppResult<Json<serde_json::Value>> {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_string())
        .ok_or_else(AppError::unauthorized)?;
    let claims = state
        .auth
        .jwt
        .verify_access(&token, state.clock.now())
        .map_err(|_| AppError::unauthorized())?;
    let bytes = read_body(req, &state).await?;
    let body: LogoutBody = parse_optional_json(&bytes)?;
    service::logout(&state, &claims, body.refresh_token.as_deref()).await?;
    Ok(Json(json!({"success": true, "message": "Logged out"})))
}

#[utoipa::path(
    get,
    path = "/api/auth/me",
    operation_id = "get_api_auth_me",
    tag = "Auth",
    summary = "The current user",
    responses(
        (status = 200, description = "OK", body = docs::auth::UserView)
    ),
    security(("bearerAuth" = []))
)]
async fn me(CurrentUser(auth): CurrentUser) -> Response {
    Json(UserDto::from(&auth.user)).into_response()
}

/// `GET /api/auth/profile`: the same answer as `/api/auth/me`.
#[utoipa::path(
    get,
    path = "/api/auth/profile",
    operation_id = "get_api_auth_profile",
    tag = "Auth",
    summary = "The current user (profile view)",
    responses(
        (status = 200, description = "OK", body = docs::auth::UserView)
    ),
    security(("bearerAuth" = []))
)]
async fn profile(user: CurrentUser) -> Response {
    me(user).await
}

/// Whitelisted profile fields; anything else in the body is ignored, never written.
#[derive(Deserialize)]
struct ProfileBody {
    first_name: Option<String>,
    name: Option<String>,
    currency: Option<String>,
    email: Option<String>,
    current_password: Option<String>,
    new_password: Option<String>,
    password: Option<String>,
}

#[utoipa::path(
    put,
    path = "/api/auth/profile",
    operation_id = "put_api_auth_profile",
    tag = "Auth",
    summary = "Update first_name, currency (email needs current_password)",
    description = "Answers the updated user; with `new_password` (and `current_password`) it answers a fresh session like PUT /api/auth/password.",
    request_body = docs::auth::ProfileUpdate,
    responses(
        (status = 200, description = "OK", body = docs::auth::UserView),
        (status = 400, description = "Bad request (error.code says why)", body = docs::common::ErrorEnvelope),
        (status = 403, description = "Authenticated but not allowed", body = docs::common::ErrorEnvelope),
        (status = 409, description = "Conflict", body = docs::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn update_profile(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    AppJson(body): AppJson<ProfileBody>,
) -> AppResult<Response> {
    let edit = ProfileEdit {
        first_name: body.first_name.or(body.name),
        currency: body.currency,
        email: body.email,
        current_password: body.current_password,
        new_password: body.new_password.or(body.password),
    };
    Ok(
        match profile::update_profile(&state, &auth.user, edit).await? {
            ProfileUpdated::Profile(user) => Json(UserDto::from(&user)).into_response(),
            ProfileUpdated::NewSession(session) => Json(session_body(&session)).into_response(),
        },
    )
}

#[derive(Deserialize)]
struct PasswordBody {
    current_password: Option<String>,
    new_password: String,
}

#[utoipa::path(
    put,
    path = "/api/auth/password",
    operation_id = "put_api_auth_password",
    tag = "Auth",
    summary = "Change password",
    description = "Answers a fresh session; every older token stops working.",
    request_body = docs::auth::PasswordChange,
    responses(
        (status = 200, description = "OK", body = docs::auth::Session),
        (status = 400, description = "Bad request (error.code says why)", body = docs::common::ErrorEnvelope),
        (status = 403, description = "Authenticated but not allowed", body = docs::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn change_password(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    AppJson(body): AppJson<PasswordBody>,
) -> AppResult<Json<serde_json::Value>> {
    let session =
        profile::change_password(&state, &auth.user, body.current_password, body.new_password)
            .await?;
    Ok(Json(session_body(&session)))
}
