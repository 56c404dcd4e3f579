//! The admin health check (`GET /api/admin/health-check`): database, engines, email and AI
//! services, user and bot statistics, warnings and a score.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::dashboard::score;
use crate::error::AppResult;
use crate::state::AppState;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminStatistics {
    pub users_active: u64,
    pub users_pending: u64,
    pub users_blocked: u64,
    pub bots_total: u64,
    pub bots_active: u64,
    pub bots_live: u64,
}

/// `GET /api/admin/health-check`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminHealth {
    pub health_score: f64,
    /// `healthy` (>= 90) | `degraded` (>= 60) | `critical`.
    pub overall_health: String,
    /// Service -> `ok` | `down` | `disabled` | `not_configured` | `error` | `standby`.
    pub services: BTreeMap<String, String>,
    pub statistics: AdminStatistics,
    pub warnings: Vec<String>,
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: DateTime<Utc>,
}

pub async fn admin_health(state: &AppState) -> AppResult<AdminHealth> {
    let now = state.clock.now();
    let mut services = BTreeMap::new();
    let mut warnings = Vec::new();
    let db = state.store.admin.ping().await.is_ok();
    services.insert(
        "database".to_string(),
        if db { "ok" } else { "down" }.to_string(),
    );
    if !db {
        warnings.push("The database does not answer".to_string());
    }
    for (name, engine) in state.engines.snapshot(now) {
        let status = match (engine.enabled, engine.last_outcome.as_deref()) {
            (false, _) => "disabled",
            (true, Some("error")) | (true, Some("timeout")) => "error",
            (true, Some("standby")) => "standby",
            _ => "ok",
        };
        if status == "error" {
            warnings.push(format!("Engine {name}: last tick failed"));
        }
        services.insert(format!("engine:{name}"), status.to_string());
    }
    let smtp = if state.config.smtp.is_some() {
        "ok"
    } else {
        "not_configured"
    };
    services.insert("email".into(), smtp.into());
    let ai = if state.config.openai_api_key.is_some() {
        "ok"
    } else {
        "not_configured"
    };
    services.insert("ai".into(), ai.into());
    let (users, bots) = if db {
        (
            state.store.users.count_by_status().await?,
            state.store.bots.totals().await?,
        )
    } else {
        (Default::default(), Default::default())
    };
    let checked = services
        .values()
        .filter(|s| *s != "disabled" && *s != "not_configured");
    let total = checked.clone().count();
    let passed = checked.filter(|s| *s == "ok" || *s == "standby").count();
    let (health_score, words) = score(passed, total);
    Ok(AdminHealth {
        health_score,
        overall_health: words.into(),
        services,
        statistics: AdminStatistics {
            users_active: users.active,
            users_pending: users.pending,
            users_blocked: users.blocked,
            bots_total: bots.total,
            bots_active: bots.active,
            bots_live: bots.live,
        },
        warnings,
        timestamp: now,
    })
}
