//! Register and login: body forms, uniform failures, the login rate limit (also behind a proxy
//! with forged `X-Forwarded-For`), approval, invite codes, bad input, and login metrics.

use axum::Router;
use serde_json::json;

use crate::common::{Engine, TestApp, TestConfig, TEST_PASSWORD};
use crate::on_both_engines;
use crate::{body, clean_body, login_with};

async fn login_accepts_form_bodies_and_username_alias(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
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
    let form = clean_body(&app, resp, &[]).await;
    assert_eq!(form["user"]["email"], "form@example.com");
    let resp = app
        .post_json(
            "/api/auth/login",
            json!({"username": "form@example.com", "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let token = clean_body(&app, resp, &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(app.get_auth("/api/auth/me", &token).await.status(), 200);
}

async fn wrong_password_and_unknown_email_get_the_same_answer(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    app.register("known@example.com").await;
    let wrong = login_with(&app, "known@example.com", "Wrong-pass1").await;
    let unknown = login_with(&app, "nobody@example.com", "Wrong-pass1").await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    let w = clean_body(&app, wrong, &["Wrong-pass1"]).await;
    let u = clean_body(&app, unknown, &["Wrong-pass1"]).await;
    assert_eq!(w["detail"], "Invalid email or password");
    // Everything but the per-request correlation id is identical.
    assert_eq!(w["detail"], u["detail"]);
    assert_eq!(w["error"]["code"], u["error"]["code"]);
    assert_eq!(w["error"]["message"], u["error"]["message"]);
    assert_eq!(w["error"]["fields"], u["error"]["fields"]);
}

async fn login_is_rate_limited_per_ip_and_email_with_retry_after(engine: Engine) {
    let config = TestConfig::new(&engine).set("LOGIN_RATE_LIMIT_ATTEMPTS", "3");
    let app = TestApp::spawn_with(config, Router::new()).await;
    app.register("brute@example.com").await;
    for _ in 0..3 {
        let resp = login_with(&app, "brute@example.com", "Nope-12345").await;
        assert_eq!(resp.status(), 401);
    }
    // Even the right password is refused while blocked.
    let resp = login_with(&app, "brute@example.com", TEST_PASSWORD).await;
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
    let resp = login_with(&app, "other@example.com", TEST_PASSWORD).await;
    assert_eq!(resp.status(), 200);
}

/// A login as it arrives through Nginx: the client wrote `spoofed`, Nginx appended `peer`.
async fn proxied_login(app: &TestApp, spoofed: &str, peer: &str, password: &str) -> u16 {
    app.client
        .post(app.url("/api/auth/login"))
        .header("x-forwarded-for", format!("{spoofed}, {peer}"))
        .json(&json!({"email": "spoof@example.com", "password": password}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn forged_forwarded_for_entries_do_not_reset_the_login_limit(engine: Engine) {
    let config = TestConfig::new(&engine)
        .set("TRUST_PROXY", "true")
        .set("LOGIN_RATE_LIMIT_ATTEMPTS", "3");
    let app = TestApp::spawn_with(config, Router::new()).await;
    app.register("spoof@example.com").await;
    let attacker = "198.51.100.77";
    for i in 0..3 {
        let spoofed = format!("10.0.0.{i}");
        assert_eq!(
            proxied_login(&app, &spoofed, attacker, "Nope-12345").await,
            401
        );
    }
    // A fresh fake address per try does not help: the hop our proxy added is the same.
    for i in 3..6 {
        let spoofed = format!("10.0.0.{i}");
        assert_eq!(
            proxied_login(&app, &spoofed, attacker, TEST_PASSWORD).await,
            429
        );
    }
    // The same goes for X-Real-IP, which our proxy overwrites with the peer address.
    let resp = app
        .client
        .post(app.url("/api/auth/login"))
        .header("x-forwarded-for", "10.0.0.99")
        .header("x-real-ip", attacker)
        .json(&json!({"email": "spoof@example.com", "password": TEST_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    // A different real client (different last hop) is not locked out by the attacker.
    assert_eq!(
        proxied_login(&app, attacker, "192.0.2.10", TEST_PASSWORD).await,
        200
    );
}

async fn approval_flow_creates_pending_users_who_cannot_log_in(engine: Engine) {
    let app = TestApp::spawn_with(
        TestConfig::new(&engine).set("REQUIRE_APPROVAL", "true"),
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
    let b = clean_body(&app, resp, &[]).await;
    assert_eq!(
        b,
        json!({"message": "Signup received. Await approval.", "status": "pending"})
    );
    let stored = app
        .state
        .store
        .users
        .find_by_email("p@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status.as_str(), "pending");
    let resp = login_with(&app, "p@example.com", TEST_PASSWORD).await;
    assert_eq!(resp.status(), 403);
    assert_eq!(body(resp).await["detail"], "Account pending approval");
}

async fn invite_code_is_required_from_body_or_header(engine: Engine) {
    let app = TestApp::spawn_with(
        TestConfig::new(&engine).set("INVITE_CODE", "let-me-in"),
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
    assert!(app
        .state
        .store
        .users
        .find_by_email("i1@example.com")
        .await
        .unwrap()
        .is_none());
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

async fn bad_registration_input_gets_clear_errors_and_creates_nothing(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let cases = [
        (
            json!({"first_name": "W", "email": "w@example.com", "password": "short1"}),
            "password",
        ),
        (
            json!({"first_name": "W", "email": "w@example.com", "password": "lettersonly"}),
            "password",
        ),
        (
            json!({"first_name": "W", "email": "not-an-email", "password": TEST_PASSWORD}),
            "email",
        ),
        (
            json!({"first_name": "W", "password": TEST_PASSWORD}),
            "email",
        ),
        (
            json!({"first_name": "n".repeat(1100), "email": "w@example.com", "password": TEST_PASSWORD}),
            "first_name",
        ),
        (
            json!({"first_name": "W", "email": format!("{}@example.com", "e".repeat(260)), "password": TEST_PASSWORD}),
            "email",
        ),
        (
            json!({"first_name": "W", "email": 42, "password": TEST_PASSWORD}),
            "email",
        ),
    ];
    for (payload, field) in cases {
        let resp = app.post_json("/api/auth/register", payload.clone()).await;
        assert_eq!(resp.status(), 422, "{payload}");
        let b = clean_body(&app, resp, &["short1", "lettersonly"]).await;
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
    let counts = app.state.store.users.count_by_status().await.unwrap();
    assert_eq!(counts.active + counts.pending + counts.blocked, 0);

    // The legacy field works alone (it carries the plain password, despite its name).
    let legacy =
        json!({"first_name": "L", "email": "legacy@example.com", "password_hash": TEST_PASSWORD});
    let resp = app.post_json("/api/auth/register", legacy).await;
    assert_eq!(resp.status(), 200);
    clean_body(&app, resp, &[]).await;
    let resp = login_with(&app, "legacy@example.com", TEST_PASSWORD).await;
    assert_eq!(resp.status(), 200);
}

/// The value of `auth_logins_total{outcome="<outcome>"}` in a Prometheus scrape (0 if absent).
fn login_count(scrape: &str, outcome: &str) -> f64 {
    let series = format!("auth_logins_total{{outcome=\"{outcome}\"}} ");
    scrape
        .lines()
        .find_map(|line| line.strip_prefix(series.as_str()))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

async fn login_outcomes_are_counted_in_metrics(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    app.register("counted@example.com").await;
    let before = app.get("/metrics").await.text().await.unwrap();
    assert_eq!(
        login_with(&app, "counted@example.com", TEST_PASSWORD)
            .await
            .status(),
        200
    );
    assert_eq!(
        login_with(&app, "counted@example.com", "Wrong-pass1")
            .await
            .status(),
        401
    );
    let after = app.get("/metrics").await.text().await.unwrap();
    // Other tests in this process log in too, so the counters only ever grow by at least ours.
    for outcome in ["success", "invalid_credentials"] {
        let (was, now) = (login_count(&before, outcome), login_count(&after, outcome));
        assert!(now >= was + 1.0, "{outcome}: {was} -> {now}\n{after}");
    }
    let scraped: Vec<&str> = after
        .lines()
        .filter(|l| l.starts_with("auth_logins_total{"))
        .collect();
    assert!(
        scraped
            .iter()
            .all(|l| l.starts_with("auth_logins_total{outcome=\"")),
        "{scraped:?}"
    );
}

on_both_engines!(
    login_accepts_form_bodies_and_username_alias,
    wrong_password_and_unknown_email_get_the_same_answer,
    login_is_rate_limited_per_ip_and_email_with_retry_after,
    forged_forwarded_for_entries_do_not_reset_the_login_limit,
    approval_flow_creates_pending_users_who_cannot_log_in,
    invite_code_is_required_from_body_or_header,
    bad_registration_input_gets_clear_errors_and_creates_nothing,
    login_outcomes_are_counted_in_metrics,
);
