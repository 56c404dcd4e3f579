//! Auth and user bodies (SPEC §2).

use utoipa::ToSchema;

#[derive(ToSchema)]
pub struct RegisterRequest {
    /// `first_name` or its alias `name`.
    pub first_name: Option<String>,
    pub name: Option<String>,
    pub email: String,
    /// >= 8 characters with at least one letter and one digit.
    pub password: Option<String>,
    /// Legacy: accepted as the plain password when `password` is absent.
    pub password_hash: Option<String>,
    /// Required when `INVITE_CODE` is set (or send `X-Invite-Code`).
    pub invite_code: Option<String>,
}

/// 201 answer when `REQUIRE_APPROVAL=true`.
#[derive(ToSchema)]
pub struct PendingSignup {
    pub message: String,
    /// `pending`.
    pub status: String,
}

#[derive(ToSchema)]
pub struct LoginRequest {
    /// `email` or its alias `username`.
    pub email: Option<String>,
    pub username: Option<String>,
    pub password: String,
}

/// Login / refresh / register answer.
#[derive(ToSchema)]
pub struct Session {
    pub access_token: String,
    /// `bearer`.
    pub token_type: String,
    /// Same as `access_token` (legacy clients).
    pub token: String,
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub user: UserView,
}

#[derive(ToSchema)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(ToSchema)]
pub struct LogoutRequest {
    pub refresh_token: Option<String>,
}

#[derive(ToSchema)]
pub enum Role {
    user,
    admin,
}

#[derive(ToSchema)]
pub enum UserStatus {
    pending,
    active,
    blocked,
}

/// The user as clients see it: never a password, hash or secret.
#[derive(ToSchema)]
pub struct UserView {
    pub id: String,
    /// Same as `id`.
    pub user_id: String,
    pub first_name: String,
    pub email: String,
    pub role: Role,
    pub is_admin: bool,
    pub status: UserStatus,
    /// Default `ZAR`.
    pub currency: String,
    /// Set after an admin password reset.
    pub must_change_password: bool,
    pub created_at: String,
    pub last_seen: Option<String>,
}

/// Whitelisted profile fields; anything else is ignored. Email changes need `current_password`.
#[derive(ToSchema)]
pub struct ProfileUpdate {
    pub first_name: Option<String>,
    pub currency: Option<String>,
    pub email: Option<String>,
    pub current_password: Option<String>,
    pub new_password: Option<String>,
}

#[derive(ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}
