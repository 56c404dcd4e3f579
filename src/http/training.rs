//! Live training bay, promotion, and quarantine status (SPEC §4).

use crate::http::openapi::schemas as docs;
use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::bots::{bot_json, load_bot};
use crate::app::events::emit;
use crate::auth::CurrentUser;
use crate::domain::bot::BotStatus;
use crate::domain::{quarantine, training};
use crate::error::AppResult;
use crate::events::EventType;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(live_bay))
        .routes(routes!(promote))
        .routes(routes!(quarantine_status))
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Bots in the bay, soonest-eligible first. Never fails on odd data: a bot without
/// `bay_entered_at` counts as just entered.
#[utoipa::path(
    get,
    path = "/api/training/live-bay",
    operation_id = "get_api_training_live_bay",
    tag = "Training",
    summary = "Bots in the live training bay",
    responses(
        (status = 200, description = "OK", body = docs::bots::LiveBay)
    ),
    security(("bearerAuth" = []))
)]
async fn live_bay(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Json<Value>> {
    let now = state.clock.now();
    let min_hours = state.config.trading.live_min_training_hours;
    let settings = state.store.settings.get(user.id(), now).await?;
    let mut rows: Vec<(f64, Value)> = state
        .store
        .bots
        .list(user.id(), Some(BotStatus::LiveTrainingBay))
        .await?
        .into_iter()
        .map(|bot| {
            let p = training::bay_progress(&bot, now, min_hours);
            let row = json!({
                "id": bot.id, "name": bot.name, "exchange": bot.exchange.as_str(),
                "bay_entered_at": bot.bay_entered_at, "hours_elapsed": round2(p.hours_elapsed),
                "hours_remaining": round2(p.hours_remaining), "eligible_for_promotion": p.eligible_for_promotion,
                "total_profit": bot.total_profit, "trades_count": bot.trades_count,
            });
            (p.hours_remaining, row)
        })
        .collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    let ready = rows
        .iter()
        .filter(|(_, r)| r["eligible_for_promotion"] == true)
        .count();
    let bots: Vec<Value> = rows.into_iter().map(|(_, r)| r).collect();
    Ok(Json(json!({
        "success": true, "live_mode_active": settings.live_trading, "total": bots.len(),
        "quarantine_bots": bots, "ready_for_promotion": ready, "min_training_hours": min_hours,
    })))
}

#[utoipa::path(
    post,
    path = "/api/training/{bot_id}/promote",
    operation_id = "post_api_training_bot_id_promote",
    tag = "Training",
    summary = "Promote a bot out of the bay",
    description = "Before `LIVE_MIN_TRAINING_HOURS`: 200 `success:false` with `hours_remaining`.",
    params(
        ("bot_id" = String, Path)
    ),
    responses(
        (status = 200, description = "OK", body = docs::bots::BotActionResult)
    ),
    security(("bearerAuth" = []))
)]
async fn promote(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(bot_id): Path<String>,
) -> AppResult<Json<Value>> {
    let mut bot = load_bot(&state, user.id(), &bot_id).await?;
    let from = bot.status;
    let now = state.clock.now();
    if let Err(refusal) = training::promote(&mut bot, now, &state.config.trading) {
        let mut answer = json!({"success": false, "message": refusal.reason, "bot_id": bot.id});
        if let Some(hours) = refusal.hours_remaining {
            answer["hours_remaining"] = json!(round2(hours));
        }
        return Ok(Json(answer));
    }
    // Compare-and-set: a start or stop that got in first wins, and nothing is overwritten.
    let Some(bot) = state.store.bots.transition_status(&bot, &[from]).await? else {
        let current = load_bot(&state, user.id(), &bot_id).await?;
        return Ok(Json(
            json!({"success": false, "message": "The bot's status changed meanwhile; try again", "bot_id": current.id}),
        ));
    };
    let message = format!("Bot '{}' promoted; start it to trade live", bot.name);
    emit(
        &state,
        user.id(),
        EventType::BotPromoted,
        json!({"bot": bot_json(&bot), "message": message}),
    );
    Ok(Json(
        json!({"success": true, "message": message, "bot": bot_json(&bot)}),
    ))
}

#[utoipa::path(
    get,
    path = "/api/quarantine/status",
    operation_id = "get_api_quarantine_status",
    tag = "Training",
    summary = "Quarantined bots and the policy",
    responses(
        (status = 200, description = "OK", body = docs::bots::QuarantineStatus)
    ),
    security(("bearerAuth" = []))
)]
async fn quarantine_status(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Json<Value>> {
    let now = state.clock.now();
    let bots: Vec<Value> = state
        .store
        .bots
        .list(user.id(), Some(BotStatus::Quarantined))
        .await?
        .iter()
        .map(|bot| {
            json!({
                "id": bot.id, "name": bot.name, "exchange": bot.exchange.as_str(),
                "quarantine_count": bot.quarantine_count, "retraining_until": bot.retraining_until,
                "hours_remaining": round2(quarantine::retraining_hours_remaining(bot, now)),
                "pause_reason": bot.pause_reason,
            })
        })
        .collect();
    Ok(Json(
        json!({"success": true, "quarantined": bots.len(), "bots": bots,
        "policy": {"retraining_hours": quarantine::RETRAINING_HOURS, "max_quarantines": quarantine::MAX_QUARANTINES}}),
    ))
}
