//! SSE `/api/realtime/events`: `id:` on every frame, `Last-Event-ID` replay, heartbeats,
//! bus events (plus the `bot_update` / `trade_update` aliases), ends on shutdown.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::sse::{Event as SseEvent, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};
use serde_json::{json, Value};
use tokio::time::{interval_at, Instant, Interval, MissedTickBehavior};

use super::overview::Overview;
use super::{admit, Admission, ClientGauge, Params};
use crate::error::AppError;
use crate::events::{Event, EventType, Received, Replay, Subscription};
use crate::state::AppState;

/// `GET /api/realtime/events`: 401/403/429 as JSON envelopes, else an endless event stream.
#[utoipa::path(
    get,
    path = "/api/realtime/events",
    operation_id = "get_api_realtime_events",
    tag = "Realtime",
    summary = "Server-Sent Events stream",
    description = "`id:` on every event; honours `Last-Event-ID`; `event: heartbeat` every 15 s with `{timestamp, counter}`. Each `data:` is an `Event` JSON object.",
    params(
        ("token" = Option<String>, Query, description = "Access token (alternative to the header)")
    ),
    responses(
        (status = 200, description = "OK", body = String, content_type = "text/event-stream")
    ),
    security(("bearerAuth" = []))
)]
pub async fn handler(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let params = Params::from_request(query.as_deref(), &headers);
    let admission = admit(&state, &params).await?;
    let feed = Feed::start(state, admission, params.last_event_id).await;
    let mut response = Sse::new(stream_of(feed)).into_response();
    // Tell Nginx-style proxies not to buffer the stream (SPEC §12).
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// One SSE client's state, advanced by `stream_of`.
struct Feed {
    state: AppState,
    user_id: String,
    subscription: Subscription,
    pending: VecDeque<SseEvent>,
    heartbeat: Interval,
    counter: u64,
    /// The figures last sent, so `overview_update` goes out only when they change.
    overview: Option<Overview>,
    /// An event may have moved the overview; re-read it once the burst is through.
    overview_stale: bool,
    _slot: crate::events::ConnectionGuard,
    _gauge: ClientGauge,
}

impl Feed {
    async fn start(state: AppState, admission: Admission, last_event_id: Option<u64>) -> Self {
        let beat = Duration::from_secs(state.config.realtime.sse_heartbeat_seconds);
        let mut heartbeat = interval_at(Instant::now() + beat, beat);
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // Subscribed here, before the response (and so the client) sees anything.
        let mut subscription = state.events.subscribe(&admission.user_id, last_event_id);
        let replay = std::mem::replace(&mut subscription.replay, Replay::None);
        let hello = json!({
            "type": "connection",
            "status": "Connected",
            "timestamp": state.clock.now().to_rfc3339(),
            "last_event_id": subscription.last_event_id(),
        });
        let mut feed = Feed {
            pending: VecDeque::new(),
            subscription,
            state,
            user_id: admission.user_id,
            heartbeat,
            counter: 0,
            overview: None,
            overview_stale: false,
            _slot: admission.slot,
            _gauge: ClientGauge::open("sse_clients"),
        };
        // Until the replay is through, the client is only up to date with what it sent.
        let hello_id = match (&replay, last_event_id) {
            (Replay::Events(_), Some(seen)) => seen,
            _ => feed.subscription.delivered(),
        };
        feed.push_frame("connection", &hello, hello_id);
        match replay {
            Replay::None => {}
            Replay::ForceRefresh => feed.push_force_refresh(),
            Replay::Events(events) => events.iter().for_each(|e| feed.push_event(e)),
        }
        feed.refresh_overview().await;
        feed
    }

    /// A bus event under its own name, plus the SPEC alias the dashboard listens for.
    fn push_event(&mut self, event: &Event) {
        let id = event.event_id.to_string();
        let frame = |name: &str| {
            SseEvent::default()
                .event(name)
                .id(&id)
                .data(&**event.json())
        };
        self.pending.push_back(frame(event.kind.as_str()));
        if event.kind.is_bot_event() {
            self.pending.push_back(frame("bot_update"));
        } else if event.kind == EventType::TradeExecuted {
            self.pending.push_back(frame("trade_update"));
        }
    }

    /// A frame of our own; `id` is the last event id the client is up to date with, so a
    /// browser reconnecting after it resumes from the right place.
    fn push_frame(&mut self, name: &str, data: &Value, id: u64) {
        let frame = SseEvent::default()
            .event(name)
            .id(id.to_string())
            .data(data.to_string());
        self.pending.push_back(frame);
    }

    fn push_force_refresh(&mut self) {
        let now = self.state.clock.now().to_rfc3339();
        let data = json!({"type": "force_refresh", "timestamp": now});
        let id = self.subscription.delivered();
        self.push_frame(EventType::ForceRefresh.as_str(), &data, id);
    }

    /// Re-reads the overview from the database; queues `overview_update` if it changed.
    async fn refresh_overview(&mut self) {
        let Some(overview) = Overview::load(&self.state, &self.user_id).await else {
            return;
        };
        if self.overview.as_ref() != Some(&overview) {
            let id = self.subscription.delivered();
            let body = overview.to_json(self.state.clock.now());
            self.push_frame("overview_update", &body, id);
            self.overview = Some(overview);
        }
    }

    /// The next frame, or `None` when the stream must end (shutdown).
    async fn next(&mut self) -> Option<SseEvent> {
        loop {
            if let Some(frame) = self.pending.pop_front() {
                return Some(frame);
            }
            let shutdown = self.state.shutdown.clone();
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => return None,
                received = self.subscription.recv() => match received {
                    Received::Event(event) => {
                        self.push_event(&event);
                        self.overview_stale |= Overview::may_change_after(event.kind);
                    }
                    Received::Resync => {
                        self.push_force_refresh();
                        self.overview_stale = true;
                    }
                    Received::Closed => return None,
                },
                // Polled only when no event is waiting (`biased`), so events already queued
                // go out first and a burst usually costs one database read, after it.
                _ = std::future::ready(()), if self.overview_stale => {
                    self.overview_stale = false;
                    self.refresh_overview().await;
                }
                _ = self.heartbeat.tick() => {
                    self.counter += 1;
                    let now = self.state.clock.now().to_rfc3339();
                    let beat = json!({"timestamp": now, "counter": self.counter});
                    let id = self.subscription.delivered();
                    self.push_frame("heartbeat", &beat, id);
                    self.refresh_overview().await;
                }
            }
        }
    }
}

fn stream_of(feed: Feed) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    stream::unfold(feed, |mut feed| async move {
        let frame = feed.next().await?;
        Some((Ok(frame), feed))
    })
}
