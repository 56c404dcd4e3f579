//! Accounts and authentication over real HTTP (SPEC §2), on both engines where it matters.

mod common;

use axum::Router;
use base64::Engine as _;
use common::{Engine, TestApp, TestConfig, TEST_PASSWORD};
use serde_json::{json, Value};

async fn body(resp: reqwest::Response) -> Value {
    resp.json().await.expect("json")
}

/// No answer may ever carry a password, a hash or a secret.
fn assert_no_secrets(text: &str) {
    let lower = text.to_lowercase();
    assert!(!lower.contains("password_hash"), "{text}");
    assert!(!lower.contains("argon2"), "{text}");
    assert!(!lower.contains("\"password\""), "{text}");
    assert!(!text.contains(TEST_PASSWORD), "{text}");
}

async fn assert_401_uniform(resp: reqwest::Response) {
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    let b = body(resp).await;
    assert_eq!(b["detail"], "Could not validate credentials", "{b}");
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
    let text = resp.text().await.unwrap();
    assert_no_secrets(&text);
    let reg: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(reg["token_type"], "bearer");
    assert_eq!(reg["token"], reg["access_token"]);
    assert!(reg["refresh_token"].as_str().unwrap().len() > 20);
    assert_eq!(reg["expires_in"], 1440 * 60);
    assert_eq!(reg["user"]["email"], "thandi@example.com");
    assert_eq!(reg["user"]["first_name"], "Thandi");

    let login = app
        .post_json(
            "/api/auth/login",
            json!({"email": "THANDI@example.com", "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(login.status(), 200);
    let login = body(login).await;
    let token = login["access_token"].as_str().unwrap();

    let me = app.get_auth("/api/auth/me", token).await;
    assert_eq!(me.status(), 200);
    let text = me.text().await.unwrap();
    assert_no_secrets(&text);
    let me: Value = serde_json::from_str(&text).unwrap();
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
    let rotated = body(resp).await;
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
    assert_eq!(body(resp).await["success"], true);
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

    let fresh = body(
        app.post_json(
            "/api/auth/login",
            json!({"email": "ver@example.com", "password": TEST_PASSWORD}),
        )
        .await,
    )
    .await;
    let fresh = fresh["access_token"].as_str().unwrap();
    assert_eq!(app.get_auth("/api/auth/me", fresh).await.status(), 200);
    let mut user = app.state.store.users.find_by_id(id).await.unwrap().unwrap();
    user.status = amarktai::domain::user::UserStatus::Blocked;
    app.state.store.users.update(&user).await.unwrap();
    let resp = app.get_auth("/api/auth/me", fresh).await;
    assert_eq!(resp.status(), 403);
    assert_eq!(body(resp).await["detail"], "Account disabled");
    let resp = app
        .post_json(
            "/api/auth/login",
            json!({"email": "ver@example.com", "password": TEST_PASSWORD}),
        )
        .await;
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

#[tokio::test]
async fn login_accepts_form_bodies_and_username_alias() {
    let app = TestApp::spawn().await;
    app.register("form@example.com").await;
    let resp = app
        .client
        .post(app.url("/api/auth/login"))
        .form(&[
            ("username", "form@example.com"),
            ("password", TEST_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = app
        .post_json(
            "/api/auth/login",
            json!({"username": "form@example.com", "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let app = TestApp::spawn().await;
    app.register("known@example.com").await;
    let wrong = app
        .post_json(
            "/api/auth/login",
            json!({"email": "known@example.com", "password": "Wrong-pass1"}),
        )
        .await;
    let unknown = app
        .post_json(
            "/api/auth/login",
            json!({"email": "nobody@example.com", "password": "Wrong-pass1"}),
        )
        .await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    let (w, u) = (body(wrong).await, body(unknown).await);
    assert_eq!(w["detail"], "Invalid email or password");
    assert_eq!(w["detail"], u["detail"]);
    assert_eq!(w["error"]["code"], u["error"]["code"]);
}

#[tokio::test]
async fn login_is_rate_limited_per_ip_and_email_with_retry_after() {
    let config = TestConfig::new(&Engine::Sqlite).set("LOGIN_RATE_LIMIT_ATTEMPTS", "3");
    let app = TestApp::spawn_with(config, Router::new()).await;
    app.register("brute@example.com").await;
    for _ in 0..3 {
        let resp = app
            .post_json(
                "/api/auth/login",
                json!({"email": "brute@example.com", "password": "Nope-12345"}),
            )
            .await;
        assert_eq!(resp.status(), 401);
    }
    // Even the right password is refused while blocked.
    let resp = app
        .post_json(
            "/api/auth/login",
            json!({"email": "brute@example.com", "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 250 && retry <= 300, "{retry}");
    assert_eq!(body(resp).await["error"]["code"], "RATE_LIMITED");
    // Another email from the same IP is unaffected.
    app.register("other@example.com").await;
    let resp = app
        .post_json(
            "/api/auth/login",
            json!({"email": "other@example.com", "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn approval_flow_creates_pending_users_who_cannot_log_in() {
    let app = TestApp::spawn_with(
        TestConfig::new(&Engine::Sqlite).set("REQUIRE_APPROVAL", "true"),
        Router::new(),
    )
    .await;
    let resp = app
        .post_json(
            "/api/auth/register",
            json!({"first_name": "P", "email": "p@example.com", "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let b = body(resp).await;
    assert_eq!(
        b,
        json!({"message": "Signup received. Await approval.", "status": "pending"})
    );
    let resp = app
        .post_json(
            "/api/auth/login",
            json!({"email": "p@example.com", "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(resp.status(), 403);
    assert_eq!(body(resp).await["detail"], "Account pending approval");
}

#[tokio::test]
async fn invite_code_is_required_from_body_or_header() {
    let app = TestApp::spawn_with(
        TestConfig::new(&Engine::Sqlite).set("INVITE_CODE", "let-me-in"),
        Router::new(),
    )
    .await;
    let base = json!({"first_name": "I", "email": "i1@example.com", "password": TEST_PASSWORD});
    let resp = app.post_json("/api/auth/register", base.clone()).await;
    assert_eq!(resp.status(), 403);
    let mut wrong = base.clone();
    wrong["invite_code"] = json!("guess");
    assert_eq!(
        app.post_json("/api/auth/register", wrong).await.status(),
        403
    );
    let mut right = base.clone();
    right["invite_code"] = json!("let-me-in");
    assert_eq!(
        app.post_json("/api/auth/register", right).await.status(),
        200
    );
    let resp = app
        .client
        .post(app.url("/api/auth/register"))
        .header("X-Invite-Code", "let-me-in")
        .json(&json!({"first_name": "I", "email": "i2@example.com", "password": TEST_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn bad_registration_input_gets_clear_errors_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            json!({"first_name": "W", "email": "w@example.com", "password": "short1"}),
            422,
            "password",
        ),
        (
            json!({"first_name": "W", "email": "w@example.com", "password": "lettersonly"}),
            422,
            "password",
        ),
        (
            json!({"first_name": "W", "email": "not-an-email", "password": TEST_PASSWORD}),
            422,
            "email",
        ),
        (
            json!({"first_name": "W", "password": TEST_PASSWORD}),
            422,
            "email",
        ),
        (
            json!({"first_name": "n".repeat(1100), "email": "w@example.com", "password": TEST_PASSWORD}),
            422,
            "first_name",
        ),
        (
            json!({"first_name": "W", "email": format!("{}@example.com", "e".repeat(260)), "password": TEST_PASSWORD}),
            422,
            "email",
        ),
        (
            json!({"first_name": "W", "email": 42, "password": TEST_PASSWORD}),
            422,
            "email",
        ),
    ];
    for (payload, status, field) in cases {
        let resp = app.post_json("/api/auth/register", payload.clone()).await;
        assert_eq!(resp.status(), status, "{payload}");
        let b = body(resp).await;
        assert_eq!(b["error"]["fields"][0]["field"], field, "{b}");
    }
    let both = json!({"first_name": "W", "email": "w@example.com", "password": TEST_PASSWORD, "password_hash": TEST_PASSWORD});
    assert_eq!(
        app.post_json("/api/auth/register", both).await.status(),
        400
    );
    let neither = json!({"first_name": "W", "email": "w@example.com"});
    assert_eq!(
        app.post_json("/api/auth/register", neither).await.status(),
        400
    );
    let resp = app
        .client
        .post(app.url("/api/auth/register"))
        .body("email=w@example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    assert_eq!(
        app.state
            .store
            .users
            .count_by_status()
            .await
            .unwrap()
            .active,
        0
    );

    // The legacy field works alone.
    let legacy =
        json!({"first_name": "L", "email": "legacy@example.com", "password_hash": TEST_PASSWORD});
    assert_eq!(
        app.post_json("/api/auth/register", legacy).await.status(),
        200
    );
    let resp = app
        .post_json(
            "/api/auth/login",
            json!({"email": "legacy@example.com", "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(resp.status(), 200);
}

fn sign(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn forged_expired_and_misused_tokens_are_all_refused_uniformly() {
    let app = TestApp::spawn().await;
    let reg = app.register("victim@example.com").await;
    let id = reg["user"]["id"].as_str().unwrap();
    let secret = app.config.vars["JWT_SECRET"].clone();
    let now = chrono::Utc::now().timestamp();
    let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());

    let expired = sign(
        &json!({"sub": id, "exp": now - 3600, "iat": now - 7200, "jti": "a", "ver": 0}),
        &secret,
    );
    let wrong_secret = sign(
        &json!({"sub": id, "exp": now + 3600, "iat": now, "jti": "b", "ver": 0}),
        "some-other-secret-that-is-32-bytes-long!",
    );
    let future_iat = sign(
        &json!({"sub": id, "exp": now + 7200, "iat": now + 3600, "jti": "c", "ver": 0}),
        &secret,
    );
    let alg_none = format!(
        "{}.{}.",
        b64(json!({"alg": "none", "typ": "JWT"})),
        b64(json!({"sub": id, "exp": now + 3600, "jti": "d"}))
    );
    let token = reg["access_token"].as_str().unwrap();
    let mut parts: Vec<&str> = token.split('.').collect();
    let tampered_payload = b64(json!({"sub": id, "exp": now + 3600, "jti": "e", "role": "admin"}));
    parts[1] = &tampered_payload;
    let tampered = parts.join(".");
    let refresh_as_access = reg["refresh_token"].as_str().unwrap().to_string();

    for bad in [
        expired,
        wrong_secret,
        future_iat,
        alg_none,
        tampered,
        refresh_as_access,
        "garbage".to_string(),
    ] {
        assert_401_uniform(app.get_auth("/api/auth/me", &bad).await).await;
    }
    assert_401_uniform(app.get("/api/auth/me").await).await;
    // An access token is not a refresh token.
    assert_401_uniform(
        app.post_json("/api/auth/refresh", json!({"refresh_token": token}))
            .await,
    )
    .await;
    // A legacy token carrying only `user_id` (and the right version) is accepted.
    let legacy = sign(
        &json!({"user_id": id, "exp": now + 3600, "iat": now, "jti": "legacy", "ver": 0}),
        &secret,
    );
    assert_eq!(app.get_auth("/api/auth/me", &legacy).await.status(), 200);
}

#[tokio::test]
async fn profile_updates_whitelisted_fields_only() {
    let app = TestApp::spawn().await;
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

    // Email change needs the current password.
    let resp = app
        .put_auth(
            "/api/auth/profile",
            &token,
            json!({"email": "new@example.com"}),
        )
        .await;
    assert_eq!(resp.status(), 422);
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
            json!({"email": "new@example.com", "current_password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(body(resp).await["email"], "new@example.com");
    let resp = app
        .put_auth("/api/auth/profile", &token, json!({"currency": "rands"}))
        .await;
    assert_eq!(resp.status(), 422);
}

#[tokio::test]
async fn password_change_kills_old_tokens_and_the_new_password_works() {
    let app = TestApp::spawn().await;
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
    let old = app
        .post_json(
            "/api/auth/login",
            json!({"email": "pw@example.com", "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(old.status(), 401);
    let new = app
        .post_json(
            "/api/auth/login",
            json!({"email": "pw@example.com", "password": "N3w-password"}),
        )
        .await;
    assert_eq!(new.status(), 200);
}

#[tokio::test]
async fn general_rate_limit_throttles_with_headers_but_not_health() {
    let config = TestConfig::new(&Engine::Sqlite)
        .set("RATE_LIMIT_IP_BURST", "5")
        .set("RATE_LIMIT_IP_PER_MIN", "60");
    let app = TestApp::spawn_with(config, Router::new()).await;
    let mut last = None;
    for _ in 0..6 {
        last = Some(app.get("/api/version").await);
    }
    let resp = last.unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["x-ratelimit-limit"], "60");
    assert_eq!(resp.headers()["x-ratelimit-remaining"], "0");
    assert!(resp.headers().get("retry-after").is_some());
    assert_eq!(body(resp).await["error"]["code"], "RATE_LIMITED");
    for _ in 0..10 {
        assert_eq!(app.get("/api/health/live").await.status(), 200);
    }
}

#[tokio::test]
async fn default_limits_never_throttle_a_dashboard_polling_normally() {
    let app = TestApp::spawn().await;
    let token = app.token_for("poll@example.com").await;
    // A dashboard polling ~6 routes every few seconds sends far fewer than this in a minute.
    for _ in 0..150 {
        let resp = app.get_auth("/api/auth/me", &token).await;
        assert_eq!(resp.status(), 200);
    }
}

#[tokio::test]
async fn create_admin_creates_then_promotes_idempotently() {
    let config = TestConfig::new(&Engine::Sqlite);
    let cfg = config.config();
    amarktai::cli::create_admin_with(&cfg, "Boss@Example.com", "Boss", || {
        Ok("Adm1n-password".to_string())
    })
    .await
    .unwrap();
    let store = amarktai::store::connect(&cfg).await.unwrap();
    let boss = store
        .users
        .find_by_email("boss@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(boss.is_admin());
    // Weak passwords are refused.
    let err =
        amarktai::cli::create_admin_with(&cfg, "weak@example.com", "W", || Ok("short".to_string()))
            .await;
    assert!(err.is_err());
    // Existing users are promoted without asking for a password.
    let app = TestApp::spawn_with(config, Router::new()).await;
    app.register("later@example.com").await;
    amarktai::cli::create_admin_with(&cfg, "later@example.com", "L", || {
        anyhow::bail!("must not ask")
    })
    .await
    .unwrap();
    let later = app
        .state
        .store
        .users
        .find_by_email("later@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(later.is_admin());
    amarktai::cli::create_admin_with(&cfg, "later@example.com", "L", || {
        anyhow::bail!("must not ask")
    })
    .await
    .unwrap();
}
