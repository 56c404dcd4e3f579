use chrono::Duration;
use serde_json::json;

use super::test_support::{config, live_bot, new_bot, paper_bot, t0};
use super::*;

#[test]
fn a_new_paper_bot_is_active_and_starts_its_paper_period_now() {
    let bot = paper_bot();
    assert_eq!(bot.status, BotStatus::Active);
    assert_eq!(bot.started_at, Some(t0()));
    assert_eq!(bot.paper_start_date, Some(t0()));
    assert_eq!(bot.bay_entered_at, None);
    assert_eq!(bot.current_capital, 1000.0);
    assert_eq!(bot.peak_capital, 1000.0);
    assert_eq!(bot.params, RiskMode::Balanced.default_params());
    assert_eq!(bot.override_rules, json!({}));
}

#[test]
fn a_new_live_bot_enters_the_training_bay_now() {
    let bot = live_bot();
    assert_eq!(bot.status, BotStatus::LiveTrainingBay);
    assert_eq!(bot.bay_entered_at, Some(t0()));
    assert_eq!(bot.started_at, None);
}

#[test]
fn each_new_bot_gets_its_own_uuid() {
    let (a, b) = (paper_bot(), paper_bot());
    assert_ne!(a.id, b.id);
    assert!(uuid::Uuid::parse_str(&a.id).is_ok());
}

#[test]
fn exchanges_parse_case_insensitively_and_know_their_caps() {
    assert_eq!(Exchange::parse(" LUNO "), Some(Exchange::Luno));
    assert_eq!(Exchange::parse("KuCoin"), Some(Exchange::Kucoin));
    assert_eq!(Exchange::parse("kraken"), None);
    let caps: Vec<u32> = Exchange::ALL.iter().map(|e| e.max_bots()).collect();
    assert_eq!(caps, vec![5, 10, 10, 10, 10]);
}

#[test]
fn enums_round_trip_through_their_wire_names() {
    for s in BotStatus::ALL {
        assert_eq!(BotStatus::parse(s.as_str()), Some(s));
        assert_eq!(serde_json::to_value(s).unwrap(), json!(s.as_str()));
    }
    assert_eq!(
        serde_json::to_value(BotStatus::LiveTrainingBay).unwrap(),
        json!("live_training_bay")
    );
    for m in RiskMode::ALL {
        assert_eq!(RiskMode::parse(m.as_str()), Some(m));
        assert_eq!(serde_json::to_value(m).unwrap(), json!(m.as_str()));
    }
    assert_eq!(TradingMode::parse("LIVE"), Some(TradingMode::Live));
    assert_eq!(serde_json::to_value(Exchange::Valr).unwrap(), json!("valr"));
}

#[test]
fn a_bot_serialises_with_the_spec_field_names_and_round_trips() {
    let bot = live_bot();
    let value = serde_json::to_value(&bot).unwrap();
    for field in [
        "id",
        "user_id",
        "name",
        "exchange",
        "risk_mode",
        "trading_mode",
        "status",
        "initial_capital",
        "current_capital",
        "total_profit",
        "trades_count",
        "win_count",
        "loss_count",
        "win_rate",
        "max_drawdown",
        "daily_trade_count",
        "last_trade_at",
        "override_rules",
        "pause_reason",
        "created_at",
        "updated_at",
        "started_at",
        "stopped_at",
        "paper_start_date",
        "bay_entered_at",
        "promoted_at",
    ] {
        assert!(value.get(field).is_some(), "missing {field}");
    }
    assert_eq!(value["bay_entered_at"], json!("2025-01-01T00:00:00Z"));
    let back: Bot = serde_json::from_value(value).unwrap();
    assert_eq!(back, bot);
}

#[test]
fn trades_update_win_rate_as_a_percentage_and_track_drawdown() {
    let mut bot = paper_bot();
    let later = t0() + Duration::minutes(5);
    bot.record_trade(100.0, later);
    bot.record_trade(-220.0, later);
    bot.record_trade(10.0, later);
    bot.record_trade(-5.0, later);
    assert_eq!(bot.trades_count, 4);
    assert_eq!(bot.win_rate, 50.0);
    assert_eq!(bot.peak_capital, 1100.0);
    assert!((bot.max_drawdown - 20.0).abs() < 1e-9);
    assert!((bot.total_profit - -115.0).abs() < 1e-9);
    assert_eq!(bot.last_trade_at, Some(later));
    assert!((bot.profit_pct() - -11.5).abs() < 1e-9);
}

#[test]
fn strategy_params_are_clamped_into_the_risk_modes_range() {
    let wild = StrategyParams {
        take_profit_pct: f64::NAN,
        stop_loss_pct: 40.0,
        position_size_pct: 90.0,
        holding_ticks: 0,
        trailing_stop_pct: 99.0,
        cooldown_candles: 5,
    };
    let safe = wild.clamped_for(RiskMode::Safe);
    assert_eq!(
        safe.take_profit_pct,
        RiskMode::Safe.default_params().take_profit_pct
    );
    assert_eq!(safe.stop_loss_pct, 3.0);
    assert_eq!(safe.position_size_pct, 10.0);
    assert_eq!(safe.holding_ticks, 1);
    assert_eq!(
        safe.trailing_stop_pct, 3.0,
        "trailing stop capped like the stop-loss"
    );
    assert_eq!(safe.cooldown_candles, 5);
    for mode in RiskMode::ALL {
        assert_eq!(
            mode.default_params().clamped_for(mode),
            mode.default_params()
        );
    }
    let _ = Bot::new("u", new_bot(TradingMode::Paper), t0(), &config());
}
