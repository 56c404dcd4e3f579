//! UTC time buckets for `/api/profits` (daily, weekly from Monday, monthly) with empty periods
//! filled in, and the `range=` / `period=` windows of the analytics routes (SPEC §7).

use chrono::{DateTime, Datelike, Days, Duration, Months, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

/// Most periods `/api/profits` will build, whatever `limit` asks for.
pub const MAX_PERIOD_LIMIT: usize = 366;

/// `/api/profits` bucket sizes. Weeks start on Monday; everything is UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Daily,
    Weekly,
    Monthly,
}

impl Period {
    pub fn parse(raw: &str) -> Option<Period> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "daily" => Some(Period::Daily),
            "weekly" => Some(Period::Weekly),
            "monthly" => Some(Period::Monthly),
            _ => None,
        }
    }
}

/// Start of the UTC period containing `t`: midnight, Monday midnight, or the 1st at midnight.
pub fn bucket_start(t: DateTime<Utc>, period: Period) -> DateTime<Utc> {
    let day = t.date_naive();
    let first = match period {
        Period::Daily => day,
        Period::Weekly => {
            let back = u64::from(day.weekday().num_days_from_monday());
            day.checked_sub_days(Days::new(back)).unwrap_or(day)
        }
        Period::Monthly => day.with_day(1).unwrap_or(day),
    };
    first.and_time(NaiveTime::MIN).and_utc()
}

/// Start of the period before the one starting at `start`.
pub fn previous_bucket_start(start: DateTime<Utc>, period: Period) -> DateTime<Utc> {
    let earlier = match period {
        Period::Daily => start.checked_sub_signed(Duration::days(1)),
        Period::Weekly => start.checked_sub_signed(Duration::weeks(1)),
        Period::Monthly => start.checked_sub_months(Months::new(1)),
    };
    bucket_start(earlier.unwrap_or(start), period)
}

/// Start of the oldest of the `limit` periods ending with the current one: the `since` of the
/// aggregation query behind `/api/profits`.
pub fn window_start(period: Period, limit: usize, now: DateTime<Utc>) -> DateTime<Utc> {
    let mut start = bucket_start(now, period);
    for _ in 1..limit.min(MAX_PERIOD_LIMIT) {
        start = previous_bucket_start(start, period);
    }
    start
}

/// One period of `/api/profits`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PeriodBucket {
    pub period_start: DateTime<Utc>,
    pub profit: f64,
    pub trades: u64,
    pub fees: f64,
}

/// The last `limit` periods up to and including the one containing `now`, oldest first, with
/// periods that had no trades present as zeros. Input buckets are re-aligned to `period` and
/// summed, so finer buckets (e.g. daily rows for a weekly view) are accepted; buckets outside
/// the window are ignored.
pub fn fill_empty_periods(
    series: &[PeriodBucket],
    period: Period,
    limit: usize,
    now: DateTime<Utc>,
) -> Vec<PeriodBucket> {
    let limit = limit.min(MAX_PERIOD_LIMIT);
    let mut out: Vec<PeriodBucket> = Vec::with_capacity(limit);
    let mut start = bucket_start(now, period);
    for _ in 0..limit {
        out.push(PeriodBucket {
            period_start: start,
            profit: 0.0,
            trades: 0,
            fees: 0.0,
        });
        start = previous_bucket_start(start, period);
    }
    out.reverse();
    for bucket in series {
        let key = bucket_start(bucket.period_start, period);
        if let Ok(i) = out.binary_search_by(|b| b.period_start.cmp(&key)) {
            out[i].profit += bucket.profit;
            out[i].trades += bucket.trades;
            out[i].fees += bucket.fees;
        }
    }
    out
}

/// `range=` of the analytics routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Range {
    #[serde(rename = "1d")]
    Day,
    #[serde(rename = "7d")]
    Week,
    #[serde(rename = "30d")]
    Month,
    #[serde(rename = "90d")]
    Quarter,
    #[serde(rename = "1y")]
    Year,
    #[serde(rename = "all")]
    All,
}

impl Range {
    pub fn parse(raw: &str) -> Option<Range> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "1d" => Some(Range::Day),
            "7d" => Some(Range::Week),
            "30d" => Some(Range::Month),
            "90d" => Some(Range::Quarter),
            "1y" => Some(Range::Year),
            "all" => Some(Range::All),
            _ => None,
        }
    }
}

/// Where a range begins: a rolling window back from `now` (`1y` = 365 days), `None` for all.
pub fn range_start(range: Range, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let days = match range {
        Range::Day => 1,
        Range::Week => 7,
        Range::Month => 30,
        Range::Quarter => 90,
        Range::Year => 365,
        Range::All => return None,
    };
    now.checked_sub_signed(Duration::days(days))
}

/// `period=` of `/api/analytics/win_rate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StatsPeriod {
    #[serde(rename = "today")]
    Today,
    #[serde(rename = "7d")]
    Week,
    #[serde(rename = "30d")]
    Month,
    #[serde(rename = "all")]
    All,
}

impl StatsPeriod {
    pub fn parse(raw: &str) -> Option<StatsPeriod> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "today" => Some(StatsPeriod::Today),
            "7d" => Some(StatsPeriod::Week),
            "30d" => Some(StatsPeriod::Month),
            "all" => Some(StatsPeriod::All),
            _ => None,
        }
    }

    /// `today` starts at UTC midnight; the others are rolling windows; `None` for all time.
    pub fn since(self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            StatsPeriod::Today => Some(bucket_start(now, Period::Daily)),
            StatsPeriod::Week => range_start(Range::Week, now),
            StatsPeriod::Month => range_start(Range::Month, now),
            StatsPeriod::All => None,
        }
    }
}

#[cfg(test)]
mod tests;
