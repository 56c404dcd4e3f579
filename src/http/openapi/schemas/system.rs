//! System modes, emergency stop, alerts and the realtime handshake (SPEC §11, §12).

use serde_json::Value;
use utoipa::ToSchema;

#[derive(ToSchema)]
pub enum SystemModeName {
    paperTrading,
    liveTrading,
    autopilot,
}

#[derive(ToSchema)]
pub struct SetMode {
    pub mode: SystemModeName,
    pub enabled: bool,
}

#[derive(ToSchema)]
pub struct Modes {
    pub success: bool,
    /// `{paperTrading, liveTrading, autopilot}` booleans (the caller's own).
    pub modes: Value,
    pub emergency_stop: Option<bool>,
    pub mode: Option<SystemModeName>,
    pub enabled: Option<bool>,
}

#[derive(ToSchema)]
pub struct EmergencyStopped {
    pub success: bool,
    pub bots_paused: u32,
    /// Open live orders whose cancel the exchanges accepted.
    pub live_orders_cancelled: u32,
    pub message: String,
}

#[derive(ToSchema)]
pub struct EmergencyStatus {
    pub active: bool,
    pub reason: Option<String>,
    pub activated_at: Option<String>,
}

#[derive(ToSchema)]
pub struct SystemStatus {
    pub flags: Value,
    pub engines: Value,
    pub database: Value,
    pub modes: Value,
    pub emergency_stop: bool,
    /// `{total_bots, by_status, total_capital, total_profit}` for the caller.
    pub trading: Value,
    pub timestamp: String,
}

#[derive(ToSchema)]
pub struct Alert {
    pub id: String,
    pub user_id: String,
    pub bot_id: Option<String>,
    /// e.g. `circuit_breaker`, `bodyguard`, `emergency_stop`, `system`.
    pub kind: String,
    /// `info`, `warning` or `critical`.
    pub severity: String,
    pub message: String,
    pub acknowledged: bool,
    pub created_at: String,
}

#[derive(ToSchema)]
pub struct AlertAcked {
    pub success: bool,
    pub alert_id: String,
}

#[derive(ToSchema)]
pub struct AlertList {
    pub alerts: Vec<Alert>,
    pub count: u32,
    pub unacknowledged: u32,
}

/// An SSE / WS event: per-user increasing `event_id`, `type`, `timestamp`, payload fields at
/// the top level. Types: `bot_created, bot_updated, bot_deleted, bot_started, bot_stopped,
/// bot_paused, bot_resumed, bot_status_changed, bot_promoted, trade_executed, profit_updated,
/// overview_updated, system_mode_update, key_saved, key_tested, key_deleted, api_key_update,
/// alert, emergency_stop, force_refresh, chat_message`.
#[derive(ToSchema)]
pub struct Event {
    pub event_id: u64,
    #[schema(rename = "type")]
    pub kind: String,
    pub timestamp: String,
}
