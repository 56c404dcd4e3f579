//! Admin email broadcasts: every active user gets the message through SMTP (`crate::mail`).

use axum::http::StatusCode;

use crate::domain::user::UserStatus;
use crate::error::{AppError, AppResult, FieldError};
use crate::mail::{self, Message};
use crate::state::AppState;

/// Checks a broadcast's fields (422 naming each bad one).
pub fn check_broadcast(
    subject: Option<&str>,
    message: Option<&str>,
) -> AppResult<(String, String)> {
    let subject = subject.map(str::trim).unwrap_or_default();
    let message = message.map(str::trim).unwrap_or_default();
    let mut errors = Vec::new();
    if subject.is_empty() || subject.chars().count() > 200 {
        errors.push(FieldError::new("subject", "must be 1 to 200 characters"));
    }
    if message.is_empty() || message.len() > 50_000 {
        errors.push(FieldError::new("message", "must be 1 to 50,000 bytes"));
    }
    if errors.is_empty() {
        Ok((subject.to_string(), message.to_string()))
    } else {
        Err(AppError::validation(errors))
    }
}

/// Mails every active user; 503 when SMTP is not configured or the server cannot be used.
pub async fn broadcast(
    state: &AppState,
    subject: &str,
    message: &str,
) -> AppResult<mail::Delivery> {
    let Some(smtp) = state.config.smtp.as_ref() else {
        return Err(AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "EMAIL_NOT_CONFIGURED",
            "Email is not configured on this server (set SMTP_URL and SMTP_FROM)",
        ));
    };
    let mut recipients = Vec::new();
    let mut offset = 0;
    loop {
        let page = state.store.users.list(500, offset).await?;
        let count = page.len() as u32;
        recipients.extend(
            page.into_iter()
                .filter(|u| u.status == UserStatus::Active)
                .map(|u| u.email),
        );
        if count < 500 {
            break;
        }
        offset += count;
    }
    let msg = Message {
        subject,
        body: message,
    };
    mail::send_each(smtp, &recipients, &msg, state.clock.now())
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "email broadcast failed");
            AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "EMAIL_UNAVAILABLE",
                "The mail server could not be used; nothing more was sent",
            )
        })
}
