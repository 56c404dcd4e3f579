use axum::http::StatusCode;
use serde_json::json;

use super::*;
use crate::domain::bot::test_support::{config, live_bot, paper_bot, t0};

fn input() -> NewBotInput {
    NewBotInput {
        name: "  Alpha  ".to_string(),
        exchange: "Binance".to_string(),
        risk_mode: "safe".to_string(),
        trading_mode: None,
        initial_capital: 500.0,
        setup: Default::default(),
    }
}

fn code_of<T: std::fmt::Debug>(result: Result<T, AppError>) -> String {
    let err = result.unwrap_err();
    assert_eq!(err.status, StatusCode::BAD_REQUEST);
    err.code.to_string()
}

#[test]
fn a_valid_request_becomes_a_paper_bot_with_a_trimmed_name() {
    let bot = validate_new_bot(input()).unwrap();
    assert_eq!(bot.name, "Alpha");
    assert_eq!(bot.exchange, Exchange::Binance);
    assert_eq!(bot.risk_mode, RiskMode::Safe);
    assert_eq!(bot.trading_mode, TradingMode::Paper);
    assert_eq!(bot.initial_capital, 500.0);
}

#[test]
fn the_request_body_deserialises_without_trading_mode() {
    let raw = json!({"name": "A", "exchange": "luno", "risk_mode": "safe", "initial_capital": 100});
    let parsed: NewBotInput = serde_json::from_value(raw).unwrap();
    assert_eq!(parsed.trading_mode, None);
}

#[test]
fn each_bad_field_has_its_own_error_code() {
    let bad_exchange = NewBotInput {
        exchange: "kraken".into(),
        ..input()
    };
    assert_eq!(code_of(validate_new_bot(bad_exchange)), "INVALID_EXCHANGE");
    let bad_risk = NewBotInput {
        risk_mode: "yolo".into(),
        ..input()
    };
    assert_eq!(code_of(validate_new_bot(bad_risk)), "INVALID_RISK_MODE");
    let bad_mode = NewBotInput {
        trading_mode: Some("demo".into()),
        ..input()
    };
    assert_eq!(code_of(validate_new_bot(bad_mode)), "INVALID_TRADING_MODE");
    let bad_name = NewBotInput {
        name: "   ".into(),
        ..input()
    };
    assert_eq!(code_of(validate_new_bot(bad_name)), "INVALID_BOT_NAME");
}

#[test]
fn capital_is_accepted_from_exactly_100_to_exactly_100000() {
    for ok in [100.0, 100_000.0, 5_000.5] {
        assert_eq!(validate_capital(ok).unwrap(), ok);
    }
    for bad in [99.99, 100_000.01, 0.0, -5.0, f64::NAN, f64::INFINITY] {
        assert_eq!(code_of(validate_capital(bad)), "INVALID_CAPITAL_AMOUNT");
    }
}

#[test]
fn names_may_have_64_characters_but_not_65_nor_control_characters() {
    assert!(
        validate_name(&"é".repeat(64)).is_ok(),
        "characters, not bytes"
    );
    assert_eq!(code_of(validate_name(&"a".repeat(65))), "INVALID_BOT_NAME");
    assert_eq!(code_of(validate_name("bad\u{7}name")), "INVALID_BOT_NAME");
    assert_eq!(code_of(validate_name("")), "INVALID_BOT_NAME");
    assert_eq!(
        validate_name(&format!(" {} ", "b".repeat(64)))
            .unwrap()
            .len(),
        64
    );
}

#[test]
fn the_exchange_cap_is_checked_before_the_total_cap() {
    let cfg = config();
    assert!(check_caps(Exchange::Luno, 4, 44, &cfg).is_ok());
    assert_eq!(
        code_of(check_caps(Exchange::Luno, 5, 5, &cfg)),
        "EXCHANGE_BOT_LIMIT_REACHED"
    );
    assert!(check_caps(Exchange::Binance, 9, 10, &cfg).is_ok());
    assert_eq!(
        code_of(check_caps(Exchange::Binance, 10, 10, &cfg)),
        "EXCHANGE_BOT_LIMIT_REACHED"
    );
    assert_eq!(
        code_of(check_caps(Exchange::Valr, 3, 45, &cfg)),
        "TOTAL_BOT_LIMIT_REACHED"
    );
}

#[test]
fn duplicate_names_are_found_ignoring_case_and_spaces() {
    let existing = ["Alpha", "beta"];
    assert_eq!(
        code_of(check_name_unique(" ALPHA ", existing)),
        "BOT_NAME_DUPLICATE"
    );
    assert!(check_name_unique("Gamma", existing).is_ok());
}

#[test]
fn only_live_bots_need_saved_api_keys() {
    assert!(require_api_keys(Exchange::Luno, TradingMode::Paper, false).is_ok());
    assert!(require_api_keys(Exchange::Luno, TradingMode::Live, true).is_ok());
    assert_eq!(
        code_of(require_api_keys(Exchange::Luno, TradingMode::Live, false)),
        "EXCHANGE_API_KEYS_MISSING"
    );
}

#[test]
fn an_update_changes_only_whitelisted_fields_and_reports_them() {
    let mut bot = paper_bot();
    let before = bot.clone();
    let raw = json!({"name": "Renamed", "risk_mode": "aggressive", "status": "active",
                     "total_profit": 1e9, "user_id": "attacker"});
    let update: BotUpdateInput = serde_json::from_value(raw).unwrap();
    let later = t0() + chrono::Duration::hours(1);
    let changes = apply_update(&mut bot, update, later, &config()).unwrap();
    assert_eq!(
        Value::Object(changes),
        json!({"name": "Renamed", "risk_mode": "aggressive"})
    );
    assert_eq!(bot.total_profit, before.total_profit);
    assert_eq!(bot.user_id, before.user_id);
    assert_eq!(bot.params, RiskMode::Aggressive.default_params());
    assert_eq!(bot.updated_at, later);
}

#[test]
fn switching_to_live_puts_the_bot_in_the_training_bay_now() {
    let mut bot = paper_bot();
    let later = t0() + chrono::Duration::hours(2);
    let update = BotUpdateInput {
        trading_mode: Some("live".into()),
        ..Default::default()
    };
    let changes = apply_update(&mut bot, update, later, &config()).unwrap();
    assert_eq!(bot.status, BotStatus::LiveTrainingBay);
    assert_eq!(bot.bay_entered_at, Some(later));
    assert_eq!(changes["status"], json!("live_training_bay"));
    assert_eq!(changes["trading_mode"], json!("live"));
    assert_eq!(changes["bay_entered_at"], json!(later));
}

#[test]
fn switching_a_bay_bot_back_to_paper_pauses_it() {
    let mut bot = live_bot();
    let update = BotUpdateInput {
        trading_mode: Some("paper".into()),
        ..Default::default()
    };
    apply_update(&mut bot, update, t0(), &config()).unwrap();
    assert_eq!(bot.status, BotStatus::Paused);
    assert_eq!(bot.bay_entered_at, None);
    assert_eq!(bot.paper_start_date, Some(t0()));
}

#[test]
fn a_refused_update_changes_nothing_and_an_unchanged_value_is_not_reported() {
    let mut bot = paper_bot();
    let before = bot.clone();
    let update = BotUpdateInput {
        name: Some("New".into()),
        risk_mode: Some("bogus".into()),
        ..Default::default()
    };
    assert_eq!(
        code_of(apply_update(&mut bot, update, t0(), &config())),
        "INVALID_RISK_MODE"
    );
    assert_eq!(bot, before);
    let same = BotUpdateInput {
        name: Some("Alpha".into()),
        ..Default::default()
    };
    assert!(apply_update(&mut bot, same, t0(), &config())
        .unwrap()
        .is_empty());
}

#[test]
fn a_quarantined_bot_cannot_escape_by_switching_mode() {
    let mut bot = paper_bot();
    bot.status = BotStatus::Quarantined;
    let update = BotUpdateInput {
        trading_mode: Some("live".into()),
        ..Default::default()
    };
    assert_eq!(
        code_of(apply_update(&mut bot, update, t0(), &config())),
        "BOT_QUARANTINED"
    );
}
