use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::domain::bot::test_support::{live_bot, paper_bot, t0};
use crate::domain::quarantine::quarantine;

fn ctx(now: DateTime<Utc>) -> TransitionContext {
    TransitionContext {
        now,
        emergency_stop_active: false,
        live_min_training_hours: 24,
    }
}

fn with_status(status: BotStatus) -> Bot {
    let mut bot = paper_bot();
    bot.status = status;
    bot
}

#[test]
fn paused_and_stopped_bots_start_to_active() {
    for status in [BotStatus::Paused, BotStatus::Stopped] {
        assert_eq!(
            transition(&with_status(status), BotAction::Start, ctx(t0())),
            Ok(BotStatus::Active)
        );
    }
    assert!(transition(&with_status(BotStatus::Active), BotAction::Start, ctx(t0())).is_err());
}

#[test]
fn a_bay_bot_cannot_start_before_its_hours_and_is_told_how_long_remains() {
    let bot = live_bot();
    let refusal = transition(&bot, BotAction::Start, ctx(t0() + Duration::hours(23))).unwrap_err();
    assert_eq!(refusal.hours_remaining, Some(1.0));
    assert!(refusal.reason.contains("live training"));
    assert_eq!(
        transition(&bot, BotAction::Start, ctx(t0() + Duration::hours(24))),
        Ok(BotStatus::Active),
        "24 h exactly is enough"
    );
}

#[test]
fn stopping_a_bay_bot_does_not_skip_its_training() {
    let mut bot = live_bot();
    let now = t0() + Duration::hours(1);
    let status = transition(&bot, BotAction::Stop, ctx(now)).unwrap();
    apply(&mut bot, BotAction::Stop, status, now, None);
    let refusal = transition(&bot, BotAction::Start, ctx(now)).unwrap_err();
    assert_eq!(refusal.hours_remaining, Some(23.0));
}

#[test]
fn the_emergency_stop_blocks_start_and_resume_but_not_stop_or_pause() {
    let stopped = TransitionContext {
        emergency_stop_active: true,
        ..ctx(t0())
    };
    let refusal =
        transition(&with_status(BotStatus::Paused), BotAction::Start, stopped).unwrap_err();
    assert!(refusal.reason.contains("Emergency stop"));
    assert!(!can_resume(&with_status(BotStatus::Paused), stopped));
    assert!(can_stop(&with_status(BotStatus::Active), stopped));
    assert!(can_pause(&with_status(BotStatus::Active), stopped));
}

#[test]
fn stop_pause_and_resume_follow_the_documented_moves() {
    let c = ctx(t0());
    for status in [BotStatus::Active, BotStatus::Paused, BotStatus::Quarantined] {
        assert_eq!(
            transition(&with_status(status), BotAction::Stop, c),
            Ok(BotStatus::Stopped)
        );
    }
    assert!(!can_stop(&with_status(BotStatus::Stopped), c));
    assert_eq!(
        transition(&with_status(BotStatus::Active), BotAction::Pause, c),
        Ok(BotStatus::Paused)
    );
    assert!(!can_pause(&with_status(BotStatus::Paused), c));
    assert!(!can_pause(&with_status(BotStatus::Stopped), c));
    assert_eq!(
        transition(&with_status(BotStatus::Paused), BotAction::Resume, c),
        Ok(BotStatus::Active)
    );
    assert!(!can_resume(&with_status(BotStatus::Active), c));
    assert!(!can_resume(&with_status(BotStatus::Stopped), c));
}

#[test]
fn a_quarantined_bot_waits_for_its_retraining_to_end() {
    let mut bot = paper_bot();
    quarantine(&mut bot, t0(), "drawdown");
    let refusal =
        transition(&bot, BotAction::Start, ctx(t0() + Duration::minutes(30))).unwrap_err();
    assert_eq!(refusal.hours_remaining, Some(0.5));
    assert!(!can_resume(&bot, ctx(t0() + Duration::minutes(59))));
    assert!(can_start(&bot, ctx(t0() + Duration::hours(1))));
    assert!(can_resume(&bot, ctx(t0() + Duration::hours(1))));
}

#[test]
fn stopping_a_quarantined_bot_does_not_cut_its_retraining_short() {
    let mut bot = paper_bot();
    quarantine(&mut bot, t0(), "drawdown");
    let status = transition(&bot, BotAction::Stop, ctx(t0())).unwrap();
    apply(&mut bot, BotAction::Stop, status, t0(), None);
    assert!(!can_start(&bot, ctx(t0() + Duration::minutes(10))));
    let later = t0() + Duration::hours(1);
    let status = transition(&bot, BotAction::Start, ctx(later)).unwrap();
    apply(&mut bot, BotAction::Start, status, later, None);
    assert_eq!(
        (bot.status, bot.retraining_until),
        (BotStatus::Active, None)
    );
}

#[test]
fn a_retired_bot_never_starts_again() {
    let mut bot = paper_bot();
    bot.quarantine_count = 3;
    quarantine(&mut bot, t0(), "again");
    assert_eq!(bot.status, BotStatus::Stopped);
    assert!(!can_start(&bot, ctx(t0() + Duration::days(365))));
}

#[test]
fn deleted_is_terminal() {
    let bot = with_status(BotStatus::Deleted);
    for action in [
        BotAction::Start,
        BotAction::Stop,
        BotAction::Pause,
        BotAction::Resume,
        BotAction::Quarantine,
        BotAction::Promote,
        BotAction::Delete,
    ] {
        assert!(transition(&bot, action, ctx(t0())).is_err(), "{action:?}");
    }
    assert_eq!(
        transition(
            &with_status(BotStatus::Active),
            BotAction::Delete,
            ctx(t0())
        ),
        Ok(BotStatus::Deleted)
    );
}

#[test]
fn system_transitions_quarantine_running_bots_and_promote_finished_bay_bots() {
    let c = ctx(t0());
    assert_eq!(
        transition(&with_status(BotStatus::Active), BotAction::Quarantine, c),
        Ok(BotStatus::Quarantined)
    );
    assert!(transition(&with_status(BotStatus::Stopped), BotAction::Quarantine, c).is_err());
    assert!(transition(&live_bot(), BotAction::Promote, c).is_err());
    assert_eq!(
        transition(
            &live_bot(),
            BotAction::Promote,
            ctx(t0() + Duration::hours(25))
        ),
        Ok(BotStatus::Paused)
    );
}

#[test]
fn applying_a_transition_stamps_times_and_reasons() {
    let mut bot = paper_bot();
    let t1 = t0() + Duration::hours(1);
    apply(
        &mut bot,
        BotAction::Pause,
        BotStatus::Paused,
        t1,
        Some("  "),
    );
    assert_eq!(bot.pause_reason.as_deref(), Some("Paused by user"));
    assert_eq!(bot.updated_at, t1);

    let t2 = t0() + Duration::hours(2);
    apply(&mut bot, BotAction::Resume, BotStatus::Active, t2, None);
    assert_eq!((bot.started_at, bot.pause_reason.clone()), (Some(t2), None));

    let t3 = t0() + Duration::hours(3);
    apply(
        &mut bot,
        BotAction::Stop,
        BotStatus::Stopped,
        t3,
        Some("taking profits"),
    );
    assert_eq!(bot.stopped_at, Some(t3));
    assert_eq!(bot.pause_reason.as_deref(), Some("taking profits"));
}

#[test]
fn starting_straight_out_of_a_finished_bay_counts_as_promotion() {
    let mut bot = live_bot();
    let at = t0() + Duration::hours(30);
    let status = transition(&bot, BotAction::Start, ctx(at)).unwrap();
    apply(&mut bot, BotAction::Start, status, at, None);
    assert_eq!(bot.status, BotStatus::Active);
    assert_eq!(bot.promoted_at, Some(at));
    assert_eq!(bot.started_at, Some(at));
}
