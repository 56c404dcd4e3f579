//! Bot use cases shared by handlers and engines: the client view of a bot, loading the
//! caller's bot, the transition context and compare-and-set commit, pausing a user's bots.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Value};

use crate::domain::bot::{Bot, BotStatus};
use crate::domain::status_machine::TransitionContext;
use crate::error::{AppError, AppResult};
use crate::events::EventType;
use crate::state::AppState;

pub use crate::app::events::emit;

/// A bot as clients see it: every stored field plus the legacy `mode` alias.
pub fn bot_json(bot: &Bot) -> Value {
    let mut value = serde_json::to_value(bot).unwrap_or_else(|_| json!({}));
    if let Some(obj) = value.as_object_mut() {
        obj.insert("mode".into(), json!(bot.trading_mode.as_str()));
        // Documents from before strategies have no pair: show the one the bot trades.
        obj.insert("pair".into(), json!(bot.trading_pair().to_string()));
        // SPEC §16: the risk fields sit on the bot as they are sent (stored in `params`).
        let risk = bot.risk();
        obj.insert("stop_loss_pct".into(), json!(risk.stop_loss_pct));
        obj.insert("take_profit_pct".into(), json!(risk.take_profit_pct));
        obj.insert("trailing_stop_pct".into(), json!(risk.trailing_stop_pct));
        obj.insert("position_size_pct".into(), json!(risk.position_size_pct));
        obj.insert("cooldown_candles".into(), json!(risk.cooldown_candles));
    }
    value
}

/// `bot_json` without the detour through `serde_json::Value` (a map of ~50 keys per bot),
/// serialised straight to the answer: the bot list sends 20 or more per request.
#[derive(Serialize)]
pub struct BotView<'a> {
    #[serde(flatten)]
    bot: &'a Bot,
    mode: &'static str,
    stop_loss_pct: f64,
    take_profit_pct: f64,
    trailing_stop_pct: f64,
    position_size_pct: f64,
    cooldown_candles: u32,
}

/// One bot of an answer: the direct view, or `bot_json` when the stored `pair` is not the
/// one the bot trades (documents from before strategies), which the view would repeat.
#[derive(Serialize)]
#[serde(untagged)]
pub enum BotAnswer<'a> {
    View(BotView<'a>),
    Json(Value),
}

/// The client view of `bot` (same keys and values as `bot_json`).
pub fn bot_answer(bot: &Bot) -> BotAnswer<'_> {
    let pair = bot.trading_pair().to_string();
    if bot.pair.as_deref() != Some(pair.as_str()) {
        return BotAnswer::Json(bot_json(bot));
    }
    let risk = bot.risk();
    BotAnswer::View(BotView {
        bot,
        mode: bot.trading_mode.as_str(),
        stop_loss_pct: risk.stop_loss_pct,
        take_profit_pct: risk.take_profit_pct,
        trailing_stop_pct: risk.trailing_stop_pct,
        position_size_pct: risk.position_size_pct,
        cooldown_candles: risk.cooldown_candles,
    })
}

/// Loads the caller's bot or answers 404 (another user's id looks exactly like a missing one).
pub async fn load_bot(state: &AppState, user_id: &str, bot_id: &str) -> AppResult<Bot> {
    state
        .store
        .bots
        .find(user_id, bot_id)
        .await?
        .ok_or_else(|| AppError::not_found("BOT_NOT_FOUND", "Bot not found"))
}

/// What the status machine needs to know about the user right now.
pub async fn transition_context(
    state: &AppState,
    user_id: &str,
    now: DateTime<Utc>,
) -> AppResult<TransitionContext> {
    let settings = state.store.settings.get(user_id, now).await?;
    Ok(TransitionContext {
        now,
        emergency_stop_active: settings.emergency_stop,
        live_min_training_hours: state.config.trading.live_min_training_hours,
    })
}

/// Pauses every active bot of a user in one conditional store statement (so a bot cannot be
/// skipped half-way through a loop); returns the paused bots and announces each.
pub async fn pause_all(state: &AppState, user_id: &str, reason: &str) -> AppResult<Vec<Bot>> {
    let now = state.clock.now();
    let paused = state
        .store
        .bots
        .pause_all_active(user_id, reason, now)
        .await?;
    for bot in &paused {
        emit(
            state,
            user_id,
            EventType::BotPaused,
            json!({"bot": bot_json(bot), "message": reason}),
        );
    }
    Ok(paused)
}

/// How writing an allowed transition went.
#[derive(Debug, Clone, PartialEq)]
pub enum Commit {
    /// Written; the bot as stored now.
    Written(Box<Bot>),
    /// The stored status was no longer the one the transition was decided on.
    StatusChanged,
    /// The bot went active but the emergency stop was switched on meanwhile: it was put back.
    EmergencyStop,
}

/// Writes `after` (a transition of `before` decided by the status machine) only if the bot is
/// still in `before`'s status. A bot that becomes active then re-reads the emergency stop: the
/// stop sets its flag before pausing, so either that pause sees this bot active, or this
/// re-read sees the flag and the bot is put back to how it was.
pub async fn commit_transition(state: &AppState, before: &Bot, after: &Bot) -> AppResult<Commit> {
    let bots = &state.store.bots;
    let Some(written) = bots.transition_status(after, &[before.status]).await? else {
        return Ok(Commit::StatusChanged);
    };
    if written.status != BotStatus::Active {
        return Ok(Commit::Written(Box::new(written)));
    }
    let settings = state
        .store
        .settings
        .get(&after.user_id, state.clock.now())
        .await?;
    if !settings.emergency_stop {
        return Ok(Commit::Written(Box::new(written)));
    }
    // If the stop's own pause got here first, the bot is already paused: nothing to undo.
    let mut back = before.clone();
    back.updated_at = state.clock.now();
    bots.transition_status(&back, &[BotStatus::Active]).await?;
    Ok(Commit::EmergencyStop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::bot::test_support;
    use crate::domain::bot::{Exchange, NewBot, RiskMode, TradingMode};

    fn bot(exchange: Exchange) -> Bot {
        let new = NewBot {
            name: "b".into(),
            exchange,
            risk_mode: RiskMode::Aggressive,
            trading_mode: TradingMode::Paper,
            initial_capital: 1000.0,
        };
        Bot::new("u1", new, test_support::t0(), &test_support::config())
    }

    /// The list's direct view answers exactly what `bot_json` answers, and adds no key the
    /// bot already has (a flattened duplicate would appear twice in the text).
    #[test]
    fn the_direct_view_equals_bot_json() {
        for exchange in [Exchange::Binance, Exchange::Valr] {
            let mut bot = bot(exchange);
            bot.params.trailing_stop_pct = 1.5;
            bot.params.cooldown_candles = 3;
            let answer = bot_answer(&bot);
            assert!(matches!(answer, BotAnswer::View(_)));
            let text = serde_json::to_string(&answer).expect("serialises");
            assert_eq!(
                serde_json::from_str::<Value>(&text).expect("json"),
                bot_json(&bot)
            );
            let own = serde_json::to_value(&bot).expect("serialises");
            for key in [
                "mode",
                "stop_loss_pct",
                "take_profit_pct",
                "trailing_stop_pct",
                "position_size_pct",
                "cooldown_candles",
            ] {
                assert!(own.get(key).is_none(), "{key} is already a bot field");
            }
        }
    }

    /// Documents from before strategies have no pair: the answer shows the traded one.
    #[test]
    fn a_bot_without_a_pair_is_answered_with_its_traded_pair() {
        let mut bot = bot(Exchange::Kucoin);
        bot.pair = None;
        let answer = serde_json::to_value(bot_answer(&bot)).expect("serialises");
        assert_eq!(answer["pair"], "BTC/USDT");
        assert_eq!(answer, bot_json(&bot));
    }
}
