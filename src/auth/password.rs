//! Argon2id password hashing (OWASP parameters) on the blocking pool.

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::AppError;

/// OWASP: 19 MiB memory, 2 iterations, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_blocking(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(format!("password hashing failed: {e}")))
}

fn verify_blocking(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Hashes off the async workers, so logins never stall other requests.
pub async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(|e| AppError::internal(format!("hash task failed: {e}")))?
}

/// Verifies against `hash`, or against a dummy hash when there is no user, so that the
/// answer and its timing do not reveal whether an account exists.
pub async fn verify(password: String, hash: Option<String>) -> bool {
    let result = tokio::task::spawn_blocking(move || {
        let target = hash.as_deref().unwrap_or_else(|| dummy_hash());
        let ok = verify_blocking(&password, target);
        ok && hash.is_some()
    })
    .await;
    result.unwrap_or(false)
}

/// A real Argon2id hash of a random password, computed once.
pub fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let random = uuid::Uuid::new_v4().to_string();
        hash_blocking(&random).unwrap_or_else(|_| {
            // Unreachable in practice; a syntactically valid hash still costs a parse.
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$ZmFrZWhhc2g".to_string()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify_and_reject_wrong_password() {
        let h = hash("Secret123".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("Secret123".into(), Some(h.clone())).await);
        assert!(!verify("secret123".into(), Some(h)).await);
    }

    #[tokio::test]
    async fn unknown_user_never_verifies_even_with_the_dummy() {
        assert!(!verify("anything1".into(), None).await);
        assert!(!verify("x".into(), Some("not-a-hash".into())).await);
    }
}
