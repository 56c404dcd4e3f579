//! Bot lifecycle routes: start/stop/pause/resume (driven by the status machine), evolve,
//! and paper->live promotion eligibility.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::ops::{self, bot_json, emit, load_bot, Commit};
use crate::auth::CurrentUser;
use crate::domain::bot::{Bot, TradingMode};
use crate::domain::status_machine::{self, BotAction, Refusal, EMERGENCY_STOP_REFUSAL};
use crate::domain::{evolve, training};
use crate::error::{parse_optional_json, AppError, AppResult};
use crate::events::EventType;
use crate::state::AppState;
use crate::store::bots::update_bot;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/bots/{id}/start", post(start))
        .route("/api/bots/{id}/stop", post(stop))
        .route("/api/bots/{id}/pause", post(pause))
        .route("/api/bots/{id}/resume", post(resume))
        .route("/api/bots/evolve", post(evolve_bots))
        .route("/api/bots/eligible-for-promotion", get(eligible))
}

#[derive(Deserialize, Default)]
struct ReasonBody {
    reason: Option<String>,
}

/// How often a transition is re-decided when the bot's status changed between reading and
/// writing it (another request or an engine got there first).
const TRANSITION_ATTEMPTS: usize = 3;

/// Runs one action through the status machine. A refused transition is a 200 with
/// `success:false` (the dashboard expects that), and nothing is written. The write is a
/// compare-and-set on the status the decision was made on (see `ops::commit_transition`).
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
    for _ in 0..TRANSITION_ATTEMPTS {
        let before = load_bot(state, user_id, id).await?;
        let now = state.clock.now();
        let ctx = ops::transition_context(state, user_id, now).await?;
        let next = match status_machine::transition(&before, action, ctx) {
            Ok(next) => next,
            Err(refusal) => return Ok(refused(&before, &refusal)),
        };
        let mut bot = before.clone();
        status_machine::apply(&mut bot, action, next, now, reason.as_deref());
        match ops::commit_transition(state, &before, &bot).await? {
            Commit::Written(stored) => return Ok(announce(state, user_id, action, &stored)),
            Commit::StatusChanged => continue,
            Commit::EmergencyStop => {
                let current = load_bot(state, user_id, id).await?;
                return Ok(refused(&current, &Refusal::new(EMERGENCY_STOP_REFUSAL)));
            }
        }
    }
    let current = load_bot(state, user_id, id).await?;
    Ok(refused(
        &current,
        &Refusal::new("The bot's status changed meanwhile; try again"),
    ))
}

/// The 200 `success:false` answer for a refused action.
fn refused(bot: &Bot, refusal: &Refusal) -> Json<Value> {
    let mut answer = json!({"success": false, "message": refusal.reason, "bot": bot_json(bot)});
    if let Some(hours) = refusal.hours_remaining {
        answer["hours_remaining"] = json!((hours * 100.0).round() / 100.0);
    }
    Json(answer)
}

/// Publishes the action's event and answers with the changed bot.
fn announce(state: &AppState, user_id: &str, action: BotAction, bot: &Bot) -> Json<Value> {
    let (event, verb) = match action {
        BotAction::Start => (EventType::BotStarted, "started"),
        BotAction::Stop => (EventType::BotStopped, "stopped"),
        BotAction::Pause => (EventType::BotPaused, "paused"),
        _ => (EventType::BotResumed, "resumed"),
    };
    let message = format!("Bot '{}' {verb}", bot.name);
    emit(
        state,
        user_id,
        event,
        json!({"bot": bot_json(bot), "message": message}),
    );
    Json(json!({"success": true, "message": message, "bot": bot_json(bot)}))
}

async fn start(
    State(s): State<AppState>,
    CurrentUser(u): CurrentUser,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> AppResult<Json<Value>> {
    act(&s, u.id(), &id, BotAction::Start, &body).await
}

async fn stop(
    State(s): State<AppState>,
    CurrentUser(u): CurrentUser,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> AppResult<Json<Value>> {
    act(&s, u.id(), &id, BotAction::Stop, &body).await
}

async fn pause(
    State(s): State<AppState>,
    CurrentUser(u): CurrentUser,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> AppResult<Json<Value>> {
    act(&s, u.id(), &id, BotAction::Pause, &body).await
}

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

/// Paper bots with each promotion criterion (days, win rate, profit, trades) and the verdict.
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
