//! Self-service account changes: profile fields, email and password (SPEC §2).
//!
//! Every check runs before anything is written, and the write is one statement that touches
//! only profile fields, so a refused request changes nothing and a concurrent admin action
//! (block, role change, token-version bump) is never undone.

use super::password;
use super::service::{issue_session, Session};
use crate::domain::auth_rules;
use crate::domain::user::{normalize_email, User};
use crate::error::{AppError, AppResult, FieldError};
use crate::state::AppState;
use crate::store::{ProfileChanges, StoreError};

/// A profile edit as the client sent it (already limited to the whitelisted fields).
#[derive(Debug, Default)]
pub struct ProfileEdit {
    pub first_name: Option<String>,
    pub currency: Option<String>,
    pub email: Option<String>,
    pub current_password: Option<String>,
    pub new_password: Option<String>,
}

/// What a successful profile edit produced.
pub enum ProfileUpdated {
    /// Only profile fields changed; existing tokens stay valid.
    Profile(User),
    /// The password changed: older tokens are dead, here is a fresh session.
    NewSession(Box<Session>),
}

/// Applies a profile edit (PUT /api/auth/profile).
pub async fn update_profile(
    state: &AppState,
    user: &User,
    edit: ProfileEdit,
) -> AppResult<ProfileUpdated> {
    let changes_password = edit.new_password.is_some();
    let updated = write_changes(state, user, edit).await?;
    Ok(if changes_password {
        ProfileUpdated::NewSession(Box::new(issue_session(state, &updated, None).await?))
    } else {
        ProfileUpdated::Profile(updated)
    })
}

/// Sets a new password (PUT /api/auth/password); every older token dies.
pub async fn change_password(
    state: &AppState,
    user: &User,
    current: Option<String>,
    new: String,
) -> AppResult<Session> {
    let edit = ProfileEdit {
        current_password: current,
        new_password: Some(new),
        ..ProfileEdit::default()
    };
    let updated = write_changes(state, user, edit).await?;
    issue_session(state, &updated, None).await
}

/// Checks `current` against the stored hash (403 when wrong).
pub async fn require_current_password(user: &User, current: Option<String>) -> AppResult<()> {
    let Some(current) = current.filter(|c| !c.is_empty()) else {
        return Err(AppError::field(
            "current_password",
            "current_password is required for this change",
        ));
    };
    if !password::verify(current, Some(user.password_hash.clone())).await {
        return Err(AppError::forbidden(
            "INVALID_PASSWORD",
            "Current password is incorrect",
        ));
    }
    Ok(())
}

/// Validates the whole edit (422 with every bad field, 403 wrong current password, 409 taken
/// email), then writes it once. Returns the user as stored afterwards.
async fn write_changes(state: &AppState, user: &User, edit: ProfileEdit) -> AppResult<User> {
    let mut problems: Vec<FieldError> = Vec::new();
    let mut changes = ProfileChanges::default();
    if let Some(name) = edit.first_name {
        match auth_rules::check_first_name(&name) {
            Ok(()) => changes.first_name = Some(name.trim().to_string()),
            Err(problem) => problems.push(problem),
        }
    }
    if let Some(currency) = edit.currency {
        match auth_rules::normalize_currency(&currency) {
            Ok(code) => changes.currency = Some(code),
            Err(problem) => problems.push(problem),
        }
    }
    // Re-sending the current email is not a change and needs no password.
    let new_email = edit
        .email
        .map(|e| normalize_email(&e))
        .filter(|e| *e != user.email);
    if let Some(email) = &new_email {
        problems.extend(auth_rules::check_email(email).err());
    }
    if let Some(new) = &edit.new_password {
        problems.extend(auth_rules::check_password("new_password", new).err());
    }
    let sensitive = new_email.is_some() || edit.new_password.is_some();
    if sensitive && edit.current_password.as_deref().unwrap_or("").is_empty() {
        problems.push(FieldError::new(
            "current_password",
            "current_password is required for this change",
        ));
    }
    if !problems.is_empty() {
        return Err(AppError::validation(problems));
    }
    if sensitive {
        require_current_password(user, edit.current_password).await?;
    }
    if let Some(email) = &new_email {
        // Asked only after the password proved who is asking, so this cannot probe accounts.
        if state.store.users.find_by_email(email).await?.is_some() {
            return Err(email_taken());
        }
    }
    changes.email = new_email;
    if let Some(new) = edit.new_password {
        changes.password_hash = Some(password::hash(new).await?);
    }
    match state
        .store
        .users
        .update_profile(&user.id, &changes, state.clock.now())
        .await
    {
        Ok(Some(updated)) => Ok(updated),
        // Deleted between authentication and now.
        Ok(None) => Err(AppError::unauthorized()),
        // Lost a race with another account taking the same email.
        Err(StoreError::Duplicate(_)) => Err(email_taken()),
        Err(e) => Err(e.into()),
    }
}

fn email_taken() -> AppError {
    AppError::conflict("EMAIL_EXISTS", "Email already registered")
}
