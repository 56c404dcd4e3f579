//! `/api/auth/*`: register, login, refresh, logout, me, profile, password.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::profile::{self, ProfileEdit, ProfileUpdated};
use crate::auth::service::{self, Registered, Session};
use crate::auth::CurrentUser;
use crate::domain::user::User;
use crate::error::{parse_json, parse_optional_json, read_body, AppError, AppJson, AppResult};
use crate::http::context;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/auth/register", post(register))
        .route("/api/auth/login", post(login))
        .route("/api/auth/refresh", post(refresh))
        .route("/api/auth/logout", post(logout))
        .route("/api/auth/me", get(me))
        .route("/api/auth/profile", get(profile).put(update_profile))
        .route("/api/auth/password", put(change_password))
}

/// The user as clients see it: both `id` and `user_id`, never a hash or secret.
#[derive(Debug, Serialize)]
pub struct UserDto {
    pub id: String,
    pub user_id: String,
    pub first_name: String,
    pub email: String,
    pub role: &'static str,
    pub is_admin: bool,
    pub status: &'static str,
    pub currency: String,
    pub must_change_password: bool,
    pub created_at: String,
    pub last_seen: Option<String>,
}

impl From<&User> for UserDto {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.clone(),
            user_id: u.id.clone(),
            first_name: u.first_name.clone(),
            email: u.email.clone(),
            role: u.role.as_str(),
            is_admin: u.is_admin(),
            status: u.status.as_str(),
            currency: u.currency.clone(),
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

async fn me(CurrentUser(auth): CurrentUser) -> Json<UserDto> {
    Json(UserDto::from(&auth.user))
}

/// `GET /api/auth/profile`: the same answer as `/api/auth/me`.
async fn profile(user: CurrentUser) -> Json<UserDto> {
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
