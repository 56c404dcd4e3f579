//! WebSocket `/api/ws`: connection frame, replay, live events, ping/pong, heartbeat, idle drop,
//! lag resync and close-on-shutdown for one authenticated user.

use crate::http::openapi::schemas as docs;
use std::time::Duration;

use axum::extract::ws::{close_code, CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use tokio::time::{interval_at, sleep, Instant, MissedTickBehavior};

use super::{admit, Admission, ClientGauge, Params};
use crate::error::AppError;
use crate::events::{Received, Replay, Subscription};
use crate::state::AppState;

/// How long the closing handshake may take once we decided to close.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// `GET /api/ws`: authenticate first, but always complete the upgrade so a refused browser
/// client sees the close code and reason (1008) instead of an opaque HTTP failure.
#[utoipa::path(
    get,
    path = "/api/ws",
    operation_id = "get_api_ws",
    tag = "Realtime",
    summary = "WebSocket event stream",
    description = "Token by `?token=` or `Authorization: Bearer`; a bad token closes with 1008 before any event. First frame `{type:\"connection\", status:\"Connected\", timestamp, last_event_id}`. Client `{type:\"ping\", timestamp}` gets `{type:\"pong\", timestamp}`; server pings every 30 s and drops clients silent for 90 s. `?last_event_id=N` replays missed events or sends `{type:\"force_refresh\"}`.",
    params(
        ("token" = Option<String>, Query, description = "Access token (alternative to the header)"),
        ("last_event_id" = Option<i64>, Query, description = "Replay events after this id")
    ),
    responses(
        (status = 101, description = "Switching Protocols (WebSocket)", body = docs::system::Event)
    ),
    security(("bearerAuth" = []))
)]
pub async fn handler(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let params = Params::from_request(query.as_deref(), &headers);
    let admitted = admit(&state, &params).await;
    upgrade
        // Clients only send small pings and resume requests: a 4 KiB read buffer instead of
        // the 128 KiB default takes a connection from ~135 KiB to ~11 KiB of RSS (bench/).
        .read_buffer_size(4 * 1024)
        .max_message_size(64 * 1024)
        .on_upgrade(move |mut socket| async move {
            match admitted {
                Ok(admission) => run_session(socket, state, admission, params.last_event_id).await,
                Err(refusal) => {
                    let (code, reason) = refusal_frame(&refusal);
                    close(&mut socket, code, reason).await;
                }
            }
        })
}

/// Auth and cap refusals are policy violations (1008), realtime switched off is "try again
/// later" (1013); anything else is a server error (1011).
fn refusal_frame(error: &AppError) -> (u16, &str) {
    match error.status.as_u16() {
        401 | 403 | 429 => (close_code::POLICY, error.message.as_str()),
        503 => (close_code::AGAIN, error.message.as_str()),
        _ => (close_code::ERROR, "internal error"),
    }
}

/// Serves one admitted client until it leaves, goes idle, stops reading, or the server stops.
pub async fn run_session(
    mut socket: WebSocket,
    state: AppState,
    admission: Admission,
    last_event_id: Option<u64>,
) {
    let _gauge = ClientGauge::open("ws_clients");
    let _slot = admission.slot;
    let shutdown = state.shutdown.clone();
    let settings = &state.config.realtime;
    // Subscribe before announcing, so nothing published after the frame can be missed.
    let mut subscription = state.events.subscribe(&admission.user_id, last_event_id);
    let hello = json!({
        "type": "connection",
        "status": "Connected",
        "timestamp": state.clock.now().to_rfc3339(),
        "last_event_id": subscription.last_event_id(),
    });
    if !send(&mut socket, &state, text(&hello)).await
        || !replay(&mut socket, &state, &mut subscription).await
    {
        return;
    }

    let beat = Duration::from_secs(settings.ws_heartbeat_seconds);
    let idle_limit = Duration::from_secs(settings.ws_idle_timeout_seconds);
    let mut heartbeat = interval_at(Instant::now() + beat, beat);
    heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let idle = sleep(idle_limit);
    tokio::pin!(idle);

    loop {
        let outgoing = tokio::select! {
            _ = shutdown.cancelled() => {
                close(&mut socket, close_code::AWAY, "server shutting down").await;
                return;
            }
            _ = &mut idle => {
                close(&mut socket, close_code::NORMAL, "idle timeout").await;
                return;
            }
            _ = heartbeat.tick() => text(&json!({"type": "ping"})),
            received = subscription.recv() => match received {
                Received::Event(event) => Message::Text(Utf8Bytes::from(&**event.json())),
                Received::Resync => force_refresh(subscription.delivered(), state.clock.now()),
                Received::Closed => {
                    close(&mut socket, close_code::AWAY, "server shutting down").await;
                    return;
                }
            },
            incoming = socket.recv() => {
                let Some(Ok(message)) = incoming else { return };
                // Any frame (including protocol pings, answered by axum) shows the client is alive.
                idle.as_mut().reset(Instant::now() + idle_limit);
                match message {
                    Message::Text(body) => match reply_to(&body, state.clock.now()) {
                        Some(reply) => reply,
                        None => continue,
                    },
                    Message::Close(_) => return,
                    _ => continue,
                }
            }
        };
        if !send(&mut socket, &state, outgoing).await {
            return;
        }
    }
}

/// Sends what the client missed (or tells it to reload) before any live event.
async fn replay(socket: &mut WebSocket, state: &AppState, sub: &mut Subscription) -> bool {
    match std::mem::replace(&mut sub.replay, Replay::None) {
        Replay::None => true,
        Replay::ForceRefresh => {
            send(
                socket,
                state,
                force_refresh(sub.delivered(), state.clock.now()),
            )
            .await
        }
        Replay::Events(events) => {
            for event in events {
                let frame = Message::Text(Utf8Bytes::from(&**event.json()));
                if !send(socket, state, frame).await {
                    return false;
                }
            }
            true
        }
    }
}

/// Answers client messages: `{type:"ping", timestamp:X}` -> `{type:"pong", timestamp:X}`.
/// Anything else (including non-JSON) is ignored rather than treated as an error.
fn reply_to(body: &str, now: DateTime<Utc>) -> Option<Message> {
    let value: Value = serde_json::from_str(body).ok()?;
    if value.get("type").and_then(Value::as_str) != Some("ping") {
        return None;
    }
    let timestamp = value
        .get("timestamp")
        .cloned()
        .unwrap_or_else(|| now.to_rfc3339().into());
    Some(text(&json!({"type": "pong", "timestamp": timestamp})))
}

/// Tells the client to reload its state; live events resume after `last_event_id`.
fn force_refresh(last_event_id: u64, now: DateTime<Utc>) -> Message {
    text(&json!({
        "type": "force_refresh",
        "timestamp": now.to_rfc3339(),
        "last_event_id": last_event_id,
    }))
}

fn text(value: &Value) -> Message {
    Message::Text(Utf8Bytes::from(value.to_string()))
}

/// Sends one frame; false when the client is gone, stopped reading, or the server is stopping
/// (a stuck send must not hold up shutdown).
async fn send(socket: &mut WebSocket, state: &AppState, message: Message) -> bool {
    let limit = Duration::from_secs(state.config.realtime.ws_send_timeout_seconds);
    tokio::select! {
        sent = tokio::time::timeout(limit, socket.send(message)) => {
            if sent.is_err() {
                // Its socket buffers are full: holding more for it would grow without bound.
                metrics::counter!("ws_slow_clients_dropped_total").increment(1);
                // No close frame: it could not be delivered to a socket that is not draining.
                tracing::warn!(
                    send_timeout_seconds = limit.as_secs(),
                    "realtime client stopped reading; disconnected"
                );
            }
            matches!(sent, Ok(Ok(())))
        }
        _ = state.shutdown.cancelled() => {
            close(socket, close_code::AWAY, "server shutting down").await;
            false
        }
    }
}

/// Starts the closing handshake, bounded in time (a dead peer cannot stall us).
async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    let frame = CloseFrame {
        code,
        reason: Utf8Bytes::from(truncate(reason, 120)),
    };
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, socket.send(Message::Close(Some(frame)))).await;
}

/// Close reasons are limited to 123 bytes; cut on a character boundary.
fn truncate(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
