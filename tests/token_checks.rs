//! SQLite's kept token-check answers (`store/sqlite/token_checks.rs`), repository by repository:
//! each write to a user's row or tokens makes the next `find_for_token` read afresh. The store
//! keeps answers for a minute here, and an outside edit (which sends no signal) sits underneath,
//! so a fresh read is visible as the outside edit appearing: it cannot come from expiry.

use std::time::Duration;

use amarktai::domain::user::{User, UserStatus};
use amarktai::store::{ProfileChanges, Store};
use chrono::Utc;

struct Kept {
    _dir: tempfile::TempDir,
    store: Store,
    _outside: rusqlite::Connection,
    user: User,
}

const JTI: &str = "token-1";

/// A store with one user whose token-check answer is kept, then changed underneath by SQL.
async fn kept_then_edited_outside() -> Kept {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = amarktai::store::sqlite::open(
        dir.path(),
        Duration::from_secs(5),
        true,
        Duration::from_secs(60),
    )
    .await
    .expect("store");
    let now = chrono::DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap();
    let user = User::new(
        "kept@example.com",
        "Member",
        "hash".into(),
        UserStatus::Active,
        now,
    );
    store.users.create(&user).await.expect("create");
    let first = store.users.find_for_token(&user.id, JTI).await.unwrap();
    assert_eq!(first.expect("found").first_name, "Member");

    let outside =
        rusqlite::Connection::open(dir.path().join("amarktai.db")).expect("outside connection");
    outside.busy_timeout(Duration::from_secs(5)).unwrap();
    let changed = outside
        .execute(
            "UPDATE users SET first_name = 'Outside' WHERE id = ?1",
            [&user.id],
        )
        .unwrap();
    assert_eq!(changed, 1);
    let kept = store.users.find_for_token(&user.id, JTI).await.unwrap();
    assert_eq!(
        kept.expect("found").first_name,
        "Member",
        "the answer is kept while no write signals"
    );
    Kept {
        _dir: dir,
        store,
        _outside: outside,
        user,
    }
}

async fn name_now(k: &Kept) -> Option<String> {
    k.store
        .users
        .find_for_token(&k.user.id, JTI)
        .await
        .unwrap()
        .map(|u| u.first_name)
}

#[tokio::test]
async fn update_profile_reads_afresh() {
    let k = kept_then_edited_outside().await;
    let changes = ProfileChanges {
        currency: Some("USD".into()),
        ..ProfileChanges::default()
    };
    k.store
        .users
        .update_profile(&k.user.id, &changes, Utc::now())
        .await
        .unwrap();
    assert_eq!(name_now(&k).await.as_deref(), Some("Outside"));
}

#[tokio::test]
async fn update_reads_afresh() {
    let k = kept_then_edited_outside().await;
    let mut changed = k.user.clone();
    changed.status = UserStatus::Blocked;
    changed.first_name = "Outside".into();
    k.store.users.update(&changed).await.unwrap();
    let now = k
        .store
        .users
        .find_for_token(&k.user.id, JTI)
        .await
        .unwrap()
        .expect("found");
    assert_eq!(now.status, UserStatus::Blocked);
}

#[tokio::test]
async fn bump_token_version_reads_afresh() {
    let k = kept_then_edited_outside().await;
    k.store.users.bump_token_version(&k.user.id).await.unwrap();
    assert_eq!(name_now(&k).await.as_deref(), Some("Outside"));
}

#[tokio::test]
async fn touch_last_seen_reads_afresh() {
    let k = kept_then_edited_outside().await;
    k.store
        .users
        .touch_last_seen(&k.user.id, Utc::now())
        .await
        .unwrap();
    assert_eq!(name_now(&k).await.as_deref(), Some("Outside"));
}

#[tokio::test]
async fn delete_reads_afresh() {
    let k = kept_then_edited_outside().await;
    assert!(k.store.users.delete(&k.user.id).await.unwrap());
    assert_eq!(name_now(&k).await, None);
}

#[tokio::test]
async fn revoke_jti_reads_afresh() {
    let k = kept_then_edited_outside().await;
    let until = Utc::now() + chrono::Duration::minutes(5);
    k.store
        .tokens
        .revoke_jti(JTI, &k.user.id, until)
        .await
        .unwrap();
    assert_eq!(name_now(&k).await, None);
}

#[tokio::test]
async fn delete_for_user_reads_afresh() {
    let k = kept_then_edited_outside().await;
    k.store.tokens.delete_for_user(&k.user.id).await.unwrap();
    assert_eq!(name_now(&k).await.as_deref(), Some("Outside"));
}
