//! Query-string parsing shared by the portfolio, trades and analytics routes. Numbers out of
//! range are clamped (the response echoes the value used); text that is not a number, an
//! unknown choice or a bad time is a 422 naming the parameter; a bad cursor is a 400.

use chrono::{DateTime, Utc};

use crate::error::{AppError, AppResult};

/// `None` for a missing or blank parameter.
pub fn present(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|r| !r.is_empty())
}

/// A whole number clamped to `lo..=hi`, or `default` when absent.
pub fn clamped(
    field: &str,
    raw: Option<&str>,
    default: u32,
    (lo, hi): (u32, u32),
) -> AppResult<u32> {
    match present(raw) {
        None => Ok(default),
        Some(r) => r
            .parse::<i64>()
            .map(|n| n.clamp(i64::from(lo), i64::from(hi)) as u32)
            .map_err(|_| AppError::field(field, "must be a whole number")),
    }
}

/// One of a fixed set of choices (`parse`), `default` when absent.
pub fn choice<T>(
    field: &str,
    raw: Option<&str>,
    default: T,
    parse: impl Fn(&str) -> Option<T>,
    allowed: &str,
) -> AppResult<T> {
    match present(raw) {
        None => Ok(default),
        Some(r) => {
            parse(r).ok_or_else(|| AppError::field(field, &format!("must be one of {allowed}")))
        }
    }
}

/// An RFC 3339 time with an offset (`2026-03-01T00:00:00Z`).
pub fn time(field: &str, raw: Option<&str>) -> AppResult<Option<DateTime<Utc>>> {
    match present(raw) {
        None => Ok(None),
        Some(r) => DateTime::parse_from_rfc3339(r)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| {
                AppError::field(field, "must be an RFC 3339 time, e.g. 2026-03-01T00:00:00Z")
            }),
    }
}
