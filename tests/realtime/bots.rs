//! Bot actions over REST reach the owner's WS and SSE (with a database-backed `overview_update`)
//! and nobody else's; reconnects replay exactly what was missed. Run on both engines.

use serde_json::{json, Value};

use crate::common::{Engine, TestApp};
use crate::spawn_on;
use crate::support::{user, Sse, Ws};

async fn create_bot(app: &TestApp, token: &str, name: &str, capital: u32) -> Value {
    let body =
        json!({"name": name, "exchange": "luno", "risk_mode": "safe", "initial_capital": capital});
    let resp = app.post_auth("/api/bots", token, body).await;
    assert_eq!(resp.status(), 200, "create {name}");
    resp.json().await.expect("json")
}

async fn stop_bot(app: &TestApp, token: &str, bot_id: &str) {
    let resp = app
        .post_auth(&format!("/api/bots/{bot_id}/stop"), token, json!({}))
        .await;
    assert_eq!(resp.status(), 200);
}

/// (active, total, capital, profit) of an `overview_update` frame.
fn figures(data: &Value) -> (u64, u64, f64, f64) {
    (
        data["active_bots"].as_u64().expect("active_bots"),
        data["total_bots"].as_u64().expect("total_bots"),
        data["total_capital"].as_f64().expect("total_capital"),
        data["total_profit"].as_f64().expect("total_profit"),
    )
}

async fn a_bot_created_over_rest_reaches_its_owner_on_ws_and_sse_and_nobody_else(engine: Engine) {
    let app = spawn_on(&engine, &[]).await;
    let (_, alice) = user(&app, "rt-alice@example.com").await;
    let (_, bob) = user(&app, "rt-bob@example.com").await;
    let mut alice_ws = Ws::connect(&app, &format!("token={alice}")).await;
    let mut bob_ws = Ws::connect(&app, &format!("token={bob}")).await;
    alice_ws.connected().await;
    bob_ws.connected().await;
    let mut alice_sse = Sse::open(&app, &alice, None).await;
    let mut bob_sse = Sse::open(&app, &bob, None).await;
    assert_eq!(alice_sse.event().await.event, "connection");
    assert_eq!(bob_sse.event().await.event, "connection");
    // The overview is sent on connect, from the database: nothing yet.
    let empty = alice_sse.next_named("overview_update").await;
    assert_eq!(figures(&empty.data), (0, 0, 0.0, 0.0));
    assert!(empty.data["timestamp"].is_string());

    let bot = create_bot(&app, &alice, "Alpha", 1500).await;
    let bot_id = bot["id"].as_str().expect("id").to_string();

    let got = alice_ws.json().await;
    assert_eq!(got["type"], "bot_created");
    assert_eq!(got["event_id"], 1);
    assert_eq!(got["bot"]["id"], bot_id.as_str());
    assert_eq!(got["bot"]["name"], "Alpha");
    let frame = alice_sse.event().await;
    assert_eq!(
        (frame.event.as_str(), frame.id.as_deref()),
        ("bot_created", Some("1"))
    );
    assert_eq!(frame.data["bot"]["id"], bot_id.as_str());
    assert_eq!(alice_sse.event().await.event, "bot_update");
    let overview = alice_sse.next_named("overview_update").await;
    assert_eq!(figures(&overview.data), (1, 1, 1500.0, 0.0));

    // Stopping the bot changes the active count, and the overview follows.
    stop_bot(&app, &alice, &bot_id).await;
    let stopped = alice_ws.json().await;
    assert_eq!(
        (stopped["type"].as_str(), stopped["event_id"].as_u64()),
        (Some("bot_stopped"), Some(2))
    );
    assert_eq!(alice_sse.event().await.event, "bot_stopped");
    let overview = alice_sse.next_named("overview_update").await;
    assert_eq!(figures(&overview.data), (0, 1, 1500.0, 0.0));

    // Bob's first event, on both transports, is his own bot: Alice's never reached him,
    // and his overview does not count her bot.
    create_bot(&app, &bob, "Beta", 200).await;
    let got = bob_ws.json().await;
    assert_eq!(
        (got["event_id"].as_u64(), got["bot"]["name"].as_str()),
        (Some(1), Some("Beta"))
    );
    let frame = bob_sse.event().await;
    assert_eq!(
        (frame.event.as_str(), frame.data["bot"]["name"].as_str()),
        ("bot_created", Some("Beta"))
    );
    // (`event()` skipped his connect-time overview; this one follows his bot.)
    let bob_overview = bob_sse.next_named("overview_update").await;
    assert_eq!(figures(&bob_overview.data), (1, 1, 200.0, 0.0));
    app.stop().await;
}

async fn reconnecting_after_rest_actions_replays_exactly_the_missed_events(engine: Engine) {
    let app = spawn_on(&engine, &[]).await;
    let (_, token) = user(&app, "rt-replay@example.com").await;
    let one = create_bot(&app, &token, "One", 1000).await;
    let mut ws = Ws::connect(&app, &format!("token={token}")).await;
    assert_eq!(ws.connected().await, 1);
    ws.close().await;

    // While the client is away: two more bots and a stop (events 2, 3, 4).
    create_bot(&app, &token, "Two", 1000).await;
    create_bot(&app, &token, "Three", 1000).await;
    stop_bot(&app, &token, one["id"].as_str().expect("id")).await;

    let mut ws = Ws::connect(&app, &format!("token={token}&last_event_id=1")).await;
    assert_eq!(ws.connected().await, 4);
    let mut replayed = Vec::new();
    for _ in 0..3 {
        let event = ws.json().await;
        replayed.push((
            event["event_id"].as_u64().expect("event_id"),
            event["type"].as_str().expect("type").to_string(),
        ));
    }
    assert_eq!(
        replayed,
        [
            (2, "bot_created".to_string()),
            (3, "bot_created".to_string()),
            (4, "bot_stopped".to_string())
        ]
    );

    let mut sse = Sse::open(&app, &token, Some("2")).await;
    assert_eq!(sse.event().await.event, "connection");
    let mut frames = Vec::new();
    for _ in 0..4 {
        let frame = sse.event().await;
        frames.push((frame.id.expect("id"), frame.event));
    }
    let expected = [
        ("3", "bot_created"),
        ("3", "bot_update"),
        ("4", "bot_stopped"),
        ("4", "bot_update"),
    ];
    assert_eq!(
        frames,
        expected.map(|(id, name)| (id.to_string(), name.to_string()))
    );

    // Live events continue right after the replay, with no repeat.
    create_bot(&app, &token, "Four", 1000).await;
    let live = ws.json().await;
    assert_eq!(
        (live["event_id"].as_u64(), live["bot"]["name"].as_str()),
        (Some(5), Some("Four"))
    );
    let frame = sse.event().await;
    assert_eq!(
        (frame.event.as_str(), frame.id.as_deref()),
        ("bot_created", Some("5"))
    );
    app.stop().await;
}

async fn a_batch_of_bots_yields_one_overview_update_because_it_is_sent_only_on_change(
    engine: Engine,
) {
    let app = spawn_on(&engine, &[]).await;
    let (id, token) = user(&app, "rt-batch@example.com").await;
    let mut sse = Sse::open(&app, &token, None).await;
    assert_eq!(sse.event().await.event, "connection");
    let empty = sse.next_named("overview_update").await;
    assert_eq!(figures(&empty.data).1, 0);

    let batch = json!({"count": 10, "capital_per_bot": 500, "safe_count": 3, "balanced_count": 4,
        "aggressive_count": 3, "exchange": "binance"});
    let resp = app.post_auth("/api/bots/batch-create", &token, batch).await;
    assert_eq!(resp.status(), 200);
    let (mut created, mut overviews) = (0, Vec::new());
    while created < 10 || overviews.is_empty() {
        let frame = sse.frame().await.expect("stream open");
        match frame.event.as_str() {
            "bot_created" => created += 1,
            "overview_update" => overviews.push(figures(&frame.data)),
            _ => {}
        }
    }
    // Then a marker: any further overview would have to arrive before it.
    app.state.events.publish(
        &id,
        amarktai::events::EventType::Alert,
        json!({"marker": true}),
    );
    loop {
        let frame = sse.frame().await.expect("stream open");
        match frame.event.as_str() {
            "overview_update" => overviews.push(figures(&frame.data)),
            "alert" => break,
            _ => {}
        }
    }
    assert_eq!(created, 10);
    // The batch is committed before its events go out, so every re-read sees all 10 bots and
    // only the first differs from what the client already has.
    assert_eq!(overviews, [(10, 10, 5000.0, 0.0)]);
    app.stop().await;
}

crate::on_both_engines!(
    a_bot_created_over_rest_reaches_its_owner_on_ws_and_sse_and_nobody_else,
    reconnecting_after_rest_actions_replays_exactly_the_missed_events,
    a_batch_of_bots_yields_one_overview_update_because_it_is_sent_only_on_change,
);
