//! `/api/platforms`: the five exchanges, per-platform summaries and bots with action flags.

use crate::http::openapi::schemas as docs;
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::bots as ops;
use crate::auth::CurrentUser;
use crate::domain::bot::{BotStatus, Exchange, TradingMode};
use crate::domain::status_machine;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(summary))
        .routes(routes!(platform_bots))
}

fn display_name(e: Exchange) -> &'static str {
    e.display_name()
}

/// Static exchange facts, but behind a token like every route SPEC does not mark public.
#[utoipa::path(
    get,
    path = "/api/platforms",
    operation_id = "get_api_platforms",
    tag = "Platforms",
    summary = "The five exchanges and their limits",
    responses(
        (status = 200, description = "OK", body = docs::bots::PlatformList)
    ),
    security(("bearerAuth" = []))
)]
async fn list(CurrentUser(_user): CurrentUser) -> Json<Value> {
    let platforms: Vec<Value> = Exchange::ALL
        .iter()
        .map(|e| {
            json!({"id": e.as_str(), "name": display_name(*e), "display_name": display_name(*e),
                   "max_bots": e.max_bots(), "requires_passphrase": e.requires_passphrase(),
                   "supports_paper": true, "supports_live": true})
        })
        .collect();
    Json(json!({"platforms": platforms, "total": platforms.len()}))
}

#[derive(Deserialize)]
struct ModeQuery {
    mode: Option<String>,
}

fn parse_mode(raw: Option<&str>) -> AppResult<Option<TradingMode>> {
    match raw.map(str::trim).filter(|m| !m.is_empty() && *m != "all") {
        None => Ok(None),
        Some(m) => TradingMode::parse(m)
            .map(Some)
            .ok_or_else(|| AppError::field("mode", "mode must be paper or live")),
    }
}

#[utoipa::path(
    get,
    path = "/api/platforms/summary",
    operation_id = "get_api_platforms_summary",
    tag = "Platforms",
    summary = "The caller's bots per exchange",
    params(
        ("mode" = Option<String>, Query, description = "paper | live | all")
    ),
    responses(
        (status = 200, description = "OK", body = docs::bots::PlatformSummary),
        (status = 422, description = "Validation failed (error.fields lists the fields)", body = docs::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn summary(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<ModeQuery>,
) -> AppResult<Json<Value>> {
    let mode = parse_mode(q.mode.as_deref())?;
    let bots = state.store.bots.list(user.id(), None).await?;
    let platforms: Vec<Value> = Exchange::ALL
        .iter()
        .map(|e| {
            let mine: Vec<_> = bots
                .iter()
                .filter(|b| b.exchange == *e && mode.is_none_or(|m| b.trading_mode == m))
                .collect();
            json!({
                "platform": e.as_str(), "display_name": display_name(*e), "max_bots": e.max_bots(),
                "total_bots": mine.len(),
                "active_bots": mine.iter().filter(|b| b.status == BotStatus::Active).count(),
                "total_profit": mine.iter().map(|b| b.total_profit).sum::<f64>(),
                "total_capital": mine.iter().map(|b| b.current_capital).sum::<f64>(),
            })
        })
        .collect();
    Ok(Json(
        json!({"success": true, "mode": mode.map(|m| m.as_str()).unwrap_or("all"), "platforms": platforms}),
    ))
}

#[utoipa::path(
    get,
    path = "/api/platforms/{platform}/bots",
    operation_id = "get_api_platforms_platform_bots",
    tag = "Platforms",
    summary = "The caller's bots on one exchange",
    params(
        ("platform" = String, Path),
        ("mode" = Option<String>, Query, description = "paper | live | all")
    ),
    responses(
        (status = 200, description = "OK", body = docs::bots::PlatformBots),
        (status = 422, description = "Validation failed (error.fields lists the fields)", body = docs::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn platform_bots(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(platform): Path<String>,
    Query(q): Query<ModeQuery>,
) -> AppResult<Json<Value>> {
    let exchange = Exchange::parse(&platform)
        .ok_or_else(|| AppError::not_found("PLATFORM_NOT_FOUND", "Unknown platform"))?;
    let mode = parse_mode(q.mode.as_deref())?;
    let now = state.clock.now();
    let ctx = ops::transition_context(&state, user.id(), now).await?;
    let bots: Vec<Value> = state
        .store
        .bots
        .list(user.id(), None)
        .await?
        .iter()
        .filter(|b| b.exchange == exchange && mode.is_none_or(|m| b.trading_mode == m))
        .map(|b| {
            json!({
                "id": b.id, "name": b.name, "status": b.status.as_str(), "trading_mode": b.trading_mode.as_str(),
                "total_profit": b.total_profit, "profit_today": b.profit_today_at(now),
                "total_trades": b.trades_count, "win_rate": b.win_rate,
                "can_start": status_machine::can_start(b, ctx), "can_pause": status_machine::can_pause(b, ctx),
                "can_resume": status_machine::can_resume(b, ctx), "can_stop": status_machine::can_stop(b, ctx),
            })
        })
        .collect();
    Ok(Json(
        json!({"success": true, "platform": exchange.as_str(), "mode": mode.map(|m| m.as_str()).unwrap_or("all"),
        "bots": bots, "total_bots": bots.len()}),
    ))
}
