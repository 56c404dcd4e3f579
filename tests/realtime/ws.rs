//! WebSocket `/api/ws`: auth, connection frame, ping/pong, heartbeat, per-user delivery,
//! replay, force_refresh, idle drop, shutdown, connection cap.

use amarktai::events::EventType;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::spawn;
use crate::support::{user, Sse, Ws};

#[tokio::test]
async fn the_first_frame_is_connection_then_ping_is_answered_with_pong() {
    let app = spawn(&[]).await;
    let (_, token) = user(&app, "ws-hello@example.com").await;
    let mut ws = Ws::connect(&app, &format!("token={token}")).await;
    assert_eq!(ws.connected().await, 0);

    ws.send_json(json!({"type": "ping", "timestamp": 1234567}))
        .await;
    assert_eq!(
        ws.json().await,
        json!({"type": "pong", "timestamp": 1234567})
    );
    ws.send_json(json!({"type": "ping", "timestamp": "2026-01-01T00:00:00Z"}))
        .await;
    assert_eq!(ws.json().await["timestamp"], "2026-01-01T00:00:00Z");
}

#[tokio::test]
async fn the_server_sends_a_heartbeat_and_accepts_a_bearer_header() {
    let app = spawn(&[]).await;
    let (_, token) = user(&app, "ws-beat@example.com").await;
    let mut ws = Ws::connect_bearer(&app, &token).await;
    ws.connected().await;
    let beat = loop {
        if let Some(Message::Text(text)) = ws.frame().await {
            break serde_json::from_str::<serde_json::Value>(&text).expect("json");
        }
    };
    assert_eq!(beat, json!({"type": "ping"}));
}

#[tokio::test]
async fn missing_bad_and_revoked_tokens_are_closed_with_1008_before_any_event() {
    let app = spawn(&[]).await;
    let (id, token) = user(&app, "ws-auth@example.com").await;
    app.state.events.publish(&id, EventType::Alert, json!({}));

    for query in ["", "token=not-a-jwt", "token=eyJhbGciOiJIUzI1NiJ9.e30.x"] {
        let mut ws = Ws::connect(&app, query).await;
        let (code, reason) = ws.closed().await;
        assert_eq!(code, 1008, "{query}");
        assert_eq!(reason, "Could not validate credentials");
    }

    let logout = app.post_auth("/api/auth/logout", &token, json!({})).await;
    assert_eq!(logout.status(), 200);
    let mut ws = Ws::connect(&app, &format!("token={token}&last_event_id=0")).await;
    assert_eq!(ws.closed().await.0, 1008);
}

#[tokio::test]
async fn a_published_event_reaches_that_users_ws_and_sse_and_no_one_else() {
    let app = spawn(&[]).await;
    let (alice, alice_token) = user(&app, "alice@example.com").await;
    let (bob, bob_token) = user(&app, "bob@example.com").await;
    let mut alice_ws = Ws::connect(&app, &format!("token={alice_token}")).await;
    let mut bob_ws = Ws::connect(&app, &format!("token={bob_token}")).await;
    alice_ws.connected().await;
    bob_ws.connected().await;
    let mut alice_sse = Sse::open(&app, &alice_token, None).await;
    assert_eq!(alice_sse.event().await.event, "connection");

    app.state.events.publish(
        &alice,
        EventType::BotCreated,
        json!({"bot": {"name": "Alpha"}}),
    );
    app.state.events.publish(
        &bob,
        EventType::BotCreated,
        json!({"bot": {"name": "Beta"}}),
    );

    let got = alice_ws.json().await;
    assert_eq!(got["type"], "bot_created");
    assert_eq!(got["event_id"], 1);
    assert_eq!(got["bot"]["name"], "Alpha");
    assert!(got["timestamp"].is_string());
    // Bob's first event is his own: Alice's never reached him.
    assert_eq!(bob_ws.json().await["bot"]["name"], "Beta");

    let frame = alice_sse.event().await;
    assert_eq!(
        (frame.event.as_str(), frame.id.as_deref()),
        ("bot_created", Some("1"))
    );
    assert_eq!(frame.data["bot"]["name"], "Alpha");
    let alias = alice_sse.event().await;
    assert_eq!(
        (alias.event.as_str(), alias.id.as_deref()),
        ("bot_update", Some("1"))
    );
}

#[tokio::test]
async fn reconnecting_with_last_event_id_replays_exactly_the_missed_events_in_order() {
    let app = spawn(&[]).await;
    let (id, token) = user(&app, "ws-replay@example.com").await;
    for n in 1..=5 {
        app.state
            .events
            .publish(&id, EventType::Alert, json!({"n": n}));
    }
    let mut ws = Ws::connect(&app, &format!("token={token}&last_event_id=2")).await;
    assert_eq!(ws.connected().await, 5);
    for expected in 3..=5 {
        let event = ws.json().await;
        assert_eq!(
            (event["event_id"].as_u64(), event["n"].as_u64()),
            (Some(expected), Some(expected))
        );
    }
    // Then live events continue after the replay, with no duplicates.
    app.state
        .events
        .publish(&id, EventType::Alert, json!({"n": 6}));
    assert_eq!(ws.json().await["event_id"], 6);
}

#[tokio::test]
async fn an_id_older_than_the_buffer_gets_force_refresh() {
    let app = spawn(&[("REALTIME_REPLAY_EVENTS", "3")]).await;
    let (id, token) = user(&app, "ws-old@example.com").await;
    for _ in 0..10 {
        app.state.events.publish(&id, EventType::Alert, json!({}));
    }
    let mut ws = Ws::connect(&app, &format!("token={token}&last_event_id=2")).await;
    ws.connected().await;
    assert_eq!(ws.json().await["type"], "force_refresh");
    app.state.events.publish(&id, EventType::Alert, json!({}));
    assert_eq!(ws.json().await["event_id"], 11);
}

#[tokio::test]
async fn a_silent_client_is_dropped_after_the_idle_timeout() {
    let app = spawn(&[
        ("WS_HEARTBEAT_SECONDS", "60"),
        ("WS_IDLE_TIMEOUT_SECONDS", "1"),
    ])
    .await;
    let (_, token) = user(&app, "ws-idle@example.com").await;
    let mut ws = Ws::connect(&app, &format!("token={token}")).await;
    ws.connected().await;
    assert_eq!(ws.closed().await, (1000, "idle timeout".to_string()));
}

#[tokio::test]
async fn shutdown_closes_websockets_with_1001_and_ends_sse_streams() {
    let app = spawn(&[]).await;
    let (_, token) = user(&app, "ws-down@example.com").await;
    let mut ws = Ws::connect(&app, &format!("token={token}")).await;
    ws.connected().await;
    let mut sse = Sse::open(&app, &token, None).await;
    assert_eq!(sse.event().await.event, "connection");

    app.state.shutdown.cancel();
    assert_eq!(ws.closed().await.0, 1001);
    while sse.frame().await.is_some() {}
    app.stop().await;
}

#[tokio::test]
async fn connections_beyond_the_per_user_cap_are_refused_until_one_leaves() {
    let app = spawn(&[("REALTIME_MAX_CONNECTIONS_PER_USER", "2")]).await;
    let (_, token) = user(&app, "ws-cap@example.com").await;
    let (_, other) = user(&app, "ws-cap-other@example.com").await;
    let query = format!("token={token}");
    let mut first = Ws::connect(&app, &query).await;
    first.connected().await;
    let mut sse = Sse::open(&app, &token, None).await;
    assert_eq!(sse.event().await.event, "connection");

    let mut third = Ws::connect(&app, &query).await;
    assert_eq!(
        third.closed().await,
        (
            1008,
            "too many realtime connections for this user (limit 2)".to_string()
        )
    );
    let refused = app.get_auth("/api/realtime/events", &token).await;
    assert_eq!(refused.status(), 429);
    let body: serde_json::Value = refused.json().await.expect("json");
    assert_eq!(body["error"]["code"], "TOO_MANY_CONNECTIONS");
    // Another user is not affected by this user's cap.
    Ws::connect(&app, &format!("token={other}"))
        .await
        .connected()
        .await;

    // Once a connection ends its slot is free again (the server notices the close).
    first.close().await;
    let deadline = tokio::time::Instant::now() + crate::support::WAIT;
    loop {
        let mut retry = Ws::connect(&app, &query).await;
        match retry.frame().await {
            Some(Message::Text(text)) if text.contains(r#""type":"connection""#) => break,
            _ if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await
            }
            other => panic!("slot never freed: {other:?}"),
        }
    }
}
