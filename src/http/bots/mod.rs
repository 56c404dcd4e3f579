//! `/api/bots`: list, create, batch-create, get, status, update (whitelisted), delete.

mod lifecycle;

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

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

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/bots", get(list).post(create))
        .route("/api/bots/batch-create", post(batch_create))
        .route("/api/bots/{id}", get(get_one).put(update).delete(remove))
        .route("/api/bots/{id}/status", get(status))
        .merge(lifecycle::router())
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Value>> {
    let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => Some(
            BotStatus::parse(raw).ok_or_else(|| AppError::field("status", "unknown bot status"))?,
        ),
        None => None,
    };
    let bots = state.store.bots.list(user.id(), status).await?;
    Ok(Json(Value::Array(bots.iter().map(bot_json).collect())))
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

async fn create(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    AppJson(input): AppJson<NewBotInput>,
) -> AppResult<Json<Value>> {
    let new = bot_rules::validate_new_bot(input)?;
    let keys = has_keys(&state, user.id(), new.exchange).await?;
    bot_rules::require_api_keys(new.exchange, new.trading_mode, keys)?;
    let exchange = new.exchange;
    let bot = Bot::new(user.id(), new, state.clock.now(), &state.config.trading);
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

async fn get_one(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(bot_json(&load_bot(&state, user.id(), &id).await?)))
}

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
