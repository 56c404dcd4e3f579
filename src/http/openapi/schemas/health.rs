//! Health, readiness, version and status answers (SPEC §1).

use serde_json::Value;
use utoipa::ToSchema;

#[derive(ToSchema)]
pub struct Ping {
    /// `healthy` (503: `unhealthy`).
    pub status: String,
    /// `connected` / `disconnected`.
    pub db: String,
    pub timestamp: String,
}

#[derive(ToSchema)]
pub struct Ready {
    /// `ready` / `not_ready`.
    pub status: String,
    pub ready: bool,
    pub db: String,
    pub collections: Option<Vec<String>>,
    /// On 503: db down, JWT secret weak, encryption key missing, migrations not applied.
    pub issues: Option<Vec<String>>,
    pub timestamp: String,
}

#[derive(ToSchema)]
pub struct Preflight {
    pub ok: bool,
    pub timestamp: String,
    /// `ENABLE_TRADING, ENABLE_AUTOPILOT, ENABLE_SCHEDULERS, DISABLE_AI_BODYGUARD, ENABLE_LIVE_TRADING, ENABLE_REALTIME`.
    pub flags: Value,
    /// `{db, ai_key_source: "env"|"none"}`.
    pub services: Value,
    /// `{jwt_secret_present, algorithm}`.
    pub auth: Value,
    /// `{name: {enabled, last_tick, lag_seconds}}`.
    pub engines: Value,
    pub issues: Vec<String>,
}

#[derive(ToSchema)]
pub struct Live {
    /// `alive`.
    pub status: String,
}

#[derive(ToSchema)]
pub struct HealthSummary {
    /// `healthy` / `degraded`.
    pub status: String,
    /// `{engine, status}`.
    pub database: Value,
    pub uptime_seconds: u64,
    pub version: String,
    pub engines: Value,
    pub timestamp: String,
}

#[derive(ToSchema)]
pub struct Version {
    pub name: String,
    pub version: String,
    pub git_sha: String,
    pub build_time: String,
}

#[derive(ToSchema)]
pub struct AdminStatus {
    pub timestamp: String,
    pub environment: String,
    pub version: String,
    /// `{pending, active, blocked}`.
    pub users: Value,
    pub admins_active: u32,
    /// `{total, active, live, paper}`.
    pub bots: Value,
    pub trades_today: u64,
}
