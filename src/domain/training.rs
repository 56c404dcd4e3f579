//! The live training bay clock, promotion out of it, and paper -> live eligibility (SPEC §4).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::TradingConfig;
use crate::domain::bot::{Bot, BotStatus, TradingMode};
use crate::domain::status_machine::{self, BotAction, Refusal, TransitionContext};

/// SPEC §4 thresholds for paper -> live.
pub const MIN_WIN_RATE_PCT: f64 = 52.0;
pub const MIN_PROFIT_PCT: f64 = 3.0;
pub const MIN_TRADES: u64 = 25;

const MILLIS_PER_HOUR: f64 = 3_600_000.0;

/// Hours from `earlier` to `now`, never negative (a clock step back must not add time).
pub fn hours_since(earlier: DateTime<Utc>, now: DateTime<Utc>) -> f64 {
    ((now - earlier).num_milliseconds() as f64 / MILLIS_PER_HOUR).max(0.0)
}

/// Hours a bay bot still has to wait (>= 0). A bay bot without `bay_entered_at` is treated
/// as having just entered, so bad data can never skip the training.
pub fn bay_hours_remaining(bot: &Bot, now: DateTime<Utc>, min_hours: i64) -> f64 {
    let elapsed = bot.bay_entered_at.map_or(0.0, |t| hours_since(t, now));
    (min_hours as f64 - elapsed).max(0.0)
}

/// For a live bot that was never promoted: the training hours left (may be 0). `None` for
/// paper bots and promoted bots, which the bay no longer concerns.
pub fn live_training_hours_remaining(bot: &Bot, now: DateTime<Utc>, min_hours: i64) -> Option<f64> {
    (bot.trading_mode == TradingMode::Live && bot.promoted_at.is_none())
        .then(|| bay_hours_remaining(bot, now, min_hours))
}

/// One bot's row in GET /api/training/live-bay.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BayProgress {
    pub hours_elapsed: f64,
    pub hours_remaining: f64,
    pub eligible_for_promotion: bool,
}

pub fn bay_progress(bot: &Bot, now: DateTime<Utc>, min_hours: i64) -> BayProgress {
    let hours_elapsed = bot.bay_entered_at.map_or(0.0, |t| hours_since(t, now));
    let hours_remaining = bay_hours_remaining(bot, now, min_hours);
    BayProgress {
        hours_elapsed,
        hours_remaining,
        eligible_for_promotion: bot.status == BotStatus::LiveTrainingBay && hours_remaining <= 0.0,
    }
}

/// Moves a bay bot out after the minimum hours: `paused` + `promoted_at`, ready to start.
pub fn promote(bot: &mut Bot, now: DateTime<Utc>, cfg: &TradingConfig) -> Result<(), Refusal> {
    let ctx = TransitionContext {
        now,
        // The emergency stop blocks trading, not promotion (a promoted bot is paused).
        emergency_stop_active: false,
        live_min_training_hours: cfg.live_min_training_hours,
    };
    let status = status_machine::transition(bot, BotAction::Promote, ctx)?;
    status_machine::apply(bot, BotAction::Promote, status, now, None);
    Ok(())
}

/// One paper -> live criterion: the bot's value, the threshold, and whether it passes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Criterion {
    pub value: f64,
    pub required: f64,
    pub passed: bool,
}

impl Criterion {
    fn at_least(value: f64, required: f64) -> Self {
        Self {
            value,
            required,
            passed: value >= required,
        }
    }
}

/// GET /api/bots/eligible-for-promotion: each criterion, and the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PaperEligibility {
    pub days_in_paper: Criterion,
    pub win_rate: Criterion,
    pub profit_pct: Criterion,
    pub trades: Criterion,
    /// All criteria pass and the bot is a paper bot that still exists.
    pub eligible: bool,
}

pub fn paper_to_live_eligibility(
    bot: &Bot,
    now: DateTime<Utc>,
    cfg: &TradingConfig,
) -> PaperEligibility {
    let days = bot
        .paper_start_date
        .map_or(0.0, |t| hours_since(t, now) / 24.0);
    let days_in_paper = Criterion::at_least(days, cfg.paper_training_days as f64);
    // Recomputed from the counters so a stale stored win_rate cannot decide.
    let win_rate = Criterion::at_least(bot.computed_win_rate(), MIN_WIN_RATE_PCT);
    let profit_pct = Criterion::at_least(bot.profit_pct(), MIN_PROFIT_PCT);
    let trades = Criterion::at_least(bot.trades_count as f64, MIN_TRADES as f64);
    let eligible = bot.trading_mode == TradingMode::Paper
        && bot.status != BotStatus::Deleted
        && [days_in_paper, win_rate, profit_pct, trades]
            .iter()
            .all(|c| c.passed);
    PaperEligibility {
        days_in_paper,
        win_rate,
        profit_pct,
        trades,
        eligible,
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::domain::bot::test_support::{config, live_bot, paper_bot, t0};
    use crate::domain::clock::{Clock, ManualClock};

    #[test]
    fn the_bay_clock_counts_hours_from_entry_until_24_hours_exactly() {
        let clock = ManualClock::new(t0());
        let bot = live_bot();
        clock.advance(Duration::hours(6));
        let progress = bay_progress(&bot, clock.now(), 24);
        assert_eq!(progress.hours_elapsed, 6.0);
        assert_eq!(progress.hours_remaining, 18.0);
        assert!(!progress.eligible_for_promotion);

        clock.set(t0() + Duration::hours(24) - Duration::seconds(1));
        assert!(!bay_progress(&bot, clock.now(), 24).eligible_for_promotion);

        clock.set(t0() + Duration::hours(24));
        let progress = bay_progress(&bot, clock.now(), 24);
        assert_eq!(progress.hours_remaining, 0.0);
        assert!(progress.eligible_for_promotion);

        clock.advance(Duration::hours(10));
        assert_eq!(
            bay_progress(&bot, clock.now(), 24).hours_remaining,
            0.0,
            "never negative"
        );
    }

    #[test]
    fn a_clock_before_bay_entry_counts_as_no_time_elapsed() {
        let progress = bay_progress(&live_bot(), t0() - Duration::hours(3), 24);
        assert_eq!(progress.hours_elapsed, 0.0);
        assert_eq!(progress.hours_remaining, 24.0);
    }

    #[test]
    fn promotion_before_the_hours_is_refused_with_the_hours_remaining() {
        let mut bot = live_bot();
        let refusal = promote(&mut bot, t0() + Duration::hours(20), &config()).unwrap_err();
        assert_eq!(refusal.hours_remaining, Some(4.0));
        assert_eq!(bot.status, BotStatus::LiveTrainingBay);
        assert_eq!(bot.promoted_at, None);
    }

    #[test]
    fn promotion_after_the_hours_pauses_the_bot_and_stamps_promoted_at() {
        let mut bot = live_bot();
        let at = t0() + Duration::hours(24);
        promote(&mut bot, at, &config()).unwrap();
        assert_eq!(bot.status, BotStatus::Paused);
        assert_eq!(bot.promoted_at, Some(at));
        assert_eq!(live_training_hours_remaining(&bot, at, 24), None);
    }

    #[test]
    fn only_bay_bots_can_be_promoted() {
        let mut bot = paper_bot();
        assert!(promote(&mut bot, t0() + Duration::days(3), &config()).is_err());
    }

    fn seasoned_paper_bot() -> Bot {
        let mut bot = paper_bot();
        bot.trades_count = 25;
        bot.win_count = 13;
        bot.loss_count = 12;
        bot.total_profit = 30.0;
        bot
    }

    #[test]
    fn a_paper_bot_meeting_every_threshold_exactly_is_eligible_for_live() {
        let report =
            paper_to_live_eligibility(&seasoned_paper_bot(), t0() + Duration::days(7), &config());
        assert!(report.eligible, "{report:?}");
        assert_eq!(report.days_in_paper.value, 7.0);
        assert_eq!(report.trades.value, 25.0);
        assert_eq!(report.profit_pct.value, 3.0);
        assert!((report.win_rate.value - 52.0).abs() < 1e-9);
    }

    #[test]
    fn each_missed_threshold_is_reported_on_its_own() {
        let cfg = config();
        let week = t0() + Duration::days(7);
        let early =
            paper_to_live_eligibility(&seasoned_paper_bot(), week - Duration::minutes(1), &cfg);
        assert!(!early.eligible && !early.days_in_paper.passed && early.trades.passed);

        let mut losing = seasoned_paper_bot();
        losing.win_count = 12;
        losing.loss_count = 13;
        let report = paper_to_live_eligibility(&losing, week, &cfg);
        assert!(!report.eligible && !report.win_rate.passed && report.profit_pct.passed);

        let mut thin = seasoned_paper_bot();
        thin.total_profit = 29.99;
        thin.trades_count = 24;
        let report = paper_to_live_eligibility(&thin, week, &cfg);
        assert!(!report.profit_pct.passed && !report.trades.passed);
    }

    #[test]
    fn live_bots_are_not_paper_eligible() {
        let mut bot = seasoned_paper_bot();
        bot.trading_mode = TradingMode::Live;
        assert!(!paper_to_live_eligibility(&bot, t0() + Duration::days(30), &config()).eligible);
    }
}
