//! UTC period buckets, filled series and analytics windows.

use chrono::TimeZone;

use super::*;

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
        .single()
        .expect("valid date")
}

fn day(y: i32, mo: u32, d: u32) -> DateTime<Utc> {
    at(y, mo, d, 0, 0, 0)
}

fn bucket(start: DateTime<Utc>, profit: f64, trades: u64, fees: f64) -> PeriodBucket {
    PeriodBucket {
        period_start: start,
        profit,
        trades,
        fees,
    }
}

#[test]
fn a_day_bucket_runs_from_midnight_to_one_second_before_the_next() {
    assert_eq!(
        bucket_start(at(2024, 3, 14, 23, 59, 59), Period::Daily),
        day(2024, 3, 14)
    );
    assert_eq!(
        bucket_start(day(2024, 3, 15), Period::Daily),
        day(2024, 3, 15)
    );
}

#[test]
fn weeks_start_on_monday() {
    // 14 March 2024 is a Thursday; the week began on Monday 11 March.
    assert_eq!(
        bucket_start(at(2024, 3, 14, 12, 0, 0), Period::Weekly),
        day(2024, 3, 11)
    );
    // Sunday 23:59:59 is still the old week; Monday 00:00:00 starts the next.
    assert_eq!(
        bucket_start(at(2024, 3, 17, 23, 59, 59), Period::Weekly),
        day(2024, 3, 11)
    );
    assert_eq!(
        bucket_start(day(2024, 3, 18), Period::Weekly),
        day(2024, 3, 18)
    );
}

#[test]
fn months_start_on_the_first_and_roll_over_years() {
    assert_eq!(
        bucket_start(at(2024, 3, 31, 23, 59, 59), Period::Monthly),
        day(2024, 3, 1)
    );
    assert_eq!(
        bucket_start(day(2024, 4, 1), Period::Monthly),
        day(2024, 4, 1)
    );
    assert_eq!(
        previous_bucket_start(day(2024, 1, 1), Period::Monthly),
        day(2023, 12, 1)
    );
    assert_eq!(
        previous_bucket_start(day(2024, 3, 1), Period::Monthly),
        day(2024, 2, 1)
    );
}

#[test]
fn empty_days_are_filled_with_zeros_oldest_first() {
    let now = at(2024, 3, 15, 10, 0, 0);
    let series = [
        bucket(day(2024, 3, 14), 50.0, 2, 1.0),
        bucket(day(2024, 3, 1), 999.0, 9, 9.0), // before the window
        bucket(day(2024, 3, 16), 999.0, 9, 9.0), // after now
    ];
    let filled = fill_empty_periods(&series, Period::Daily, 3, now);
    assert_eq!(
        filled,
        [
            bucket(day(2024, 3, 13), 0.0, 0, 0.0),
            bucket(day(2024, 3, 14), 50.0, 2, 1.0),
            bucket(day(2024, 3, 15), 0.0, 0, 0.0),
        ]
    );
}

#[test]
fn daily_rows_are_summed_into_their_week() {
    let now = at(2024, 3, 15, 10, 0, 0);
    let series = [
        bucket(day(2024, 3, 12), 10.0, 1, 0.5),
        bucket(day(2024, 3, 14), 15.0, 2, 0.25),
    ];
    let filled = fill_empty_periods(&series, Period::Weekly, 2, now);
    assert_eq!(
        filled,
        [
            bucket(day(2024, 3, 4), 0.0, 0, 0.0),
            bucket(day(2024, 3, 11), 25.0, 3, 0.75),
        ]
    );
}

#[test]
fn monthly_periods_cross_the_year_boundary() {
    let filled = fill_empty_periods(&[], Period::Monthly, 3, at(2024, 1, 15, 0, 0, 0));
    let starts: Vec<_> = filled.iter().map(|b| b.period_start).collect();
    assert_eq!(
        starts,
        [day(2023, 11, 1), day(2023, 12, 1), day(2024, 1, 1)]
    );
}

#[test]
fn the_period_limit_is_capped_and_zero_gives_nothing() {
    let now = day(2024, 3, 15);
    assert!(fill_empty_periods(&[], Period::Daily, 0, now).is_empty());
    assert_eq!(
        fill_empty_periods(&[], Period::Daily, 10_000, now).len(),
        MAX_PERIOD_LIMIT
    );
}

#[test]
fn the_query_window_starts_at_the_oldest_period_shown() {
    // 30 days ending 15 March 2024 (a leap year): 15 March minus 29 days = 15 February.
    let now = at(2024, 3, 15, 10, 0, 0);
    assert_eq!(window_start(Period::Daily, 30, now), day(2024, 2, 15));
    assert_eq!(window_start(Period::Daily, 1, now), day(2024, 3, 15));
}

#[test]
fn ranges_are_rolling_windows_and_all_has_no_start() {
    let now = at(2024, 3, 15, 10, 0, 0);
    assert_eq!(
        range_start(Range::Day, now),
        Some(at(2024, 3, 14, 10, 0, 0))
    );
    assert_eq!(
        range_start(Range::Week, now),
        Some(at(2024, 3, 8, 10, 0, 0))
    );
    assert_eq!(
        range_start(Range::Year, now),
        Some(at(2023, 3, 16, 10, 0, 0))
    );
    assert_eq!(range_start(Range::All, now), None);
    assert_eq!(Range::parse("1Y"), Some(Range::Year));
    assert_eq!(Range::parse("2d"), None);
}

#[test]
fn todays_win_rate_counts_from_utc_midnight() {
    let now = at(2024, 3, 15, 0, 0, 1);
    assert_eq!(
        StatsPeriod::parse("today").map(|p| p.since(now)),
        Some(Some(day(2024, 3, 15)))
    );
    assert_eq!(StatsPeriod::All.since(now), None);
    assert_eq!(Period::parse("Weekly"), Some(Period::Weekly));
    assert_eq!(Period::parse("hourly"), None);
}

#[test]
fn a_profits_bucket_serialises_its_start_as_rfc3339() {
    let json = serde_json::to_value(bucket(day(2024, 3, 14), 1.5, 1, 0.1)).expect("serialisable");
    assert_eq!(json["period_start"], "2024-03-14T00:00:00Z");
    assert_eq!(
        serde_json::to_value(Range::Quarter).ok(),
        Some(serde_json::json!("90d"))
    );
}
