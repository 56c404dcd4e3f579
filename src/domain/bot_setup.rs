//! A bot's trading setup (strategy, pair, timeframe, risk exits): the fields of the create and
//! update bodies that choose it, validated together so the answer lists every bad field.

use serde::Deserialize;
use serde_json::json;

use crate::domain::bot::{Bot, BotStatus};
use crate::domain::bot_rules::Changes;
use crate::domain::candles::{Pair, Timeframe};
use crate::domain::orders::KNOWN_SYMBOLS;
use crate::domain::strategy::risk::RiskParams;
use crate::domain::strategy::{validate, StrategySpec};
use crate::error::{AppError, FieldError};

/// The setup fields of `POST /api/bots` and `PUT /api/bots/{id}`; each is optional (absent =
/// unchanged, or the default on create).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SetupInput {
    #[serde(default)]
    pub strategy: Option<StrategySpec>,
    #[serde(default)]
    pub pair: Option<String>,
    #[serde(default)]
    pub timeframe: Option<String>,
    #[serde(default)]
    pub stop_loss_pct: Option<f64>,
    #[serde(default)]
    pub take_profit_pct: Option<f64>,
    #[serde(default)]
    pub trailing_stop_pct: Option<f64>,
    #[serde(default)]
    pub position_size_pct: Option<f64>,
    #[serde(default)]
    pub cooldown_candles: Option<u32>,
}

/// Validates every setup field, then applies them to `bot` (nothing changes when one is bad).
///
/// On an existing bot (`creating` false), changing what it trades (strategy, pair or
/// timeframe) is refused while it runs or holds a position: its stored position and pending
/// order belong to the old setup. Risk fields may change any time; they apply from the next
/// candle.
pub fn apply_setup(bot: &mut Bot, input: &SetupInput, creating: bool) -> Result<Changes, AppError> {
    let mut errors = Vec::new();
    let strategy = match input.strategy.as_ref().map(validate) {
        Some(Ok(config)) => Some(config),
        Some(Err(mut e)) => {
            errors.append(&mut e);
            None
        }
        None => None,
    };
    let pair = match input.pair.as_deref() {
        Some(raw) => {
            match Pair::parse(raw).filter(|p| KNOWN_SYMBOLS.contains(&p.to_string().as_str())) {
                Some(pair) => Some(pair),
                None => {
                    errors.push(FieldError::new(
                        "pair",
                        format!("must be one of {}", KNOWN_SYMBOLS.join(", ")),
                    ));
                    None
                }
            }
        }
        None => None,
    };
    let timeframe = match input.timeframe.as_deref() {
        Some(raw) => match Timeframe::parse(raw) {
            Some(tf) => Some(tf),
            None => {
                errors.push(FieldError::new(
                    "timeframe",
                    format!("must be one of {}", Timeframe::ALLOWED),
                ));
                None
            }
        },
        None => None,
    };
    let old_risk = bot.risk();
    let risk = RiskParams {
        stop_loss_pct: input.stop_loss_pct.unwrap_or(old_risk.stop_loss_pct),
        take_profit_pct: input.take_profit_pct.unwrap_or(old_risk.take_profit_pct),
        trailing_stop_pct: input
            .trailing_stop_pct
            .unwrap_or(old_risk.trailing_stop_pct),
        position_size_pct: input
            .position_size_pct
            .unwrap_or(old_risk.position_size_pct),
        cooldown_candles: input.cooldown_candles.unwrap_or(old_risk.cooldown_candles),
    };
    if let Err(mut e) = risk.check() {
        errors.append(&mut e);
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }

    let trades_change = strategy.as_ref().is_some_and(|s| *s != bot.strategy)
        || pair.as_ref().is_some_and(|p| *p != bot.trading_pair())
        || timeframe.is_some_and(|t| t != bot.timeframe);
    if trades_change && !creating {
        if matches!(bot.status, BotStatus::Active | BotStatus::LiveTrainingBay) {
            return Err(AppError::conflict(
                "BOT_ACTIVE",
                "Pause the bot before changing its strategy, pair or timeframe",
            ));
        }
        if bot.position.is_some() {
            return Err(AppError::conflict(
                "POSITION_OPEN",
                "Close the bot's open position (force-exit) before changing its strategy, pair or timeframe",
            ));
        }
    }

    let mut changes = Changes::new();
    if let Some(config) = strategy.filter(|s| *s != bot.strategy) {
        changes.insert("strategy".into(), json!(config));
        bot.strategy = config;
    }
    if let Some(pair) = pair.filter(|p| *p != bot.trading_pair()) {
        changes.insert("pair".into(), json!(pair.to_string()));
        bot.pair = Some(pair.to_string());
    }
    if let Some(tf) = timeframe.filter(|t| *t != bot.timeframe) {
        changes.insert("timeframe".into(), json!(tf));
        bot.timeframe = tf;
    }
    if trades_change {
        // A new series: history of the old one says nothing about it.
        bot.pending_order = None;
        bot.pending_decision_id = None;
        bot.cooldown_left = 0;
        bot.last_candle_time = None;
    }
    let p = &mut bot.params;
    let mut set = |name: &str, field: &mut f64, new: f64| {
        if *field != new {
            *field = new;
            changes.insert(name.into(), json!(new));
        }
    };
    set("stop_loss_pct", &mut p.stop_loss_pct, risk.stop_loss_pct);
    set(
        "take_profit_pct",
        &mut p.take_profit_pct,
        risk.take_profit_pct,
    );
    set(
        "trailing_stop_pct",
        &mut p.trailing_stop_pct,
        risk.trailing_stop_pct,
    );
    set(
        "position_size_pct",
        &mut p.position_size_pct,
        risk.position_size_pct,
    );
    if p.cooldown_candles != risk.cooldown_candles {
        p.cooldown_candles = risk.cooldown_candles;
        changes.insert("cooldown_candles".into(), json!(risk.cooldown_candles));
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::bot::test_support::paper_bot;

    fn input(v: serde_json::Value) -> SetupInput {
        serde_json::from_value(v).unwrap()
    }

    fn update(bot: &mut Bot, v: serde_json::Value) -> Result<Changes, AppError> {
        apply_setup(bot, &input(v), false)
    }

    fn paused() -> Bot {
        let mut bot = paper_bot();
        bot.status = BotStatus::Paused;
        bot
    }

    #[test]
    fn every_bad_field_is_listed_and_nothing_changes() {
        let mut bot = paused();
        let before = bot.clone();
        let err = update(
            &mut bot,
            json!({
                "strategy": {"name": "sma_cross", "params": {"fast": 50, "slow": 20}},
                "pair": "BTC",
                "timeframe": "2m",
                "stop_loss_pct": -1,
                "position_size_pct": 0
            }),
        )
        .unwrap_err();
        let fields: Vec<&str> = err.fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "strategy.params.slow",
                "pair",
                "timeframe",
                "stop_loss_pct",
                "position_size_pct"
            ]
        );
        assert_eq!(err.fields[0].message, "must be greater than fast");
        assert_eq!(bot, before);
    }

    #[test]
    fn a_paused_bot_takes_a_new_strategy_and_forgets_the_old_series() {
        let mut bot = paused();
        bot.last_candle_time = Some(1);
        bot.pending_order = Some(crate::domain::strategy::trader::PendingOrder::Enter);
        let changes = update(&mut bot, json!({"strategy": {"name": "sma_cross"}, "pair": "eth-usdt", "timeframe": "15m", "trailing_stop_pct": 1.5}),
        )
        .unwrap();
        assert_eq!(bot.strategy.name, "sma_cross");
        assert_eq!(bot.strategy.param("slow"), 30.0);
        assert_eq!(bot.trading_pair().to_string(), "ETH/USDT");
        assert_eq!(bot.timeframe, Timeframe::M15);
        assert_eq!(bot.risk().trailing_stop_pct, 1.5);
        assert_eq!((bot.last_candle_time, bot.pending_order), (None, None));
        let mut keys: Vec<&str> = changes.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["pair", "strategy", "timeframe", "trailing_stop_pct"]);
    }

    #[test]
    fn an_active_bot_keeps_its_strategy_but_takes_new_risk_settings() {
        let mut bot = paper_bot();
        assert_eq!(bot.status, BotStatus::Active);
        let err = update(&mut bot, json!({"strategy": {"name": "breakout"}})).unwrap_err();
        assert_eq!(err.code, "BOT_ACTIVE");
        assert!(err.message.contains("Pause the bot"));
        let changes = update(&mut bot, json!({"stop_loss_pct": 4})).unwrap();
        assert_eq!(bot.params.stop_loss_pct, 4.0);
        assert_eq!(changes.len(), 1);
        // The same strategy again is not a change.
        let same = json!({"strategy": {"name": bot.strategy.name.clone()}});
        assert!(update(&mut bot, same).unwrap().is_empty());
    }

    #[test]
    fn an_open_position_blocks_a_new_pair() {
        let mut bot = paused();
        bot.position = Some(crate::domain::strategy::trader::OpenPosition {
            entry_time: 0,
            entry_price: 1.0,
            size: 1.0,
            entry_fee: 0.0,
            entry_slippage: 0.0,
            highest: 1.0,
        });
        let err = update(&mut bot, json!({"pair": "ETH/ZAR"})).unwrap_err();
        assert_eq!(err.code, "POSITION_OPEN");
    }
}
