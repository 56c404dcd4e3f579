//! Bot lifecycle routes: start/stop/pause/resume (driven by the status machine), evolve,
//! and paper->live promotion eligibility.

use crate::http::openapi::schemas as docs;
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::bot_lifecycle::{self, ActionOutcome};
use crate::app::bots::bot_json;
use crate::app::events::emit;
use crate::auth::CurrentUser;
use crate::domain::bot::{Bot, TradingMode};
use crate::domain::status_machine::BotAction;
use crate::domain::{evolve, training};
use crate::error::{parse_optional_json, AppError, AppResult};
use crate::events::EventType;
use crate::state::AppState;
use crate::store::bots::update_bot;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start))
        .routes(routes!(confirm_live_switch))
        .routes(routes!(stop))
        .routes(routes!(pause))
        .routes(routes!(resume))
        .routes(routes!(evolve_bots))
        .routes(routes!(eligible))
}

#[derive(Deserialize, Default)]
struct ReasonBody {
    reason: Option<String>,
}

/// Runs one action through the status machine (`app::bot_lifecycle`). A refused transition
/// is a 200 with `success:false` (the dashboard expects that), and nothing is written.
async fn act(
    state: &AppState,
    user_id: &str,
    id: &str,
    action: BotAction,
    body: &[u8],
) -> AppResult<Json<Value>> {
    let body: ReasonBody = parse_optional_json(body)?;
    let reason = body
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| r.chars().take(200).collect::<String>());
    let outcome = bot_lifecycle::act(state, user_id, id, action, reason.as_deref()).await?;
    Ok(Json(match outcome {
        ActionOutcome::Done { bot, message } => {
            json!({"success": true, "message": message, "bot": bot_json(&bot)})
        }
        ActionOutcome::Refused { bot, refusal } => {
            let mut answer =
                json!({"success": false, "message": refusal.reason, "bot": bot_json(&bot)});
            if let Some(hours) = refusal.hours_remaining {
                answer["hours_remaining"] = json!((hours * 100.0).round() / 100.0);
            }
            answer
        }
    }))
}

#[utoipa::path(
    post,
    path = "/api/bots/{id}/start",
    operation_id = "post_api_bots_id_start",
    tag = "Bots",
    summary = "Start a bot",
    description = "200 `success:false` with `hours_remaining` while in the live training bay, or while emergency stop is on. Emits `bot_started`.",
    params(
        ("id" = String, Path)
    ),
    request_body = Option<docs::common::ReasonBody>,
    responses(
        (status = 200, description = "OK", body = docs::bots::BotActionResult)
    ),
    security(("bearerAuth" = []))
)]
async fn start(
    State(s): State<AppState>,
    CurrentUser(u): CurrentUser,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> AppResult<Json<Value>> {
    act(&s, u.id(), &id, BotAction::Start, &body).await
}

#[utoipa::path(
    post,
    path = "/api/bots/{id}/stop",
    operation_id = "post_api_bots_id_stop",
    tag = "Bots",
    summary = "Stop a bot",
    params(
        ("id" = String, Path)
    ),
    request_body = Option<docs::common::ReasonBody>,
    responses(
        (status = 200, description = "OK", body = docs::bots::BotActionResult)
    ),
    security(("bearerAuth" = []))
)]
async fn stop(
    State(s): State<AppState>,
    CurrentUser(u): CurrentUser,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> AppResult<Json<Value>> {
    act(&s, u.id(), &id, BotAction::Stop, &body).await
}

#[utoipa::path(
    post,
    path = "/api/bots/{id}/pause",
    operation_id = "post_api_bots_id_pause",
    tag = "Bots",
    summary = "Pause a bot",
    params(
        ("id" = String, Path)
    ),
    request_body = Option<docs::common::ReasonBody>,
    responses(
        (status = 200, description = "OK", body = docs::bots::BotActionResult)
    ),
    security(("bearerAuth" = []))
)]
async fn pause(
    State(s): State<AppState>,
    CurrentUser(u): CurrentUser,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> AppResult<Json<Value>> {
    act(&s, u.id(), &id, BotAction::Pause, &body).await
}

#[utoipa::path(
    post,
    path = "/api/bots/{id}/resume",
    operation_id = "post_api_bots_id_resume",
    tag = "Bots",
    summary = "Resume a paused bot",
    params(
        ("id" = String, Path)
    ),
    request_body = Option<docs::common::ReasonBody>,
    responses(
        (status = 200, description = "OK", body = docs::bots::BotActionResult)
    ),
    security(("bearerAuth" = []))
)]
async fn resume(
    State(s): State<AppState>,
    CurrentUser(u): CurrentUser,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> AppResult<Json<Value>> {
    act(&s, u.id(), &id, BotAction::Resume, &body).await
}

#[derive(Deserialize, Default)]
struct EvolveBody {
    seed: Option<u64>,
}

/// Moves the worst performers' parameters toward the best's; deterministic for a given seed.
#[utoipa::path(
    post,
    path = "/api/bots/evolve",
    operation_id = "post_api_bots_evolve",
    tag = "Bots",
    summary = "Move the worst performers' parameters toward the best's",
    description = "Needs >= 10 bots; deterministic given a seed.",
    request_body = Option<docs::bots::EvolveRequest>,
    responses(
        (status = 200, description = "OK", body = docs::bots::EvolveResult),
        (status = 400, description = "Bad request (error.code says why)", body = docs::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn evolve_bots(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    body: axum::body::Bytes,
) -> AppResult<Json<Value>> {
    let body: EvolveBody = parse_optional_json(&body)?;
    let seed = body
        .seed
        .unwrap_or_else(|| state.clock.now().timestamp_millis().unsigned_abs());
    let bots = state.store.bots.list(user.id(), None).await?;
    let result = evolve::evolve(&bots, seed)?;
    let now = state.clock.now();
    for evolved in &result.bots {
        // Only the parameters change; they are set on the bot as it is when saved.
        let params = evolved.params;
        let set_params = |bot: &mut Bot| {
            bot.params = params;
            bot.updated_at = now;
            Ok::<_, AppError>(true)
        };
        let updated = update_bot(
            state.store.bots.as_ref(),
            Some(evolved.clone()),
            user.id(),
            &evolved.id,
            set_params,
        )
        .await?;
        if let Some((bot, true)) = updated {
            emit(
                &state,
                user.id(),
                EventType::BotUpdated,
                json!({"bot_id": bot.id, "changes": {"params": bot.params}}),
            );
        }
    }
    Ok(Json(json!({
        "evolved_count": result.evolved_count,
        "improvement": result.improvement,
        "new_strategies": result.new_strategies,
        "message": format!("Evolved {} bots toward the best performers", result.evolved_count),
        "seed": seed,
    })))
}

/// The existing dashboard's "switch to live" confirmation.
#[utoipa::path(
    post,
    path = "/api/bots/confirm-live-switch",
    operation_id = "post_api_bots_confirm_live_switch",
    tag = "Bots",
    summary = "Confirm the switch to live: live mode on, paper bots into the training bay",
    description = "`{luno_funded, use_paper_bots}`. Without `luno_funded` nothing changes \
                   (`switched:false`). Otherwise the user's live mode goes on and, with \
                   `use_paper_bots`, each active or paused paper bot whose exchange has saved keys \
                   enters the live training bay (it trades on paper until promoted). 400 \
                   LIVE_TRADING_DISABLED when the server does not allow live trading.",
    request_body = crate::app::live_switch::LiveSwitchRequest,
    responses(
        (status = 200, description = "OK", body = crate::app::live_switch::LiveSwitchResult)
    ),
    security(("bearerAuth" = []))
)]
async fn confirm_live_switch(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    body: axum::body::Bytes,
) -> AppResult<Json<crate::app::live_switch::LiveSwitchResult>> {
    let req: crate::app::live_switch::LiveSwitchRequest = parse_optional_json(&body)?;
    Ok(Json(
        crate::app::live_switch::confirm(&state, user.id(), &req).await?,
    ))
}

/// Paper bots with each promotion criterion (days, win rate, profit, trades) and the verdict.
#[utoipa::path(
    get,
    path = "/api/bots/eligible-for-promotion",
    operation_id = "get_api_bots_eligible_for_promotion",
    tag = "Bots",
    summary = "Paper bots ready for live",
    responses(
        (status = 200, description = "OK", body = docs::bots::EligibleBots)
    ),
    security(("bearerAuth" = []))
)]
async fn eligible(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Json<Value>> {
    let now = state.clock.now();
    let mut rows = Vec::new();
    for bot in state.store.bots.list(user.id(), None).await? {
        if bot.trading_mode != TradingMode::Paper {
            continue;
        }
        let e = training::paper_to_live_eligibility(&bot, now, &state.config.trading);
        rows.push(json!({
            "id": bot.id, "name": bot.name, "exchange": bot.exchange.as_str(), "status": bot.status.as_str(),
            "eligible": e.eligible, "criteria": e,
        }));
    }
    let eligible_count = rows.iter().filter(|r| r["eligible"] == true).count();
    Ok(Json(
        json!({"success": true, "bots": rows, "eligible_count": eligible_count,
        "requirements": {"min_days": state.config.trading.paper_training_days, "min_win_rate": 52.0, "min_profit_pct": 3.0, "min_trades": 25}}),
    ))
}
