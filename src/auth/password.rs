//! Argon2id password hashing (OWASP parameters) on a few dedicated threads.

use std::panic::AssertUnwindSafe;
use std::sync::{mpsc, Arc, Mutex, OnceLock};

use tokio::sync::oneshot;

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

type Job = Box<dyn FnOnce() + Send>;

/// Hashing runs on one long-lived thread per core, not on the blocking pool. Each hash needs
/// 19 MiB and a whole core: more in parallel adds no throughput, only memory and threads that
/// crowd out the async workers, so extra logins queue. Long-lived threads also keep their
/// 19 MiB buffer in their own malloc arena and reuse it; on the blocking pool every fresh
/// thread parked another copy in a new arena (RSS ~500 MiB after a login burst, see bench/).
fn hashing_queue() -> &'static mpsc::Sender<Job> {
    static QUEUE: OnceLock<mpsc::Sender<Job>> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        for i in 0..threads {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || loop {
                    // The lock is held only while taking the next job, never while hashing.
                    let job = match rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(poisoned) => poisoned.into_inner().recv(),
                    };
                    let Ok(job) = job else { return };
                    // A panicking job drops its answer channel (the caller sees an error);
                    // the thread lives on.
                    let _ = std::panic::catch_unwind(AssertUnwindSafe(job));
                });
            if let Err(e) = spawned {
                tracing::error!("cannot start password hashing thread: {e}");
            }
        }
        tx
    })
}

/// Runs `work` on a hashing thread; `None` if it could not run or panicked.
async fn on_hashing_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (answer, answered) = oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = answer.send(work());
    });
    hashing_queue().send(job).ok()?;
    answered.await.ok()
}

/// Hashes off the async workers, so logins never stall other requests.
pub async fn hash(password: String) -> Result<String, AppError> {
    on_hashing_thread(move || hash_blocking(&password))
        .await
        .unwrap_or_else(|| Err(AppError::internal("hash task failed")))
}

/// Verifies against `hash`, or against a dummy hash when there is no user, so that the
/// answer and its timing do not reveal whether an account exists (unknown users queue for
/// the same threads too).
pub async fn verify(password: String, hash: Option<String>) -> bool {
    on_hashing_thread(move || {
        let target = hash.as_deref().unwrap_or_else(|| dummy_hash());
        let ok = verify_blocking(&password, target);
        ok && hash.is_some()
    })
    .await
    .unwrap_or(false)
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

    #[tokio::test]
    async fn more_logins_than_hashing_threads_all_get_the_right_answer() {
        let h = hash("Secret123".into()).await.unwrap();
        let checks: Vec<_> = (0..8)
            .map(|i| {
                let h = h.clone();
                let password = if i % 2 == 0 { "Secret123" } else { "Wrong1234" };
                tokio::spawn(async move { (i, verify(password.into(), Some(h)).await) })
            })
            .collect();
        for check in checks {
            let (i, ok) = check.await.unwrap();
            assert_eq!(ok, i % 2 == 0, "verification {i}");
        }
    }

    #[tokio::test]
    async fn a_panicking_job_does_not_take_a_hashing_thread_down() {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        for _ in 0..=threads {
            let answer: Option<u8> = on_hashing_thread(|| panic!("boom")).await;
            assert!(answer.is_none());
        }
        assert_eq!(on_hashing_thread(|| 7).await, Some(7));
        assert!(!verify("anything1".into(), None).await);
    }
}
