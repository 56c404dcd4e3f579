//! Autopilot engine (SPEC §9; `ENABLE_AUTOPILOT` and the user's `autopilot` mode). Hourly:
//! promotes bots whose live training bay hours are done; at most once a UTC day per user:
//! moves paper profit (after fees) into one new paper bot, within `MAX_BOTS` (the bots
//! repository enforces the caps in the database).

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;

use super::notify;
use super::runner::Engine;
use crate::config::Config;
use crate::domain::autopilot::{self, ReinvestPlan};
use crate::domain::bot::{Bot, BotStatus, Exchange, NewBot, RiskMode, TradingMode};
use crate::domain::settings::SystemMode;
use crate::domain::training;
use crate::domain::user::UserStatus;
use crate::error::AppResult;
use crate::events::EventType;
use crate::http::bots::ops::{bot_json, emit};
use crate::state::AppState;
use crate::store::bots::{BotCaps, CreateOutcome};

pub const INTERVAL: Duration = Duration::from_secs(3600);
const SOURCE: &str = "autopilot";

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AutopilotReport {
    pub users: usize,
    pub promoted: usize,
    pub spawned: usize,
}

pub struct Autopilot;

#[async_trait]
impl Engine for Autopilot {
    fn name(&self) -> &'static str {
        super::AUTOPILOT
    }
    fn interval(&self, _config: &Config) -> Duration {
        INTERVAL
    }
    async fn tick(&self, state: &AppState) -> AppResult<String> {
        tick(state).await.map(|r| format!("{r:?}"))
    }
}

/// One autopilot pass over every user who switched the mode on (nothing when the flag is off).
pub async fn tick(state: &AppState) -> AppResult<AutopilotReport> {
    let mut report = AutopilotReport::default();
    if !state.config.flags.enable_autopilot {
        return Ok(report);
    }
    let now = state.clock.now();
    for user_id in state
        .store
        .settings
        .users_with_mode(SystemMode::Autopilot)
        .await?
    {
        let active = state
            .store
            .users
            .find_by_id(&user_id)
            .await?
            .is_some_and(|u| u.status == UserStatus::Active);
        // An emergency stop means "hands off": the autopilot does nothing for that user.
        if !active
            || state
                .store
                .settings
                .get(&user_id, now)
                .await?
                .emergency_stop
        {
            continue;
        }
        report.users += 1;
        report.promoted += promote_ready(state, &user_id, now).await?;
        if reinvest(state, &user_id, now).await? {
            report.spawned += 1;
        }
    }
    Ok(report)
}

/// Live training bay bots whose hours are done become `paused` + `promoted_at`.
async fn promote_ready(state: &AppState, user_id: &str, now: DateTime<Utc>) -> AppResult<usize> {
    let mut promoted = 0;
    for mut bot in state
        .store
        .bots
        .list(user_id, Some(BotStatus::LiveTrainingBay))
        .await?
    {
        if training::promote(&mut bot, now, &state.config.trading).is_err() {
            continue;
        }
        if state.store.bots.save(&bot).await? {
            let message = format!("{} finished live training; ready to start live", bot.name);
            emit(
                state,
                user_id,
                EventType::BotPromoted,
                json!({"bot": bot_json(&bot), "message": message}),
            );
            notify::status_changed(state, &bot, BotStatus::LiveTrainingBay, &message, SOURCE);
            promoted += 1;
        }
    }
    Ok(promoted)
}

/// Creates the day's reinvestment bot, then takes its capital out of the donors.
async fn reinvest(state: &AppState, user_id: &str, now: DateTime<Utc>) -> AppResult<bool> {
    let bots = state.store.bots.list(user_id, None).await?;
    let max_bots = state.config.trading.max_bots;
    let Some(plan) = autopilot::plan_reinvestment(&bots, now, max_bots) else {
        return Ok(false);
    };
    let Some(bot) = create_bot(state, user_id, &plan, now).await? else {
        return Ok(false);
    };
    for withdrawal in &plan.withdrawals {
        // Re-read each donor so a trade booked since the plan is not overwritten.
        let Some(mut donor) = state.store.bots.find(user_id, &withdrawal.bot_id).await? else {
            continue;
        };
        autopilot::withdraw(&mut donor, withdrawal.amount, now);
        if state.store.bots.save(&donor).await? {
            emit(
                state,
                user_id,
                EventType::BotUpdated,
                json!({"bot_id": donor.id, "changes": {"current_capital": donor.current_capital}, "bot": bot_json(&donor)}),
            );
        }
    }
    emit(
        state,
        user_id,
        EventType::BotCreated,
        json!({"bot": bot_json(&bot)}),
    );
    let message = format!(
        "Autopilot reinvested {:.2} of profit into new bot {}",
        bot.initial_capital, bot.name
    );
    notify::alert(state, user_id, Some(&bot.id), "autopilot", "info", &message).await?;
    Ok(true)
}

/// Inserts the new paper bot on the plan's exchange, or any other with room; `None` when
/// every cap is reached (the database decides, so concurrent creates cannot overshoot).
async fn create_bot(
    state: &AppState,
    user_id: &str,
    plan: &ReinvestPlan,
    now: DateTime<Utc>,
) -> AppResult<Option<Bot>> {
    let exchanges = std::iter::once(plan.exchange)
        .chain(Exchange::ALL.into_iter().filter(|e| *e != plan.exchange));
    for exchange in exchanges {
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let new = NewBot {
            name: format!("Autopilot {} {}", now.format("%Y-%m-%d"), &suffix[..6]),
            exchange,
            risk_mode: RiskMode::Balanced,
            trading_mode: TradingMode::Paper,
            initial_capital: plan.capital,
        };
        let mut bot = Bot::new(user_id, new, now, &state.config.trading);
        bot.autopilot_spawned = true;
        let caps = BotCaps {
            exchange_max: exchange.max_bots(),
            total_max: state.config.trading.max_bots,
        };
        match state.store.bots.create(&bot, caps).await? {
            CreateOutcome::Created => return Ok(Some(bot)),
            CreateOutcome::ExchangeLimit | CreateOutcome::DuplicateName => continue,
            CreateOutcome::TotalLimit => return Ok(None),
        }
    }
    Ok(None)
}
