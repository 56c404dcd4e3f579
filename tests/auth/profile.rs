//! Profile and password changes: whitelisted fields, all-or-nothing edits, stale copies never
//! undoing an admin's change, and no answer ever carrying a password, hash or the secret.

use amarktai::auth::profile::{self, ProfileEdit, ProfileUpdated};
use amarktai::domain::user::{User, UserStatus};
use serde_json::json;

use crate::common::{Engine, TestApp, TEST_PASSWORD};
use crate::on_both_engines;
use crate::{assert_401_uniform, body, clean_body, login_with};

/// What a profile edit could change (not `last_seen`: every authenticated request touches it).
fn account(u: &User) -> impl PartialEq + std::fmt::Debug {
    (
        u.email.clone(),
        u.first_name.clone(),
        u.currency.clone(),
        u.role,
        u.status,
        u.token_version,
        u.must_change_password,
        u.updated_at,
        // Compared, never printed.
        PasswordHash(u.password_hash.clone()),
    )
}

#[derive(PartialEq)]
struct PasswordHash(String);

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<hash>")
    }
}

async fn stored(app: &TestApp, email: &str) -> User {
    app.state
        .store
        .users
        .find_by_email(email)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no user {email}"))
}

async fn profile_updates_whitelisted_fields_only(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let token = app.token_for("prof@example.com").await;
    let resp = app
        .put_auth("/api/auth/profile", &token, json!({"first_name": "Renamed", "currency": "usd", "role": "admin", "status": "blocked", "token_version": 99}))
        .await;
    assert_eq!(resp.status(), 200);
    let b = body(resp).await;
    assert_eq!(b["first_name"], "Renamed");
    assert_eq!(b["currency"], "USD");
    let me = body(app.get_auth("/api/auth/profile", &token).await).await;
    assert_eq!(me["role"], "user");
    assert_eq!(me["status"], "active");
    assert_eq!(me["first_name"], "Renamed");
    assert_eq!(me["currency"], "USD");
    assert_eq!(stored(&app, "prof@example.com").await.token_version, 0);

    // Email change needs the current password.
    let resp = app
        .put_auth(
            "/api/auth/profile",
            &token,
            json!({"email": "new@example.com"}),
        )
        .await;
    assert_eq!(resp.status(), 422);
    assert_eq!(
        body(resp).await["error"]["fields"][0]["field"],
        "current_password"
    );
    let resp = app
        .put_auth(
            "/api/auth/profile",
            &token,
            json!({"email": "new@example.com", "current_password": "Wrong-123"}),
        )
        .await;
    assert_eq!(resp.status(), 403);
    let resp = app
        .put_auth(
            "/api/auth/profile",
            &token,
            json!({"email": "NEW@example.com", "current_password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(body(resp).await["email"], "new@example.com");
    // The email is the login name now; the token stays valid (no password change).
    assert_eq!(
        login_with(&app, "new@example.com", TEST_PASSWORD)
            .await
            .status(),
        200
    );
    assert_eq!(app.get_auth("/api/auth/me", &token).await.status(), 200);
    let resp = app
        .put_auth("/api/auth/profile", &token, json!({"currency": "rands"}))
        .await;
    assert_eq!(resp.status(), 422);
}

/// Sends `edit` as `token`, expects `status`, and checks the account is exactly as before.
async fn refused_and_unchanged(
    app: &TestApp,
    token: &str,
    edit: serde_json::Value,
    status: u16,
    field: Option<&str>,
) {
    let before = account(&stored(app, "keep@example.com").await);
    let resp = app.put_auth("/api/auth/profile", token, edit.clone()).await;
    assert_eq!(resp.status(), status, "{edit}");
    let b = clean_body(app, resp, &["weak", "Wrong-123"]).await;
    if let Some(field) = field {
        let fields: Vec<&str> = b["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["field"].as_str())
            .collect();
        assert!(fields.contains(&field), "{edit} -> {b}");
    }
    let after = account(&stored(app, "keep@example.com").await);
    assert_eq!(after, before, "{edit} changed the account");
}

async fn a_refused_profile_edit_changes_nothing(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let token = app.token_for("keep@example.com").await;
    app.register("taken@example.com").await;

    // The reviewer's case: a valid email and name with a weak new password.
    refused_and_unchanged(
        &app,
        &token,
        json!({"email": "moved@example.com", "first_name": "Changed", "current_password": TEST_PASSWORD, "new_password": "weak"}),
        422,
        Some("new_password"),
    )
    .await;
    // A bad field next to good ones: nothing of it is written.
    refused_and_unchanged(
        &app,
        &token,
        json!({"first_name": "n".repeat(1100), "currency": "usd"}),
        422,
        Some("first_name"),
    )
    .await;
    refused_and_unchanged(
        &app,
        &token,
        json!({"first_name": "Changed", "email": "not-an-email", "current_password": TEST_PASSWORD}),
        422,
        Some("email"),
    )
    .await;
    // Wrong current password.
    refused_and_unchanged(
        &app,
        &token,
        json!({"first_name": "Changed", "email": "moved@example.com", "current_password": "Wrong-123", "new_password": "N3w-password"}),
        403,
        None,
    )
    .await;
    // Someone else's email (any case).
    refused_and_unchanged(
        &app,
        &token,
        json!({"first_name": "Changed", "email": "Taken@Example.com", "current_password": TEST_PASSWORD, "new_password": "N3w-password"}),
        409,
        None,
    )
    .await;

    // The old credentials and token all still work; the would-be ones do not.
    assert_eq!(app.get_auth("/api/auth/me", &token).await.status(), 200);
    let me = body(app.get_auth("/api/auth/profile", &token).await).await;
    assert_eq!(me["email"], "keep@example.com");
    assert_eq!(me["first_name"], "Test");
    assert_eq!(me["currency"], "ZAR");
    assert_eq!(
        login_with(&app, "keep@example.com", TEST_PASSWORD)
            .await
            .status(),
        200
    );
    assert_eq!(
        login_with(&app, "moved@example.com", TEST_PASSWORD)
            .await
            .status(),
        401
    );
    assert_eq!(
        login_with(&app, "keep@example.com", "N3w-password")
            .await
            .status(),
        401
    );
}

async fn password_change_kills_old_tokens_and_the_new_password_works(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let token = app.token_for("pw@example.com").await;
    let resp = app
        .put_auth(
            "/api/auth/password",
            &token,
            json!({"current_password": "nope-nope-1", "new_password": "N3w-password"}),
        )
        .await;
    assert_eq!(resp.status(), 403);
    let resp = app
        .put_auth(
            "/api/auth/password",
            &token,
            json!({"current_password": TEST_PASSWORD, "new_password": "weak"}),
        )
        .await;
    assert_eq!(resp.status(), 422);
    assert_eq!(app.get_auth("/api/auth/me", &token).await.status(), 200);
    let resp = app
        .put_auth(
            "/api/auth/password",
            &token,
            json!({"current_password": TEST_PASSWORD, "new_password": "N3w-password"}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let fresh = body(resp).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_401_uniform(app.get_auth("/api/auth/me", &token).await).await;
    assert_eq!(app.get_auth("/api/auth/me", &fresh).await.status(), 200);
    let old = login_with(&app, "pw@example.com", TEST_PASSWORD).await;
    assert_eq!(old.status(), 401);
    let new = login_with(&app, "pw@example.com", "N3w-password").await;
    assert_eq!(new.status(), 200);

    // The profile route changes the password the same way (and answers with a new session).
    let resp = app
        .put_auth(
            "/api/auth/profile",
            &fresh,
            json!({"current_password": "N3w-password", "new_password": "Th1rd-password"}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let third = body(resp).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_401_uniform(app.get_auth("/api/auth/me", &fresh).await).await;
    assert_eq!(app.get_auth("/api/auth/me", &third).await.status(), 200);
}

/// The handler works on the user as loaded when the request was authenticated. An admin may
/// block the account or bump its token version in between: the profile write must not undo it.
async fn a_profile_write_from_a_stale_copy_keeps_admin_changes(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    app.register("stale@example.com").await;
    let users = &app.state.store.users;
    let stale = stored(&app, "stale@example.com").await;

    // Meanwhile an admin blocks the user and kills their tokens.
    let mut blocked = stale.clone();
    blocked.status = UserStatus::Blocked;
    users.update(&blocked).await.unwrap();
    users.bump_token_version(&stale.id).await.unwrap();

    let edit = ProfileEdit {
        first_name: Some("Late".into()),
        currency: Some("eur".into()),
        ..ProfileEdit::default()
    };
    let updated = match profile::update_profile(&app.state, &stale, edit).await {
        Ok(ProfileUpdated::Profile(user)) => user,
        _ => panic!("expected a profile update"),
    };
    assert_eq!(updated.first_name, "Late");
    let now = stored(&app, "stale@example.com").await;
    assert_eq!(now.first_name, "Late");
    assert_eq!(now.currency, "EUR");
    assert_eq!(now.status, UserStatus::Blocked, "block undone");
    assert_eq!(now.token_version, 1, "token version rolled back");
    assert_eq!(now.role, stale.role);

    // A password change from the stale copy counts up from the stored version.
    let session = profile::change_password(
        &app.state,
        &stale,
        Some(TEST_PASSWORD.into()),
        "N3w-password".into(),
    )
    .await
    .unwrap_or_else(|e| panic!("{}", e.message));
    let now = stored(&app, "stale@example.com").await;
    assert_eq!(now.token_version, 2);
    assert_eq!(now.status, UserStatus::Blocked);
    assert_eq!(session.user.token_version, 2);
}

async fn no_answer_carries_a_password_hash_or_the_secret(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let new_passwords = ["N3w-password", "Th1rd-password", "Wrong-pass1", "weak"];
    let resp = app
        .post_json(
            "/api/auth/register",
            json!({"first_name": "S", "email": "secret@example.com", "password": TEST_PASSWORD}),
        )
        .await;
    let reg = clean_body(&app, resp, &new_passwords).await;
    let resp = login_with(&app, "secret@example.com", TEST_PASSWORD).await;
    let login = clean_body(&app, resp, &new_passwords).await;
    let token = login["access_token"].as_str().unwrap().to_string();
    let resp = app
        .client
        .post(app.url("/api/auth/login"))
        .form(&[
            ("username", "secret@example.com"),
            ("password", TEST_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    clean_body(&app, resp, &new_passwords).await;
    clean_body(
        &app,
        login_with(&app, "secret@example.com", "Wrong-pass1").await,
        &new_passwords,
    )
    .await;
    let resp = app
        .post_json(
            "/api/auth/refresh",
            json!({"refresh_token": reg["refresh_token"]}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    clean_body(&app, resp, &new_passwords).await;
    for path in ["/api/auth/me", "/api/auth/profile"] {
        let resp = app.get_auth(path, &token).await;
        assert_eq!(resp.status(), 200);
        clean_body(&app, resp, &new_passwords).await;
    }
    let edits = [
        json!({"first_name": "Named"}),
        json!({"email": "moved@example.com", "current_password": TEST_PASSWORD}),
        json!({"current_password": TEST_PASSWORD, "new_password": "weak"}),
        json!({"current_password": "Wrong-pass1", "new_password": "N3w-password"}),
    ];
    for edit in edits {
        let resp = app.put_auth("/api/auth/profile", &token, edit).await;
        clean_body(&app, resp, &new_passwords).await;
    }
    let resp = app
        .put_auth(
            "/api/auth/profile",
            &token,
            json!({"current_password": TEST_PASSWORD, "new_password": "N3w-password"}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let token = clean_body(&app, resp, &new_passwords).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    for edit in [
        json!({"current_password": "N3w-password", "new_password": "weak"}),
        json!({"current_password": "N3w-password", "new_password": "Th1rd-password"}),
    ] {
        let resp = app.put_auth("/api/auth/password", &token, edit).await;
        clean_body(&app, resp, &new_passwords).await;
    }
}

on_both_engines!(
    profile_updates_whitelisted_fields_only,
    a_refused_profile_edit_changes_nothing,
    password_change_kills_old_tokens_and_the_new_password_works,
    a_profile_write_from_a_stale_copy_keeps_admin_changes,
    no_answer_carries_a_password_hash_or_the_secret,
);
