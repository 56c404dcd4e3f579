use chrono::Duration;

use super::*;
use crate::domain::bot::test_support::{config, paper_bot, t0};

fn limits() -> GuardLimits {
    GuardLimits::from_config(&config())
}

#[test]
fn a_healthy_bot_breaks_no_rule() {
    let mut bot = paper_bot();
    bot.record_trade(5.0, t0());
    bot.record_trade(-3.0, t0() + Duration::minutes(1));
    assert_eq!(
        check_bot(&bot, t0() + Duration::minutes(2), &limits()),
        None
    );
}

#[test]
fn losing_more_than_fifteen_percent_within_an_hour_quarantines() {
    let mut bot = paper_bot();
    bot.record_trade(-100.0, t0());
    bot.record_trade(-60.0, t0() + Duration::minutes(30));
    // 160 below the 1000 peak of this hour: 16 %.
    let verdict = check_bot(&bot, t0() + Duration::minutes(31), &limits()).unwrap();
    assert_eq!(verdict.rule, GuardRule::HourlyDrawdown);
    assert_eq!(verdict.action, GuardAction::Quarantine);
}

#[test]
fn exactly_fifteen_percent_in_an_hour_is_allowed() {
    let mut bot = paper_bot();
    bot.record_trade(-150.0, t0());
    assert_eq!(hourly_drawdown_pct(&bot, t0()), 15.0);
    assert_eq!(check_bot(&bot, t0(), &limits()), None);
}

#[test]
fn the_hour_window_forgets_old_trades() {
    let mut bot = paper_bot();
    bot.record_trade(-160.0, t0());
    let later = t0() + Duration::minutes(61);
    assert_eq!(hourly_drawdown_pct(&bot, later), 0.0);
    assert_eq!(trades_this_hour(&bot, later), 0);
}

#[test]
fn drawdown_past_the_stop_loss_quarantines_and_an_override_moves_it() {
    let mut bot = paper_bot();
    // Slow bleed: never 15 % in one hour, 21 % overall (default stop loss 20 %).
    for h in 0..3 {
        bot.record_trade(-70.0, t0() + Duration::hours(h * 2));
    }
    let now = t0() + Duration::hours(5);
    let verdict = check_bot(&bot, now, &limits()).unwrap();
    assert_eq!(verdict.rule, GuardRule::StopLoss);
    bot.override_rules = serde_json::json!({"max_drawdown_pct": 25.0});
    assert_eq!(check_bot(&bot, now, &limits()), None);
}

#[test]
fn ten_losses_in_a_row_quarantine_and_a_win_breaks_the_streak() {
    let mut bot = paper_bot();
    for i in 0..9 {
        bot.record_trade(-1.0, t0() + Duration::minutes(i));
    }
    assert_eq!(
        check_bot(&bot, t0() + Duration::minutes(10), &limits()),
        None
    );
    bot.record_trade(-1.0, t0() + Duration::minutes(10));
    let verdict = check_bot(&bot, t0() + Duration::minutes(11), &limits()).unwrap();
    assert_eq!(verdict.rule, GuardRule::LosingStreak);
    bot.record_trade(1.0, t0() + Duration::minutes(12));
    assert_eq!(bot.consecutive_losses, 0);
}

#[test]
fn more_than_a_hundred_trades_an_hour_pauses() {
    let mut bot = paper_bot();
    for i in 0..101 {
        let pnl = if i % 2 == 0 { 0.5 } else { -0.4 };
        bot.record_trade(pnl, t0() + Duration::seconds(i));
    }
    let verdict = check_bot(&bot, t0() + Duration::minutes(5), &limits()).unwrap();
    assert_eq!(verdict.rule, GuardRule::Overtrading);
    assert_eq!(verdict.action, GuardAction::Pause);
}

#[test]
fn reset_after_action_clears_the_evidence() {
    let mut bot = paper_bot();
    for i in 0..12 {
        bot.record_trade(-20.0, t0() + Duration::minutes(i));
    }
    assert!(check_bot(&bot, t0() + Duration::minutes(13), &limits()).is_some());
    reset_after_action(&mut bot);
    assert_eq!(
        check_bot(&bot, t0() + Duration::minutes(13), &limits()),
        None
    );
    assert!(bot.max_drawdown > 20.0, "history is kept");
}

#[test]
fn daily_loss_is_measured_against_the_start_of_day_capital() {
    let mut a = paper_bot();
    let mut b = paper_bot();
    a.record_trade(-150.0, t0() + Duration::hours(1));
    b.record_trade(-50.0, t0() + Duration::hours(2));
    let now = t0() + Duration::hours(3);
    // 200 lost of 2000 at the start of the day: exactly the 10 % limit.
    assert_eq!(daily_loss_pct(&[a.clone(), b.clone()], now), 10.0);
    assert!(daily_loss_breached(&[a.clone(), b.clone()], now, &limits()));
    // The next UTC day starts from zero.
    assert!(!daily_loss_breached(
        &[a, b],
        now + Duration::days(1),
        &limits()
    ));
}

#[test]
fn a_profitable_day_never_breaches() {
    let mut a = paper_bot();
    a.record_trade(50.0, t0());
    assert_eq!(daily_loss_pct(&[a], t0()), 0.0);
    assert_eq!(daily_loss_pct(&[], t0()), 0.0);
}
