//! Account flows: register, login, refresh (rotation + re-use detection), logout.
//! (Profile and password changes live in `auth::profile`.)

use super::secret_eq::secrets_match;
use chrono::Duration;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::jwt::Claims;
use super::password;
use crate::domain::auth_rules;
use crate::domain::user::{normalize_email, User, UserStatus};
use crate::error::{AppError, AppResult, FieldError};
use crate::state::AppState;
use crate::store::{RefreshToken, StoreError};

/// Tokens handed to a client after login, registration, refresh or password change.
#[derive(Debug, Clone)]
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
    pub user: User,
}

pub struct RegisterInput {
    pub first_name: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
    pub legacy_password_hash: Option<String>,
    pub invite_code: Option<String>,
}

pub enum Registered {
    Active(Box<Session>),
    Pending,
}

fn hash_refresh(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_refresh_secret() -> String {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Issues an access token and a refresh token (in `family`, or a new family).
pub async fn issue_session(
    state: &AppState,
    user: &User,
    family: Option<String>,
) -> AppResult<Session> {
    let now = state.clock.now();
    let ttl = Duration::minutes(state.config.access_token_expires_min);
    let (access_token, _) = state
        .auth
        .jwt
        .issue_access(user, now, ttl)
        .map_err(AppError::internal)?;
    let refresh_token = new_refresh_secret();
    let record = RefreshToken {
        token_hash: hash_refresh(&refresh_token),
        user_id: user.id.clone(),
        family_id: family.unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        token_version: user.token_version,
        created_at: now,
        expires_at: now + Duration::days(state.config.refresh_token_expires_days),
        used_at: None,
        revoked_at: None,
    };
    state.store.tokens.insert_refresh(&record).await?;
    Ok(Session {
        access_token,
        refresh_token,
        expires_in: ttl.num_seconds(),
        user: user.clone(),
    })
}

pub async fn register(state: &AppState, input: RegisterInput) -> AppResult<Registered> {
    if let Some(expected) = &state.config.invite_code {
        let given = input.invite_code.as_deref().map(str::trim).unwrap_or("");
        if !secrets_match(given, expected.expose()) {
            return Err(AppError::forbidden(
                "INVALID_INVITE_CODE",
                "Invalid or missing invite code",
            ));
        }
    }
    let password = match (input.password, input.legacy_password_hash) {
        (Some(p), None) | (None, Some(p)) => p,
        (Some(_), Some(_)) => {
            return Err(AppError::bad_request(
                "AMBIGUOUS_PASSWORD",
                "Send either password or password_hash, not both",
            ))
        }
        (None, None) => {
            return Err(AppError::bad_request(
                "PASSWORD_REQUIRED",
                "password is required",
            ))
        }
    };
    let email = normalize_email(input.email.as_deref().unwrap_or(""));
    let first_name = input.first_name.unwrap_or_default();
    let mut problems: Vec<FieldError> = Vec::new();
    problems.extend(auth_rules::check_first_name(&first_name).err());
    problems.extend(auth_rules::check_email(&email).err());
    problems.extend(auth_rules::check_password("password", &password).err());
    if !problems.is_empty() {
        return Err(AppError::validation(problems));
    }
    let status = if state.config.require_approval {
        UserStatus::Pending
    } else {
        UserStatus::Active
    };
    let hash = password::hash(password).await?;
    let user = User::new(&email, &first_name, hash, status, state.clock.now());
    match state.store.users.create(&user).await {
        Ok(()) => {}
        Err(StoreError::Duplicate(_)) => {
            return Err(AppError::conflict(
                "EMAIL_EXISTS",
                "Email already registered",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(target: "auth", user_id = %user.id, status = status.as_str(), "user registered");
    if status == UserStatus::Pending {
        return Ok(Registered::Pending);
    }
    Ok(Registered::Active(Box::new(
        issue_session(state, &user, None).await?,
    )))
}

fn count_login(outcome: &'static str) {
    metrics::counter!("auth_logins_total", "outcome" => outcome).increment(1);
}

/// Email + password login with per IP+email rate limiting. Wrong email and wrong password
/// give the same answer after the same work.
pub async fn login(
    state: &AppState,
    ip: &str,
    email: &str,
    password_input: String,
) -> AppResult<Session> {
    let email = normalize_email(email);
    let limiter_key = format!("{ip}|{email}");
    if let Err(retry_after) = state.auth.login_limiter.check(&limiter_key) {
        count_login("rate_limited");
        tracing::warn!(target: "auth", outcome = "rate_limited", ip, "login refused");
        let mut err = AppError::rate_limited(retry_after);
        err.message = "Too many login attempts; try again later".into();
        return Err(err);
    }
    let user = if email.len() <= auth_rules::MAX_EMAIL_BYTES {
        state.store.users.find_by_email(&email).await?
    } else {
        None
    };
    let verified = password::verify(
        password_input,
        user.as_ref().map(|u| u.password_hash.clone()),
    )
    .await;
    let Some(user) = user.filter(|_| verified) else {
        state.auth.login_limiter.record_failure(&limiter_key);
        count_login("invalid_credentials");
        tracing::info!(target: "auth", outcome = "invalid_credentials", ip, "login failed");
        return Err(AppError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "INVALID_CREDENTIALS",
            "Invalid email or password",
        ));
    };
    state.auth.login_limiter.record_success(&limiter_key);
    match user.status {
        UserStatus::Blocked => {
            count_login("blocked");
            tracing::info!(target: "auth", outcome = "blocked", user_id = %user.id, ip, "login refused");
            return Err(AppError::forbidden("ACCOUNT_DISABLED", "Account disabled"));
        }
        UserStatus::Pending => {
            count_login("pending");
            tracing::info!(target: "auth", outcome = "pending", user_id = %user.id, ip, "login refused");
            return Err(AppError::forbidden(
                "ACCOUNT_PENDING",
                "Account pending approval",
            ));
        }
        UserStatus::Active => {}
    }
    let now = state.clock.now();
    state.store.users.touch_last_seen(&user.id, now).await?;
    let mut user = user;
    user.last_seen = Some(now);
    let session = issue_session(state, &user, None).await?;
    count_login("success");
    tracing::info!(target: "auth", outcome = "success", user_id = %user.id, ip, "login");
    Ok(session)
}

/// Rotates a refresh token. A token presented twice revokes its whole family (theft detection).
pub async fn refresh(state: &AppState, presented: &str) -> AppResult<Session> {
    let now = state.clock.now();
    let hash = hash_refresh(presented.trim());
    let record = state
        .store
        .tokens
        .find_refresh(&hash)
        .await?
        .ok_or_else(AppError::unauthorized)?;
    if record.revoked_at.is_some() || record.expires_at <= now {
        return Err(AppError::unauthorized());
    }
    if record.used_at.is_some() || !state.store.tokens.mark_refresh_used(&hash, now).await? {
        let revoked = state
            .store
            .tokens
            .revoke_family(&record.family_id, now)
            .await?;
        tracing::warn!(target: "auth", user_id = %record.user_id, revoked, "refresh token re-used; family revoked");
        return Err(AppError::unauthorized());
    }
    let user = state
        .store
        .users
        .find_by_id(&record.user_id)
        .await?
        .ok_or_else(AppError::unauthorized)?;
    if user.token_version != record.token_version || user.status != UserStatus::Active {
        state
            .store
            .tokens
            .revoke_family(&record.family_id, now)
            .await?;
        return Err(AppError::unauthorized());
    }
    issue_session(state, &user, Some(record.family_id)).await
}

/// Revokes the access token's `jti` until it expires, and the refresh token if given.
pub async fn logout(
    state: &AppState,
    claims: &Claims,
    refresh_token: Option<&str>,
) -> AppResult<()> {
    let now = state.clock.now();
    let user_id = claims.subject().unwrap_or_default();
    if !claims.jti.is_empty() {
        // Kept while the token could still pass the expiry check (exp + leeway), or the purge
        // of expired revocations would let it in again for those last seconds.
        let expires = chrono::DateTime::from_timestamp(claims.accepted_until(), 0).unwrap_or(now);
        state
            .store
            .tokens
            .revoke_jti(&claims.jti, user_id, expires)
            .await?;
    }
    if let Some(token) = refresh_token.map(str::trim).filter(|t| !t.is_empty()) {
        let hash = hash_refresh(token);
        if let Some(record) = state.store.tokens.find_refresh(&hash).await? {
            if record.user_id == user_id {
                state
                    .store
                    .tokens
                    .revoke_family(&record.family_id, now)
                    .await?;
            }
        }
    }
    tracing::info!(target: "auth", user_id = %user_id, "logout");
    Ok(())
}
