//! The token check's answers (`find_for_token`) kept between writes to the user they are about,
//! with every write that could change one run to completion and announced to all processes.
//!
//! An answer is reused only while the user's counter in `user_epochs` still holds the value noted
//! before the answer was read, and for at most `TOKEN_CHECK_MAX_AGE_MS` (1 s by default). Every
//! write this code makes to a user's row or revoked tokens bumps the counter after it commits
//! (`write`), in this process or any other on the same file, so a logout, block, password change or deletion is refused by the
//! very next request everywhere. The age limit only matters for changes that skip this code:
//! an operator's `UPDATE users ...` in the `sqlite3` shell, a server of an older build on the
//! same file, or a process killed between its commit and its bump; they are seen within it.
//! Only "found" answers are kept; an unknown user or a revoked token is read every time.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::user_epochs::UserEpochs;
use crate::domain::user::User;
use crate::store::{StoreError, StoreResult};

/// Answers kept at most (one per token in use); past it, stale ones go, then all.
const MAX_KEPT: usize = 10_000;

pub(crate) struct TokenChecks {
    epochs: UserEpochs,
    max_age: Duration,
    /// By token id (`jti`, unique per token); the answer's user id is compared on use.
    kept: Mutex<HashMap<Box<str>, Kept>>,
}

struct Kept {
    epoch: u64,
    at: Instant,
    user: User,
}

/// What `lookup` found: a reusable answer, or the counter to tag a fresh read with.
pub(crate) enum Lookup {
    Kept(User),
    Read { epoch: u64 },
}

impl TokenChecks {
    pub(crate) fn new(epochs: UserEpochs, max_age: Duration) -> TokenChecks {
        TokenChecks {
            epochs,
            max_age,
            kept: Mutex::new(HashMap::new()),
        }
    }

    /// The kept answer for this user and token, if nothing changed the user since it was read.
    pub(crate) fn lookup(&self, user_id: &str, jti: &str) -> Lookup {
        // Noted first: a write that commits after this line bumps past it.
        let epoch = self.epochs.current(user_id);
        if jti.is_empty() {
            return Lookup::Read { epoch };
        }
        let kept = self.lock();
        match kept.get(jti) {
            Some(k)
                if k.epoch == epoch && k.user.id == user_id && k.at.elapsed() < self.max_age =>
            {
                Lookup::Kept(k.user.clone())
            }
            _ => Lookup::Read { epoch },
        }
    }

    /// Keeps a fresh answer, tagged with the counter noted before it was read.
    pub(crate) fn keep(&self, jti: &str, epoch: u64, user: &User) {
        if jti.is_empty() || self.max_age.is_zero() {
            return;
        }
        let mut kept = self.lock();
        if kept.len() >= MAX_KEPT && !kept.contains_key(jti) {
            let max_age = self.max_age;
            kept.retain(|_, k| k.at.elapsed() < max_age);
            if kept.len() >= MAX_KEPT {
                kept.clear();
            }
        }
        kept.insert(
            jti.into(),
            Kept {
                epoch,
                at: Instant::now(),
                user: user.clone(),
            },
        );
    }

    /// Runs a write that changes what `user_id`'s token checks read, then bumps the user's
    /// counter. The write runs in its own task, so it finishes (and is announced) even if the
    /// caller stops waiting: a write left running unannounced could commit after the bump.
    /// The counter is bumped whether the write succeeded or not (a needless re-read at worst).
    pub(crate) async fn write<T, F>(self: &Arc<Self>, user_id: &str, write: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: Future<Output = StoreResult<T>> + Send + 'static,
    {
        let announce = Announce {
            checks: Arc::clone(self),
            user_id: user_id.to_owned(),
        };
        tokio::spawn(async move {
            // Bumped when `announce` drops: after the write, and also if the task panics or is
            // dropped by a shutting-down runtime (the database may still commit it).
            let _announce = announce;
            write.await
        })
        .await
        .map_err(|e| StoreError::Other(format!("user write did not finish: {e}")))?
    }

    #[cfg(test)]
    fn epoch(&self, user_id: &str) -> u64 {
        self.epochs.current(user_id)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Box<str>, Kept>> {
        // A panic while holding the lock cannot leave a half-made entry (inserts are whole).
        self.kept
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Bumps the user's counter when dropped (see `TokenChecks::write`).
struct Announce {
    checks: Arc<TokenChecks>,
    user_id: String,
}

impl Drop for Announce {
    fn drop(&mut self) {
        self.checks.epochs.bump(&self.user_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::user::{Role, UserStatus};

    fn user(id: &str, name: &str) -> User {
        let now = chrono::Utc::now();
        User {
            id: id.into(),
            email: format!("{id}@example.com"),
            first_name: name.into(),
            password_hash: "hash".into(),
            role: Role::User,
            status: UserStatus::Active,
            currency: "ZAR".into(),
            token_version: 0,
            must_change_password: false,
            created_at: now,
            updated_at: now,
            last_seen: None,
        }
    }

    fn checks(dir: &tempfile::TempDir, max_age: Duration) -> Arc<TokenChecks> {
        let path = dir.path().join("users");
        let epochs = UserEpochs::open(&path, &path).unwrap();
        Arc::new(TokenChecks::new(epochs, max_age))
    }

    fn read_epoch(lookup: Lookup) -> u64 {
        match lookup {
            Lookup::Read { epoch } => epoch,
            Lookup::Kept(user) => panic!("expected a read, got a kept {}", user.first_name),
        }
    }

    fn kept(lookup: Lookup) -> User {
        match lookup {
            Lookup::Kept(user) => user,
            Lookup::Read { .. } => panic!("expected a kept answer"),
        }
    }

    #[tokio::test]
    async fn an_answer_is_reused_until_a_write_to_its_user() {
        let dir = tempfile::tempdir().unwrap();
        let checks = checks(&dir, Duration::from_secs(60));
        let epoch = read_epoch(checks.lookup("u1", "t1"));
        checks.keep("t1", epoch, &user("u1", "Ann"));
        assert_eq!(kept(checks.lookup("u1", "t1")).first_name, "Ann");
        // Another user's write leaves it (unless the two share a slot, which these do not).
        checks.write("u2", async { Ok(()) }).await.unwrap();
        assert_eq!(kept(checks.lookup("u1", "t1")).first_name, "Ann");
        // A write to u1, even a failed one, ends it.
        let failed: StoreResult<()> = checks
            .write("u1", async { Err(StoreError::Other("boom".into())) })
            .await;
        assert!(failed.is_err());
        read_epoch(checks.lookup("u1", "t1"));
    }

    #[tokio::test]
    async fn a_write_in_another_process_ends_it_too() {
        let dir = tempfile::tempdir().unwrap();
        let here = checks(&dir, Duration::from_secs(60));
        let other = checks(&dir, Duration::from_secs(60));
        let epoch = read_epoch(here.lookup("u1", "t1"));
        here.keep("t1", epoch, &user("u1", "Ann"));
        other.write("u1", async { Ok(()) }).await.unwrap();
        read_epoch(here.lookup("u1", "t1"));
    }

    #[test]
    fn an_answer_read_while_a_write_committed_is_not_reused() {
        // The reader notes the counter, a write commits and bumps, then the (maybe old) answer
        // arrives: it is kept under the old counter and never handed out.
        let dir = tempfile::tempdir().unwrap();
        let checks = checks(&dir, Duration::from_secs(60));
        let noted = read_epoch(checks.lookup("u1", "t1"));
        checks.epochs.bump("u1");
        checks.keep("t1", noted, &user("u1", "Old"));
        read_epoch(checks.lookup("u1", "t1"));
    }

    #[test]
    fn answers_expire_and_belong_to_their_user_and_token() {
        let dir = tempfile::tempdir().unwrap();
        let checks = checks(&dir, Duration::from_millis(50));
        let epoch = read_epoch(checks.lookup("u1", "t1"));
        checks.keep("t1", epoch, &user("u1", "Ann"));
        // Same token id presented for another subject: not this answer.
        read_epoch(checks.lookup("u2", "t1"));
        read_epoch(checks.lookup("u1", "t2"));
        // A token without an id is never kept.
        checks.keep("", epoch, &user("u1", "Ann"));
        read_epoch(checks.lookup("u1", ""));
        assert_eq!(kept(checks.lookup("u1", "t1")).first_name, "Ann");
        std::thread::sleep(Duration::from_millis(60));
        read_epoch(checks.lookup("u1", "t1"));
    }

    #[tokio::test]
    async fn a_write_whose_caller_stopped_waiting_is_still_announced() {
        let dir = tempfile::tempdir().unwrap();
        let checks = checks(&dir, Duration::from_secs(60));
        let before = checks.epoch("u1");
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let (finish_tx, finish_rx) = tokio::sync::oneshot::channel::<()>();
        let call = checks.write("u1", async move {
            let _ = started_tx.send(());
            let _ = finish_rx.await;
            Ok(())
        });
        // The caller gives up while the write is under way (a client that went away).
        let gave_up = tokio::time::timeout(Duration::from_millis(50), async {
            tokio::join!(call, async {
                let _ = started_rx.await;
            })
        })
        .await;
        assert!(gave_up.is_err(), "the write should still be running");
        assert_eq!(
            checks.epoch("u1"),
            before,
            "not announced before it finished"
        );
        finish_tx.send(()).unwrap();
        for _ in 0..100 {
            if checks.epoch("u1") == before + 1 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the abandoned write was never announced");
    }

    #[tokio::test]
    async fn a_write_that_panics_is_still_announced() {
        let dir = tempfile::tempdir().unwrap();
        let checks = checks(&dir, Duration::from_secs(60));
        let before = checks.epoch("u1");
        let result: StoreResult<()> = checks.write("u1", async { panic!("write blew up") }).await;
        assert!(result.is_err());
        assert_eq!(checks.epoch("u1"), before + 1);
    }

    #[test]
    fn a_zero_age_keeps_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let checks = checks(&dir, Duration::ZERO);
        let epoch = read_epoch(checks.lookup("u1", "t1"));
        checks.keep("t1", epoch, &user("u1", "Ann"));
        read_epoch(checks.lookup("u1", "t1"));
        assert!(checks.lock().is_empty());
    }

    #[test]
    fn the_number_kept_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let checks = checks(&dir, Duration::from_secs(60));
        for i in 0..(MAX_KEPT + 5) {
            let jti = format!("t{i}");
            let epoch = read_epoch(checks.lookup("u1", &jti));
            checks.keep(&jti, epoch, &user("u1", "Ann"));
        }
        assert!(checks.lock().len() <= MAX_KEPT);
        let last = format!("t{}", MAX_KEPT + 4);
        assert_eq!(kept(checks.lookup("u1", &last)).first_name, "Ann");
    }
}
