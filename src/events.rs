//! The realtime event bus: per-user event ids, a bounded per-user replay ring, and per-user
//! tokio broadcast fan-out (SPEC §12). Transports (WS, SSE) live in `http::realtime`.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use tokio::sync::broadcast;

use crate::domain::clock::{SharedClock, SystemClock};

mod kind;
pub use kind::EventType;

/// Live events a slow client may fall behind by before it is resynced (`Lagged`).
pub const CHANNEL_CAPACITY: usize = 256;

/// Event payload fields; any JSON converts (a non-object value lands under `data`).
#[derive(Debug, Clone, Default)]
pub struct Payload(pub Map<String, Value>);

impl From<Map<String, Value>> for Payload {
    fn from(map: Map<String, Value>) -> Self {
        Payload(map)
    }
}

impl From<Value> for Payload {
    fn from(value: Value) -> Self {
        match value {
            Value::Object(map) => Payload(map),
            Value::Null => Payload::default(),
            other => Payload(Map::from_iter([("data".to_string(), other)])),
        }
    }
}

/// One published event, serialised once so fan-out to many clients costs no re-encoding.
#[derive(Debug)]
pub struct Event {
    pub event_id: u64,
    pub kind: EventType,
    pub timestamp: DateTime<Utc>,
    /// Payload fields, minus any that would shadow `event_id` / `type` / `timestamp`.
    pub payload: Map<String, Value>,
    json: Arc<str>,
}

impl Event {
    fn new(event_id: u64, kind: EventType, timestamp: DateTime<Utc>, payload: Payload) -> Self {
        let mut payload = payload.0;
        // Our envelope fields always win: a payload must never forge an id or a type.
        for reserved in ["event_id", "type", "timestamp"] {
            payload.remove(reserved);
        }
        let mut object = payload.clone();
        object.insert("event_id".into(), event_id.into());
        object.insert("type".into(), kind.as_str().into());
        object.insert("timestamp".into(), timestamp.to_rfc3339().into());
        // Serialising a `Value` cannot fail (string keys only); fall back to the bare envelope.
        let json = serde_json::to_string(&Value::Object(object))
            .unwrap_or_else(|_| format!(r#"{{"event_id":{event_id},"type":"{}"}}"#, kind.as_str()));
        Self {
            event_id,
            kind,
            timestamp,
            payload,
            json: json.into(),
        }
    }

    /// The event as one flat JSON object (`event_id`, `type`, `timestamp`, payload fields).
    pub fn json(&self) -> &Arc<str> {
        &self.json
    }
}

/// What a new subscriber must do before reading live events.
#[derive(Debug)]
pub enum Replay {
    /// Nothing was missed (or no `last_event_id` was given).
    None,
    /// The missed events, oldest first.
    Events(Vec<Arc<Event>>),
    /// The client's id is no longer buffered (or from before a restart): reload everything.
    ForceRefresh,
}

/// One item read from a subscription.
#[derive(Debug)]
pub enum Received {
    Event(Arc<Event>),
    /// The client fell behind and events were dropped: tell it to reload (`force_refresh`).
    Resync,
    /// The bus is gone (server shutting down).
    Closed,
}

/// A client's view of one user's events: what to replay first, then live events.
pub struct Subscription {
    pub replay: Replay,
    /// The user's newest event id at subscription time (0 when none yet).
    pub last_event_id: u64,
    receiver: broadcast::Receiver<Arc<Event>>,
    channel: Arc<UserChannel>,
    /// Highest id the client is up to date with; live events at or below it are skipped.
    delivered: u64,
}

impl Subscription {
    /// The user's newest event id when this subscription started.
    pub fn last_event_id(&self) -> u64 {
        self.last_event_id
    }

    /// The id the client is up to date with (what an SSE `id:` line should carry now).
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// Waits for the next live event; never buffers beyond the channel's fixed capacity.
    pub async fn recv(&mut self) -> Received {
        loop {
            match self.receiver.recv().await {
                Ok(event) if event.event_id <= self.delivered => continue,
                Ok(event) => {
                    self.delivered = event.event_id;
                    return Received::Event(event);
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    metrics::counter!("events_dropped_total").increment(missed);
                    // The client reloads everything now, so the stale backlog is dropped: a
                    // fresh receiver (taken under the publish lock) resumes right after the
                    // newest id, with no gap and no repeat.
                    let log = self
                        .channel
                        .log
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner);
                    self.receiver = self.channel.sender.subscribe();
                    self.delivered = self.delivered.max(log.last_id);
                    return Received::Resync;
                }
                Err(broadcast::error::RecvError::Closed) => return Received::Closed,
            }
        }
    }
}

/// What domain code sees: publish an event for one user, fire and forget.
pub trait EventPublisher: Send + Sync {
    fn publish(&self, user_id: &str, kind: EventType, payload: Value);
}

struct UserLog {
    last_id: u64,
    replay: VecDeque<Arc<Event>>,
    /// When this user last had an event (or the channel was made): idle channels are evicted.
    last_active: DateTime<Utc>,
}

struct UserChannel {
    sender: broadcast::Sender<Arc<Event>>,
    /// Guards id assignment, the replay ring and the send together, so live order equals id
    /// order and a subscriber's snapshot and its receiver never overlap or leave a gap.
    log: Mutex<UserLog>,
    /// Open realtime connections (WS + SSE) of this user, for the per-user cap.
    connections: AtomicUsize,
}

/// One claimed connection slot; released when dropped (however the connection ends).
pub struct ConnectionGuard {
    channel: Arc<UserChannel>,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.channel.connections.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The in-process event bus, shared through `AppState`.
pub struct EventBus {
    replay_capacity: usize,
    users: RwLock<HashMap<String, Arc<UserChannel>>>,
    /// The newest id of users whose idle channel was evicted, so their ids keep increasing
    /// (a client resuming from an old id then gets `force_refresh`, never a reused id).
    retired: Mutex<HashMap<String, u64>>,
    /// Stamps every event (the application clock, so tests that move time see it here too).
    clock: SharedClock,
}

impl EventBus {
    /// A bus on the wall clock.
    pub fn new(replay_capacity: usize) -> Self {
        Self::with_clock(replay_capacity, Arc::new(SystemClock))
    }

    pub fn with_clock(replay_capacity: usize, clock: SharedClock) -> Self {
        Self {
            replay_capacity: replay_capacity.max(1),
            users: RwLock::new(HashMap::new()),
            retired: Mutex::new(HashMap::new()),
            clock,
        }
    }

    /// Publishes `kind` for `user_id`: assigns the next id, buffers it for replay, fans it out.
    pub fn publish(
        &self,
        user_id: &str,
        kind: EventType,
        payload: impl Into<Payload>,
    ) -> Arc<Event> {
        let channel = self.channel(user_id);
        let mut log = channel.log.lock().unwrap_or_else(PoisonError::into_inner);
        log.last_id += 1;
        let now = self.clock.now();
        log.last_active = now;
        let event = Arc::new(Event::new(log.last_id, kind, now, payload.into()));
        if log.replay.len() >= self.replay_capacity {
            log.replay.pop_front();
        }
        log.replay.push_back(event.clone());
        // No receiver is fine: the replay ring still serves the next reconnect.
        let _ = channel.sender.send(event.clone());
        drop(log);
        metrics::counter!("events_published_total", "type" => kind.as_str()).increment(1);
        event
    }

    /// Subscribes to `user_id`'s events; with `last_event_id`, also returns what was missed.
    pub fn subscribe(&self, user_id: &str, last_event_id: Option<u64>) -> Subscription {
        let channel = self.channel(user_id);
        let log = channel.log.lock().unwrap_or_else(PoisonError::into_inner);
        // Subscribe before the snapshot, both under the lock: nothing can slip in between.
        let receiver = channel.sender.subscribe();
        let current = log.last_id;
        let replay = match last_event_id {
            None => Replay::None,
            Some(seen) if seen == current => Replay::None,
            // An id we never issued: the client is from before a restart.
            Some(seen) if seen > current => Replay::ForceRefresh,
            Some(seen) => {
                let oldest = log.replay.front().map_or(current + 1, |e| e.event_id);
                if seen + 1 < oldest {
                    Replay::ForceRefresh
                } else {
                    let missed = log.replay.iter().filter(|e| e.event_id > seen);
                    Replay::Events(missed.cloned().collect())
                }
            }
        };
        drop(log);
        Subscription {
            replay,
            last_event_id: current,
            receiver,
            channel,
            delivered: current,
        }
    }

    /// Claims one of `user_id`'s `max` connection slots, or `None` when all are taken.
    pub fn try_connect(&self, user_id: &str, max: usize) -> Option<ConnectionGuard> {
        let channel = self.channel(user_id);
        channel
            .connections
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()?;
        Some(ConnectionGuard { channel })
    }

    /// The newest event id issued for `user_id` (0 when none yet).
    pub fn last_event_id(&self, user_id: &str) -> u64 {
        let users = self.users.read().unwrap_or_else(PoisonError::into_inner);
        match users.get(user_id) {
            Some(c) => c.log.lock().unwrap_or_else(PoisonError::into_inner).last_id,
            None => self.retired_id(user_id),
        }
    }

    fn retired_id(&self, user_id: &str) -> u64 {
        let retired = self.retired.lock().unwrap_or_else(PoisonError::into_inner);
        retired.get(user_id).copied().unwrap_or(0)
    }

    /// Drops the channel and replay buffer of every user with no open connection and no event
    /// for `idle`, so memory follows the active users, not every user ever seen. Returns how
    /// many were evicted. Only the newest id (a few bytes) is kept.
    pub fn evict_idle(&self, idle: chrono::Duration) -> usize {
        let cutoff = self.clock.now() - idle;
        let mut users = self.users.write().unwrap_or_else(PoisonError::into_inner);
        let mut retired = self.retired.lock().unwrap_or_else(PoisonError::into_inner);
        let before = users.len();
        users.retain(|user_id, channel| {
            // Every subscription, connection slot and in-flight publish holds a clone, and
            // clones are only made under the read lock we now exclude: count 1 = unused.
            if Arc::strong_count(channel) > 1 {
                return true;
            }
            let log = channel.log.lock().unwrap_or_else(PoisonError::into_inner);
            if log.last_active > cutoff {
                return true;
            }
            if log.last_id > 0 {
                retired.insert(user_id.clone(), log.last_id);
            }
            false
        });
        before - users.len()
    }

    /// Users with a live channel (for tests and metrics).
    pub fn channel_count(&self) -> usize {
        self.users
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    fn channel(&self, user_id: &str) -> Arc<UserChannel> {
        if let Some(channel) = self
            .users
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(user_id)
        {
            return channel.clone();
        }
        let mut users = self.users.write().unwrap_or_else(PoisonError::into_inner);
        users
            .entry(user_id.to_string())
            .or_insert_with(|| {
                let last_id = self
                    .retired
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(user_id)
                    .unwrap_or(0);
                Arc::new(UserChannel {
                    sender: broadcast::channel(CHANNEL_CAPACITY).0,
                    log: Mutex::new(UserLog {
                        last_id,
                        replay: VecDeque::with_capacity(self.replay_capacity.min(64)),
                        last_active: self.clock.now(),
                    }),
                    connections: AtomicUsize::new(0),
                })
            })
            .clone()
    }
}

impl EventPublisher for EventBus {
    fn publish(&self, user_id: &str, kind: EventType, payload: Value) {
        EventBus::publish(self, user_id, kind, payload);
    }
}

#[cfg(test)]
mod tests;
