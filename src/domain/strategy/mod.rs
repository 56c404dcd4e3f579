//! Strategies: named, parameterised rules that read closed candles and say buy, sell or nothing.
//!
//! A strategy only reads the market; what that means for a position (enter only when flat,
//! exit only when holding, stops, targets, cooldown) is decided by [`trader::Trader`], so the
//! same code decides in paper trading, in backtests and live.

mod builtins;
mod catalog;
pub mod risk;
pub mod trader;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::candles::{Candle, Timeframe};
use crate::error::FieldError;

pub use catalog::{catalog, ParamKind, ParamSpec, StrategyInfo, DEFAULT_STRATEGY};

/// What a strategy reads in one closed candle, independent of any position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Conditions to be long.
    Buy,
    /// Conditions to be flat.
    Sell,
    /// Nothing new (or not enough candles yet).
    None,
}

/// Why the last signal was given, with the indicator values it was read from.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Explanation {
    pub reason: String,
    /// Indicator name -> value on the candle just closed (e.g. `sma_fast`, `rsi`).
    pub indicators: BTreeMap<String, f64>,
}

/// A strategy instance: fed every closed candle once, in time order.
pub trait Strategy: Send {
    /// Reads one closed candle and gives its signal. Cheap: nothing is allocated here, so a
    /// backtest over a million candles stays fast; [`Strategy::explain`] builds the words.
    fn update(&mut self, candle: &Candle) -> Signal;
    /// Explains the signal of the last `update`.
    fn explain(&self) -> Explanation;
    /// Candles needed before the first signal can be anything but `None`.
    fn warmup(&self) -> usize;
}

/// A strategy as users name it: `{"name": "sma_cross", "params": {"fast": 10, "slow": 30}}`.
/// Missing params take their defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StrategySpec {
    pub name: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub params: BTreeMap<String, serde_json::Value>,
}

impl Default for StrategySpec {
    fn default() -> Self {
        StrategySpec {
            name: DEFAULT_STRATEGY.to_string(),
            params: BTreeMap::new(),
        }
    }
}

/// A validated strategy: a known name and every parameter present, in range, as a number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StrategyConfig {
    pub name: String,
    /// Every parameter of the strategy, defaults filled in.
    pub params: BTreeMap<String, f64>,
}

impl StrategyConfig {
    /// The value of a parameter (validation guarantees every catalog parameter is present).
    pub fn param(&self, name: &str) -> f64 {
        self.params.get(name).copied().unwrap_or(f64::NAN)
    }

    /// As the user-facing spec (for answers and storage).
    pub fn to_spec(&self) -> StrategySpec {
        StrategySpec {
            name: self.name.clone(),
            params: self
                .params
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::json!(v)))
                .collect(),
        }
    }

    /// A fresh instance on `timeframe`'s candles (the timeframe matters only to rules written
    /// in hours, like `momentum_24h`).
    pub fn build(&self, timeframe: Timeframe) -> Box<dyn Strategy> {
        builtins::build(self, timeframe)
    }
}

impl Default for StrategyConfig {
    fn default() -> Self {
        // The default spec is valid by construction (checked in the catalog tests).
        validate(&StrategySpec::default()).unwrap_or_else(|_| StrategyConfig {
            name: DEFAULT_STRATEGY.to_string(),
            params: BTreeMap::new(),
        })
    }
}

/// Checks a spec against the catalog: one message per bad field, named
/// `strategy.name` / `strategy.params.<param>`.
pub fn validate(spec: &StrategySpec) -> Result<StrategyConfig, Vec<FieldError>> {
    catalog::validate(spec)
}
