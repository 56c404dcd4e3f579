//! Countdown maths: how far the user's capital is from a target and, from the realised daily
//! profit so far, when it would get there (simple: the same profit every day; compound: the
//! same daily return on a growing capital). No invented rates: no profit, no date.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// The realised record a projection starts from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProfitRecord {
    /// Realised profit over the whole record (sum of closed trades' `profit_loss`).
    pub total_profit: f64,
    /// Calendar days from the first trading day to today, both counted (0 without trades).
    pub days_of_data: u32,
    pub total_trades: u64,
}

impl ProfitRecord {
    /// `first_day`: the UTC day of the first trade (None without trades).
    pub fn new(
        total_profit: f64,
        first_day: Option<NaiveDate>,
        today: NaiveDate,
        total_trades: u64,
    ) -> Self {
        let days_of_data = first_day
            .map(|d| (today - d).num_days().max(0) as u32 + 1)
            .unwrap_or(0);
        ProfitRecord {
            total_profit,
            days_of_data,
            total_trades,
        }
    }

    /// Realised profit per calendar day (idle days count as zero), 0 without data.
    pub fn avg_daily_profit(&self) -> f64 {
        if self.days_of_data == 0 {
            0.0
        } else {
            self.total_profit / f64::from(self.days_of_data)
        }
    }

    /// `none` (no trades), `low` (< 7 days), `medium` (< 30 days), `good`.
    pub fn data_quality(&self) -> &'static str {
        match self.days_of_data {
            0 => "none",
            1..=6 => "low",
            7..=29 => "medium",
            _ => "good",
        }
    }
}

/// Days to reach `target` from `current` at `avg_daily` a day (None when not growing).
pub fn simple_days(current: f64, target: f64, avg_daily: f64) -> Option<f64> {
    if current >= target {
        return Some(0.0);
    }
    (avg_daily > 0.0).then(|| ((target - current) / avg_daily).ceil())
}

/// Days to reach `target` from `current` growing `daily_rate` (a fraction) a day, compounded.
pub fn compound_days(current: f64, target: f64, daily_rate: f64) -> Option<f64> {
    if current >= target {
        return Some(0.0);
    }
    if current <= 0.0 || daily_rate <= 0.0 || !daily_rate.is_finite() {
        return None;
    }
    let days = (target / current).ln() / (1.0 + daily_rate).ln();
    days.is_finite().then(|| days.ceil())
}

/// Where a target stands: progress, what is left and when it would be reached.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Progress {
    pub progress_pct: f64,
    pub remaining: f64,
    /// Whole days at the simple rate; `null` when the record shows no growth.
    pub days_remaining: Option<f64>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub completion_date: Option<DateTime<Utc>>,
}

/// Progress toward `target` from `current` at the record's simple daily profit.
pub fn progress(current: f64, target: f64, avg_daily: f64, now: DateTime<Utc>) -> Progress {
    let pct = if target > 0.0 {
        (current / target * 100.0).clamp(0.0, 100.0)
    } else {
        100.0
    };
    let days = simple_days(current, target, avg_daily);
    Progress {
        progress_pct: round2(pct),
        remaining: round2((target - current).max(0.0)),
        days_remaining: days,
        completion_date: days.and_then(|d| now.checked_add_signed(Duration::days(d as i64))),
    }
}

/// Both projections and the twelve-month outlook (simple rate, the one `using` names).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Projections {
    /// Days at the average daily profit.
    pub simple: Option<f64>,
    /// Days at the average daily return, compounded.
    pub compound: Option<f64>,
    /// Which one `days_remaining` uses: `simple` (the more cautious).
    pub using: String,
    /// Capital in 365 days at the simple rate.
    pub twelve_month: f64,
    pub twelve_month_gain: f64,
    /// Percent of the current capital.
    pub twelve_month_roi: f64,
}

pub fn projections(current: f64, target: f64, record: &ProfitRecord) -> Projections {
    let avg = record.avg_daily_profit();
    let rate = if current > 0.0 { avg / current } else { 0.0 };
    let gain = avg * 365.0;
    Projections {
        simple: simple_days(current, target, avg),
        compound: compound_days(current, target, rate),
        using: "simple".into(),
        twelve_month: round2(current + gain),
        twelve_month_gain: round2(gain),
        twelve_month_roi: if current > 0.0 {
            round2(gain / current * 100.0)
        } else {
            0.0
        },
    }
}

/// `reached`, `no_data` (no closed trades), `not_profitable` (average daily profit <= 0) or
/// `on_track`.
pub fn status(current: f64, target: f64, record: &ProfitRecord) -> &'static str {
    if current >= target {
        "reached"
    } else if record.days_of_data == 0 {
        "no_data"
    } else if record.avg_daily_profit() <= 0.0 {
        "not_profitable"
    } else {
        "on_track"
    }
}

pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_record_averages_profit_over_calendar_days() {
        // First trade on the 1st, today the 10th: 10 days; 500 profit -> 50 a day.
        let r = ProfitRecord::new(500.0, Some(day(2026, 1, 1)), day(2026, 1, 10), 12);
        assert_eq!(r.days_of_data, 10);
        assert_eq!(r.avg_daily_profit(), 50.0);
        assert_eq!(r.data_quality(), "medium");
        let none = ProfitRecord::new(0.0, None, day(2026, 1, 10), 0);
        assert_eq!(
            (none.avg_daily_profit(), none.data_quality()),
            (0.0, "none")
        );
    }

    #[test]
    fn simple_and_compound_days_match_hand_computed_values() {
        // 1,000 -> 1,000,000 at 50/day: 999,000 / 50 = 19,980 days.
        assert_eq!(simple_days(1_000.0, 1e6, 50.0), Some(19_980.0));
        // 1 % a day: ln(1000) / ln(1.01) = 694.2 -> 695 days.
        assert_eq!(compound_days(1_000.0, 1e6, 0.01), Some(695.0));
        assert_eq!(simple_days(1_000.0, 1e6, 0.0), None);
        assert_eq!(compound_days(1_000.0, 1e6, -0.01), None);
        assert_eq!(simple_days(2e6, 1e6, 0.0), Some(0.0));
    }

    #[test]
    fn projections_use_the_simple_rate_for_the_twelve_months() {
        let r = ProfitRecord::new(500.0, Some(day(2026, 1, 1)), day(2026, 1, 10), 12);
        let p = projections(1_000.0, 1e6, &r);
        assert_eq!(p.simple, Some(19_980.0));
        // 5 % a day compounded: ln(1000)/ln(1.05) = 141.58 -> 142.
        assert_eq!(p.compound, Some(142.0));
        assert_eq!((p.twelve_month, p.twelve_month_gain), (19_250.0, 18_250.0));
        assert_eq!(p.twelve_month_roi, 1_825.0);
        assert_eq!(status(1_000.0, 1e6, &r), "on_track");
    }

    #[test]
    fn progress_clamps_and_dates_the_completion() {
        let now = DateTime::parse_from_rfc3339("2026-01-10T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let p = progress(250.0, 1_000.0, 25.0, now);
        assert_eq!(
            (p.progress_pct, p.remaining, p.days_remaining),
            (25.0, 750.0, Some(30.0))
        );
        assert_eq!(p.completion_date, Some(now + Duration::days(30)));
        let none = progress(250.0, 1_000.0, 0.0, now);
        assert_eq!((none.days_remaining, none.completion_date), (None, None));
    }
}
