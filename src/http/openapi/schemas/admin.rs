//! Admin bodies (SPEC §10). Every admin route needs role `admin` and is audit-logged.

use serde_json::Value;
use utoipa::ToSchema;

use super::auth::{Role, UserStatus};
use super::bots::{BotStatus, Exchange, TradingMode};

#[derive(ToSchema)]
pub struct UnlockRequest {
    pub password: String,
}

#[derive(ToSchema)]
pub struct Unlocked {
    pub success: bool,
    pub unlock_token: String,
    /// 3600.
    pub expires_in: u64,
}

#[derive(ToSchema)]
pub struct UnlockVerified {
    pub valid: bool,
    pub expires_at: Option<String>,
}

#[derive(ToSchema)]
pub struct AdminUserRow {
    pub id: String,
    pub user_id: String,
    pub first_name: String,
    pub email: String,
    pub role: Role,
    pub status: UserStatus,
    pub is_active: bool,
    pub created_at: String,
    pub last_seen: Option<String>,
    pub bots_count: u64,
    pub api_keys_count: u64,
}

#[derive(ToSchema)]
pub struct AdminUserList {
    pub users: Vec<AdminUserRow>,
    pub total: u32,
}

/// `{role}` for the `role` action, `{reason?}` otherwise.
#[derive(ToSchema)]
pub struct UserActionBody {
    pub role: Option<Role>,
    pub reason: Option<String>,
}

#[derive(ToSchema)]
pub struct UserActionResult {
    pub success: bool,
    pub user_id: String,
    pub action: String,
    pub message: String,
    /// Only from `reset-password` (shown once; the user must change it).
    pub temporary_password: Option<String>,
}

#[derive(ToSchema)]
pub struct UserDeleted {
    pub success: bool,
    pub message: String,
    pub user_id: String,
    /// Counts removed per collection (bots, trades, keys, chat, alerts, ...).
    pub removed: Value,
}

#[derive(ToSchema)]
pub struct AuditLogs {
    /// Newest first: `{id, admin_id, action, target_type, target_id, details, timestamp}`.
    pub logs: Vec<Value>,
    pub total: u64,
    pub limit: u32,
    pub offset: u32,
}

#[derive(ToSchema)]
pub struct AdminBotRow {
    pub id: String,
    pub name: String,
    pub user_id: String,
    pub email: String,
    pub exchange: Exchange,
    pub status: BotStatus,
    pub trading_mode: TradingMode,
    pub total_profit: f64,
    pub override_rules: Value,
}

#[derive(ToSchema)]
pub struct AdminBotList {
    pub bots: Vec<AdminBotRow>,
    pub total: u32,
}

#[derive(ToSchema)]
pub struct BotOverride {
    pub override_rules: Value,
    pub force_pause: Option<bool>,
    pub force_resume: Option<bool>,
}

#[derive(ToSchema)]
pub struct BotModeChange {
    pub trading_mode: TradingMode,
}

#[derive(ToSchema)]
pub struct StorageCount {
    pub count: u64,
    pub size_mb: f64,
}

#[derive(ToSchema)]
pub struct StorageBreakdown {
    pub chat_messages: StorageCount,
    pub trades: StorageCount,
    pub bots: StorageCount,
    pub alerts: StorageCount,
}

#[derive(ToSchema)]
pub struct UserResources {
    pub id: String,
    pub user_id: String,
    pub email: String,
    pub first_name: String,
    pub status: UserStatus,
    pub storage_breakdown: StorageBreakdown,
    pub total_storage_mb: f64,
    pub total_storage_bytes: u64,
}

/// Per-collection totals plus `total_users`, `total_storage_mb`, `total_storage_bytes`.
#[derive(ToSchema)]
pub struct SystemTotals {
    pub chat_messages: StorageCount,
    pub trades: StorageCount,
    pub bots: StorageCount,
    pub alerts: StorageCount,
    pub total_users: u64,
    pub total_storage_mb: f64,
    pub total_storage_bytes: u64,
}

#[derive(ToSchema)]
pub struct ResourceUsage {
    /// Biggest users first.
    pub users: Vec<UserResources>,
    pub total: u32,
    pub system_totals: SystemTotals,
    /// `sqlite` or `mongodb`.
    pub engine: String,
    pub timestamp: String,
}

#[derive(ToSchema)]
pub struct SystemStats {
    pub timestamp: String,
    /// `{total, pending, active, blocked, admins_active}`.
    pub users: Value,
    /// `{total, by_status: {status: n}, by_mode: {paper, live}, total_profit}`.
    pub bots: Value,
    /// `{total, today, total_profit}`.
    pub trades: Value,
    /// Sum of the bots' profit.
    pub total_profit: f64,
    /// `{engine}`: `sqlite` or `mongodb`.
    pub database: Value,
    /// `{cpu: {cores, load_average}, memory, disk, process: {rss_mb, uptime_seconds}}`; parts
    /// that cannot be read on this host are null.
    pub host: Value,
}
