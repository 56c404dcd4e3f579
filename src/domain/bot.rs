//! The bot aggregate (SPEC §3): its enums, strategy parameters and constructor.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::TradingConfig;
use crate::domain::candles::{Pair, Series, Timeframe};
use crate::domain::strategy::risk::RiskParams;
use crate::domain::strategy::trader::{OpenPosition, PendingOrder};
use crate::domain::strategy::StrategyConfig;

pub use crate::domain::bot_enums::{BotStatus, Exchange, RiskMode, StrategyParams, TradingMode};

/// A validated create request (see `bot_rules::validate_new_bot`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewBot {
    pub name: String,
    pub exchange: Exchange,
    pub risk_mode: RiskMode,
    pub trading_mode: TradingMode,
    pub initial_capital: f64,
}

/// A stored bot. Field names are the SPEC §3 wire names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bot {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub exchange: Exchange,
    pub risk_mode: RiskMode,
    pub trading_mode: TradingMode,
    pub status: BotStatus,
    pub initial_capital: f64,
    pub current_capital: f64,
    pub total_profit: f64,
    pub trades_count: u64,
    pub win_count: u64,
    pub loss_count: u64,
    /// Percent, 0..=100.
    pub win_rate: f64,
    /// Percent below the peak capital, 0..=100.
    pub max_drawdown: f64,
    pub daily_trade_count: u32,
    pub last_trade_at: Option<DateTime<Utc>>,
    /// Admin overrides, always a JSON object (validated by `overrides`).
    #[serde(default = "empty_object")]
    pub override_rules: serde_json::Value,
    pub pause_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub stopped_at: Option<DateTime<Utc>>,
    pub paper_start_date: Option<DateTime<Utc>>,
    pub bay_entered_at: Option<DateTime<Utc>>,
    pub promoted_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub quarantine_count: u32,
    #[serde(default)]
    pub retraining_until: Option<DateTime<Utc>>,
    #[serde(default)]
    pub peak_capital: f64,
    #[serde(default)]
    pub params: StrategyParams,
    /// The last trade booked on this bot: lets a crashed paper fill be re-applied exactly once
    /// (see `store::trades`).
    #[serde(default)]
    pub last_trade_id: Option<String>,
    /// When the circuit breaker was last reset; losses and errors before it no longer count.
    #[serde(default)]
    pub breaker_reset_at: Option<DateTime<Utc>>,
    /// Profit booked since UTC midnight of `last_trade_at`'s day (see `profit_today_at`).
    #[serde(default)]
    pub daily_profit: f64,
    /// Losing trades in a row since the last win (the bodyguard's losing-streak rule).
    #[serde(default)]
    pub consecutive_losses: u32,
    /// Start of the one-hour window the bodyguard watches (see `domain::bodyguard`).
    #[serde(default)]
    pub hour_started_at: Option<DateTime<Utc>>,
    /// Trades booked in that window.
    #[serde(default)]
    pub hour_trade_count: u32,
    /// Highest capital seen in that window (drawdown-in-an-hour is measured from it).
    #[serde(default)]
    pub hour_peak_capital: f64,
    /// Created by the autopilot from reinvested profit (at most one such bot per user per day).
    #[serde(default)]
    pub autopilot_spawned: bool,
    /// The strategy the bot trades by (documents from before strategies: `momentum_24h`).
    #[serde(default)]
    pub strategy: StrategyConfig,
    /// `BASE/QUOTE`; `None` in documents from before strategies, meaning the exchange's
    /// default pair (see [`default_pair`]).
    #[serde(default)]
    pub pair: Option<String>,
    /// The candles the strategy reads.
    #[serde(default = "default_timeframe")]
    pub timeframe: Timeframe,
    /// The open position, if any (stored, so a restart resumes it).
    #[serde(default)]
    pub position: Option<OpenPosition>,
    /// An order decided on the last evaluated close, filled at the next candle's open.
    #[serde(default)]
    pub pending_order: Option<PendingOrder>,
    /// The decision that placed `pending_order` (its order id is attached once it fills).
    #[serde(default)]
    pub pending_decision_id: Option<String>,
    /// Closes on which a new entry is still refused after a stop.
    #[serde(default)]
    pub cooldown_left: u32,
    /// Open time (epoch ms) of the last candle the strategy evaluated.
    #[serde(default)]
    pub last_candle_time: Option<i64>,
    /// The live order working for this bot (an entry or exit on the exchange); the strategy
    /// waits for it to finish before deciding again.
    #[serde(default)]
    pub live_order_id: Option<String>,
    /// Bumped by every write; a write based on an older read is refused (optimistic
    /// concurrency, see `store::bots::update_bot`). 0 only in documents written before versions.
    #[serde(default)]
    pub version: u64,
}

/// Bots read hourly candles unless told otherwise: a day of history is 24 candles, and a
/// decision an hour is a pace a person can follow.
pub const DEFAULT_TIMEFRAME: Timeframe = Timeframe::H1;

fn default_timeframe() -> Timeframe {
    DEFAULT_TIMEFRAME
}

/// The pair a bot trades when none was chosen (ZAR books on the South African venues).
pub fn default_pair(exchange: Exchange) -> Pair {
    let quote = match exchange {
        Exchange::Binance | Exchange::Kucoin => "USDT",
        _ => "ZAR",
    };
    Pair {
        base: "BTC".into(),
        quote: quote.into(),
    }
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

impl Bot {
    /// A fresh bot: paper bots start trading at once (the dashboard expects `active`), live
    /// bots start in the training bay. `_cfg` is taken so callers need not change when
    /// configured defaults (e.g. per-deployment params) arrive.
    pub fn new(user_id: &str, new: NewBot, now: DateTime<Utc>, _cfg: &TradingConfig) -> Self {
        let live = new.trading_mode == TradingMode::Live;
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            user_id: user_id.to_string(),
            name: new.name,
            exchange: new.exchange,
            risk_mode: new.risk_mode,
            trading_mode: new.trading_mode,
            status: if live {
                BotStatus::LiveTrainingBay
            } else {
                BotStatus::Active
            },
            initial_capital: new.initial_capital,
            current_capital: new.initial_capital,
            total_profit: 0.0,
            trades_count: 0,
            win_count: 0,
            loss_count: 0,
            win_rate: 0.0,
            max_drawdown: 0.0,
            daily_trade_count: 0,
            last_trade_at: None,
            override_rules: empty_object(),
            pause_reason: None,
            created_at: now,
            updated_at: now,
            started_at: (!live).then_some(now),
            stopped_at: None,
            paper_start_date: (!live).then_some(now),
            bay_entered_at: live.then_some(now),
            promoted_at: None,
            quarantine_count: 0,
            retraining_until: None,
            peak_capital: new.initial_capital,
            params: new.risk_mode.default_params(),
            last_trade_id: None,
            breaker_reset_at: None,
            daily_profit: 0.0,
            consecutive_losses: 0,
            hour_started_at: None,
            hour_trade_count: 0,
            hour_peak_capital: new.initial_capital,
            autopilot_spawned: false,
            strategy: StrategyConfig::default(),
            pair: Some(default_pair(new.exchange).to_string()),
            timeframe: DEFAULT_TIMEFRAME,
            position: None,
            live_order_id: None,
            pending_order: None,
            pending_decision_id: None,
            cooldown_left: 0,
            last_candle_time: None,
            version: 1,
        }
    }

    /// The pair the bot trades.
    pub fn trading_pair(&self) -> Pair {
        self.pair
            .as_deref()
            .and_then(Pair::parse)
            .unwrap_or_else(|| default_pair(self.exchange))
    }

    /// The candle series its strategy reads.
    pub fn series(&self) -> Series {
        Series::new(self.exchange, self.trading_pair(), self.timeframe)
    }

    /// Its risk exits and sizing.
    pub fn risk(&self) -> RiskParams {
        RiskParams::from_params(&self.params)
    }

    /// Win rate in percent from the counters (0 before the first closed trade).
    pub fn computed_win_rate(&self) -> f64 {
        let closed = self.win_count + self.loss_count;
        if closed == 0 {
            0.0
        } else {
            self.win_count as f64 * 100.0 / closed as f64
        }
    }

    /// Starting capital that came from outside the user's bots: all of it, except for a bot
    /// the autopilot funded from other bots' profit (that capital was already counted where
    /// it was earned; the ledger books it as a `transfer`).
    pub fn external_capital(&self) -> f64 {
        if self.autopilot_spawned {
            0.0
        } else {
            self.initial_capital
        }
    }

    /// Total profit as a percent of the initial capital (0 for a zero capital).
    pub fn profit_pct(&self) -> f64 {
        if self.initial_capital > 0.0 {
            self.total_profit * 100.0 / self.initial_capital
        } else {
            0.0
        }
    }

    /// Profit made on `now`'s UTC day (0 when the bot has not traded today).
    pub fn profit_today_at(&self, now: DateTime<Utc>) -> f64 {
        match self.last_trade_at {
            Some(t) if t.date_naive() == now.date_naive() => self.daily_profit,
            _ => 0.0,
        }
    }

    /// Books one closed trade: capital, counters, win rate, peak and drawdown.
    pub fn record_trade(&mut self, profit_loss: f64, now: DateTime<Utc>) {
        // A new UTC day starts the per-day counters afresh.
        if self
            .last_trade_at
            .is_none_or(|t| t.date_naive() != now.date_naive())
        {
            self.daily_trade_count = 0;
            self.daily_profit = 0.0;
        }
        self.daily_profit += profit_loss;
        crate::domain::bodyguard::track_trade(self, profit_loss, now);
        self.current_capital += profit_loss;
        self.total_profit += profit_loss;
        self.trades_count += 1;
        self.daily_trade_count = self.daily_trade_count.saturating_add(1);
        if profit_loss > 0.0 {
            self.win_count += 1;
        } else {
            self.loss_count += 1;
        }
        self.win_rate = self.computed_win_rate();
        self.peak_capital = self.peak_capital.max(self.current_capital);
        if self.peak_capital > 0.0 {
            let drawdown = (self.peak_capital - self.current_capital) * 100.0 / self.peak_capital;
            self.max_drawdown = self.max_drawdown.max(drawdown.clamp(0.0, 100.0));
        }
        self.last_trade_at = Some(now);
        self.updated_at = now;
    }
}

#[cfg(test)]
pub(crate) mod test_support;

#[cfg(test)]
mod tests;
