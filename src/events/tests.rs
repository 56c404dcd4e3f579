//! Unit tests of the event bus: ids, replay, bounds, isolation, payload hygiene, lag.

use serde_json::{json, Value};

use super::*;

fn ids(events: &[Arc<Event>]) -> Vec<u64> {
    events.iter().map(|e| e.event_id).collect()
}

fn replayed(replay: Replay) -> Vec<u64> {
    match replay {
        Replay::Events(events) => ids(&events),
        other => panic!("expected replayed events, got {other:?}"),
    }
}

#[test]
fn event_types_use_the_spec_wire_names() {
    for kind in [
        EventType::BotCreated,
        EventType::BotStatusChanged,
        EventType::SystemModeUpdate,
        EventType::ApiKeyUpdate,
        EventType::ForceRefresh,
        EventType::ChatMessage,
    ] {
        assert_eq!(
            serde_json::to_value(kind).unwrap(),
            Value::String(kind.as_str().into())
        );
    }
    assert!(EventType::BotPromoted.is_bot_event());
    assert!(!EventType::TradeExecuted.is_bot_event());
}

#[test]
fn ids_increase_per_user_independently() {
    let bus = EventBus::new(10);
    let a1 = bus.publish("alice", EventType::BotCreated, json!({}));
    let a2 = bus.publish("alice", EventType::BotUpdated, json!({}));
    let b1 = bus.publish("bob", EventType::Alert, json!({}));
    let a3 = bus.publish("alice", EventType::BotDeleted, json!({}));
    assert_eq!((a1.event_id, a2.event_id, a3.event_id), (1, 2, 3));
    assert_eq!(b1.event_id, 1);
    assert_eq!(bus.last_event_id("alice"), 3);
    assert_eq!(bus.last_event_id("bob"), 1);
    assert_eq!(bus.last_event_id("nobody"), 0);
}

#[test]
fn the_json_is_flat_with_the_payload_at_top_level() {
    let bus = EventBus::new(10);
    let event = bus.publish("u", EventType::TradeExecuted, json!({"symbol": "BTC/ZAR"}));
    let value: Value = serde_json::from_str(event.json()).unwrap();
    assert_eq!(value["event_id"], 1);
    assert_eq!(value["type"], "trade_executed");
    assert_eq!(value["symbol"], "BTC/ZAR");
    let stamp = value["timestamp"].as_str().unwrap();
    assert!(DateTime::parse_from_rfc3339(stamp).is_ok(), "{stamp}");
}

#[test]
fn payload_keys_cannot_clobber_the_envelope() {
    let bus = EventBus::new(10);
    let payload = json!({"event_id": 999, "type": "emergency_stop", "timestamp": "1970", "x": 1});
    let event = bus.publish("u", EventType::Alert, payload);
    let value: Value = serde_json::from_str(event.json()).unwrap();
    assert_eq!(value["event_id"], 1);
    assert_eq!(value["type"], "alert");
    assert_ne!(value["timestamp"], "1970");
    assert_eq!(value["x"], 1);
    assert!(!event.payload.contains_key("type"));
}

#[test]
fn any_json_payload_is_accepted() {
    let bus = EventBus::new(10);
    let odd = [
        json!(null),
        json!(42),
        json!("text"),
        json!([1, {"a": null}]),
        json!({"n": f64::MAX}),
    ];
    for payload in odd {
        let event = bus.publish("u", EventType::Alert, payload.clone());
        let value: Value = serde_json::from_str(event.json()).unwrap();
        match &payload {
            Value::Null => assert_eq!(value.as_object().map(|o| o.len()), Some(3)),
            Value::Object(fields) => assert_eq!(value["n"], fields["n"]),
            other => assert_eq!(&value["data"], other),
        }
    }
}

#[test]
fn replay_after_an_id_returns_exactly_the_missed_events_in_order() {
    let bus = EventBus::new(10);
    for _ in 0..5 {
        bus.publish("u", EventType::BotUpdated, json!({}));
    }
    assert_eq!(replayed(bus.subscribe("u", Some(2)).replay), vec![3, 4, 5]);
    assert!(matches!(bus.subscribe("u", Some(5)).replay, Replay::None));
    assert!(matches!(bus.subscribe("u", None).replay, Replay::None));
    assert_eq!(bus.subscribe("u", None).last_event_id(), 5);
}

#[test]
fn a_too_old_or_unknown_id_asks_for_a_full_refresh() {
    let bus = EventBus::new(3);
    for _ in 0..10 {
        bus.publish("u", EventType::BotUpdated, json!({}));
    }
    // Buffer holds 8, 9, 10: id 7 still replays, id 6 missed event 7 for good.
    assert_eq!(replayed(bus.subscribe("u", Some(7)).replay), vec![8, 9, 10]);
    assert!(matches!(
        bus.subscribe("u", Some(6)).replay,
        Replay::ForceRefresh
    ));
    assert!(matches!(
        bus.subscribe("u", Some(0)).replay,
        Replay::ForceRefresh
    ));
    // An id from before a restart (ahead of ours) cannot be trusted either.
    assert!(matches!(
        bus.subscribe("u", Some(11)).replay,
        Replay::ForceRefresh
    ));
    assert!(matches!(
        bus.subscribe("fresh", Some(4)).replay,
        Replay::ForceRefresh
    ));
}

#[test]
fn the_replay_buffer_is_bounded() {
    let bus = EventBus::new(50);
    for _ in 0..1000 {
        bus.publish("u", EventType::BotUpdated, json!({"big": "x".repeat(100)}));
    }
    let channel = bus.channel("u");
    let log = channel.log.lock().unwrap();
    assert_eq!(log.replay.len(), 50);
    assert_eq!(log.replay.front().map(|e| e.event_id), Some(951));
}

#[tokio::test]
async fn subscribers_only_see_their_own_users_events() {
    let bus = EventBus::new(10);
    let mut alice = bus.subscribe("alice", None);
    let mut bob = bus.subscribe("bob", None);
    bus.publish("alice", EventType::BotCreated, json!({"name": "a"}));
    bus.publish("bob", EventType::BotCreated, json!({"name": "b"}));
    let Received::Event(a) = alice.recv().await else {
        panic!("alice")
    };
    let Received::Event(b) = bob.recv().await else {
        panic!("bob")
    };
    assert_eq!(a.payload["name"], "a");
    assert_eq!(b.payload["name"], "b");
    assert!(alice.receiver.is_empty());
    assert!(bob.receiver.is_empty());
}

#[tokio::test]
async fn live_events_continue_after_the_replay_without_duplicates() {
    let bus = EventBus::new(10);
    bus.publish("u", EventType::BotUpdated, json!({}));
    bus.publish("u", EventType::BotUpdated, json!({}));
    let mut sub = bus.subscribe("u", Some(0));
    assert_eq!(
        replayed(std::mem::replace(&mut sub.replay, Replay::None)),
        vec![1, 2]
    );
    bus.publish("u", EventType::BotUpdated, json!({}));
    let Received::Event(next) = sub.recv().await else {
        panic!("event")
    };
    assert_eq!(next.event_id, 3);
}

#[tokio::test]
async fn a_lagging_receiver_is_resynced_and_others_are_unaffected() {
    let bus = EventBus::new(10);
    let mut slow = bus.subscribe("u", None);
    let mut fast = bus.subscribe("u", None);
    let total = CHANNEL_CAPACITY as u64 + 50;
    for expected in 1..=total {
        bus.publish("u", EventType::TradeExecuted, json!({}));
        let Received::Event(event) = fast.recv().await else {
            panic!("fast lagged")
        };
        assert_eq!(event.event_id, expected);
    }
    assert!(matches!(slow.recv().await, Received::Resync));
    assert_eq!(slow.delivered(), total);
    // After the resync the slow client skips the stale backlog and continues with new events.
    bus.publish("u", EventType::TradeExecuted, json!({}));
    let Received::Event(event) = slow.recv().await else {
        panic!("slow after resync")
    };
    assert_eq!(event.event_id, total + 1);
}

#[test]
fn the_publisher_trait_is_object_safe_and_publishes() {
    let bus = Arc::new(EventBus::new(10));
    let publisher: Arc<dyn EventPublisher> = bus.clone();
    publisher.publish("u", EventType::KeySaved, json!({"exchange": "luno"}));
    assert_eq!(bus.last_event_id("u"), 1);
}

#[test]
fn connection_slots_are_capped_per_user_and_released_on_drop() {
    let bus = EventBus::new(10);
    let first = bus.try_connect("u", 2).expect("slot 1");
    let _second = bus.try_connect("u", 2).expect("slot 2");
    assert!(bus.try_connect("u", 2).is_none());
    assert!(bus.try_connect("other", 2).is_some());
    drop(first);
    assert!(bus.try_connect("u", 2).is_some());
}

#[test]
fn events_are_stamped_by_the_application_clock() {
    let start = DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let clock = crate::domain::clock::ManualClock::new(start);
    let bus = EventBus::with_clock(10, Arc::new(clock.clone()));
    let first = bus.publish("alice", EventType::Alert, json!({}));
    clock.advance(chrono::Duration::seconds(90));
    let second = bus.publish("alice", EventType::Alert, json!({}));
    assert_eq!(first.timestamp, start);
    assert_eq!(second.timestamp, start + chrono::Duration::seconds(90));
    let wire: Value = serde_json::from_str(second.json()).unwrap();
    assert_eq!(wire["timestamp"], "2026-03-01T12:01:30+00:00");
}

#[test]
fn idle_users_are_evicted_but_their_ids_keep_increasing() {
    let start = DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let clock = crate::domain::clock::ManualClock::new(start);
    let bus = EventBus::with_clock(10, Arc::new(clock.clone()));
    for _ in 0..3 {
        bus.publish("alice", EventType::Alert, json!({}));
    }
    bus.publish("bob", EventType::Alert, json!({}));
    let connected = bus.subscribe("bob", None);
    let idle = chrono::Duration::minutes(10);

    // Too recent: nothing goes.
    clock.advance(chrono::Duration::minutes(5));
    assert_eq!(bus.evict_idle(idle), 0);
    assert_eq!(bus.channel_count(), 2);

    // Alice is idle and unconnected; bob is idle but still connected.
    clock.advance(chrono::Duration::minutes(6));
    assert_eq!(bus.evict_idle(idle), 1);
    assert_eq!(bus.channel_count(), 1);
    assert_eq!(bus.last_event_id("alice"), 3, "the newest id survives");

    // A client resuming from before the eviction must reload, never replay a reused id.
    let resumed = bus.subscribe("alice", Some(2));
    assert!(matches!(resumed.replay, Replay::ForceRefresh));
    assert_eq!(
        bus.publish("alice", EventType::Alert, json!({})).event_id,
        4
    );

    drop(connected);
    drop(resumed);
    clock.advance(chrono::Duration::minutes(11));
    assert_eq!(bus.evict_idle(idle), 2);
    assert_eq!(bus.channel_count(), 0);
}
