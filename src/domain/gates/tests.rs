//! Tests of the order gates, one gate at a time and then in sequence.

use chrono::TimeZone;

use super::*;
use crate::domain::circuit_breaker::default_trading_config;
use crate::domain::fees::default_fees;

fn luno() -> ExchangeFees {
    default_fees("luno").expect("luno is known")
}

fn healthy_breaker() -> BreakerInput {
    BreakerInput {
        initial_capital: 1000.0,
        peak_capital: 1000.0,
        current_capital: 1000.0,
        day_start_capital: 1000.0,
        consecutive_losses: 0,
        errors_last_hour: 0,
    }
}

fn inputs() -> GateInputs {
    GateInputs {
        expected_edge_bps: Some(80.0),
        fees: luno(),
        counts: LimitCounts::default(),
        breaker: healthy_breaker(),
    }
}

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
        .single()
        .expect("valid date")
}

#[test]
fn the_required_edge_on_luno_is_fees_twice_plus_spread_plus_margins() {
    // 10 bps x 2 (round trip) + 15 spread + 10 MIN_EDGE + 5 SAFETY + 5 SLIPPAGE = 55 bps.
    assert_eq!(required_edge_bps(&luno(), &default_trading_config()), 55.0);
}

#[test]
fn an_edge_exactly_covering_the_costs_passes_and_a_hair_less_is_rejected() {
    let cfg = default_trading_config();
    assert_eq!(
        check_fee_coverage(Some(55.0), &luno(), &cfg),
        GateCheck::Pass
    );
    assert!(matches!(
        check_fee_coverage(Some(54.99), &luno(), &cfg),
        GateCheck::Reject(_)
    ));
}

#[test]
fn a_manual_order_without_an_edge_skips_fee_coverage() {
    let cfg = default_trading_config();
    assert_eq!(check_fee_coverage(None, &luno(), &cfg), GateCheck::Skipped);
}

#[test]
fn a_nan_edge_never_covers_fees() {
    let cfg = default_trading_config();
    assert!(matches!(
        check_fee_coverage(Some(f64::NAN), &luno(), &cfg),
        GateCheck::Reject(_)
    ));
}

#[test]
fn a_bot_may_make_its_fiftieth_trade_but_not_a_fifty_first() {
    let cfg = default_trading_config();
    let forty_nine_done = LimitCounts {
        bot_trades_today: 49,
        ..LimitCounts::default()
    };
    assert_eq!(check_limits(&forty_nine_done, &cfg), GateCheck::Pass);
    let fifty_done = LimitCounts {
        bot_trades_today: 50,
        ..LimitCounts::default()
    };
    assert_eq!(
        check_limits(&fifty_done, &cfg),
        GateCheck::Reject("bot reached its daily limit of 50 trades".into())
    );
}

#[test]
fn a_user_is_capped_at_five_hundred_trades_a_day() {
    let cfg = default_trading_config();
    let under = LimitCounts {
        user_trades_today: 499,
        ..LimitCounts::default()
    };
    assert_eq!(check_limits(&under, &cfg), GateCheck::Pass);
    let at_cap = LimitCounts {
        user_trades_today: 500,
        ..LimitCounts::default()
    };
    assert_eq!(
        check_limits(&at_cap, &cfg),
        GateCheck::Reject("account reached its daily limit of 500 trades".into())
    );
}

#[test]
fn ten_orders_in_ten_seconds_on_one_exchange_block_the_eleventh() {
    let cfg = default_trading_config();
    let nine = LimitCounts {
        exchange_orders_in_burst_window: 9,
        ..LimitCounts::default()
    };
    assert_eq!(check_limits(&nine, &cfg), GateCheck::Pass);
    let ten = LimitCounts {
        exchange_orders_in_burst_window: 10,
        ..LimitCounts::default()
    };
    assert!(matches!(check_limits(&ten, &cfg), GateCheck::Reject(_)));
}

#[test]
fn a_tripped_breaker_rejects_with_its_reason() {
    let cfg = default_trading_config();
    let losing = BreakerInput {
        consecutive_losses: 5,
        ..healthy_breaker()
    };
    assert_eq!(
        check_circuit_breaker(&losing, &cfg),
        GateCheck::Reject("circuit breaker: 5 consecutive losses reached the limit of 5".into())
    );
    assert_eq!(
        check_circuit_breaker(&healthy_breaker(), &cfg),
        GateCheck::Pass
    );
}

#[test]
fn an_engine_order_passes_all_four_gates_in_order() {
    let outcome = run_gates(&inputs(), &default_trading_config());
    assert!(outcome.accepted());
    assert_eq!(
        outcome.gates_passed,
        [
            GateName::Idempotency,
            GateName::FeeCoverage,
            GateName::Limits,
            GateName::CircuitBreaker
        ]
    );
    assert!(!outcome.fee_gate_skipped);
}

#[test]
fn a_manual_order_without_an_edge_passes_with_the_fee_gate_recorded_as_skipped() {
    let manual = GateInputs {
        expected_edge_bps: None,
        ..inputs()
    };
    let outcome = run_gates(&manual, &default_trading_config());
    assert!(outcome.accepted());
    assert!(outcome.fee_gate_skipped);
    assert_eq!(
        outcome.gates_passed,
        [
            GateName::Idempotency,
            GateName::Limits,
            GateName::CircuitBreaker
        ]
    );
}

#[test]
fn the_first_failing_gate_stops_the_pipeline() {
    // Fee coverage fails and limits would fail too: only the first failure is reported.
    let bad = GateInputs {
        expected_edge_bps: Some(1.0),
        counts: LimitCounts {
            bot_trades_today: 50,
            ..LimitCounts::default()
        },
        ..inputs()
    };
    let outcome = run_gates(&bad, &default_trading_config());
    assert_eq!(outcome.gates_passed, [GateName::Idempotency]);
    assert_eq!(outcome.gate_failed, Some(GateName::FeeCoverage));
    assert!(outcome
        .rejection_reason
        .as_deref()
        .is_some_and(|r| r.contains("55.00 bps")));
}

#[test]
fn limits_and_breaker_failures_are_named() {
    let cfg = default_trading_config();
    let busy = GateInputs {
        counts: LimitCounts {
            user_trades_today: 500,
            ..LimitCounts::default()
        },
        ..inputs()
    };
    assert_eq!(run_gates(&busy, &cfg).gate_failed, Some(GateName::Limits));
    let broken = GateInputs {
        breaker: BreakerInput {
            errors_last_hour: 10,
            ..healthy_breaker()
        },
        ..inputs()
    };
    let outcome = run_gates(&broken, &cfg);
    assert_eq!(outcome.gate_failed, Some(GateName::CircuitBreaker));
    assert_eq!(outcome.gates_passed.len(), 3);
}

#[test]
fn the_outcome_serialises_gate_names_in_snake_case() {
    let json = serde_json::to_value(run_gates(&inputs(), &default_trading_config()))
        .expect("serialisable");
    assert_eq!(
        json["gates_passed"],
        serde_json::json!(["idempotency", "fee_coverage", "limits", "circuit_breaker"])
    );
    assert_eq!(json["gate_failed"], serde_json::Value::Null);
    assert_eq!(GateName::CircuitBreaker.as_str(), "circuit_breaker");
}

#[test]
fn one_second_before_midnight_still_belongs_to_the_old_day() {
    let late = at(2024, 3, 14, 23, 59, 59);
    assert_eq!(utc_day_start(late), at(2024, 3, 14, 0, 0, 0));
    assert_eq!(next_utc_day_start(late), at(2024, 3, 15, 0, 0, 0));
}

#[test]
fn midnight_itself_starts_the_new_day() {
    let midnight = at(2024, 3, 15, 0, 0, 0);
    assert_eq!(utc_day_start(midnight), midnight);
    assert_eq!(next_utc_day_start(midnight), at(2024, 3, 16, 0, 0, 0));
}

#[test]
fn the_day_start_crosses_months_and_leap_days_correctly() {
    assert_eq!(
        next_utc_day_start(at(2024, 2, 29, 12, 0, 0)),
        at(2024, 3, 1, 0, 0, 0)
    );
    assert_eq!(
        next_utc_day_start(at(2023, 12, 31, 23, 59, 59)),
        at(2024, 1, 1, 0, 0, 0)
    );
}

#[test]
fn the_burst_window_is_the_last_ten_seconds() {
    assert_eq!(
        burst_window_start(at(2024, 3, 15, 0, 0, 5)),
        at(2024, 3, 14, 23, 59, 55)
    );
}
