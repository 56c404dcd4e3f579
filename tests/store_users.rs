//! Storage contract for the users repository, run on SQLite and (when configured) MongoDB.

mod common;

use amarktai::domain::user::{normalize_email, Role, User, UserStatus};
use amarktai::store::{Store, StoreError};
use chrono::{Duration, Utc};
use common::{Engine, TestConfig};

async fn open(engine: &Engine) -> (Store, TestConfig) {
    let config = TestConfig::new(engine);
    let store = amarktai::store::connect(&config.config())
        .await
        .expect("store opens");
    (store, config)
}

fn user(email: &str, status: UserStatus) -> User {
    // Millisecond precision: both engines store millis.
    let now = chrono::DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap();
    User::new(email, "Tester", "argon-hash".into(), status, now)
}

async fn create_then_find_by_id_and_email(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    let mut u = user("  Alice@Example.COM ", UserStatus::Active);
    u.last_seen = Some(u.created_at + Duration::seconds(5));
    store.users.create(&u).await.unwrap();
    assert_eq!(u.email, "alice@example.com");
    let by_id = store
        .users
        .find_by_id(&u.id)
        .await
        .unwrap()
        .expect("found by id");
    assert_eq!(by_id, u);
    let by_email = store
        .users
        .find_by_email(&normalize_email("ALICE@example.com"))
        .await
        .unwrap();
    assert_eq!(by_email.map(|x| x.id), Some(u.id.clone()));
    assert!(store
        .users
        .find_by_id("no-such-id")
        .await
        .unwrap()
        .is_none());
    assert!(store
        .users
        .find_by_email("nobody@example.com")
        .await
        .unwrap()
        .is_none());
}

async fn duplicate_email_is_refused(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    store
        .users
        .create(&user("dup@example.com", UserStatus::Active))
        .await
        .unwrap();
    let err = store
        .users
        .create(&user("DUP@example.com", UserStatus::Active))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Duplicate(ref f) if f == "email"),
        "{err:?}"
    );
}

async fn concurrent_creates_of_one_email_have_one_winner(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .users
                    .create(&user("race@example.com", UserStatus::Active))
                    .await
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => ok += 1,
            Err(StoreError::Duplicate(_)) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(ok, 1);
}

async fn update_replaces_fields_and_reports_missing(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    let mut u = user("upd@example.com", UserStatus::Pending);
    store.users.create(&u).await.unwrap();
    u.first_name = "Renamed".into();
    u.status = UserStatus::Active;
    u.role = Role::Admin;
    u.currency = "USD".into();
    u.must_change_password = true;
    u.updated_at += Duration::minutes(1);
    assert!(store.users.update(&u).await.unwrap());
    assert_eq!(store.users.find_by_id(&u.id).await.unwrap().unwrap(), u);
    let ghost = user("ghost@example.com", UserStatus::Active);
    assert!(!store.users.update(&ghost).await.unwrap());
}

async fn token_version_bumps_atomically(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    let u = user("ver@example.com", UserStatus::Active);
    store.users.create(&u).await.unwrap();
    assert_eq!(
        store.users.bump_token_version(&u.id).await.unwrap(),
        Some(1)
    );
    assert_eq!(
        store.users.bump_token_version(&u.id).await.unwrap(),
        Some(2)
    );
    assert_eq!(
        store
            .users
            .find_by_id(&u.id)
            .await
            .unwrap()
            .unwrap()
            .token_version,
        2
    );
    assert_eq!(
        store.users.bump_token_version("missing").await.unwrap(),
        None
    );
}

async fn counts_by_status_and_admins(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    for (i, status) in [
        UserStatus::Active,
        UserStatus::Active,
        UserStatus::Pending,
        UserStatus::Blocked,
    ]
    .into_iter()
    .enumerate()
    {
        let mut u = user(&format!("u{i}@example.com"), status);
        if i == 0 {
            u.role = Role::Admin;
        }
        store.users.create(&u).await.unwrap();
    }
    let counts = store.users.count_by_status().await.unwrap();
    assert_eq!((counts.active, counts.pending, counts.blocked), (2, 1, 1));
    assert_eq!(store.users.count_active_admins().await.unwrap(), 1);
    assert_eq!(store.users.list(10, 0).await.unwrap().len(), 4);
    assert_eq!(store.users.list(2, 3).await.unwrap().len(), 1);
}

async fn delete_removes_only_that_user(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    let a = user("a@example.com", UserStatus::Active);
    let b = user("b@example.com", UserStatus::Active);
    store.users.create(&a).await.unwrap();
    store.users.create(&b).await.unwrap();
    assert!(store.users.delete(&a.id).await.unwrap());
    assert!(!store.users.delete(&a.id).await.unwrap());
    assert!(store.users.find_by_id(&a.id).await.unwrap().is_none());
    assert!(store.users.find_by_id(&b.id).await.unwrap().is_some());
}

async fn migrations_are_idempotent_and_reported(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    assert!(store.admin.migrations_applied().await.unwrap());
    store.admin.migrate().await.unwrap();
    store.admin.migrate().await.unwrap();
    store.admin.ping().await.unwrap();
    assert!(store
        .admin
        .collections()
        .await
        .unwrap()
        .contains(&"users".to_string()));
}

/// The per-request lookup: the token's user unless its `jti` is revoked (another token of the
/// same user keeps working).
async fn find_for_token_skips_revoked_tokens(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    let u = user("session@example.com", UserStatus::Active);
    store.users.create(&u).await.unwrap();
    let found = store.users.find_for_token(&u.id, "jti-1").await.unwrap();
    assert_eq!(found, Some(u.clone()));
    store
        .tokens
        .revoke_jti("jti-1", &u.id, Utc::now() + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(
        store.users.find_for_token(&u.id, "jti-1").await.unwrap(),
        None
    );
    assert_eq!(
        store.users.find_for_token(&u.id, "jti-2").await.unwrap(),
        Some(u.clone())
    );
    assert_eq!(
        store
            .users
            .find_for_token("no-such-user", "jti-2")
            .await
            .unwrap(),
        None
    );
}

on_both_engines!(
    find_for_token_skips_revoked_tokens,
    create_then_find_by_id_and_email,
    duplicate_email_is_refused,
    concurrent_creates_of_one_email_have_one_winner,
    update_replaces_fields_and_reports_missing,
    token_version_bumps_atomically,
    counts_by_status_and_admins,
    delete_removes_only_that_user,
    migrations_are_idempotent_and_reported,
);
