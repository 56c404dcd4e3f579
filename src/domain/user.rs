//! The user account and its rules (roles, statuses, email normalisation).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "user" => Some(Role::User),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    Pending,
    Active,
    Blocked,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Pending => "pending",
            UserStatus::Active => "active",
            UserStatus::Blocked => "blocked",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(UserStatus::Pending),
            "active" => Some(UserStatus::Active),
            "blocked" => Some(UserStatus::Blocked),
            _ => None,
        }
    }
}

/// A stored user. Never serialised to clients directly: see the DTOs in `http/`.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub password_hash: String,
    pub role: Role,
    pub status: UserStatus,
    pub currency: String,
    /// Bumped by admin actions; tokens carrying an older `ver` are refused.
    pub token_version: i64,
    pub must_change_password: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_seen: Option<DateTime<Utc>>,
}

impl User {
    /// A fresh account with defaults (role user, currency ZAR, version 0).
    pub fn new(
        email: &str,
        first_name: &str,
        password_hash: String,
        status: UserStatus,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            email: normalize_email(email),
            first_name: first_name.trim().to_string(),
            password_hash,
            role: Role::User,
            status,
            currency: "ZAR".to_string(),
            token_version: 0,
            must_change_password: false,
            created_at: now,
            updated_at: now,
            last_seen: None,
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// Emails are compared trimmed and lower-cased everywhere.
pub fn normalize_email(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// Counts of users by status (for `/api/status` and admin pages).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct UserStatusCounts {
    pub pending: u64,
    pub active: u64,
    pub blocked: u64,
}
