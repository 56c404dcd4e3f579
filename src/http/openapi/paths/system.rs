//! System modes, emergency stop, alerts and realtime streams (SPEC §11, §12).

use crate::http::openapi::op::{delete, get, post, put, Op, Param};
use crate::http::openapi::schemas::common::{DeletedCount, ReasonBody, SuccessMessage};
use crate::http::openapi::schemas::system::*;

const SYSTEM: &str = "System";
const ALERTS: &str = "Alerts";
const REALTIME: &str = "Realtime";

pub fn ops() -> Vec<Op> {
    vec![
        get("/api/system/mode", SYSTEM, "The caller's modes").ok::<Modes>(),
        put("/api/system/mode", SYSTEM, "Turn one mode on or off")
            .describe("Emits `system_mode_update {modes}`.")
            .body::<SetMode>()
            .ok::<Modes>(),
        post("/api/system/emergency-stop", SYSTEM, "Pause all the caller's bots")
            .optional_body::<ReasonBody>()
            .ok::<EmergencyStopped>(),
        post("/api/system/emergency-stop/disable", SYSTEM, "Lift the emergency stop")
            .ok::<SuccessMessage>(),
        get("/api/system/emergency-stop/status", SYSTEM, "Emergency stop state")
            .ok::<EmergencyStatus>(),
        get("/api/system/status", SYSTEM, "Flags, engines, database and trading activity")
            .ok::<SystemStatus>(),
        get("/api/alerts", ALERTS, "The caller's alerts, newest first")
            .query("limit", Param::Int, "1..500 (default 100)")
            .query("include_acknowledged", Param::Bool, "Default true")
            .ok::<AlertList>()
            .errors(&[422]),
        post("/api/alerts/ack/{id}", ALERTS, "Acknowledge an alert").ok::<AlertAcked>(),
        delete("/api/alerts/clear", ALERTS, "Delete the caller's alerts").ok::<DeletedCount>(),
        get("/api/ws", REALTIME, "WebSocket event stream")
            .describe("Token by `?token=` or `Authorization: Bearer`; a bad token closes with 1008 before any event. First frame `{type:\"connection\", status:\"Connected\", timestamp, last_event_id}`. Client `{type:\"ping\", timestamp}` gets `{type:\"pong\", timestamp}`; server pings every 30 s and drops clients silent for 90 s. `?last_event_id=N` replays missed events or sends `{type:\"force_refresh\"}`.")
            .query("token", Param::Str, "Access token (alternative to the header)")
            .query("last_event_id", Param::Int, "Replay events after this id")
            .status(101)
            .ok::<Event>(),
        get("/api/realtime/events", REALTIME, "Server-Sent Events stream")
            .describe("`id:` on every event; honours `Last-Event-ID`; `event: heartbeat` every 15 s with `{timestamp, counter}`. Each `data:` is an `Event` JSON object.")
            .query("token", Param::Str, "Access token (alternative to the header)")
            .ok_raw("text/event-stream"),
    ]
}
