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
use crate::app::bots::bot_json;
use crate::app::events::emit;
use crate::config::Config;
use crate::domain::autopilot::{self, ReinvestPlan, Withdrawal};
use crate::domain::bot::{Bot, BotStatus, Exchange, NewBot, RiskMode, TradingMode};
use crate::domain::bot_rules::MIN_CAPITAL;
use crate::domain::settings::SystemMode;
use crate::domain::training;
use crate::domain::user::UserStatus;
use crate::error::AppResult;
use crate::events::EventType;
use crate::state::AppState;
use crate::store::bots::{update_bot, BotCaps, CreateOutcome, UPDATE_ATTEMPTS};
use crate::store::StoreError;

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
        let user = state.store.users.find_by_id(&user_id).await?;
        let Some(user) = user.filter(|u| u.status == UserStatus::Active) else {
            continue;
        };
        // An emergency stop means "hands off": the autopilot does nothing for that user.
        if state
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
        if reinvest(state, &user_id, &user.currency, now).await? {
            report.spawned += 1;
        }
    }
    Ok(report)
}

/// Live training bay bots whose hours are done become `paused` + `promoted_at`.
async fn promote_ready(state: &AppState, user_id: &str, now: DateTime<Utc>) -> AppResult<usize> {
    let mut promoted = 0;
    for listed in state
        .store
        .bots
        .list(user_id, Some(BotStatus::LiveTrainingBay))
        .await?
    {
        let id = listed.id.clone();
        // Applied to the bot as it is when saved, so a fill booked meanwhile stays.
        let promote = |bot: &mut Bot| -> Result<bool, StoreError> {
            Ok(training::promote(bot, now, &state.config.trading).is_ok())
        };
        let updated = update_bot(
            state.store.bots.as_ref(),
            Some(listed),
            user_id,
            &id,
            promote,
        )
        .await?;
        if let Some((bot, true)) = updated {
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

/// Moves the day's surplus into a new bot. Each donor's share is taken out first by a relative
/// update that never takes it below its starting capital (so a fill booked meanwhile is kept
/// and a loss since the plan shrinks the share), then the bot is created with what was taken.
/// Every move is a `transfer` in the ledger, so `/api/ledger/reconcile` holds; when no bot can
/// be created the shares go back, booked the same way.
async fn reinvest(
    state: &AppState,
    user_id: &str,
    currency: &str,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    Ok(reinvest_now(state, user_id, currency, now).await?.is_some())
}

/// What one reinvestment did.
#[derive(Debug, Clone)]
pub struct Reinvested {
    pub bot: Bot,
    /// Bots capital was taken from.
    pub donors: usize,
}

/// The autopilot's reinvestment for one user, now (also on demand: `POST
/// /api/profits/reinvest`); `None` when there is nothing to move (see `plan_reinvestment`).
pub async fn reinvest_now(
    state: &AppState,
    user_id: &str,
    currency: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<Reinvested>> {
    let bots = state.store.bots.list(user_id, None).await?;
    let max_bots = state.config.trading.max_bots;
    let Some(plan) = autopilot::plan_reinvestment(&bots, now, max_bots) else {
        return Ok(None);
    };
    let transfer_id = uuid::Uuid::new_v4().to_string();
    let mut taken = Vec::new();
    for withdrawal in &plan.withdrawals {
        let amount = take_share(state, user_id, withdrawal, now).await?;
        if amount > 0.0 {
            let note = format!("Autopilot reinvestment {transfer_id}: moved out to a new bot");
            let leg = autopilot::transfer_entry(
                user_id,
                &withdrawal.bot_id,
                -amount,
                currency,
                &transfer_id,
                note,
                now,
            );
            state.store.ledger.append(leg).await?;
            taken.push((withdrawal.bot_id.clone(), amount));
        }
    }
    let capital: f64 = taken.iter().map(|(_, amount)| amount).sum();
    let sized = ReinvestPlan {
        capital,
        exchange: plan.exchange,
        withdrawals: Vec::new(),
    };
    let created = if capital >= MIN_CAPITAL {
        create_bot(state, user_id, &sized, now).await?
    } else {
        None
    };
    let Some(bot) = created else {
        give_back(state, user_id, &taken, currency, &transfer_id, now).await?;
        return Ok(None);
    };
    let note = format!(
        "Autopilot reinvestment {transfer_id}: moved in from {} bots (internal transfer)",
        taken.len()
    );
    let leg =
        autopilot::transfer_entry(user_id, &bot.id, capital, currency, &transfer_id, note, now);
    state.store.ledger.append(leg).await?;
    for (donor_id, _) in &taken {
        if let Some(donor) = state.store.bots.find(user_id, donor_id).await? {
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
    Ok(Some(Reinvested {
        donors: taken.len(),
        bot,
    }))
}

/// Takes a donor's share out (re-read and retried when its capital moved meanwhile); returns
/// the amount taken, 0 when nothing could be.
async fn take_share(
    state: &AppState,
    user_id: &str,
    withdrawal: &Withdrawal,
    now: DateTime<Utc>,
) -> AppResult<f64> {
    for _ in 0..UPDATE_ATTEMPTS {
        let Some(donor) = state.store.bots.find(user_id, &withdrawal.bot_id).await? else {
            return Ok(0.0);
        };
        let amount = autopilot::withdrawal_amount(&donor, withdrawal.amount);
        if amount == 0.0 {
            return Ok(0.0);
        }
        let floor = Some(donor.initial_capital);
        if state
            .store
            .bots
            .transfer_capital(user_id, &donor.id, -amount, floor, now)
            .await?
        {
            return Ok(amount);
        }
    }
    Ok(0.0)
}

/// Returns the taken shares when no bot could be created (booked as transfers back).
async fn give_back(
    state: &AppState,
    user_id: &str,
    taken: &[(String, f64)],
    currency: &str,
    transfer_id: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    for (donor_id, amount) in taken {
        // The ledger leg needs a ref unique per bot and move: this is the second move.
        let back_id = format!("{transfer_id}:back");
        if state
            .store
            .bots
            .transfer_capital(user_id, donor_id, *amount, None, now)
            .await?
        {
            let note = format!("Autopilot reinvestment {transfer_id}: returned (no new bot)");
            let leg = autopilot::transfer_entry(
                user_id, donor_id, *amount, currency, &back_id, note, now,
            );
            state.store.ledger.append(leg).await?;
        }
    }
    Ok(())
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
