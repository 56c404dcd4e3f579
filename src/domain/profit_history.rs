//! The dashboard's profit-history chart: realised profit per day (last 7), week (last 4, from
//! Monday) or month (last 6), with the totals it prints beside the chart.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::periods::{fill_empty_periods, window_start, Period, PeriodBucket};

/// How many periods each chart shows.
pub fn periods_shown(period: Period) -> usize {
    match period {
        Period::Daily => 7,
        Period::Weekly => 4,
        Period::Monthly => 6,
    }
}

/// `GET /api/analytics/profit-history`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ProfitHistory {
    pub period: String,
    /// `YYYY-MM-DD` (day, or the Monday of a week) or `YYYY-MM` (month), oldest first.
    pub labels: Vec<String>,
    /// Realised profit per period, same order.
    pub values: Vec<f64>,
    pub total: f64,
    /// `total` over the calendar days from the window's start to today (both counted).
    pub avg_daily: f64,
    /// The best single UTC day's profit in the window (0 without trades).
    pub best_day: f64,
    /// Percent change of the newest period over the one before (0 when that one is 0).
    pub growth_rate: f64,
}

/// Builds the chart from per-day buckets (any order; days outside the window are ignored).
pub fn build(days: &[PeriodBucket], period: Period, now: DateTime<Utc>) -> ProfitHistory {
    let shown = periods_shown(period);
    let start = window_start(period, shown, now);
    let in_window: Vec<&PeriodBucket> = days.iter().filter(|d| d.period_start >= start).collect();
    let buckets = fill_empty_periods(days, period, shown, now);
    let labels = buckets
        .iter()
        .map(|b| match period {
            Period::Monthly => b.period_start.format("%Y-%m").to_string(),
            _ => b.period_start.format("%Y-%m-%d").to_string(),
        })
        .collect();
    let values: Vec<f64> = buckets.iter().map(|b| round2(b.profit)).collect();
    let total: f64 = buckets.iter().map(|b| b.profit).sum();
    let day_count = (now.date_naive() - start.date_naive()).num_days().max(0) + 1;
    let best_day = in_window
        .iter()
        .map(|d| d.profit)
        .fold(None, |best: Option<f64>, p| {
            Some(best.map_or(p, |b| b.max(p)))
        })
        .unwrap_or(0.0);
    let growth_rate = match values.as_slice() {
        [.., prev, last] if *prev != 0.0 => round2((last - prev) / prev.abs() * 100.0),
        _ => 0.0,
    };
    ProfitHistory {
        period: match period {
            Period::Daily => "daily",
            Period::Weekly => "weekly",
            Period::Monthly => "monthly",
        }
        .into(),
        labels,
        values,
        total: round2(total),
        avg_daily: round2(total / day_count as f64),
        best_day: round2(best_day),
        growth_rate,
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn day(s: &str, profit: f64) -> PeriodBucket {
        PeriodBucket {
            period_start: at(s),
            profit,
            trades: 1,
            fees: 0.0,
        }
    }

    #[test]
    fn daily_shows_seven_days_with_gaps_as_zero() {
        // Thursday 2026-12-03 noon; window 11-27..12-03.
        let now = at("2026-12-03T12:00:00Z");
        let days = [
            day("2026-11-20T00:00:00Z", 999.0), // outside the window
            day("2026-11-30T00:00:00Z", 40.0),
            day("2026-12-02T00:00:00Z", -10.0),
            day("2026-12-03T00:00:00Z", 20.0),
        ];
        let h = build(&days, Period::Daily, now);
        assert_eq!(h.labels.first().map(String::as_str), Some("2026-11-27"));
        assert_eq!(h.labels.last().map(String::as_str), Some("2026-12-03"));
        assert_eq!(h.values, vec![0.0, 0.0, 0.0, 40.0, 0.0, -10.0, 20.0]);
        assert_eq!((h.total, h.best_day), (50.0, 40.0));
        // 50 over 7 days.
        assert_eq!(h.avg_daily, 7.14);
        // -10 -> 20: +300 %.
        assert_eq!(h.growth_rate, 300.0);
    }

    #[test]
    fn weekly_folds_days_into_weeks_from_monday() {
        let now = at("2026-12-03T12:00:00Z"); // week of Monday 11-30
        let days = [
            day("2026-11-30T00:00:00Z", 40.0),
            day("2026-12-02T00:00:00Z", -10.0),
            day("2026-11-24T00:00:00Z", 15.0),
        ];
        let h = build(&days, Period::Weekly, now);
        assert_eq!(
            h.labels,
            vec!["2026-11-09", "2026-11-16", "2026-11-23", "2026-11-30"]
        );
        assert_eq!(h.values, vec![0.0, 0.0, 15.0, 30.0]);
        assert_eq!((h.total, h.best_day, h.growth_rate), (45.0, 40.0, 100.0));
        // 11-09..12-03 is 25 days: 45 / 25.
        assert_eq!(h.avg_daily, 1.8);
    }

    #[test]
    fn monthly_labels_months_and_empty_is_zero() {
        let h = build(&[], Period::Monthly, at("2026-12-03T12:00:00Z"));
        assert_eq!(h.labels.first().map(String::as_str), Some("2026-07"));
        assert_eq!(h.values, vec![0.0; 6]);
        assert_eq!((h.total, h.best_day, h.growth_rate), (0.0, 0.0, 0.0));
    }
}
