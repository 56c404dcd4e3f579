//! Account input rules: email shape, name, password policy, currency.

use crate::error::FieldError;

pub const MAX_EMAIL_BYTES: usize = 254;
pub const MAX_NAME_CHARS: usize = 100;
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Long enough for passphrases, short enough that hashing cannot be abused.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Validates an already-normalised email.
pub fn check_email(email: &str) -> Result<(), FieldError> {
    if email.is_empty() {
        return Err(FieldError::new("email", "email is required"));
    }
    if email.len() > MAX_EMAIL_BYTES {
        return Err(FieldError::new("email", "email is too long"));
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err(FieldError::new("email", "not a valid email address"));
    };
    let valid = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(())
    } else {
        Err(FieldError::new("email", "not a valid email address"))
    }
}

pub fn check_first_name(name: &str) -> Result<(), FieldError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(FieldError::new("first_name", "first_name is required"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(FieldError::new(
            "first_name",
            "first_name must be at most 100 characters",
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(FieldError::new(
            "first_name",
            "first_name contains invalid characters",
        ));
    }
    Ok(())
}

/// >= 8 chars, at least one letter and one digit (SPEC §2).
pub fn check_password(field: &str, password: &str) -> Result<(), FieldError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(FieldError::new(
            field,
            "password must be at least 8 characters",
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(FieldError::new(
            field,
            "password must be at most 128 characters",
        ));
    }
    if !password.chars().any(char::is_alphabetic) || !password.chars().any(|c| c.is_ascii_digit()) {
        return Err(FieldError::new(
            field,
            "password must contain at least one letter and one digit",
        ));
    }
    Ok(())
}

/// ISO-4217-shaped code: three ASCII letters, stored upper-case.
pub fn normalize_currency(raw: &str) -> Result<String, FieldError> {
    let code = raw.trim().to_ascii_uppercase();
    if code.len() == 3 && code.chars().all(|c| c.is_ascii_alphabetic()) {
        Ok(code)
    } else {
        Err(FieldError::new(
            "currency",
            "currency must be a 3-letter code such as ZAR",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(check_email("a@b.co").is_ok());
        for bad in ["", "no-at", "@b.co", "a@b", "a@.b", "a b@c.d", "a@b@c.d"] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(check_email(&long).unwrap_err().message, "email is too long");
    }

    #[test]
    fn password_policy() {
        assert!(check_password("password", "abcdefg1").is_ok());
        assert!(check_password("password", "abc1").is_err());
        assert!(check_password("password", "abcdefgh").is_err());
        assert!(check_password("password", "12345678").is_err());
        assert!(check_password("password", &format!("a1{}", "x".repeat(200))).is_err());
    }

    #[test]
    fn names_and_currency() {
        assert!(check_first_name("Thandi").is_ok());
        assert!(check_first_name("  ").is_err());
        assert!(check_first_name(&"n".repeat(1025)).is_err());
        assert_eq!(normalize_currency(" usd ").unwrap(), "USD");
        assert!(normalize_currency("rands").is_err());
    }
}
