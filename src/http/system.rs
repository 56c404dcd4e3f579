//! Per-user system modes, emergency stop, system status (SPEC §11).

use crate::http::openapi::schemas as docs;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::bots as ops;
use crate::app::events::emit;
use crate::auth::CurrentUser;
use crate::domain::settings::{Alert, SystemMode};
use crate::error::{parse_optional_json, AppError, AppJson, AppResult};
use crate::events::EventType;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_modes, set_mode))
        .routes(routes!(emergency_on))
        .routes(routes!(emergency_off))
        .routes(routes!(emergency_status))
        .routes(routes!(system_status))
}

/// Always the caller's own modes (fixed: the old server read another user's document).
#[utoipa::path(
    get,
    path = "/api/system/mode",
    operation_id = "get_api_system_mode",
    tag = "System",
    summary = "The caller's modes",
    responses(
        (status = 200, description = "OK", body = docs::system::Modes)
    ),
    security(("bearerAuth" = []))
)]
async fn get_modes(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Json<Value>> {
    let settings = state
        .store
        .settings
        .get(user.id(), state.clock.now())
        .await?;
    Ok(Json(
        json!({"success": true, "modes": settings.modes_json(), "emergency_stop": settings.emergency_stop}),
    ))
}

#[derive(Deserialize)]
struct ModeBody {
    mode: String,
    enabled: bool,
}

#[utoipa::path(
    put,
    path = "/api/system/mode",
    operation_id = "put_api_system_mode",
    tag = "System",
    summary = "Turn one mode on or off",
    description = "Emits `system_mode_update {modes}`.",
    request_body = docs::system::SetMode,
    responses(
        (status = 200, description = "OK", body = docs::system::Modes)
    ),
    security(("bearerAuth" = []))
)]
async fn set_mode(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    AppJson(body): AppJson<ModeBody>,
) -> AppResult<Json<Value>> {
    let mode = SystemMode::parse(&body.mode).ok_or_else(|| {
        AppError::field(
            "mode",
            "mode must be paperTrading, liveTrading or autopilot",
        )
    })?;
    if mode == SystemMode::LiveTrading && body.enabled && !state.config.flags.enable_live_trading {
        return Err(AppError::bad_request(
            "LIVE_TRADING_DISABLED",
            "Live trading is disabled on this server (ENABLE_LIVE_TRADING)",
        ));
    }
    let settings = state
        .store
        .settings
        .set_mode(user.id(), mode, body.enabled, state.clock.now())
        .await?;
    emit(
        &state,
        user.id(),
        EventType::SystemModeUpdate,
        json!({"modes": settings.modes_json()}),
    );
    Ok(Json(
        json!({"success": true, "mode": mode.wire_name(), "enabled": body.enabled, "modes": settings.modes_json()}),
    ))
}

#[derive(Deserialize, Default)]
struct StopBody {
    reason: Option<String>,
}

/// Sets the flag first (so no start can slip in), then pauses every active bot.
#[utoipa::path(
    post,
    path = "/api/system/emergency-stop",
    operation_id = "post_api_system_emergency_stop",
    tag = "System",
    summary = "Pause all the caller's bots",
    request_body = Option<docs::common::ReasonBody>,
    responses(
        (status = 200, description = "OK", body = docs::system::EmergencyStopped)
    ),
    security(("bearerAuth" = []))
)]
async fn emergency_on(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    body: axum::body::Bytes,
) -> AppResult<Json<Value>> {
    let body: StopBody = parse_optional_json(&body)?;
    let reason = body
        .reason
        .map(|r| r.trim().chars().take(200).collect::<String>())
        .filter(|r| !r.is_empty());
    let reason = reason.unwrap_or_else(|| "Emergency stop".to_string());
    let now = state.clock.now();
    state
        .store
        .settings
        .set_emergency_stop(user.id(), true, Some(&reason), now)
        .await?;
    let paused = ops::pause_all(&state, user.id(), &reason).await?;
    // Open live orders are cancelled on their exchanges (each is then tracked to its end).
    let cancelled = crate::trading::live::cancel_all(&state, user.id()).await?;
    let alert = Alert::new(
        user.id(),
        None,
        "emergency_stop",
        "critical",
        &format!("Emergency stop: {reason}"),
        now,
    );
    state.store.alerts.insert(&alert).await?;
    emit(
        &state,
        user.id(),
        EventType::EmergencyStop,
        json!({"active": true, "reason": reason, "bots_paused": paused.len()}),
    );
    emit(&state, user.id(), EventType::Alert, json!({"alert": alert}));
    Ok(Json(
        json!({"success": true, "bots_paused": paused.len(), "live_orders_cancelled": cancelled, "message": format!("Emergency stop active; {} bots paused", paused.len())}),
    ))
}

#[utoipa::path(
    post,
    path = "/api/system/emergency-stop/disable",
    operation_id = "post_api_system_emergency_stop_disable",
    tag = "System",
    summary = "Lift the emergency stop",
    responses(
        (status = 200, description = "OK", body = docs::common::SuccessMessage)
    ),
    security(("bearerAuth" = []))
)]
async fn emergency_off(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Json<Value>> {
    state
        .store
        .settings
        .set_emergency_stop(user.id(), false, None, state.clock.now())
        .await?;
    emit(
        &state,
        user.id(),
        EventType::EmergencyStop,
        json!({"active": false}),
    );
    Ok(Json(
        json!({"success": true, "message": "Emergency stop lifted; paused bots stay paused until you resume them"}),
    ))
}

#[utoipa::path(
    get,
    path = "/api/system/emergency-stop/status",
    operation_id = "get_api_system_emergency_stop_status",
    tag = "System",
    summary = "Emergency stop state",
    responses(
        (status = 200, description = "OK", body = docs::system::EmergencyStatus)
    ),
    security(("bearerAuth" = []))
)]
async fn emergency_status(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Json<Value>> {
    let s = state
        .store
        .settings
        .get(user.id(), state.clock.now())
        .await?;
    Ok(Json(
        json!({"active": s.emergency_stop, "reason": s.emergency_reason, "activated_at": s.emergency_at}),
    ))
}

#[utoipa::path(
    get,
    path = "/api/system/status",
    operation_id = "get_api_system_status",
    tag = "System",
    summary = "Flags, engines, database and trading activity",
    responses(
        (status = 200, description = "OK", body = docs::system::SystemStatus)
    ),
    security(("bearerAuth" = []))
)]
async fn system_status(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Json<Value>> {
    let now = state.clock.now();
    let flags = &state.config.flags;
    let settings = state.store.settings.get(user.id(), now).await?;
    let bots = state.store.bots.summary(user.id()).await?;
    let db_ok = state.store.admin.ping().await.is_ok();
    Ok(Json(json!({
        "timestamp": now,
        "flags": {
            "ENABLE_TRADING": flags.enable_trading, "ENABLE_AUTOPILOT": flags.enable_autopilot,
            "ENABLE_SCHEDULERS": flags.enable_schedulers, "DISABLE_AI_BODYGUARD": flags.disable_ai_bodyguard,
            "ENABLE_LIVE_TRADING": flags.enable_live_trading, "ENABLE_REALTIME": flags.enable_realtime,
        },
        "engines": state.engines.snapshot(now),
        "database": {"engine": state.store.engine(), "status": if db_ok { "connected" } else { "disconnected" }},
        "modes": settings.modes_json(),
        "emergency_stop": settings.emergency_stop,
        "trading": {"total_bots": bots.total, "by_status": bots.by_status, "total_capital": bots.total_capital, "total_profit": bots.total_profit},
    })))
}
