//! Platform numbers for admins: `GET /api/admin/system-stats` (users, bots, trades, host) and
//! `GET /api/status` (SPEC §1 shape). Counts come from grouped database queries.

use crate::http::openapi::schemas as docs;
use std::collections::BTreeMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::auth::AdminUser;
use crate::domain::host;
use crate::error::AppResult;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(system_stats))
        .routes(routes!(status))
}

/// 00:00 UTC of `now`'s day.
fn start_of_day(now: DateTime<Utc>) -> DateTime<Utc> {
    now.date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(now)
}

#[utoipa::path(
    get,
    path = "/api/status",
    operation_id = "get_api_status",
    tag = "Admin",
    summary = "Platform status: users, bots, trades today",
    responses(
        (status = 200, description = "OK", body = docs::health::AdminStatus)
    ),
    security(("bearerAuth" = ["admin"]))
)]
async fn status(State(state): State<AppState>, AdminUser(_): AdminUser) -> AppResult<Json<Value>> {
    let now = state.clock.now();
    let users = state.store.users.count_by_status().await?;
    let admins_active = state.store.users.count_active_admins().await?;
    let bots = state.store.bots.totals().await?;
    let trades = state.store.platform.trade_totals(start_of_day(now)).await?;
    Ok(Json(json!({
        "timestamp": now.to_rfc3339(),
        "environment": state.config.env.as_str(),
        "version": env!("CARGO_PKG_VERSION"),
        "users": {"pending": users.pending, "active": users.active, "blocked": users.blocked},
        "admins_active": admins_active,
        "bots": {"total": bots.total, "active": bots.active, "live": bots.live, "paper": bots.paper},
        "trades_today": trades.since,
    })))
}

/// Reads a `/proc` file; `None` off Linux or when unreadable.
async fn proc_text(path: &str) -> Option<String> {
    tokio::fs::read_to_string(path).await.ok()
}

/// Size and free space of the filesystem holding `path` (`statvfs`); `None` when it fails.
#[cfg(unix)]
fn disk_usage(path: &std::path::Path) -> Option<Value> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: `statvfs` only writes into the zeroed struct we own; the path is NUL-terminated.
    let mut raw: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c_path.as_ptr(), &mut raw) } != 0 {
        return None;
    }
    let block = raw.f_frsize as f64;
    let mb = |blocks: f64| (blocks * block / 1_048_576.0).round();
    let total = mb(raw.f_blocks as f64);
    let free = mb(raw.f_bavail as f64);
    let used_percent = if total > 0.0 {
        ((total - free) / total * 1000.0).round() / 10.0
    } else {
        0.0
    };
    Some(json!({
        "path": path.display().to_string(),
        "total_mb": total,
        "free_mb": free,
        "used_percent": used_percent,
    }))
}

#[cfg(not(unix))]
fn disk_usage(_path: &std::path::Path) -> Option<Value> {
    None
}

/// Host CPU load and memory from `/proc`, and the disk holding `DATA_DIR` (or `/` when the
/// data dir does not exist, e.g. on MongoDB).
async fn host_stats(state: &AppState) -> Value {
    let load = proc_text("/proc/loadavg")
        .await
        .and_then(|t| host::parse_loadavg(&t));
    let memory = proc_text("/proc/meminfo")
        .await
        .and_then(|t| host::parse_meminfo(&t));
    let rss = proc_text("/proc/self/status")
        .await
        .and_then(|t| host::parse_process_rss_mb(&t));
    let data_dir = &state.config.data_dir;
    let disk = if data_dir.exists() {
        disk_usage(data_dir)
    } else {
        disk_usage(std::path::Path::new("/"))
    };
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    json!({
        "cpu": {"cores": cores, "load_average": load},
        "memory": memory,
        "disk": disk,
        "process": {"rss_mb": rss, "uptime_seconds": state.started_at.elapsed().as_secs()},
    })
}

#[utoipa::path(
    get,
    path = "/api/admin/system-stats",
    operation_id = "get_api_admin_system_stats",
    tag = "Admin",
    summary = "Platform-wide counters",
    responses(
        (status = 200, description = "OK", body = docs::admin::SystemStats)
    ),
    security(("bearerAuth" = ["admin"]))
)]
async fn system_stats(
    State(state): State<AppState>,
    AdminUser(_): AdminUser,
) -> AppResult<Json<Value>> {
    let now = state.clock.now();
    let users = state.store.users.count_by_status().await?;
    let admins_active = state.store.users.count_active_admins().await?;
    let groups = state.store.platform.bot_groups().await?;
    let trades = state.store.platform.trade_totals(start_of_day(now)).await?;
    let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_mode: BTreeMap<String, u64> = [("paper".into(), 0), ("live".into(), 0)].into();
    let (mut bots_total, mut bots_profit) = (0u64, 0.0f64);
    for g in &groups {
        *by_status.entry(g.status.clone()).or_default() += g.count;
        *by_mode.entry(g.trading_mode.clone()).or_default() += g.count;
        bots_total += g.count;
        bots_profit += g.total_profit;
    }
    let round = |v: f64| (v * 100.0).round() / 100.0;
    Ok(Json(json!({
        "timestamp": now.to_rfc3339(),
        "users": {
            "total": users.pending + users.active + users.blocked,
            "pending": users.pending, "active": users.active, "blocked": users.blocked,
            "admins_active": admins_active,
        },
        "bots": {"total": bots_total, "by_status": by_status, "by_mode": by_mode, "total_profit": round(bots_profit)},
        "trades": {"total": trades.total, "today": trades.since, "total_profit": round(trades.total_profit)},
        "total_profit": round(bots_profit),
        "database": {"engine": state.store.engine()},
        "host": host_stats(&state).await,
    })))
}
