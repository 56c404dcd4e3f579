//! Accounts and authentication over real HTTP (SPEC §2), every storage-touching test on both
//! engines: sessions here; login, tokens, profile, limits and create-admin in `tests/auth/`.

mod common;
#[path = "auth/create_admin.rs"]
mod create_admin;
#[path = "auth/limits.rs"]
mod limits;
#[path = "auth/login.rs"]
mod login;
#[path = "auth/profile.rs"]
mod profile;
#[path = "auth/tokens.rs"]
mod tokens;

use common::{Engine, TestApp, TEST_PASSWORD};
use serde_json::{json, Value};

pub async fn body(resp: reqwest::Response) -> Value {
    resp.json().await.expect("json")
}

/// No answer may ever carry a password, a password hash or the JWT secret.
///
/// `passwords` are the passwords the test sent besides `TEST_PASSWORD`.
pub fn assert_no_secrets(app: &TestApp, text: &str, passwords: &[&str]) {
    let secret = &app.config.vars["JWT_SECRET"];
    assert!(!text.contains(secret.as_str()), "JWT secret in: {text}");
    assert!(!text.to_lowercase().contains("argon2"), "a hash in: {text}");
    for password in passwords.iter().chain([&TEST_PASSWORD]) {
        assert!(!text.contains(password), "password {password:?} in: {text}");
    }
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        assert_no_secret_fields(&value, text);
    }
}

fn assert_no_secret_fields(value: &Value, text: &str) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let key = key.to_lowercase();
                assert!(
                    key != "password" && !key.contains("hash") && !key.contains("secret"),
                    "field {key:?} in: {text}"
                );
                assert_no_secret_fields(inner, text);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| assert_no_secret_fields(i, text)),
        _ => {}
    }
}

/// Reads a body, checks it for secrets, and parses it.
pub async fn clean_body(app: &TestApp, resp: reqwest::Response, passwords: &[&str]) -> Value {
    let text = resp.text().await.expect("text");
    assert_no_secrets(app, &text, passwords);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

pub async fn assert_401_uniform(resp: reqwest::Response) {
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    let b = body(resp).await;
    assert_eq!(b["detail"], "Could not validate credentials", "{b}");
}

pub async fn login_with(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.post_json(
        "/api/auth/login",
        json!({"email": email, "password": password}),
    )
    .await
}

pub fn sign(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

async fn register_login_and_me(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let resp = app
        .post_json(
            "/api/auth/register",
            json!({"name": "Thandi", "email": "  Thandi@Example.COM ", "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let reg = clean_body(&app, resp, &[]).await;
    assert_eq!(reg["token_type"], "bearer");
    assert_eq!(reg["token"], reg["access_token"]);
    assert!(reg["refresh_token"].as_str().unwrap().len() > 20);
    assert_eq!(reg["expires_in"], 1440 * 60);
    assert_eq!(reg["user"]["email"], "thandi@example.com");
    assert_eq!(reg["user"]["first_name"], "Thandi");

    let login = login_with(&app, "THANDI@example.com", TEST_PASSWORD).await;
    assert_eq!(login.status(), 200);
    let login = clean_body(&app, login, &[]).await;
    let token = login["access_token"].as_str().unwrap();

    let me = app.get_auth("/api/auth/me", token).await;
    assert_eq!(me.status(), 200);
    let me = clean_body(&app, me, &[]).await;
    assert_eq!(me["id"], me["user_id"]);
    assert_eq!(me["id"], reg["user"]["id"]);
    for field in [
        "first_name",
        "email",
        "role",
        "is_admin",
        "status",
        "currency",
        "created_at",
        "last_seen",
    ] {
        assert!(me.get(field).is_some(), "missing {field}: {me}");
    }
    assert_eq!(me["role"], "user");
    assert_eq!(me["is_admin"], false);
    assert_eq!(me["status"], "active");
    assert_eq!(me["currency"], "ZAR");
}

async fn duplicate_email_is_409_case_insensitive_and_concurrent_registrations_have_one_winner(
    engine: Engine,
) {
    let app = TestApp::spawn_on(&engine).await;
    app.register("dup@example.com").await;
    let resp = app
        .post_json(
            "/api/auth/register",
            json!({"first_name": "X", "email": "DUP@example.com", "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(resp.status(), 409);
    assert_eq!(body(resp).await["error"]["code"], "EMAIL_EXISTS");

    let attempts = (0..6).map(|_| {
        app.post_json(
            "/api/auth/register",
            json!({"first_name": "R", "email": "race@example.com", "password": TEST_PASSWORD}),
        )
    });
    let statuses: Vec<u16> = futures_util::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        5,
        "{statuses:?}"
    );
}

async fn refresh_rotates_and_reuse_revokes_the_family(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let reg = app.register("rot@example.com").await;
    let first = reg["refresh_token"].as_str().unwrap().to_string();

    let resp = app
        .post_json("/api/auth/refresh", json!({"refresh_token": first}))
        .await;
    assert_eq!(resp.status(), 200);
    let rotated = clean_body(&app, resp, &[]).await;
    let second = rotated["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(first, second);
    assert_eq!(
        app.get_auth("/api/auth/me", rotated["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );

    // The first token again: theft suspected, so the whole family dies, including `second`.
    assert_401_uniform(
        app.post_json("/api/auth/refresh", json!({"refresh_token": first}))
            .await,
    )
    .await;
    assert_401_uniform(
        app.post_json("/api/auth/refresh", json!({"refresh_token": second}))
            .await,
    )
    .await;
}

async fn logout_revokes_access_and_refresh_and_is_idempotent(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let reg = app.register("out@example.com").await;
    let token = reg["access_token"].as_str().unwrap();
    let refresh = reg["refresh_token"].as_str().unwrap();
    let resp = app
        .post_auth("/api/auth/logout", token, json!({"refresh_token": refresh}))
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(clean_body(&app, resp, &[]).await["success"], true);
    assert_401_uniform(app.get_auth("/api/auth/me", token).await).await;
    assert_401_uniform(
        app.post_json("/api/auth/refresh", json!({"refresh_token": refresh}))
            .await,
    )
    .await;
    let again = app.post_auth("/api/auth/logout", token, json!({})).await;
    assert_eq!(again.status(), 200);
}

async fn token_dies_when_token_version_is_bumped_or_user_blocked_or_deleted(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let reg = app.register("ver@example.com").await;
    let token = reg["access_token"].as_str().unwrap();
    let id = reg["user"]["id"].as_str().unwrap();
    assert_eq!(app.get_auth("/api/auth/me", token).await.status(), 200);
    app.state.store.users.bump_token_version(id).await.unwrap();
    assert_401_uniform(app.get_auth("/api/auth/me", token).await).await;

    let fresh = body(login_with(&app, "ver@example.com", TEST_PASSWORD).await).await;
    let fresh = fresh["access_token"].as_str().unwrap();
    assert_eq!(app.get_auth("/api/auth/me", fresh).await.status(), 200);
    let mut user = app.state.store.users.find_by_id(id).await.unwrap().unwrap();
    user.status = amarktai::domain::user::UserStatus::Blocked;
    app.state.store.users.update(&user).await.unwrap();
    let resp = app.get_auth("/api/auth/me", fresh).await;
    assert_eq!(resp.status(), 403);
    assert_eq!(body(resp).await["detail"], "Account disabled");
    let resp = login_with(&app, "ver@example.com", TEST_PASSWORD).await;
    assert_eq!(resp.status(), 403);
    assert_eq!(body(resp).await["detail"], "Account disabled");

    app.state.store.users.delete(id).await.unwrap();
    assert_401_uniform(app.get_auth("/api/auth/me", fresh).await).await;
}

on_both_engines!(
    register_login_and_me,
    duplicate_email_is_409_case_insensitive_and_concurrent_registrations_have_one_winner,
    refresh_rotates_and_reuse_revokes_the_family,
    logout_revokes_access_and_refresh_and_is_idempotent,
    token_dies_when_token_version_is_bumped_or_user_blocked_or_deleted,
);
