//! A WebSocket client that stops reading costs the server a bounded amount: it is resynced with
//! `force_refresh` (events dropped, not queued) or, if it stays stuck, disconnected; the user's
//! other clients keep getting every event in order meanwhile.

use std::time::Duration;

use amarktai::events::{EventType, CHANNEL_CAPACITY};
use serde_json::json;

use crate::spawn;
use crate::support::{user, Ws, WAIT};

/// Events published while the slow client is not reading.
const TOTAL: u64 = 1200;
/// Per-event padding: TOTAL events are ~19 MB, far beyond what the sockets can hold.
const PADDING: usize = 16 * 1024;

#[tokio::test]
async fn a_client_that_never_reads_is_resynced_while_the_others_get_every_event() {
    // A long send timeout: this test is about the resync, not the disconnect.
    let app = spawn(&[
        ("WS_SEND_TIMEOUT_SECONDS", "120"),
        ("REALTIME_REPLAY_EVENTS", "50"),
    ])
    .await;
    let (id, token) = user(&app, "rt-slow@example.com").await;
    let query = format!("token={token}");
    let mut slow = Ws::connect_small_buffer(&app, &query).await;
    slow.connected().await;
    let mut fast = Ws::connect(&app, &query).await;
    fast.connected().await;

    let padding = "x".repeat(PADDING);
    let mut next_expected = 1;
    while next_expected <= TOTAL {
        // Batches below the channel capacity, so a client that does read never lags.
        for _ in 0..100 {
            app.state
                .events
                .publish(&id, EventType::Alert, json!({"padding": padding}));
        }
        let batch_end = next_expected + 99;
        while next_expected <= batch_end {
            let event = fast.json().await;
            assert_eq!(event["event_id"].as_u64(), Some(next_expected), "in order");
            next_expected += 1;
        }
    }

    // Now the slow client reads: what the sockets held, then `force_refresh` instead of the
    // rest (which the server never queued for it).
    let mut received = 0;
    let refresh = loop {
        let frame = slow.json().await;
        if frame["type"] == "force_refresh" {
            break frame;
        }
        received += 1;
        assert_eq!(frame["event_id"].as_u64(), Some(received), "no gap before");
    };
    assert!(
        received < TOTAL - CHANNEL_CAPACITY as u64,
        "the server should have dropped events, it delivered {received} of {TOTAL}"
    );
    assert_eq!(refresh["last_event_id"].as_u64(), Some(TOTAL));

    // After the resync the slow client is live again.
    app.state
        .events
        .publish(&id, EventType::Alert, json!({"n": "after"}));
    let live = slow.json().await;
    assert_eq!(
        (live["event_id"].as_u64(), live["n"].as_str()),
        (Some(TOTAL + 1), Some("after"))
    );
    assert_eq!(fast.json().await["event_id"].as_u64(), Some(TOTAL + 1));
}

#[tokio::test]
async fn a_client_stuck_longer_than_the_send_timeout_is_disconnected_and_its_slot_freed() {
    let app = spawn(&[
        ("WS_SEND_TIMEOUT_SECONDS", "1"),
        ("REALTIME_MAX_CONNECTIONS_PER_USER", "1"),
        ("REALTIME_REPLAY_EVENTS", "10"),
    ])
    .await;
    let (id, token) = user(&app, "rt-stuck@example.com").await;
    let query = format!("token={token}");
    let mut stuck = Ws::connect_small_buffer(&app, &query).await;
    stuck.connected().await;
    // While it is connected, the user's only slot is taken.
    let mut refused = Ws::connect(&app, &query).await;
    assert_eq!(refused.closed().await.0, 1008);

    // Keep events coming (yielding in between, as real publishers do) so the server always has
    // something to send to the stuck client and its socket fills up.
    let state = app.state.clone();
    let publisher = tokio::spawn(async move {
        let padding = "x".repeat(PADDING);
        loop {
            for _ in 0..20 {
                state
                    .events
                    .publish(&id, EventType::Alert, json!({"padding": padding}));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });

    // The only slot is held by the stuck client until the server gives up on it.
    let deadline = tokio::time::Instant::now() + WAIT * 2;
    loop {
        let mut next = Ws::connect(&app, &query).await;
        let hello = next.frame().await;
        let text = match hello {
            Some(tokio_tungstenite::tungstenite::Message::Text(text)) => text.to_string(),
            other => format!("{other:?}"),
        };
        if text.contains(r#""type":"connection""#) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the stuck client was never dropped: {text}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    publisher.abort();
    drop(stuck);
}
