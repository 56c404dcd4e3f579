//! The built-in strategies users can pick, their parameter schemas, and spec validation.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::{StrategyConfig, StrategySpec};
use crate::error::FieldError;

/// What a bot runs when nobody chose: the platform's original rule.
pub const DEFAULT_STRATEGY: &str = "momentum_24h";

/// Integer parameters are periods and counts; floats are levels and multipliers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ParamKind {
    Int,
    Float,
}

/// One tunable parameter of a strategy.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ParamSpec {
    pub name: &'static str,
    #[serde(rename = "type")]
    pub kind: ParamKind,
    pub default: f64,
    pub min: f64,
    pub max: f64,
    pub description: &'static str,
}

/// A built-in strategy as `GET /api/strategies` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StrategyInfo {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub params: Vec<ParamSpec>,
}

const fn int(
    name: &'static str,
    default: f64,
    min: f64,
    max: f64,
    description: &'static str,
) -> ParamSpec {
    ParamSpec {
        name,
        kind: ParamKind::Int,
        default,
        min,
        max,
        description,
    }
}

const fn float(
    name: &'static str,
    default: f64,
    min: f64,
    max: f64,
    description: &'static str,
) -> ParamSpec {
    ParamSpec {
        name,
        kind: ParamKind::Float,
        default,
        min,
        max,
        description,
    }
}

/// Every built-in strategy, in the order the dashboard shows them.
pub fn catalog() -> Vec<StrategyInfo> {
    vec![
        StrategyInfo {
            name: "sma_cross",
            title: "SMA crossover",
            description: "Buys when the fast simple moving average of closes crosses above the \
                          slow one; sells when it crosses back below.",
            params: vec![
                int("fast", 10.0, 2.0, 500.0, "Fast SMA period, in candles"),
                int("slow", 30.0, 3.0, 2000.0, "Slow SMA period, in candles"),
            ],
        },
        StrategyInfo {
            name: "ema_cross",
            title: "EMA crossover",
            description: "Buys when the fast exponential moving average crosses above the slow \
                          one; sells when it crosses back below.",
            params: vec![
                int("fast", 12.0, 2.0, 500.0, "Fast EMA period, in candles"),
                int("slow", 26.0, 3.0, 2000.0, "Slow EMA period, in candles"),
            ],
        },
        StrategyInfo {
            name: "rsi_reversion",
            title: "RSI mean reversion",
            description: "Buys when Wilder's RSI closes below the oversold level; sells when it \
                          closes above the overbought level.",
            params: vec![
                int("period", 14.0, 2.0, 200.0, "RSI period, in candles"),
                float("oversold", 30.0, 1.0, 99.0, "Buy below this RSI"),
                float("overbought", 70.0, 1.0, 99.0, "Sell above this RSI"),
            ],
        },
        StrategyInfo {
            name: "bollinger_reversion",
            title: "Bollinger band reversion",
            description: "Buys when a candle closes below the lower Bollinger band; sells when \
                          the close is back at or above the middle band (the mean).",
            params: vec![
                int("period", 20.0, 2.0, 500.0, "Band period, in candles"),
                float(
                    "std_dev",
                    2.0,
                    0.1,
                    10.0,
                    "Band width in standard deviations",
                ),
            ],
        },
        StrategyInfo {
            name: "macd_cross",
            title: "MACD crossover",
            description: "Buys when the MACD line crosses above its signal line; sells when it \
                          crosses back below.",
            params: vec![
                int("fast", 12.0, 2.0, 500.0, "Fast EMA period"),
                int("slow", 26.0, 3.0, 1000.0, "Slow EMA period"),
                int("signal", 9.0, 2.0, 500.0, "Signal EMA period"),
            ],
        },
        StrategyInfo {
            name: "breakout",
            title: "Channel breakout",
            description: "Buys when a candle closes above the highest high of the previous \
                          `lookback` candles; sells when it closes below their lowest low.",
            params: vec![int(
                "lookback",
                20.0,
                2.0,
                1000.0,
                "Channel length, in candles",
            )],
        },
        StrategyInfo {
            name: "momentum_24h",
            title: "24-hour momentum",
            description: "The platform's original rule: buys when the close is more than \
                          `threshold_pct` above the close 24 hours earlier; sells when it is \
                          more than `threshold_pct` below it.",
            params: vec![float(
                "threshold_pct",
                0.0,
                0.0,
                50.0,
                "Minimum 24-hour change, in percent",
            )],
        },
    ]
}

pub(super) fn validate(spec: &StrategySpec) -> Result<StrategyConfig, Vec<FieldError>> {
    let name = spec.name.trim();
    let Some(info) = catalog().into_iter().find(|s| s.name == name) else {
        let known: Vec<&str> = catalog().iter().map(|s| s.name).collect();
        return Err(vec![FieldError::new(
            "strategy.name",
            format!("unknown strategy; one of: {}", known.join(", ")),
        )]);
    };
    let mut errors = Vec::new();
    for key in spec.params.keys() {
        if !info.params.iter().any(|p| p.name == key) {
            let known: Vec<&str> = info.params.iter().map(|p| p.name).collect();
            errors.push(FieldError::new(
                format!("strategy.params.{key}"),
                format!(
                    "not a parameter of {}; it takes: {}",
                    info.name,
                    known.join(", ")
                ),
            ));
        }
    }
    let mut params = BTreeMap::new();
    for p in &info.params {
        let field = format!("strategy.params.{}", p.name);
        let value = match spec.params.get(p.name) {
            None | Some(serde_json::Value::Null) => p.default,
            Some(raw) => match raw.as_f64() {
                Some(v) if v.is_finite() => v,
                _ => {
                    errors.push(FieldError::new(field, "must be a number"));
                    continue;
                }
            },
        };
        if p.kind == ParamKind::Int && value.fract() != 0.0 {
            errors.push(FieldError::new(field, "must be a whole number"));
            continue;
        }
        if value < p.min || value > p.max {
            errors.push(FieldError::new(
                field,
                format!("must be between {} and {}", p.min, p.max),
            ));
            continue;
        }
        params.insert(p.name.to_string(), value);
    }
    // Rules across parameters, reported on the second one once both are valid on their own.
    let pair = |a: &str, b: &str| Some((*params.get(a)?, *params.get(b)?));
    match info.name {
        "sma_cross" | "ema_cross" | "macd_cross" => {
            if let Some((fast, slow)) = pair("fast", "slow") {
                if slow <= fast {
                    errors.push(FieldError::new(
                        "strategy.params.slow",
                        "must be greater than fast",
                    ));
                }
            }
        }
        "rsi_reversion" => {
            if let Some((oversold, overbought)) = pair("oversold", "overbought") {
                if overbought <= oversold {
                    errors.push(FieldError::new(
                        "strategy.params.overbought",
                        "must be greater than oversold",
                    ));
                }
            }
        }
        _ => {}
    }
    if errors.is_empty() {
        Ok(StrategyConfig {
            name: info.name.to_string(),
            params,
        })
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(name: &str, params: serde_json::Value) -> StrategySpec {
        serde_json::from_value(json!({"name": name, "params": params})).unwrap()
    }

    #[test]
    fn every_default_is_valid_and_inside_its_range() {
        for info in catalog() {
            let config = validate(&spec(info.name, json!({}))).unwrap();
            for p in &info.params {
                assert!(p.min <= p.default && p.default <= p.max, "{}", p.name);
                assert_eq!(config.param(p.name), p.default);
            }
        }
        assert_eq!(StrategyConfig::default().name, "momentum_24h");
    }

    #[test]
    fn slow_must_be_greater_than_fast() {
        let errors = validate(&spec("sma_cross", json!({"fast": 30, "slow": 10}))).unwrap_err();
        assert_eq!(
            errors,
            vec![FieldError::new(
                "strategy.params.slow",
                "must be greater than fast"
            )]
        );
    }

    #[test]
    fn one_message_per_bad_field() {
        let errors = validate(&spec(
            "rsi_reversion",
            json!({"period": 2.5, "oversold": "low", "overbought": 120, "extra": 1}),
        ))
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "strategy.params.extra",
                "strategy.params.period",
                "strategy.params.oversold",
                "strategy.params.overbought"
            ]
        );
        assert_eq!(errors[1].message, "must be a whole number");
        assert_eq!(errors[3].message, "must be between 1 and 99");
    }

    #[test]
    fn unknown_name_lists_the_known_ones() {
        let errors = validate(&spec("moon", json!({}))).unwrap_err();
        assert_eq!(errors[0].field, "strategy.name");
        assert!(errors[0].message.contains("sma_cross"));
    }

    #[test]
    fn defaults_fill_missing_params() {
        let config = validate(&spec("macd_cross", json!({"signal": 5}))).unwrap();
        assert_eq!(config.param("fast"), 12.0);
        assert_eq!(config.param("slow"), 26.0);
        assert_eq!(config.param("signal"), 5.0);
    }
}
