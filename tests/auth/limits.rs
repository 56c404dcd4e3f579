//! The general request limits (SPEC §13): per IP and per user token buckets, their headers, the
//! exempt routes, and defaults that never throttle a normal dashboard.

use axum::Router;

use crate::body;
use crate::common::{Engine, TestApp, TestConfig};
use crate::on_both_engines;

async fn general_rate_limit_throttles_with_headers_but_not_health(engine: Engine) {
    let config = TestConfig::new(&engine)
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

/// `GET /api/auth/me` as `token`, arriving through our proxy from `ip`.
async fn me_from(app: &TestApp, token: &str, ip: &str) -> reqwest::Response {
    app.client
        .get(app.url("/api/auth/me"))
        .bearer_auth(token)
        .header("x-real-ip", ip)
        .send()
        .await
        .unwrap()
}

async fn the_user_bucket_throttles_one_user_across_addresses(engine: Engine) {
    let config = TestConfig::new(&engine)
        .set("TRUST_PROXY", "true")
        .set("RATE_LIMIT_BURST", "3")
        .set("RATE_LIMIT_PER_MIN", "6");
    let app = TestApp::spawn_with(config, Router::new()).await;
    let token = app.token_for("busy@example.com").await;
    let other = app.token_for("calm@example.com").await;
    // Every request from a new address: the per-IP bucket never runs dry, the user's does.
    for i in 0..3 {
        let resp = me_from(&app, &token, &format!("192.0.2.{i}")).await;
        assert_eq!(resp.status(), 200, "request {i}");
        assert_eq!(resp.headers()["x-ratelimit-limit"], "6");
    }
    let resp = me_from(&app, &token, "192.0.2.200").await;
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["x-ratelimit-limit"], "6");
    assert_eq!(resp.headers()["x-ratelimit-remaining"], "0");
    assert!(resp.headers().get("retry-after").is_some());
    assert_eq!(body(resp).await["error"]["code"], "RATE_LIMITED");
    // Another user on the very address that was just refused is unaffected.
    assert_eq!(me_from(&app, &other, "192.0.2.200").await.status(), 200);
}

on_both_engines!(
    general_rate_limit_throttles_with_headers_but_not_health,
    the_user_bucket_throttles_one_user_across_addresses,
);

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
