//! The bot's closed vocabularies (exchange, risk mode, trading mode, status) and strategy knobs.

use serde::{Deserialize, Serialize};

/// The five supported exchanges (SPEC §3, §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Exchange {
    Luno,
    Binance,
    Kucoin,
    Valr,
    Ovex,
}

impl Exchange {
    pub const ALL: [Exchange; 5] = [
        Exchange::Luno,
        Exchange::Binance,
        Exchange::Kucoin,
        Exchange::Valr,
        Exchange::Ovex,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Exchange::Luno => "luno",
            Exchange::Binance => "binance",
            Exchange::Kucoin => "kucoin",
            Exchange::Valr => "valr",
            Exchange::Ovex => "ovex",
        }
    }
    /// Case-insensitive, surrounding whitespace ignored (dashboards send "Luno").
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        Self::ALL
            .into_iter()
            .find(|e| e.as_str().eq_ignore_ascii_case(raw))
    }
    /// Per-exchange bot cap (SPEC §3).
    pub fn max_bots(self) -> u32 {
        match self {
            Exchange::Luno => 5,
            _ => 10,
        }
    }
    /// The exchange's own spelling of its name.
    pub fn display_name(self) -> &'static str {
        match self {
            Exchange::Luno => "Luno",
            Exchange::Binance => "Binance",
            Exchange::Kucoin => "KuCoin",
            Exchange::Valr => "VALR",
            Exchange::Ovex => "OVEX",
        }
    }
    /// Where the exchange mainly serves: `ZA` (South African exchanges) or `global`.
    pub fn region(self) -> &'static str {
        match self {
            Exchange::Luno | Exchange::Valr | Exchange::Ovex => "ZA",
            Exchange::Binance | Exchange::Kucoin => "global",
        }
    }
    /// KuCoin API keys carry a passphrase besides key and secret.
    pub fn requires_passphrase(self) -> bool {
        matches!(self, Exchange::Kucoin)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RiskMode {
    Safe,
    Balanced,
    Risky,
    Aggressive,
}

impl RiskMode {
    pub const ALL: [RiskMode; 4] = [
        RiskMode::Safe,
        RiskMode::Balanced,
        RiskMode::Risky,
        RiskMode::Aggressive,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            RiskMode::Safe => "safe",
            RiskMode::Balanced => "balanced",
            RiskMode::Risky => "risky",
            RiskMode::Aggressive => "aggressive",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        Self::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(raw))
    }
    /// Starting parameters: more risk means wider targets, bigger positions, shorter holds.
    pub fn default_params(self) -> StrategyParams {
        let (take_profit_pct, stop_loss_pct, position_size_pct, holding_ticks, cooldown_candles) =
            match self {
                RiskMode::Safe => (1.5, 1.0, 5.0, 10, 5),
                RiskMode::Balanced => (3.0, 2.0, 10.0, 8, 3),
                RiskMode::Risky => (5.0, 3.5, 15.0, 6, 2),
                RiskMode::Aggressive => (8.0, 5.0, 25.0, 4, 1),
            };
        StrategyParams {
            take_profit_pct,
            stop_loss_pct,
            position_size_pct,
            holding_ticks,
            trailing_stop_pct: 0.0,
            cooldown_candles,
        }
    }
    /// Upper limits per mode, so evolution never turns a safe bot into an aggressive one.
    fn max_position_and_stop(self) -> (f64, f64) {
        match self {
            RiskMode::Safe => (10.0, 3.0),
            RiskMode::Balanced => (20.0, 5.0),
            RiskMode::Risky => (30.0, 8.0),
            RiskMode::Aggressive => (50.0, 12.0),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TradingMode {
    Paper,
    Live,
}

impl TradingMode {
    pub fn as_str(self) -> &'static str {
        match self {
            TradingMode::Paper => "paper",
            TradingMode::Live => "live",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "paper" => Some(TradingMode::Paper),
            "live" => Some(TradingMode::Live),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BotStatus {
    Active,
    Paused,
    Stopped,
    Quarantined,
    LiveTrainingBay,
    Deleted,
}

impl BotStatus {
    pub const ALL: [BotStatus; 6] = [
        BotStatus::Active,
        BotStatus::Paused,
        BotStatus::Stopped,
        BotStatus::Quarantined,
        BotStatus::LiveTrainingBay,
        BotStatus::Deleted,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            BotStatus::Active => "active",
            BotStatus::Paused => "paused",
            BotStatus::Stopped => "stopped",
            BotStatus::Quarantined => "quarantined",
            BotStatus::LiveTrainingBay => "live_training_bay",
            BotStatus::Deleted => "deleted",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        Self::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(raw))
    }
}

/// Numeric strategy knobs the trading engine reads and `evolve` tunes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StrategyParams {
    /// Close in profit once the position gained this much (percent of entry).
    pub take_profit_pct: f64,
    /// Close in loss once the position lost this much (percent of entry).
    pub stop_loss_pct: f64,
    /// Share of current capital committed per trade (percent).
    pub position_size_pct: f64,
    /// How many scheduler ticks a position is held at most (the pre-strategy executor's
    /// knob; kept for `evolve` and old documents, strategies exit on signals and risk exits).
    pub holding_ticks: u32,
    /// Exit when the price falls this far below the highest price since entry (percent;
    /// 0 = off).
    #[serde(default)]
    pub trailing_stop_pct: f64,
    /// Candles without a new entry after a stop-loss or trailing stop.
    #[serde(default)]
    pub cooldown_candles: u32,
}

impl Default for StrategyParams {
    fn default() -> Self {
        RiskMode::Balanced.default_params()
    }
}

impl StrategyParams {
    /// Forces every knob into the range allowed for `mode` (non-finite values fall back to
    /// the mode's defaults).
    pub fn clamped_for(self, mode: RiskMode) -> Self {
        let defaults = mode.default_params();
        let (max_position, max_stop) = mode.max_position_and_stop();
        let fix =
            |v: f64, d: f64, lo: f64, hi: f64| if v.is_finite() { v.clamp(lo, hi) } else { d };
        Self {
            take_profit_pct: fix(self.take_profit_pct, defaults.take_profit_pct, 0.2, 50.0),
            stop_loss_pct: fix(self.stop_loss_pct, defaults.stop_loss_pct, 0.2, max_stop),
            position_size_pct: fix(
                self.position_size_pct,
                defaults.position_size_pct,
                0.5,
                max_position,
            ),
            holding_ticks: self.holding_ticks.clamp(1, 100),
            trailing_stop_pct: fix(self.trailing_stop_pct, 0.0, 0.0, max_stop),
            cooldown_candles: self.cooldown_candles.min(10_000),
        }
    }
}
