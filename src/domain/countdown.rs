//! Custom countdowns: a user's own capital targets (at most [`MAX_PER_USER`]), checked here.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// The most custom countdowns one user may keep.
pub const MAX_PER_USER: u64 = 2;
/// The refusal the old dashboard shows as it is.
pub const MAX_MESSAGE: &str = "Maximum of 2 custom countdowns allowed per user";
const MAX_LABEL: usize = 100;
const MAX_TARGET: f64 = 1e12;

/// One stored countdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Countdown {
    pub id: String,
    pub user_id: String,
    pub label: String,
    pub target_amount: f64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Checks a new countdown's fields (each failing field named once); the label is trimmed.
pub fn validate(
    label: Option<&str>,
    target: Option<f64>,
) -> Result<(String, f64), Vec<FieldError>> {
    let mut errors = Vec::new();
    let label = label.map(str::trim).unwrap_or_default();
    if label.is_empty() || label.chars().count() > MAX_LABEL {
        errors.push(FieldError::new(
            "label",
            format!("must be 1 to {MAX_LABEL} characters"),
        ));
    }
    let target = target.unwrap_or(f64::NAN);
    if !(target.is_finite() && target > 0.0 && target <= MAX_TARGET) {
        errors.push(FieldError::new(
            "target_amount",
            "must be a number above 0 (at most 1e12)",
        ));
    }
    if errors.is_empty() {
        Ok((label.to_string(), target))
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_trimmed_and_targets_positive() {
        assert_eq!(
            validate(Some("  House  "), Some(50_000.0)),
            Ok(("House".to_string(), 50_000.0))
        );
        let fields = |r: Result<(String, f64), Vec<FieldError>>| -> Vec<String> {
            r.unwrap_err().into_iter().map(|f| f.field).collect()
        };
        assert_eq!(
            fields(validate(Some(" "), Some(-1.0))),
            ["label", "target_amount"]
        );
        assert_eq!(fields(validate(Some("x"), None)), ["target_amount"]);
        assert_eq!(
            fields(validate(None, Some(f64::INFINITY))),
            ["label", "target_amount"]
        );
    }
}
