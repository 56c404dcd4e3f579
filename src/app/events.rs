//! Publishing domain events to a user's realtime clients (WS + SSE, with replay).

use serde_json::Value;

use crate::events::EventType;
use crate::state::AppState;

/// Publishes a domain event to the user's realtime clients (WS + SSE, with replay).
pub fn emit(state: &AppState, user_id: &str, kind: EventType, payload: Value) {
    state.events.publish(user_id, kind, payload);
}
