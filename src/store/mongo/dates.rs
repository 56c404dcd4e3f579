//! Tolerant decoding of stored times. We always write BSON dates, but documents written by the
//! old Python service (and `$set` on the nx-27017 test server) can hold text dates; reading
//! those must not fail a request. Text without an offset is taken as UTC.

use chrono::{DateTime, NaiveDateTime, Utc};
use mongodb::bson::{Bson, DateTime as BsonDateTime};
use serde::{Deserialize, Deserializer};

/// Interprets a stored value as a UTC instant.
pub fn from_value(value: &Bson) -> Option<BsonDateTime> {
    match value {
        Bson::DateTime(dt) => Some(*dt),
        Bson::String(text) => {
            parse_text(text).map(|t| BsonDateTime::from_millis(t.timestamp_millis()))
        }
        Bson::Int64(ms) => Some(BsonDateTime::from_millis(*ms)),
        _ => None,
    }
}

fn parse_text(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|fmt| NaiveDateTime::parse_from_str(text, fmt).ok())
        .map(|naive| naive.and_utc())
}

pub fn required<'de, D: Deserializer<'de>>(d: D) -> Result<BsonDateTime, D::Error> {
    let value = Bson::deserialize(d)?;
    from_value(&value)
        .ok_or_else(|| serde::de::Error::custom(format!("expected a date, got {value}")))
}

pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<BsonDateTime>, D::Error> {
    let value = Option::<Bson>::deserialize(d)?;
    match value {
        None | Some(Bson::Null) => Ok(None),
        Some(v) => from_value(&v)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("expected a date, got {v}"))),
    }
}

/// Booleans written by `$set` on some compatible servers come back as 0/1 integers.
pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match Bson::deserialize(d)? {
        Bson::Boolean(b) => Ok(b),
        Bson::Int32(n) => Ok(n != 0),
        Bson::Int64(n) => Ok(n != 0),
        Bson::Null => Ok(false),
        other => Err(serde::de::Error::custom(format!(
            "expected a boolean, got {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_text_and_naive_text_all_decode_as_utc() {
        let want = BsonDateTime::from_millis(1_767_225_600_000); // 2026-01-01T00:00:00Z
        assert_eq!(from_value(&Bson::DateTime(want)), Some(want));
        assert_eq!(
            from_value(&Bson::String("2026-01-01T00:00:00Z".into())),
            Some(want)
        );
        assert_eq!(
            from_value(&Bson::String("2026-01-01T02:00:00+02:00".into())),
            Some(want)
        );
        assert_eq!(
            from_value(&Bson::String("2026-01-01 00:00:00".into())),
            Some(want)
        );
        assert_eq!(
            from_value(&Bson::String("2026-01-01T00:00:00.000000".into())),
            Some(want)
        );
        assert_eq!(from_value(&Bson::String("yesterday".into())), None);
    }
}
