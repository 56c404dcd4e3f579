//! An SSE client that stops reading costs the server a bounded amount: its stream is only
//! pulled as its socket drains, so events it falls behind on stay in the user's fixed-size
//! channel and are dropped there; when it reads again it gets `force_refresh` (with the id to
//! resume from) instead of the rest, and the user's other clients get every event in order.

use amarktai::events::{EventType, CHANNEL_CAPACITY};
use serde_json::json;

use crate::spawn;
use crate::support::{user, SlowSse, Sse};

/// Events published while the slow client is not reading.
const TOTAL: u64 = 1200;
/// Per-event padding: TOTAL events are ~19 MB, far beyond what the sockets can hold.
const PADDING: usize = 16 * 1024;

#[tokio::test]
async fn an_sse_client_that_never_reads_is_resynced_while_the_others_get_every_event() {
    let app = spawn(&[("REALTIME_REPLAY_EVENTS", "50")]).await;
    let (id, token) = user(&app, "sse-slow@example.com").await;
    let mut slow = SlowSse::open(&app, &token).await;
    // Read up to the hello so the server has subscribed it; from here on it reads nothing.
    assert_eq!(slow.event().await.event, "connection");
    let mut fast = Sse::open(&app, &token, None).await;
    assert_eq!(fast.event().await.event, "connection");

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
            let event = fast.event().await;
            assert_eq!(event.event, "alert");
            assert_eq!(
                event.id.as_deref(),
                Some(next_expected.to_string().as_str()),
                "in order, none missing"
            );
            next_expected += 1;
        }
    }
    // The stuck stream holds up nothing else.
    assert_eq!(app.get("/api/health/live").await.status(), 200);

    // Now the slow client reads: what the sockets held, then `force_refresh` instead of the
    // rest (which the server never queued for it).
    let mut received = 0;
    let refresh = loop {
        let frame = slow.event().await;
        if frame.event == "force_refresh" {
            break frame;
        }
        received += 1;
        assert_eq!(frame.event, "alert");
        assert_eq!(
            frame.id.as_deref(),
            Some(received.to_string().as_str()),
            "no gap before the resync"
        );
    };
    assert!(
        received < TOTAL - CHANNEL_CAPACITY as u64,
        "the server should have dropped events, it delivered {received} of {TOTAL}"
    );
    assert_eq!(refresh.data["type"], "force_refresh");
    // A browser reconnecting after the reload resumes from the newest event, not the gap.
    assert_eq!(refresh.id.as_deref(), Some(TOTAL.to_string().as_str()));

    // After the resync the slow client is live again, and so is the other one.
    app.state
        .events
        .publish(&id, EventType::Alert, json!({"n": "after"}));
    let live = slow.event().await;
    let after = (TOTAL + 1).to_string();
    assert_eq!(
        (live.id.as_deref(), live.data["n"].as_str()),
        (Some(after.as_str()), Some("after"))
    );
    assert_eq!(fast.event().await.id.as_deref(), Some(after.as_str()));
}
