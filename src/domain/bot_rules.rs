//! Create/update validation for bots and the per-exchange and total caps (SPEC §3).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::config::TradingConfig;
use crate::domain::bot::{Bot, BotStatus, Exchange, NewBot, RiskMode, TradingMode};
use crate::error::AppError;

pub const MIN_CAPITAL: f64 = 100.0;
pub const MAX_CAPITAL: f64 = 100_000.0;
pub const MAX_NAME_CHARS: usize = 64;

/// The raw POST /api/bots body; strings are parsed here so each gets its own error code.
#[derive(Debug, Clone, Deserialize)]
pub struct NewBotInput {
    pub name: String,
    pub exchange: String,
    pub risk_mode: String,
    /// SPEC default: paper.
    #[serde(default)]
    pub trading_mode: Option<String>,
    pub initial_capital: f64,
    /// Strategy, pair, timeframe and risk exits (all optional).
    #[serde(flatten)]
    pub setup: crate::domain::bot_setup::SetupInput,
}

/// Checks every field of a create request; the first failing field decides the error code.
pub fn validate_new_bot(input: NewBotInput) -> Result<NewBot, AppError> {
    let exchange = parse_exchange(&input.exchange)?;
    let initial_capital = validate_capital(input.initial_capital)?;
    let risk_mode = parse_risk_mode(&input.risk_mode)?;
    let trading_mode = match input.trading_mode.as_deref() {
        None => TradingMode::Paper,
        Some(raw) => parse_trading_mode(raw)?,
    };
    let name = validate_name(&input.name)?;
    Ok(NewBot {
        name,
        exchange,
        risk_mode,
        trading_mode,
        initial_capital,
    })
}

pub fn parse_exchange(raw: &str) -> Result<Exchange, AppError> {
    Exchange::parse(raw).ok_or_else(|| {
        AppError::bad_request(
            "INVALID_EXCHANGE",
            "Exchange must be one of luno, binance, kucoin, valr, ovex",
        )
    })
}

pub fn parse_risk_mode(raw: &str) -> Result<RiskMode, AppError> {
    RiskMode::parse(raw).ok_or_else(|| {
        AppError::bad_request(
            "INVALID_RISK_MODE",
            "Risk mode must be one of safe, balanced, risky, aggressive",
        )
    })
}

pub fn parse_trading_mode(raw: &str) -> Result<TradingMode, AppError> {
    TradingMode::parse(raw).ok_or_else(|| {
        AppError::bad_request("INVALID_TRADING_MODE", "Trading mode must be paper or live")
    })
}

/// 100..=100000 inclusive; NaN and infinities are refused too.
pub fn validate_capital(amount: f64) -> Result<f64, AppError> {
    if amount.is_finite() && (MIN_CAPITAL..=MAX_CAPITAL).contains(&amount) {
        Ok(amount)
    } else {
        Err(AppError::bad_request(
            "INVALID_CAPITAL_AMOUNT",
            "Initial capital must be between 100 and 100000",
        ))
    }
}

/// Trimmed, 1..=64 characters (not bytes), no control characters (they break logs and UIs).
pub fn validate_name(raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    let count = name.chars().count();
    if count == 0 || count > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(AppError::bad_request(
            "INVALID_BOT_NAME",
            "Bot name must be 1 to 64 characters without control characters",
        ));
    }
    Ok(name.to_string())
}

/// Caps given the caller's current (non-deleted) bot counts.
pub fn check_caps(
    exchange: Exchange,
    existing_for_exchange: u32,
    existing_total: u32,
    cfg: &TradingConfig,
) -> Result<(), AppError> {
    if existing_for_exchange >= exchange.max_bots() {
        return Err(AppError::bad_request(
            "EXCHANGE_BOT_LIMIT_REACHED",
            format!(
                "You already have the maximum of {} bots on {}",
                exchange.max_bots(),
                exchange.as_str()
            ),
        ));
    }
    if existing_total >= cfg.max_bots {
        return Err(AppError::bad_request(
            "TOTAL_BOT_LIMIT_REACHED",
            format!("You already have the maximum of {} bots", cfg.max_bots),
        ));
    }
    Ok(())
}

/// Names are unique per user, ignoring case and surrounding spaces. Pass the names of the
/// user's other (non-deleted) bots; on rename, leave the bot itself out.
pub fn check_name_unique<'a>(
    name: &str,
    existing: impl IntoIterator<Item = &'a str>,
) -> Result<(), AppError> {
    let wanted = name.trim().to_lowercase();
    if existing
        .into_iter()
        .any(|other| other.trim().to_lowercase() == wanted)
    {
        return Err(AppError::bad_request(
            "BOT_NAME_DUPLICATE",
            format!("You already have a bot named \"{}\"", name.trim()),
        ));
    }
    Ok(())
}

/// Live bots need saved keys for their exchange; paper bots never do.
pub fn require_api_keys(
    exchange: Exchange,
    trading_mode: TradingMode,
    has_keys: bool,
) -> Result<(), AppError> {
    if trading_mode == TradingMode::Live && !has_keys {
        return Err(AppError::bad_request(
            "EXCHANGE_API_KEYS_MISSING",
            format!(
                "Save your {} API keys before using live mode",
                exchange.as_str()
            ),
        ));
    }
    Ok(())
}

/// The PUT /api/bots/{id} body: only these fields are writable; any other key is ignored.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BotUpdateInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub risk_mode: Option<String>,
    #[serde(default)]
    pub trading_mode: Option<String>,
    /// Strategy, pair, timeframe and risk exits (all optional).
    #[serde(flatten)]
    pub setup: crate::domain::bot_setup::SetupInput,
}

/// The changed fields (new values), as sent in `bot_updated {bot_id, changes}`.
pub type Changes = Map<String, Value>;

/// Validates everything first, then applies, so a refused update changes nothing.
/// The caller checks name uniqueness and API keys (they need storage) before calling.
/// `_cfg` is taken for symmetry with `Bot::new` (no rule here reads it yet).
pub fn apply_update(
    bot: &mut Bot,
    input: BotUpdateInput,
    now: DateTime<Utc>,
    _cfg: &TradingConfig,
) -> Result<Changes, AppError> {
    if bot.status == BotStatus::Deleted {
        return Err(AppError::not_found("BOT_NOT_FOUND", "Bot not found"));
    }
    let name = input.name.as_deref().map(validate_name).transpose()?;
    let risk_mode = input
        .risk_mode
        .as_deref()
        .map(parse_risk_mode)
        .transpose()?;
    let trading_mode = input
        .trading_mode
        .as_deref()
        .map(parse_trading_mode)
        .transpose()?;
    let mode_change = trading_mode.filter(|m| *m != bot.trading_mode);
    if mode_change.is_some() && bot.status == BotStatus::Quarantined {
        // Switching mode would otherwise let a bot walk out of quarantine.
        return Err(AppError::bad_request(
            "BOT_QUARANTINED",
            "A quarantined bot cannot change trading mode",
        ));
    }

    // Setup fields are checked on a copy first, so a refused update changes nothing.
    let mut staged = bot.clone();
    if let Some(mode) = risk_mode.filter(|m| *m != staged.risk_mode) {
        // Sizing follows the risk mode; evolved tweaks of the old mode no longer apply
        // (risk fields sent in the same body override the new mode's defaults).
        staged.risk_mode = mode;
        staged.params = mode.default_params();
    }
    let setup_changes = crate::domain::bot_setup::apply_setup(&mut staged, &input.setup, false)?;

    let mut changes = Changes::new();
    if let Some(name) = name.filter(|n| *n != bot.name) {
        changes.insert("name".into(), json!(name));
        bot.name = name;
    }
    if let Some(mode) = risk_mode.filter(|m| *m != bot.risk_mode) {
        changes.insert("risk_mode".into(), json!(mode));
    }
    bot.risk_mode = staged.risk_mode;
    bot.params = staged.params;
    bot.strategy = staged.strategy;
    bot.pair = staged.pair;
    bot.timeframe = staged.timeframe;
    bot.pending_order = staged.pending_order;
    bot.pending_decision_id = staged.pending_decision_id;
    bot.cooldown_left = staged.cooldown_left;
    bot.last_candle_time = staged.last_candle_time;
    changes.extend(setup_changes);
    match mode_change {
        Some(TradingMode::Live) => {
            bot.trading_mode = TradingMode::Live;
            bot.status = BotStatus::LiveTrainingBay;
            bot.bay_entered_at = Some(now);
            bot.promoted_at = None;
            bot.pause_reason = None;
            changes.insert("trading_mode".into(), json!(TradingMode::Live));
            changes.insert("status".into(), json!(bot.status));
            changes.insert("bay_entered_at".into(), json!(now));
        }
        Some(TradingMode::Paper) => {
            bot.trading_mode = TradingMode::Paper;
            changes.insert("trading_mode".into(), json!(TradingMode::Paper));
            if bot.status == BotStatus::LiveTrainingBay {
                // Leaving the bay: wait for an explicit start rather than trading at once.
                bot.status = BotStatus::Paused;
                bot.pause_reason = Some("Switched to paper mode".to_string());
                changes.insert("status".into(), json!(bot.status));
            }
            bot.bay_entered_at = None;
            if bot.paper_start_date.is_none() {
                bot.paper_start_date = Some(now);
            }
        }
        None => {}
    }
    if !changes.is_empty() {
        bot.updated_at = now;
    }
    Ok(changes)
}

#[cfg(test)]
mod tests;
