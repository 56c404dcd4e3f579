//! The circuit breaker around the domain rule: gathering its inputs from storage, tripping
//! (pause the bot + alert), status and reset (SPEC §8 gate 4).
//!
//! A reset resumes bots the breaker paused and starts a new baseline: the peak capital becomes
//! the current capital, and losses, daily loss and errors before the reset stop counting.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::app::events::emit;
use crate::domain::bot::{Bot, BotStatus};
use crate::domain::circuit_breaker::{self, BreakerInput};
use crate::domain::gates::utc_day_start;
use crate::domain::settings::Alert;
use crate::events::EventType;
use crate::state::AppState;
use crate::store::bots::update_bot;
use crate::store::{StoreError, StoreResult};
use crate::trading::publish_status_change;
use serde_json::json;

/// `pause_reason` prefix of a breaker pause; reset only resumes bots paused this way.
pub const PAUSE_PREFIX: &str = "Circuit breaker: ";

fn later(a: DateTime<Utc>, b: Option<DateTime<Utc>>) -> DateTime<Utc> {
    b.map_or(a, |b| a.max(b))
}

/// The breaker's numbers for one bot, from its stored figures and its trades and orders.
pub async fn input_for(
    state: &AppState,
    bot: &Bot,
    now: DateTime<Utc>,
) -> StoreResult<BreakerInput> {
    let store = &state.store;
    let cfg = &state.config.trading;
    let day_since = later(utc_day_start(now), bot.breaker_reset_at);
    let pnl_today = store
        .trades
        .pnl_since(&bot.user_id, Some(&bot.id), day_since)
        .await?;
    let consecutive_losses = store
        .trades
        .consecutive_losses(
            &bot.user_id,
            &bot.id,
            bot.breaker_reset_at,
            cfg.max_consecutive_losses,
        )
        .await?;
    let error_since = later(now - Duration::hours(1), bot.breaker_reset_at);
    let errors_last_hour = store
        .orders
        .count_errors_since(&bot.user_id, &bot.id, error_since)
        .await?;
    Ok(BreakerInput {
        initial_capital: bot.initial_capital,
        peak_capital: bot.peak_capital,
        current_capital: bot.current_capital,
        day_start_capital: bot.current_capital - pnl_today,
        consecutive_losses,
        errors_last_hour,
    })
}

/// Pauses a running bot the breaker tripped on and raises a critical alert.
pub async fn trip(state: &AppState, user_id: &str, bot_id: &str, reason: &str) -> StoreResult<()> {
    let now = state.clock.now();
    let Some(found) = state.store.bots.find(user_id, bot_id).await? else {
        return Ok(());
    };
    let from = found.status;
    // Only a running bot is paused: a bay bot keeps its bay status (resetting must not
    // promote it), and the gate refuses its orders while the breaker condition holds.
    // Applied to the bot as it is when saved, so a fill booked meanwhile stays.
    let pause = |bot: &mut Bot| -> Result<bool, StoreError> {
        if bot.status != BotStatus::Active {
            return Ok(false);
        }
        bot.status = BotStatus::Paused;
        bot.pause_reason = Some(format!("{PAUSE_PREFIX}{reason}"));
        bot.updated_at = now;
        Ok(true)
    };
    let updated = update_bot(
        state.store.bots.as_ref(),
        Some(found),
        user_id,
        bot_id,
        pause,
    )
    .await?;
    if let Some((bot, written)) = updated {
        if written {
            publish_status_change(state, &bot, from, &format!("circuit breaker: {reason}"));
        }
        let message = format!("Bot {} paused by the circuit breaker: {reason}", bot.name);
        let alert = Alert::new(
            user_id,
            Some(bot_id),
            "circuit_breaker",
            "critical",
            &message,
            now,
        );
        state.store.alerts.insert(&alert).await?;
        emit(state, user_id, EventType::Alert, json!({"alert": alert}));
        tracing::warn!(bot_id, reason, "circuit breaker tripped");
    }
    Ok(())
}

pub fn is_tripped(bot: &Bot) -> bool {
    bot.status == BotStatus::Paused
        && bot
            .pause_reason
            .as_deref()
            .is_some_and(|r| r.starts_with(PAUSE_PREFIX))
}

#[derive(Debug, Serialize)]
pub struct BotBreakerStatus {
    pub bot_id: String,
    pub name: String,
    pub status: BotStatus,
    pub tripped: bool,
    pub reason: Option<String>,
    /// What the breaker would decide for the next order.
    pub would_trip: bool,
    pub drawdown_percent: f64,
    pub daily_loss_percent: f64,
    pub consecutive_losses: u32,
    pub errors_last_hour: u32,
    pub reset_at: Option<DateTime<Utc>>,
}

/// `GET /api/circuit-breaker/status` for every bot of the user.
pub async fn status(state: &AppState, user_id: &str) -> StoreResult<serde_json::Value> {
    let now = state.clock.now();
    let cfg = &state.config.trading;
    let mut bots = Vec::new();
    for bot in state.store.bots.list(user_id, None).await? {
        let input = input_for(state, &bot, now).await?;
        bots.push(BotBreakerStatus {
            tripped: is_tripped(&bot),
            reason: is_tripped(&bot).then(|| bot.pause_reason.clone()).flatten(),
            would_trip: circuit_breaker::evaluate(&input, cfg).is_tripped(),
            drawdown_percent: circuit_breaker::drawdown_percent(&input),
            daily_loss_percent: circuit_breaker::daily_loss_percent(&input),
            consecutive_losses: input.consecutive_losses,
            errors_last_hour: input.errors_last_hour,
            reset_at: bot.breaker_reset_at,
            bot_id: bot.id,
            name: bot.name,
            status: bot.status,
        });
    }
    let tripped = bots.iter().filter(|b| b.tripped).count();
    Ok(serde_json::json!({
        "tripped": tripped > 0,
        "tripped_count": tripped,
        "bots": bots,
        "limits": {
            "max_drawdown_percent": cfg.max_drawdown_percent,
            "max_daily_loss_percent": cfg.max_daily_loss_percent,
            "max_consecutive_losses": cfg.max_consecutive_losses,
            "max_errors_per_hour": cfg.max_errors_per_hour,
        },
    }))
}

/// Resets one bot (any status: new baseline) or every breaker-paused bot of the user.
/// Returns the ids of the bots that were reset; `None` when `bot_id` is not the user's.
pub async fn reset(
    state: &AppState,
    user_id: &str,
    bot_id: Option<&str>,
) -> StoreResult<Option<Vec<String>>> {
    let now = state.clock.now();
    let targets = match bot_id {
        Some(id) => match state.store.bots.find(user_id, id).await? {
            Some(bot) => vec![bot],
            None => return Ok(None),
        },
        None => state
            .store
            .bots
            .list(user_id, Some(BotStatus::Paused))
            .await?
            .into_iter()
            .filter(is_tripped)
            .collect(),
    };
    let mut reset = Vec::new();
    for target in targets {
        let from = target.status;
        let mut was_tripped = false;
        let reset_breaker = |bot: &mut Bot| {
            was_tripped = is_tripped(bot);
            if was_tripped {
                bot.status = BotStatus::Active;
                bot.pause_reason = None;
                bot.started_at = Some(now);
            }
            bot.breaker_reset_at = Some(now);
            bot.peak_capital = bot.current_capital;
            bot.updated_at = now;
            Ok::<_, StoreError>(true)
        };
        // Applied to the bot as it is when saved, so a fill booked meanwhile stays.
        let (user_id, id) = (target.user_id.clone(), target.id.clone());
        let updated = update_bot(
            state.store.bots.as_ref(),
            Some(target),
            &user_id,
            &id,
            reset_breaker,
        )
        .await?;
        if let Some((bot, true)) = updated {
            if was_tripped {
                publish_status_change(state, &bot, from, "circuit breaker reset");
            }
            reset.push(bot.id);
        }
    }
    Ok(Some(reset))
}
