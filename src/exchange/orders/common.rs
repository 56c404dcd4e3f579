//! Shared plumbing of the order clients: credentials, sending, error mapping, number parsing
//! and decimal formatting (never exponent notation).

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;

use super::{Account, OrderError, RejectKind};
use crate::exchange::keytest::Secrets;
use crate::exchange::transport::{self, Failure, Reply};
use crate::exchange::Provider;

/// The exchange's own explanation is cut to this many characters in error texts.
const MAX_REASON_CHARS: usize = 120;

/// One call's context: validated credentials, base URL, timeout and the scrubber.
pub(crate) struct Ctx<'a> {
    pub http: &'a reqwest::Client,
    pub base: &'a str,
    pub key: &'a str,
    pub secret: &'a str,
    pub passphrase: &'a str,
    pub timeout: Duration,
    secrets: Secrets,
}

impl<'a> Ctx<'a> {
    /// Checks the fields the exchange needs before anything goes on the wire.
    pub fn new(account: &'a Account<'a>) -> Result<Self, OrderError> {
        let creds = account.creds;
        let provider = account.exchange;
        let trimmed = |v: &'a Option<String>| v.as_deref().map(str::trim).unwrap_or_default();
        let key = creds.api_key.trim();
        let secret = trimmed(&creds.api_secret);
        let passphrase = trimmed(&creds.passphrase);
        let missing = |what: &str| OrderError::Rejected {
            kind: RejectKind::InvalidCredentials,
            reason: format!("{what} is required for {}", provider.display_name()),
        };
        if key.is_empty() {
            return Err(missing("API key"));
        }
        if provider.requires_secret() && secret.is_empty() {
            return Err(missing("API secret"));
        }
        if provider.requires_passphrase() && passphrase.is_empty() {
            return Err(missing("Passphrase"));
        }
        let urls = account.urls;
        let base = match provider {
            Provider::Luno => &urls.luno_base_url,
            Provider::Binance => &urls.binance_base_url,
            Provider::Kucoin => &urls.kucoin_base_url,
            Provider::Valr => &urls.valr_base_url,
            Provider::Ovex => &urls.ovex_base_url,
            Provider::OpenAi => {
                return Err(OrderError::Unsupported("not an exchange".into()));
            }
        };
        Ok(Self {
            http: account.http,
            base: base.trim_end_matches('/'),
            key,
            secret,
            passphrase,
            timeout: Duration::from_secs(urls.exchange_timeout_seconds.max(1)),
            secrets: Secrets::of(creds),
        })
    }

    /// Sends with the configured timeout; no reply maps to `Timeout` / `Unreachable`.
    pub async fn send(&self, request: RequestBuilder) -> Result<Reply, OrderError> {
        transport::send(request, self.timeout)
            .await
            .map_err(|failure| match failure {
                Failure::Timeout => OrderError::Timeout,
                Failure::Unreachable => OrderError::Unreachable,
                Failure::InvalidRequest => OrderError::Rejected {
                    kind: RejectKind::InvalidCredentials,
                    reason: "API key or secret contains characters that are not allowed".into(),
                },
                Failure::BodyTooLarge => OrderError::Malformed("reply too large".into()),
            })
    }

    /// The exchange's own words, scrubbed of credentials first, then cut short.
    pub fn reason(&self, text: &str) -> String {
        let clean: String = self
            .secrets
            .scrub(text)
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(MAX_REASON_CHARS)
            .collect();
        clean.trim().to_string()
    }

    /// Maps a non-success reply: 429 and 5xx first (whatever the body says), then what the
    /// exchange's own error code means (`meaning`), then 401 / 404, else a plain refusal.
    pub fn failure(&self, reply: &Reply, meaning: Option<Meaning>, text: &str) -> OrderError {
        let status = reply.status;
        // 418: Binance's IP ban after ignored 429s; still "back off", never a refusal.
        if status == StatusCode::TOO_MANY_REQUESTS
            || status == StatusCode::IM_A_TEAPOT
            || meaning == Some(Meaning::RateLimited)
        {
            return OrderError::RateLimited {
                retry_after_secs: reply.retry_after.map(|d| d.as_secs()),
            };
        }
        if status.is_server_error() {
            return OrderError::Unavailable(status.as_u16());
        }
        let reason = self.reason(text);
        let reason = if reason.is_empty() {
            format!("HTTP {}", status.as_u16())
        } else {
            reason
        };
        match meaning {
            Some(Meaning::NotFound) => OrderError::NotFound,
            Some(Meaning::Reject(kind)) => OrderError::Rejected { kind, reason },
            Some(Meaning::RateLimited) => OrderError::RateLimited {
                retry_after_secs: None,
            },
            None if status == StatusCode::UNAUTHORIZED => OrderError::Rejected {
                kind: RejectKind::InvalidCredentials,
                reason,
            },
            None if status == StatusCode::NOT_FOUND => OrderError::NotFound,
            None => OrderError::Rejected {
                kind: RejectKind::Other,
                reason,
            },
        }
    }
}

/// What an exchange-specific error code says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Meaning {
    NotFound,
    RateLimited,
    Reject(RejectKind),
}

/// The body as JSON, or `Malformed`.
pub(crate) fn json(reply: &Reply) -> Result<Value, OrderError> {
    reply
        .json()
        .ok_or_else(|| OrderError::Malformed("reply is not JSON".into()))
}

/// A number the exchange sends as a JSON number or a decimal string.
pub(crate) fn num(value: Option<&Value>) -> Option<f64> {
    match value? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|n| n.is_finite())
}

/// `num`, or `Malformed` naming the field.
pub(crate) fn need_num(obj: &Value, field: &str) -> Result<f64, OrderError> {
    num(obj.get(field)).ok_or_else(|| OrderError::Malformed(format!("{field} missing")))
}

/// A field as text whether the exchange sends a string or a number (ids).
pub(crate) fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(crate) fn need_text(obj: &Value, field: &str) -> Result<String, OrderError> {
    text(obj.get(field)).ok_or_else(|| OrderError::Malformed(format!("{field} missing")))
}

/// Epoch milliseconds (number or string) as a UTC time.
pub(crate) fn millis(value: Option<&Value>) -> Option<DateTime<Utc>> {
    let ms = num(value)? as i64;
    Utc.timestamp_millis_opt(ms).single()
}

/// RFC 3339 text as a UTC time.
pub(crate) fn rfc3339(value: Option<&Value>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value?.as_str()?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Plain decimal text with at most `decimals` places and no trailing zeros, never exponent
/// notation (`1e-5` is refused by every exchange): 0.00001 -> "0.00001", 2.50 -> "2.5".
pub(crate) fn decimal(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        &text
    };
    if text == "-0" {
        "0".into()
    } else {
        text.to_string()
    }
}

/// How many decimals a step like 0.001 has (capped at 12): amounts are sent to that precision.
pub(crate) fn step_decimals(step: f64) -> usize {
    if step <= 0.0 || !step.is_finite() {
        return DEFAULT_DECIMALS;
    }
    decimal(step, 12)
        .split_once('.')
        .map_or(0, |(_, frac)| frac.len())
}

/// Precision used when the step is unknown at send time: the caller already rounded the amount
/// to the lot size, so this only has to avoid losing digits (8 = satoshi precision).
pub(crate) const DEFAULT_DECIMALS: usize = 8;

/// Amount text for the wire.
pub(crate) fn amount(value: f64) -> String {
    decimal(value, DEFAULT_DECIMALS)
}

/// Step for `decimals` places, e.g. 3 -> 0.001.
pub(crate) fn step_from_decimals(decimals: i64) -> f64 {
    10f64.powi(-(decimals.clamp(0, 18) as i32))
}

/// Form/query encoding of `pairs` in order (the signed text must be exactly what is sent).
pub(crate) fn encode(pairs: &[(&str, String)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decimals_never_use_exponents_and_drop_trailing_zeros() {
        assert_eq!(decimal(0.00001, 8), "0.00001");
        assert_eq!(decimal(1e-9, 8), "0");
        assert_eq!(decimal(2.5, 8), "2.5");
        assert_eq!(decimal(150000.0, 2), "150000");
        assert_eq!(decimal(1234567.891, 2), "1234567.89");
        assert_eq!(amount(0.1 + 0.2), "0.3");
        assert_eq!(step_decimals(0.001), 3);
        assert_eq!(step_decimals(1.0), 0);
        assert_eq!(step_decimals(0.00000001), 8);
        assert_eq!(step_from_decimals(4), 0.0001);
        assert_eq!(super::super::format_amount(0.00012, 0.0001), "0.0001");
        assert_eq!(super::super::format_amount(0.00001, 1e-8), "0.00001");
    }

    #[test]
    fn numbers_arrive_as_strings_or_numbers() {
        let v = json!({"a": "1.25", "b": 3, "c": "x", "d": null});
        assert_eq!(num(v.get("a")), Some(1.25));
        assert_eq!(num(v.get("b")), Some(3.0));
        assert_eq!(num(v.get("c")), None);
        assert_eq!(num(v.get("d")), None);
        assert_eq!(text(v.get("b")).as_deref(), Some("3"));
        assert!(need_num(&v, "c").is_err());
    }

    fn urls() -> crate::config::OutboundConfig {
        let base = "http://127.0.0.1:9".to_string();
        crate::config::OutboundConfig {
            luno_base_url: base.clone(),
            binance_base_url: base.clone(),
            kucoin_base_url: base.clone(),
            valr_base_url: base.clone(),
            ovex_base_url: base.clone(),
            openai_base_url: base,
            openai_model: "m".into(),
            ai_timeout_seconds: 1,
            exchange_timeout_seconds: 1,
            price_cache_seconds: 0,
        }
    }

    fn reply(status: u16, retry: Option<u64>) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).unwrap(),
            body: Vec::new(),
            retry_after: retry.map(Duration::from_secs),
        }
    }

    #[test]
    fn statuses_and_codes_map_and_echoed_credentials_are_scrubbed() {
        let http = reqwest::Client::new();
        let urls = urls();
        let creds = crate::exchange::Credentials::new("KEY-123456").with_secret("SECRET-abcdef");
        let account = Account {
            http: &http,
            urls: &urls,
            exchange: Provider::Valr,
            creds: &creds,
        };
        let ctx = Ctx::new(&account).unwrap();
        assert_eq!(
            ctx.failure(&reply(429, Some(3)), None, ""),
            OrderError::RateLimited {
                retry_after_secs: Some(3)
            }
        );
        // 5xx wins over whatever the body claims.
        let meaning = Some(Meaning::Reject(RejectKind::InsufficientBalance));
        assert_eq!(
            ctx.failure(&reply(502, None), meaning, "x"),
            OrderError::Unavailable(502)
        );
        let err = ctx.failure(
            &reply(401, None),
            None,
            "bad key KEY-123456 / SECRET-abcdef",
        );
        let shown = format!("{err} {err:?}");
        assert!(matches!(
            err,
            OrderError::Rejected {
                kind: RejectKind::InvalidCredentials,
                ..
            }
        ));
        assert!(
            !shown.contains("KEY-123456") && !shown.contains("SECRET-abcdef"),
            "{shown}"
        );
        assert_eq!(
            ctx.failure(&reply(404, None), None, ""),
            OrderError::NotFound
        );
        let long = "y".repeat(500);
        match ctx.failure(&reply(400, None), None, &long) {
            OrderError::Rejected { kind, reason } => {
                assert_eq!(kind, RejectKind::Other);
                assert!(reason.chars().count() <= MAX_REASON_CHARS);
            }
            other => panic!("{other:?}"),
        }
        let no_secret = crate::exchange::Credentials::new("KEY-123456");
        let account = Account {
            creds: &no_secret,
            ..account
        };
        assert!(matches!(
            Ctx::new(&account),
            Err(OrderError::Rejected {
                kind: RejectKind::InvalidCredentials,
                ..
            })
        ));
    }

    #[test]
    fn encoding_keeps_the_given_order() {
        let q = encode(&[("symbol", "BTCUSDT".into()), ("id", "a b".into())]);
        assert_eq!(q, "symbol=BTCUSDT&id=a+b");
    }
}
