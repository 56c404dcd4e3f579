//! SSE `/api/realtime/events`: auth, headers, heartbeats, ids, Last-Event-ID replay, aliases.

use amarktai::events::EventType;
use serde_json::json;

use crate::spawn;
use crate::support::{user, Sse};

#[tokio::test]
async fn without_a_valid_token_the_stream_is_refused_with_401() {
    let app = spawn(&[]).await;
    let resp = app.get("/api/realtime/events").await;
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    let resp = app.get("/api/realtime/events?token=garbage").await;
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn the_stream_has_sse_headers_ids_and_counted_heartbeats() {
    let app = spawn(&[("SSE_HEARTBEAT_SECONDS", "1")]).await;
    let (id, token) = user(&app, "sse-beat@example.com").await;
    // Token by query string works as well as the header.
    let resp = app
        .get(&format!("/api/realtime/events?token={token}"))
        .await;
    let mut sse = Sse::from_response(resp);
    assert_eq!(sse.headers["content-type"], "text/event-stream");
    assert_eq!(sse.headers["cache-control"], "no-cache");
    assert_eq!(sse.headers["x-accel-buffering"], "no");

    let hello = sse.frame().await.expect("connection");
    assert_eq!(hello.event, "connection");
    assert_eq!(hello.id.as_deref(), Some("0"));
    assert_eq!(hello.data["last_event_id"], 0);

    for counter in 1..=2 {
        let beat = sse.next_named("heartbeat").await;
        assert_eq!(beat.event, "heartbeat");
        assert_eq!(beat.data["counter"], counter);
        assert!(beat.data["timestamp"].is_string());
        assert_eq!(beat.id.as_deref(), Some("0"));
    }

    app.state.events.publish(
        &id,
        EventType::TradeExecuted,
        json!({"trade": {"pair": "BTC/ZAR"}}),
    );
    let trade = sse.event().await;
    assert_eq!(
        (trade.event.as_str(), trade.id.as_deref()),
        ("trade_executed", Some("1"))
    );
    let alias = sse.event().await;
    assert_eq!(alias.event, "trade_update");
    assert_eq!(alias.data["trade"]["pair"], "BTC/ZAR");
}

#[tokio::test]
async fn last_event_id_replays_exactly_the_missed_events_in_order() {
    let app = spawn(&[]).await;
    let (id, token) = user(&app, "sse-replay@example.com").await;
    for n in 1..=5 {
        app.state
            .events
            .publish(&id, EventType::Alert, json!({"n": n}));
    }
    let mut sse = Sse::open(&app, &token, Some("3")).await;
    let hello = sse.event().await;
    assert_eq!(hello.event, "connection");
    assert_eq!(hello.data["last_event_id"], 5);
    for expected in ["4", "5"] {
        let frame = sse.event().await;
        assert_eq!(
            (frame.event.as_str(), frame.id.as_deref()),
            ("alert", Some(expected))
        );
    }

    // The query parameter works the same way.
    let resp = app
        .get_auth("/api/realtime/events?last_event_id=4", &token)
        .await;
    let mut sse = Sse::from_response(resp);
    sse.event().await;
    assert_eq!(sse.event().await.id.as_deref(), Some("5"));
}

#[tokio::test]
async fn a_last_event_id_older_than_the_buffer_gets_force_refresh() {
    let app = spawn(&[("REALTIME_REPLAY_EVENTS", "2")]).await;
    let (id, token) = user(&app, "sse-old@example.com").await;
    for _ in 0..6 {
        app.state
            .events
            .publish(&id, EventType::BotUpdated, json!({}));
    }
    let mut sse = Sse::open(&app, &token, Some("1")).await;
    assert_eq!(sse.event().await.event, "connection");
    let refresh = sse.event().await;
    assert_eq!(refresh.event, "force_refresh");
    assert_eq!(refresh.id.as_deref(), Some("6"));
}
