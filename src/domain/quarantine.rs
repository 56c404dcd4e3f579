//! Quarantine escalation (SPEC §4): 1 h, 3 h, 24 h of retraining, then stopped for good.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::domain::bot::{Bot, BotStatus};
use crate::domain::training::hours_since;

/// Retraining hours for the 1st, 2nd and 3rd quarantine; the next one retires the bot.
pub const RETRAINING_HOURS: [i64; 3] = [1, 3, 24];

/// How many quarantines a bot may survive.
pub const MAX_QUARANTINES: u32 = RETRAINING_HOURS.len() as u32;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum QuarantineOutcome {
    /// Quarantined for `hours`; may start again from `retraining_until`.
    Quarantined {
        quarantine_count: u32,
        hours: i64,
        retraining_until: DateTime<Utc>,
    },
    /// One quarantine too many: stopped and never allowed to start again.
    StoppedForGood { quarantine_count: u32 },
    /// Deleted or already retired bots are left alone.
    Ignored,
}

/// True once a bot has used up its quarantines (it stays stopped).
pub fn is_retired(bot: &Bot) -> bool {
    bot.quarantine_count > MAX_QUARANTINES
}

/// Hours left before a quarantined bot may start again (0 when due or never quarantined).
/// Read from `retraining_until` whatever the status, so stopping a quarantined bot and
/// starting it again cannot cut the retraining short.
pub fn retraining_hours_remaining(bot: &Bot, now: DateTime<Utc>) -> f64 {
    bot.retraining_until
        .map_or(0.0, |until| hours_since(now, until))
}

/// Quarantines (or, the 4th time, retires) the bot and records why.
pub fn quarantine(bot: &mut Bot, now: DateTime<Utc>, reason: &str) -> QuarantineOutcome {
    if bot.status == BotStatus::Deleted || is_retired(bot) {
        return QuarantineOutcome::Ignored;
    }
    let count = bot.quarantine_count.saturating_add(1);
    bot.quarantine_count = count;
    bot.updated_at = now;
    let reason = reason.trim();
    match RETRAINING_HOURS.get(count as usize - 1) {
        Some(&hours) => {
            let until = now + Duration::hours(hours);
            bot.status = BotStatus::Quarantined;
            bot.retraining_until = Some(until);
            bot.pause_reason = Some(format!("Quarantine #{count} ({hours} h): {reason}"));
            QuarantineOutcome::Quarantined {
                quarantine_count: count,
                hours,
                retraining_until: until,
            }
        }
        None => {
            bot.status = BotStatus::Stopped;
            bot.stopped_at = Some(now);
            bot.retraining_until = None;
            bot.pause_reason = Some(format!(
                "Stopped for good after {count} quarantines: {reason}"
            ));
            QuarantineOutcome::StoppedForGood {
                quarantine_count: count,
            }
        }
    }
}

/// Ends a finished quarantine: the bot waits `paused` for an explicit start. Returns
/// whether anything changed (for the engine that sweeps quarantined bots).
pub fn release_if_due(bot: &mut Bot, now: DateTime<Utc>) -> bool {
    let due = bot.status == BotStatus::Quarantined
        && bot.retraining_until.is_none_or(|until| until <= now);
    if due {
        bot.status = BotStatus::Paused;
        bot.retraining_until = None;
        bot.pause_reason = Some("Quarantine over; ready to start".to_string());
        bot.updated_at = now;
    }
    due
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::bot::test_support::{paper_bot, t0};

    #[test]
    fn quarantines_escalate_from_one_to_three_to_twenty_four_hours() {
        let mut bot = paper_bot();
        for (n, hours) in [(1u32, 1i64), (2, 3), (3, 24)] {
            let now = t0() + Duration::days(n as i64);
            let outcome = quarantine(&mut bot, now, "drawdown over 15 %");
            assert_eq!(
                outcome,
                QuarantineOutcome::Quarantined {
                    quarantine_count: n,
                    hours,
                    retraining_until: now + Duration::hours(hours),
                }
            );
            assert_eq!(bot.status, BotStatus::Quarantined);
            assert!(bot
                .pause_reason
                .as_deref()
                .unwrap_or("")
                .contains("drawdown"));
            bot.status = BotStatus::Active;
        }
    }

    #[test]
    fn the_fourth_quarantine_stops_the_bot_for_good() {
        let mut bot = paper_bot();
        bot.quarantine_count = 3;
        let now = t0() + Duration::days(9);
        let outcome = quarantine(&mut bot, now, "10 straight losses");
        assert_eq!(
            outcome,
            QuarantineOutcome::StoppedForGood {
                quarantine_count: 4
            }
        );
        assert_eq!(bot.status, BotStatus::Stopped);
        assert_eq!(bot.stopped_at, Some(now));
        assert!(is_retired(&bot));
        assert_eq!(
            quarantine(&mut bot, now, "again"),
            QuarantineOutcome::Ignored
        );
        assert_eq!(bot.quarantine_count, 4);
    }

    #[test]
    fn deleted_bots_are_not_quarantined() {
        let mut bot = paper_bot();
        bot.status = BotStatus::Deleted;
        assert_eq!(quarantine(&mut bot, t0(), "x"), QuarantineOutcome::Ignored);
        assert_eq!(bot.quarantine_count, 0);
    }

    #[test]
    fn retraining_time_counts_down_to_zero() {
        let mut bot = paper_bot();
        quarantine(&mut bot, t0(), "x");
        assert_eq!(retraining_hours_remaining(&bot, t0()), 1.0);
        assert_eq!(
            retraining_hours_remaining(&bot, t0() + Duration::minutes(30)),
            0.5
        );
        assert_eq!(
            retraining_hours_remaining(&bot, t0() + Duration::hours(2)),
            0.0
        );
    }

    #[test]
    fn a_quarantine_is_released_to_paused_only_once_due() {
        let mut bot = paper_bot();
        quarantine(&mut bot, t0(), "x");
        assert!(!release_if_due(&mut bot, t0() + Duration::minutes(59)));
        assert_eq!(bot.status, BotStatus::Quarantined);
        assert!(release_if_due(&mut bot, t0() + Duration::hours(1)));
        assert_eq!(bot.status, BotStatus::Paused);
        assert_eq!(bot.retraining_until, None);
        assert!(!release_if_due(&mut bot, t0() + Duration::hours(2)));
    }
}
