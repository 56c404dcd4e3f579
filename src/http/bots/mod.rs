//! `/api/bots`: list, create, batch-create, get, status, update (whitelisted), delete.

mod lifecycle;
mod strategy;

use crate::http::openapi::schemas as docs;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::bots::{self as ops, bot_json, load_bot};
use crate::app::events::emit;
use crate::auth::CurrentUser;
use crate::domain::bot::{Bot, BotStatus, Exchange, NewBot, RiskMode, TradingMode};
use crate::domain::bot_rules::{self, BotUpdateInput, NewBotInput};
use crate::error::{AppError, AppJson, AppResult};
use crate::events::EventType;
use crate::state::AppState;
use crate::store::bots::{update_bot, BotCaps, CreateOutcome};
use crate::store::StoreError;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(batch_create))
        .routes(routes!(get_one, update, remove))
        .routes(routes!(status))
        .merge(lifecycle::router())
        .merge(strategy::router())
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/bots",
    operation_id = "get_api_bots",
    tag = "Bots",
    summary = "The caller's bots (not deleted)",
    params(
        ("status" = Option<String>, Query, description = "Filter by status")
    ),
    responses(
        (status = 200, description = "OK", body = Vec<docs::bots::Bot>),
        (status = 422, description = "Validation failed (error.fields lists the fields)", body = docs::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => Some(
            BotStatus::parse(raw).ok_or_else(|| AppError::field("status", "unknown bot status"))?,
        ),
        None => None,
    };
    let Some(status) = status else {
        let body = crate::app::bot_list::rendered(&state, user.id()).await?;
        return Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response());
    };
    let bots = state.store.bots.list(user.id(), Some(status)).await?;
    // Serialised here, while `bots` is still borrowed by the views.
    Ok(Json(bots.iter().map(ops::bot_answer).collect::<Vec<_>>()).into_response())
}

fn caps_for(state: &AppState, exchange: Exchange) -> BotCaps {
    BotCaps {
        exchange_max: exchange.max_bots(),
        total_max: state.config.trading.max_bots,
    }
}

/// Turns a refused insert into the SPEC §3 error code.
fn outcome_error(outcome: CreateOutcome, exchange: Exchange, max_total: u32) -> Option<AppError> {
    match outcome {
        CreateOutcome::Created => None,
        CreateOutcome::ExchangeLimit => Some(AppError::bad_request(
            "EXCHANGE_BOT_LIMIT_REACHED",
            format!(
                "You can have at most {} bots on {}",
                exchange.max_bots(),
                exchange.as_str()
            ),
        )),
        CreateOutcome::TotalLimit => Some(AppError::bad_request(
            "TOTAL_BOT_LIMIT_REACHED",
            format!("You can have at most {max_total} bots in total"),
        )),
        CreateOutcome::DuplicateName => Some(AppError::bad_request(
            "BOT_NAME_DUPLICATE",
            "You already have a bot with this name",
        )),
    }
}

async fn has_keys(state: &AppState, user_id: &str, exchange: Exchange) -> AppResult<bool> {
    Ok(state
        .store
        .keys
        .find(user_id, exchange.as_str())
        .await?
        .is_some())
}

#[utoipa::path(
    post,
    path = "/api/bots",
    operation_id = "post_api_bots",
    tag = "Bots",
    summary = "Create a bot",
    description = "400 `error.code`: INVALID_EXCHANGE, INVALID_CAPITAL_AMOUNT (100..100000), BOT_NAME_DUPLICATE, EXCHANGE_BOT_LIMIT_REACHED, TOTAL_BOT_LIMIT_REACHED, EXCHANGE_API_KEYS_MISSING. 422 for a bad strategy, pair, timeframe or risk field (one message per field, e.g. `strategy.params.slow: must be greater than fast`). Emits `bot_created`.",
    request_body = docs::bots::CreateBot,
    responses(
        (status = 200, description = "OK", body = docs::bots::Bot),
        (status = 400, description = "Bad request (error.code says why)", body = docs::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn create(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    AppJson(input): AppJson<NewBotInput>,
) -> AppResult<Json<Value>> {
    let setup = input.setup.clone();
    let new = bot_rules::validate_new_bot(input)?;
    let exchange = new.exchange;
    let mut bot = Bot::new(user.id(), new, state.clock.now(), &state.config.trading);
    crate::domain::bot_setup::apply_setup(&mut bot, &setup, true)?;
    let keys = has_keys(&state, user.id(), exchange).await?;
    bot_rules::require_api_keys(exchange, bot.trading_mode, keys)?;
    let outcome = state
        .store
        .bots
        .create(&bot, caps_for(&state, exchange))
        .await?;
    if let Some(err) = outcome_error(outcome, exchange, state.config.trading.max_bots) {
        return Err(err);
    }
    emit(
        &state,
        user.id(),
        EventType::BotCreated,
        json!({"bot": bot_json(&bot)}),
    );
    Ok(Json(bot_json(&bot)))
}

#[derive(Deserialize)]
struct BatchBody {
    count: Option<u32>,
    capital_per_bot: f64,
    #[serde(default)]
    safe_count: u32,
    #[serde(default)]
    balanced_count: u32,
    #[serde(default)]
    aggressive_count: u32,
    exchange: String,
}

/// Creates many paper bots at once; all or nothing (the store enforces caps for the batch).
#[utoipa::path(
    post,
    path = "/api/bots/batch-create",
    operation_id = "post_api_bots_batch_create",
    tag = "Bots",
    summary = "Create several bots (all or nothing)",
    request_body = docs::bots::BatchCreate,
    responses(
        (status = 200, description = "OK", body = docs::bots::BatchCreated),
        (status = 400, description = "Bad request (error.code says why)", body = docs::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn batch_create(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    AppJson(body): AppJson<BatchBody>,
) -> AppResult<Json<Value>> {
    let exchange = bot_rules::parse_exchange(&body.exchange)?;
    let capital = bot_rules::validate_capital(body.capital_per_bot)?;
    let by_mode = [
        (RiskMode::Safe, body.safe_count),
        (RiskMode::Balanced, body.balanced_count),
        (RiskMode::Aggressive, body.aggressive_count),
    ];
    let split: u32 = by_mode.iter().map(|(_, n)| n).sum();
    let count = body.count.unwrap_or(split);
    if count == 0 || count > state.config.trading.max_bots {
        return Err(AppError::field(
            "count",
            "count must be between 1 and the bot limit",
        ));
    }
    if split != 0 && split != count {
        return Err(AppError::field(
            "count",
            "safe_count + balanced_count + aggressive_count must equal count",
        ));
    }
    let modes: Vec<RiskMode> = if split == 0 {
        vec![RiskMode::Balanced; count as usize]
    } else {
        by_mode
            .iter()
            .flat_map(|(mode, n)| std::iter::repeat_n(*mode, *n as usize))
            .collect()
    };
    let existing: Vec<String> = state
        .store
        .bots
        .list(user.id(), None)
        .await?
        .into_iter()
        .map(|b| b.name.to_lowercase())
        .collect();
    let now = state.clock.now();
    let mut bots = Vec::with_capacity(modes.len());
    let mut n = 1;
    for mode in modes {
        let name = loop {
            let candidate = format!(
                "{} {} #{n}",
                capitalize(exchange.as_str()),
                capitalize(mode.as_str())
            );
            n += 1;
            if !existing.contains(&candidate.to_lowercase()) {
                break candidate;
            }
        };
        let new = NewBot {
            name,
            exchange,
            risk_mode: mode,
            trading_mode: TradingMode::Paper,
            initial_capital: capital,
        };
        bots.push(Bot::new(user.id(), new, now, &state.config.trading));
    }
    let outcome = state
        .store
        .bots
        .create_many(&bots, caps_for(&state, exchange))
        .await?;
    if let Some(err) = outcome_error(outcome, exchange, state.config.trading.max_bots) {
        return Err(err);
    }
    for bot in &bots {
        emit(
            &state,
            user.id(),
            EventType::BotCreated,
            json!({"bot": bot_json(bot)}),
        );
    }
    let list: Vec<Value> = bots.iter().map(bot_json).collect();
    Ok(Json(json!({"bots": list, "created": bots.len()})))
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

#[utoipa::path(
    get,
    path = "/api/bots/{id}",
    operation_id = "get_api_bots_id",
    tag = "Bots",
    summary = "One bot",
    params(
        ("id" = String, Path)
    ),
    responses(
        (status = 200, description = "OK", body = docs::bots::Bot)
    ),
    security(("bearerAuth" = []))
)]
async fn get_one(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(bot_json(&load_bot(&state, user.id(), &id).await?)))
}

#[utoipa::path(
    get,
    path = "/api/bots/{id}/status",
    operation_id = "get_api_bots_id_status",
    tag = "Bots",
    summary = "A bot's status and allowed actions",
    params(
        ("id" = String, Path)
    ),
    responses(
        (status = 200, description = "OK", body = docs::bots::BotStatusView)
    ),
    security(("bearerAuth" = []))
)]
async fn status(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let bot = load_bot(&state, user.id(), &id).await?;
    let ctx = ops::transition_context(&state, user.id(), state.clock.now()).await?;
    Ok(Json(json!({
        "bot_id": bot.id, "name": bot.name, "status": bot.status.as_str(), "trading_mode": bot.trading_mode.as_str(),
        "pause_reason": bot.pause_reason, "current_capital": bot.current_capital, "total_profit": bot.total_profit,
        "trades_count": bot.trades_count, "win_rate": bot.win_rate, "last_trade_at": bot.last_trade_at,
        "can_start": crate::domain::status_machine::can_start(&bot, ctx),
        "can_stop": crate::domain::status_machine::can_stop(&bot, ctx),
        "can_pause": crate::domain::status_machine::can_pause(&bot, ctx),
        "can_resume": crate::domain::status_machine::can_resume(&bot, ctx),
    })))
}

#[utoipa::path(
    put,
    path = "/api/bots/{id}",
    operation_id = "put_api_bots_id",
    tag = "Bots",
    summary = "Update name, risk_mode, trading_mode, strategy, pair, timeframe, risk exits",
    description = "Switching to live puts the bot in the live training bay. Changing the strategy, pair or timeframe of an active bot answers 409 BOT_ACTIVE (pause it first), of a bot holding a position 409 POSITION_OPEN. 422 for a bad setup field. Emits `bot_updated`.",
    params(
        ("id" = String, Path)
    ),
    request_body = docs::bots::UpdateBot,
    responses(
        (status = 200, description = "OK", body = docs::bots::Bot),
        (status = 400, description = "Bad request (error.code says why)", body = docs::common::ErrorEnvelope),
        (status = 409, description = "BOT_ACTIVE or POSITION_OPEN", body = docs::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn update(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
    AppJson(input): AppJson<BotUpdateInput>,
) -> AppResult<Json<Value>> {
    let loaded = load_bot(&state, user.id(), &id).await?;
    if let Some(mode) = input.trading_mode.as_deref().and_then(TradingMode::parse) {
        let keys = has_keys(&state, user.id(), loaded.exchange).await?;
        bot_rules::require_api_keys(loaded.exchange, mode, keys)?;
    }
    let (now, mut changes) = (state.clock.now(), bot_rules::Changes::new());
    // Applied to the bot as it is when saved, so a fill booked meanwhile stays.
    let updated = update_bot(
        state.store.bots.as_ref(),
        Some(loaded),
        user.id(),
        &id,
        |bot| {
            changes = bot_rules::apply_update(bot, input.clone(), now, &state.config.trading)
                .map_err(UpdateFailure::Refused)?;
            Ok(!changes.is_empty())
        },
    )
    .await;
    let bot = match updated {
        Ok(Some((bot, _))) => bot,
        Ok(None) => return Err(AppError::not_found("BOT_NOT_FOUND", "Bot not found")),
        Err(UpdateFailure::Refused(e)) => return Err(e),
        Err(UpdateFailure::Store(StoreError::Duplicate(_))) => {
            return Err(AppError::bad_request(
                "BOT_NAME_DUPLICATE",
                "You already have a bot with this name",
            ))
        }
        Err(UpdateFailure::Store(e)) => return Err(e.into()),
    };
    if !changes.is_empty() {
        emit(
            &state,
            user.id(),
            EventType::BotUpdated,
            json!({"bot_id": bot.id, "changes": changes}),
        );
    }
    Ok(Json(bot_json(&bot)))
}

/// Why an update was not written: refused by the rules, or by the store (e.g. a taken name).
enum UpdateFailure {
    Refused(AppError),
    Store(StoreError),
}

impl From<StoreError> for UpdateFailure {
    fn from(e: StoreError) -> Self {
        UpdateFailure::Store(e)
    }
}

#[utoipa::path(
    delete,
    path = "/api/bots/{id}",
    operation_id = "delete_api_bots_id",
    tag = "Bots",
    summary = "Soft-delete a bot",
    params(
        ("id" = String, Path)
    ),
    responses(
        (status = 200, description = "OK", body = docs::bots::BotDeleted)
    ),
    security(("bearerAuth" = []))
)]
async fn remove(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let bot = state
        .store
        .bots
        .soft_delete(user.id(), &id, state.clock.now())
        .await?
        .ok_or_else(|| AppError::not_found("BOT_NOT_FOUND", "Bot not found"))?;
    emit(
        &state,
        user.id(),
        EventType::BotDeleted,
        json!({"bot_id": bot.id, "bot_name": bot.name}),
    );
    Ok(Json(
        json!({"success": true, "message": format!("Bot '{}' deleted", bot.name), "bot_id": bot.id, "bot_name": bot.name}),
    ))
}
