//! Admin `override_rules` on a bot (SPEC §10): known keys only, each within its range.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{AppError, FieldError};

pub const MAX_NOTES_CHARS: usize = 500;

/// What a key may hold.
enum Kind {
    /// Whole number in the inclusive range.
    Int(i64, i64),
    /// Finite number in the inclusive range.
    Number(f64, f64),
    Bool,
    /// String of at most this many characters.
    Text(usize),
}

/// The whitelist; anything else is refused so typos never silently do nothing.
const RULES: &[(&str, Kind)] = &[
    ("max_daily_trades", Kind::Int(1, 1000)),
    ("max_position_size_pct", Kind::Number(0.1, 100.0)),
    ("stop_loss_pct", Kind::Number(0.1, 50.0)),
    ("take_profit_pct", Kind::Number(0.1, 100.0)),
    ("trading_enabled", Kind::Bool),
    ("max_drawdown_pct", Kind::Number(1.0, 100.0)),
    ("notes", Kind::Text(MAX_NOTES_CHARS)),
];

/// Checks an admin's `override_rules` and returns the object to store. A `null` value
/// clears that key (it is left out). Every problem is reported, not just the first.
pub fn validate_override_rules(value: &Value) -> Result<Value, AppError> {
    let Some(object) = value.as_object() else {
        return Err(AppError::field("override_rules", "must be a JSON object"));
    };
    let mut errors = Vec::new();
    let mut clean = Map::new();
    for (key, raw) in object {
        let field = format!("override_rules.{key}");
        let Some((_, kind)) = RULES.iter().find(|(name, _)| name == key) else {
            errors.push(FieldError::new(field, "unknown override rule"));
            continue;
        };
        if raw.is_null() {
            continue;
        }
        match check(kind, raw) {
            Ok(v) => {
                clean.insert(key.clone(), v);
            }
            Err(message) => errors.push(FieldError::new(field, message)),
        }
    }
    if errors.is_empty() {
        Ok(Value::Object(clean))
    } else {
        Err(AppError::validation(errors))
    }
}

fn check(kind: &Kind, raw: &Value) -> Result<Value, String> {
    match *kind {
        Kind::Int(lo, hi) => match raw.as_i64() {
            Some(v) if (lo..=hi).contains(&v) => Ok(Value::from(v)),
            // 5.0 is accepted as 5: JSON clients often cannot tell the two apart.
            None if raw
                .as_f64()
                .is_some_and(|f| f.fract() == 0.0 && f >= lo as f64 && f <= hi as f64) =>
            {
                Ok(Value::from(raw.as_f64().unwrap_or_default() as i64))
            }
            _ => Err(format!("must be a whole number between {lo} and {hi}")),
        },
        Kind::Number(lo, hi) => match raw.as_f64() {
            Some(v) if v.is_finite() && (lo..=hi).contains(&v) => Ok(raw.clone()),
            _ => Err(format!("must be a number between {lo} and {hi}")),
        },
        Kind::Bool => match raw {
            Value::Bool(_) => Ok(raw.clone()),
            _ => Err("must be true or false".to_string()),
        },
        Kind::Text(max) => match raw.as_str() {
            Some(s) if s.chars().count() <= max => Ok(Value::from(s.trim())),
            Some(_) => Err(format!("must be at most {max} characters")),
            None => Err("must be a string".to_string()),
        },
    }
}

/// A typed read of a stored (already validated) `override_rules`, for the engines.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OverrideRules {
    pub max_daily_trades: Option<u32>,
    pub max_position_size_pct: Option<f64>,
    pub stop_loss_pct: Option<f64>,
    pub take_profit_pct: Option<f64>,
    pub trading_enabled: Option<bool>,
    pub max_drawdown_pct: Option<f64>,
    pub notes: Option<String>,
}

impl OverrideRules {
    /// Tolerant: anything missing or of the wrong type reads as "no override".
    pub fn from_value(value: &Value) -> Self {
        let num = |k: &str| {
            value
                .get(k)
                .and_then(Value::as_f64)
                .filter(|v| v.is_finite())
        };
        Self {
            max_daily_trades: value
                .get("max_daily_trades")
                .and_then(Value::as_u64)
                .and_then(|v| u32::try_from(v).ok()),
            max_position_size_pct: num("max_position_size_pct"),
            stop_loss_pct: num("stop_loss_pct"),
            take_profit_pct: num("take_profit_pct"),
            trading_enabled: value.get("trading_enabled").and_then(Value::as_bool),
            max_drawdown_pct: num("max_drawdown_pct"),
            notes: value
                .get("notes")
                .and_then(Value::as_str)
                .map(str::to_string),
        }
    }
    /// An admin can switch a bot's trading off; absent means allowed.
    pub fn allows_trading(&self) -> bool {
        self.trading_enabled.unwrap_or(true)
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use serde_json::json;

    use super::*;

    fn fields_of(value: Value) -> Vec<String> {
        let err = validate_override_rules(&value).unwrap_err();
        assert_eq!(err.status, StatusCode::UNPROCESSABLE_ENTITY);
        err.fields.into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn known_keys_within_range_are_accepted_and_nulls_cleared() {
        let rules = json!({
            "max_daily_trades": 1000, "max_position_size_pct": 0.1, "stop_loss_pct": 50,
            "take_profit_pct": 100.0, "trading_enabled": false, "max_drawdown_pct": 1,
            "notes": "  watch closely ", "stop_loss_pct_unused": null,
        });
        // Unknown keys are refused even when null.
        assert_eq!(
            fields_of(rules.clone()),
            vec!["override_rules.stop_loss_pct_unused"]
        );

        let mut ok = rules;
        ok.as_object_mut().unwrap().remove("stop_loss_pct_unused");
        ok["take_profit_pct"] = Value::Null;
        let clean = validate_override_rules(&ok).unwrap();
        assert_eq!(clean["notes"], json!("watch closely"));
        assert!(clean.get("take_profit_pct").is_none());
        assert_eq!(clean["max_daily_trades"], json!(1000));
    }

    #[test]
    fn an_empty_object_is_valid_and_a_non_object_is_not() {
        assert_eq!(validate_override_rules(&json!({})).unwrap(), json!({}));
        assert_eq!(fields_of(json!([1, 2])), vec!["override_rules"]);
    }

    #[test]
    fn out_of_range_values_are_named_each_in_its_own_field_error() {
        let fields = fields_of(json!({
            "max_daily_trades": 0, "max_position_size_pct": 100.5, "stop_loss_pct": 0.05,
            "take_profit_pct": "10", "trading_enabled": "yes", "max_drawdown_pct": 0.5,
            "notes": "x".repeat(501), "leverage": 10,
        }));
        assert_eq!(fields.len(), 8);
        assert!(fields.contains(&"override_rules.leverage".to_string()));
        assert!(fields.contains(&"override_rules.notes".to_string()));
    }

    #[test]
    fn whole_numbers_must_be_whole() {
        assert_eq!(
            fields_of(json!({"max_daily_trades": 2.5})),
            vec!["override_rules.max_daily_trades"]
        );
        assert_eq!(
            fields_of(json!({"max_daily_trades": 1001})),
            vec!["override_rules.max_daily_trades"]
        );
        let clean = validate_override_rules(&json!({"max_daily_trades": 5.0})).unwrap();
        assert_eq!(clean["max_daily_trades"], json!(5));
    }

    #[test]
    fn notes_may_have_exactly_500_characters() {
        assert!(validate_override_rules(&json!({"notes": "é".repeat(500)})).is_ok());
    }

    #[test]
    fn the_typed_view_reads_stored_rules_and_defaults_to_trading_allowed() {
        let rules =
            OverrideRules::from_value(&json!({"max_daily_trades": 7, "trading_enabled": false}));
        assert_eq!(rules.max_daily_trades, Some(7));
        assert!(!rules.allows_trading());
        assert!(OverrideRules::from_value(&json!({})).allows_trading());
    }
}
