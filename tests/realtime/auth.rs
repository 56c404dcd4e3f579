//! Who may connect: legacy `user_id` tokens, revoked and blocked users, realtime switched off,
//! and the metrics that show connected clients and event traffic.

use amarktai::auth::jwt::Claims;
use amarktai::domain::user::UserStatus;
use amarktai::events::{EventType, Received};
use chrono::Utc;
use serde_json::{json, Value};

use crate::common::TestApp;
use crate::spawn;
use crate::support::{user, Sse, Ws};

/// A token signed with the server's key carrying only the legacy `user_id` claim.
async fn legacy_token(app: &TestApp, user_id: &str) -> String {
    let stored = app
        .state
        .store
        .users
        .find_by_id(user_id)
        .await
        .expect("db")
        .expect("user");
    let now = Utc::now().timestamp();
    let claims = Claims {
        sub: None,
        user_id: Some(user_id.to_string()),
        exp: now + 600,
        iat: now,
        jti: String::new(),
        ver: stored.token_version,
        role: None,
        typ: None,
    };
    app.state.auth.jwt.sign(&claims).expect("sign")
}

#[tokio::test]
async fn a_token_with_only_the_legacy_user_id_claim_is_accepted_on_both_transports() {
    let app = spawn(&[]).await;
    let (id, _) = user(&app, "rt-legacy@example.com").await;
    let token = legacy_token(&app, &id).await;
    let mut ws = Ws::connect_bearer(&app, &token).await;
    ws.connected().await;
    let mut sse = Sse::open(&app, &token, None).await;
    assert_eq!(sse.event().await.event, "connection");

    app.state
        .events
        .publish(&id, EventType::Alert, json!({"message": "hi"}));
    assert_eq!(ws.json().await["message"], "hi");
    assert_eq!(sse.event().await.data["message"], "hi");
}

#[tokio::test]
async fn revoked_and_blocked_users_are_refused_on_both_transports() {
    let app = spawn(&[]).await;
    let (_, revoked) = user(&app, "rt-revoked@example.com").await;
    let logout = app.post_auth("/api/auth/logout", &revoked, json!({})).await;
    assert_eq!(logout.status(), 200);
    let resp = app
        .get(&format!("/api/realtime/events?token={revoked}"))
        .await;
    assert_eq!(resp.status(), 401);
    let mut ws = Ws::connect_bearer(&app, &revoked).await;
    assert_eq!(ws.closed().await.0, 1008);

    let (blocked_id, blocked) = user(&app, "rt-blocked@example.com").await;
    let store = &app.state.store;
    let mut account = store
        .users
        .find_by_id(&blocked_id)
        .await
        .expect("db")
        .expect("user");
    account.status = UserStatus::Blocked;
    store.users.update(&account).await.expect("update");
    let resp = app.get_auth("/api/realtime/events", &blocked).await;
    assert_eq!(resp.status(), 403);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"]["code"], "ACCOUNT_DISABLED");
    let mut ws = Ws::connect(&app, &format!("token={blocked}")).await;
    assert_eq!(ws.closed().await, (1008, "Account disabled".to_string()));
}

#[tokio::test]
async fn with_realtime_switched_off_both_endpoints_say_so() {
    let app = spawn(&[("ENABLE_REALTIME", "false")]).await;
    let (_, token) = user(&app, "rt-off@example.com").await;
    let resp = app.get_auth("/api/realtime/events", &token).await;
    assert_eq!(resp.status(), 503);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"]["code"], "REALTIME_DISABLED");
    let mut ws = Ws::connect(&app, &format!("token={token}")).await;
    assert_eq!(ws.closed().await.0, 1013);
}

/// The value of an unlabelled sample (`name 3`) in Prometheus text.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        line.strip_prefix(name)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

#[tokio::test]
async fn metrics_count_connected_clients_published_and_dropped_events() {
    let app = spawn(&[]).await;
    let (id, token) = user(&app, "rt-metrics@example.com").await;
    let mut ws = Ws::connect(&app, &format!("token={token}")).await;
    ws.connected().await;
    let mut sse = Sse::open(&app, &token, None).await;
    assert_eq!(sse.event().await.event, "connection");

    // A subscriber that falls more than the channel's capacity behind is resynced, and the
    // events it skipped are counted.
    let mut lagging = app.state.events.subscribe(&id, None);
    let total = amarktai::events::CHANNEL_CAPACITY as u64 + 20;
    for _ in 0..total {
        app.state
            .events
            .publish(&id, EventType::KeyTested, json!({}));
    }
    assert!(matches!(lagging.recv().await, Received::Resync));

    let text = app.get("/metrics").await.text().await.expect("text");
    // Other tests in this binary share the recorder, so these are lower bounds.
    assert!(
        sample(&text, "ws_clients").expect("ws_clients") >= 1.0,
        "{text}"
    );
    assert!(sample(&text, "sse_clients").expect("sse_clients") >= 1.0);
    assert!(sample(&text, "events_dropped_total").expect("dropped") >= 20.0);
    let published = text
        .lines()
        .find_map(|l| l.strip_prefix(r#"events_published_total{type="key_tested"} "#))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .expect("events_published_total{type=\"key_tested\"}");
    assert!(published >= total as f64);
}
