//! Bots, training bay and platforms (SPEC §3, §4, §7).

use serde_json::Value;
use utoipa::ToSchema;

use crate::domain::strategy::trader::{OpenPosition, PendingOrder};
use crate::domain::strategy::{StrategyConfig, StrategySpec};

#[derive(ToSchema)]
pub enum Exchange {
    luno,
    binance,
    kucoin,
    valr,
    ovex,
}

#[derive(ToSchema)]
pub enum RiskMode {
    safe,
    balanced,
    risky,
    aggressive,
}

#[derive(ToSchema)]
pub enum TradingMode {
    paper,
    live,
}

#[derive(ToSchema)]
pub enum BotStatus {
    active,
    paused,
    stopped,
    quarantined,
    live_training_bay,
    deleted,
}

#[derive(ToSchema)]
pub struct Bot {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub exchange: Exchange,
    pub risk_mode: RiskMode,
    pub trading_mode: TradingMode,
    /// Legacy alias of `trading_mode`.
    pub mode: TradingMode,
    pub status: BotStatus,
    pub initial_capital: f64,
    pub current_capital: f64,
    pub total_profit: f64,
    pub trades_count: u64,
    pub win_count: u64,
    pub loss_count: u64,
    /// Percent.
    pub win_rate: f64,
    pub max_drawdown: f64,
    pub daily_trade_count: u32,
    pub last_trade_at: Option<String>,
    pub override_rules: Value,
    pub pause_reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub started_at: Option<String>,
    pub stopped_at: Option<String>,
    pub paper_start_date: Option<String>,
    pub bay_entered_at: Option<String>,
    pub promoted_at: Option<String>,
    pub quarantine_count: u32,
    pub retraining_until: Option<String>,
    pub strategy: StrategyConfig,
    /// `BASE/QUOTE`.
    pub pair: String,
    /// 1m 5m 15m 30m 1h 4h 1d.
    pub timeframe: String,
    /// The open position (null when flat).
    pub position: Option<OpenPosition>,
    /// An order decided on the last close, filled at the next candle's open.
    pub pending_order: Option<PendingOrder>,
    pub cooldown_left: u32,
    /// Open time (epoch ms) of the last candle the strategy evaluated.
    pub last_candle_time: Option<i64>,
    /// Percent below entry (0 = off).
    pub stop_loss_pct: f64,
    /// Percent above entry (0 = off).
    pub take_profit_pct: f64,
    /// Percent below the highest price since entry (0 = off).
    pub trailing_stop_pct: f64,
    /// Percent of capital per entry.
    pub position_size_pct: f64,
    /// Candles without a new entry after a stop.
    pub cooldown_candles: u32,
}

#[derive(ToSchema)]
pub struct CreateBot {
    pub name: String,
    pub exchange: Exchange,
    pub risk_mode: RiskMode,
    /// Default `paper`; `live` needs saved keys and starts in the live training bay.
    pub trading_mode: Option<TradingMode>,
    /// 100 ..= 100000.
    pub initial_capital: f64,
    /// `{name, params}` (see GET /api/strategies); default `momentum_24h`.
    pub strategy: Option<StrategySpec>,
    /// `BASE/QUOTE`; default BTC/USDT on binance and kucoin, BTC/ZAR elsewhere.
    pub pair: Option<String>,
    /// 1m 5m 15m 30m 1h 4h 1d; default 1h.
    pub timeframe: Option<String>,
    /// Percent below entry (0 = off); default from the risk mode.
    pub stop_loss_pct: Option<f64>,
    /// Percent above entry (0 = off); default from the risk mode.
    pub take_profit_pct: Option<f64>,
    /// Percent below the highest price since entry (0 = off).
    pub trailing_stop_pct: Option<f64>,
    /// Percent of capital per entry, 0 < x <= 100.
    pub position_size_pct: Option<f64>,
    /// Candles without a new entry after a stop.
    pub cooldown_candles: Option<u32>,
}

#[derive(ToSchema)]
pub struct BatchCreate {
    pub count: u32,
    pub capital_per_bot: f64,
    pub safe_count: Option<u32>,
    pub balanced_count: Option<u32>,
    pub aggressive_count: Option<u32>,
    pub exchange: Exchange,
}

#[derive(ToSchema)]
pub struct BatchCreated {
    pub bots: Vec<Bot>,
    pub created: u32,
}

/// Only these fields are writable; anything else is ignored.
#[derive(ToSchema)]
pub struct UpdateBot {
    pub name: Option<String>,
    pub risk_mode: Option<RiskMode>,
    pub trading_mode: Option<TradingMode>,
    /// `{name, params}` (see GET /api/strategies); default `momentum_24h`.
    pub strategy: Option<StrategySpec>,
    /// `BASE/QUOTE`; default BTC/USDT on binance and kucoin, BTC/ZAR elsewhere.
    pub pair: Option<String>,
    /// 1m 5m 15m 30m 1h 4h 1d; default 1h.
    pub timeframe: Option<String>,
    /// Percent below entry (0 = off); default from the risk mode.
    pub stop_loss_pct: Option<f64>,
    /// Percent above entry (0 = off); default from the risk mode.
    pub take_profit_pct: Option<f64>,
    /// Percent below the highest price since entry (0 = off).
    pub trailing_stop_pct: Option<f64>,
    /// Percent of capital per entry, 0 < x <= 100.
    pub position_size_pct: Option<f64>,
    /// Candles without a new entry after a stop.
    pub cooldown_candles: Option<u32>,
}

#[derive(ToSchema)]
pub struct BotDeleted {
    pub success: bool,
    pub message: String,
    pub bot_id: String,
    pub bot_name: String,
}

/// Start/stop/pause/resume/promote answer; a refusal is 200 with `success:false`.
#[derive(ToSchema)]
pub struct BotActionResult {
    pub success: bool,
    pub message: String,
    pub bot: Option<Bot>,
    /// Set when the live training bay still holds the bot.
    pub hours_remaining: Option<f64>,
}

#[derive(ToSchema)]
pub struct EvolveResult {
    pub evolved_count: u32,
    pub improvement: f64,
    pub new_strategies: u32,
    pub message: String,
    pub seed: Option<u64>,
}

#[derive(ToSchema)]
pub struct EligibleBots {
    pub success: bool,
    /// `{id, name, exchange, status, eligible, criteria}` per paper bot.
    pub bots: Vec<Value>,
    pub eligible_count: u32,
    /// `{min_days, min_win_rate, min_profit_pct, min_trades}`.
    pub requirements: Value,
}

#[derive(ToSchema)]
pub struct BayBot {
    pub id: String,
    pub name: String,
    pub exchange: Exchange,
    pub bay_entered_at: Option<String>,
    pub hours_elapsed: f64,
    pub hours_remaining: f64,
    pub eligible_for_promotion: bool,
    pub total_profit: f64,
    pub trades_count: u64,
}

#[derive(ToSchema)]
pub struct LiveBay {
    pub success: bool,
    pub live_mode_active: bool,
    /// Sorted by `hours_remaining`.
    pub quarantine_bots: Vec<BayBot>,
    pub total: u32,
    pub ready_for_promotion: u32,
    pub min_training_hours: f64,
}

#[derive(ToSchema)]
pub struct QuarantineStatus {
    pub success: bool,
    pub quarantined: u32,
    /// `{id, name, exchange, quarantine_count, retraining_until, hours_remaining, pause_reason}`.
    pub bots: Vec<Value>,
    /// `{retraining_hours:[1,3,24], max_quarantines}`.
    pub policy: Value,
}

#[derive(ToSchema)]
pub struct Platform {
    pub id: Exchange,
    pub name: String,
    pub display_name: String,
    pub max_bots: u32,
    pub requires_passphrase: bool,
    pub supports_paper: bool,
    pub supports_live: bool,
}

#[derive(ToSchema)]
pub struct PlatformList {
    pub platforms: Vec<Platform>,
    pub total: u32,
}

#[derive(ToSchema)]
pub struct PlatformSummary {
    pub success: bool,
    /// `paper`, `live` or `all`.
    pub mode: String,
    /// `{platform, display_name, max_bots, total_bots, active_bots, total_profit, total_capital}`.
    pub platforms: Vec<Value>,
}

#[derive(ToSchema)]
pub struct PlatformBot {
    pub id: String,
    pub name: String,
    pub status: BotStatus,
    pub trading_mode: TradingMode,
    pub total_profit: f64,
    pub profit_today: f64,
    pub total_trades: u64,
    pub win_rate: f64,
    pub can_start: bool,
    pub can_pause: bool,
    pub can_resume: bool,
    pub can_stop: bool,
}

#[derive(ToSchema)]
pub struct PlatformBots {
    pub success: bool,
    pub platform: Exchange,
    pub mode: String,
    pub bots: Vec<PlatformBot>,
    pub total_bots: u32,
}

#[derive(ToSchema)]
pub struct BotStatusView {
    pub bot_id: String,
    pub name: String,
    pub status: BotStatus,
    pub trading_mode: TradingMode,
    pub pause_reason: Option<String>,
    pub current_capital: f64,
    pub total_profit: f64,
    pub trades_count: u64,
    pub win_rate: f64,
    pub last_trade_at: Option<String>,
    pub can_start: bool,
    pub can_stop: bool,
    pub can_pause: bool,
    pub can_resume: bool,
}

#[derive(ToSchema)]
pub struct EvolveRequest {
    /// Same seed, same result.
    pub seed: Option<u64>,
}
