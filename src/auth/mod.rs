//! Authentication: JWT, passwords, extractors (`CurrentUser`, `AdminUser`), rate limiting.

pub mod activity;
pub mod jwt;
pub mod password;
pub mod profile;
pub mod rate_limit;
pub mod secret_eq;
pub mod service;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use chrono::Duration;

use crate::config::Config;
use crate::domain::user::{User, UserStatus};
use crate::error::AppError;
use crate::http::context;
use crate::state::AppState;
use jwt::{Claims, JwtKeys};
use rate_limit::{LoginLimiter, TokenBuckets};

/// Auth state built once at boot.
pub struct AuthRuntime {
    pub jwt: JwtKeys,
    pub login_limiter: LoginLimiter,
    pub user_buckets: TokenBuckets,
    pub ip_buckets: TokenBuckets,
    pub admin_unlock_limiter: LoginLimiter,
    /// Held while an admin changes or deletes a user: the last-admin rule reads the number
    /// of active admins and then writes, which must not interleave with another such change.
    /// (One server process per database, as ARCHITECTURE.md deploys it.)
    pub admin_changes: tokio::sync::Mutex<()>,
    /// `last_seen` writes under way (one per user at a time).
    pub activity_writes: activity::ActivityWrites,
}

impl AuthRuntime {
    pub fn new(config: &Config) -> Self {
        let rl = &config.rate_limit;
        Self {
            jwt: JwtKeys::new(config.jwt_secret.expose()),
            login_limiter: LoginLimiter::new(
                rl.login_attempts,
                rl.login_window_seconds,
                rl.login_block_seconds,
            ),
            user_buckets: TokenBuckets::new(rl.per_user_per_min, rl.per_user_burst),
            ip_buckets: TokenBuckets::new(rl.per_ip_per_min, rl.per_ip_burst),
            admin_unlock_limiter: LoginLimiter::new(
                rl.login_attempts,
                rl.login_window_seconds,
                rl.login_block_seconds,
            ),
            admin_changes: tokio::sync::Mutex::new(()),
            activity_writes: activity::ActivityWrites::default(),
        }
    }
}

/// An authenticated caller: the stored user plus the claims of the token presented.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user: User,
    pub claims: Claims,
}

impl AuthUser {
    pub fn id(&self) -> &str {
        &self.user.id
    }
}

/// Every check of SPEC §2: signature, expiry, revoked `jti`, user exists and is active,
/// `ver == token_version`. Token failures are 401 with one message; account state is 403.
pub async fn authenticate_token(state: &AppState, token: &str) -> Result<AuthUser, AppError> {
    authenticate(state, token, None).await
}

/// A bearer token whose signature the rate limiter already verified, kept in the request's
/// extensions so authentication does not verify it again (it still checks the clock).
#[derive(Clone)]
pub struct VerifiedToken {
    token: Box<str>,
    claims: Claims,
}

impl VerifiedToken {
    pub fn new(token: &str, claims: Claims) -> VerifiedToken {
        VerifiedToken {
            token: token.into(),
            claims,
        }
    }

    pub fn claims(&self) -> &Claims {
        &self.claims
    }
}

/// `authenticate_token`, reusing `verified` when it is this very token.
async fn authenticate(
    state: &AppState,
    token: &str,
    verified: Option<VerifiedToken>,
) -> Result<AuthUser, AppError> {
    let now = state.clock.now();
    let checked = match verified.filter(|v| &*v.token == token) {
        Some(v) => state.auth.jwt.check_access(v.claims, now),
        None => state.auth.jwt.verify_access(token, now),
    };
    let claims = checked.map_err(|e| {
        tracing::debug!(reason = %e, "token refused");
        AppError::unauthorized()
    })?;
    let subject = claims.subject().unwrap_or_default();
    // Unknown user and revoked `jti` are the same 401 (an empty `jti` is never revoked).
    let user = state
        .store
        .users
        .find_for_token(subject, &claims.jti)
        .await?
        .ok_or_else(AppError::unauthorized)?;
    if claims.ver != user.token_version {
        return Err(AppError::unauthorized());
    }
    match user.status {
        UserStatus::Active => {}
        UserStatus::Blocked => {
            return Err(AppError::forbidden("ACCOUNT_DISABLED", "Account disabled"))
        }
        UserStatus::Pending => {
            return Err(AppError::forbidden(
                "ACCOUNT_PENDING",
                "Account pending approval",
            ))
        }
    }
    // Record activity at most once a minute per user, off the request path, and only one
    // write at a time however many requests saw the old value.
    if user
        .last_seen
        .is_none_or(|seen| now - seen > Duration::seconds(60))
        && state.auth.activity_writes.start(&user.id)
    {
        let state = state.clone();
        let id = user.id.clone();
        tokio::spawn(async move {
            let _ = state.store.users.touch_last_seen(&id, now).await;
            state.auth.activity_writes.finish(&id);
        });
    }
    Ok(AuthUser { user, claims })
}

/// The bearer token of a request, if any (`Authorization: Bearer <token>`).
pub fn bearer_token(parts: &Parts) -> Option<&str> {
    bearer_value(parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?)
}

/// The token of an `Authorization` header value, if it is `Bearer <token>` (any case).
pub fn bearer_value(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Extractor for any authenticated, active user.
pub struct CurrentUser(pub AuthUser);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // Not stored in the request for a second extraction: no handler extracts twice, and a
        // copy of the user per request showed in `/api/auth/me`'s profile (issue 20).
        let verified = parts.extensions.remove::<VerifiedToken>();
        let token = bearer_token(parts).ok_or_else(AppError::unauthorized)?;
        let user = authenticate(state, token, verified).await?;
        context::set_current_user(user.id());
        // After an admin reset, only reading yourself, changing the password and logging out work.
        if user.user.must_change_password
            && !matches!(
                parts.uri.path(),
                "/api/auth/me" | "/api/auth/password" | "/api/auth/profile" | "/api/auth/logout"
            )
        {
            return Err(AppError::forbidden(
                "PASSWORD_CHANGE_REQUIRED",
                "Change your password to continue",
            ));
        }
        Ok(CurrentUser(user))
    }
}

/// Extractor for admins only: 401 without a valid token, 403 for non-admins.
pub struct AdminUser(pub AuthUser);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let CurrentUser(user) = CurrentUser::from_request_parts(parts, state).await?;
        if !user.user.is_admin() {
            return Err(AppError::new(
                StatusCode::FORBIDDEN,
                "ADMIN_REQUIRED",
                "Admin access required",
            ));
        }
        Ok(AdminUser(user))
    }
}
