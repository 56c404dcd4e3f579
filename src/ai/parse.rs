//! Reading provider replies: status mapping, defensive JSON parsing, key redaction.

use reqwest::StatusCode;
use serde_json::Value;

use super::{AiError, AiReply};

/// Provider messages are cut to this many characters before they reach logs or errors.
const MAX_MESSAGE_CHARS: usize = 300;

/// reqwest errors without the URL (it may carry credentials in odd setups).
pub(super) fn transport_error(err: reqwest::Error) -> AiError {
    if err.is_timeout() {
        AiError::Timeout
    } else {
        AiError::Network(err.without_url().to_string())
    }
}

/// `Retry-After` in seconds (the HTTP-date form is ignored: providers send seconds).
pub(super) fn retry_after_secs(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| s.ceil() as u64)
}

pub(super) fn status_error(
    status: StatusCode,
    retry_after: Option<u64>,
    body: &[u8],
    key: &str,
) -> AiError {
    match status {
        StatusCode::TOO_MANY_REQUESTS => AiError::RateLimited { retry_after },
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => AiError::InvalidKey {
            status: status.as_u16(),
        },
        s if s.is_server_error() => AiError::Server { status: s.as_u16() },
        s => {
            let message = serde_json::from_slice::<Value>(body)
                .ok()
                .and_then(|v| error_message(&v))
                .unwrap_or_else(|| s.canonical_reason().unwrap_or("error").to_string());
            AiError::Rejected {
                status: s.as_u16(),
                message: sanitize(&message, key),
            }
        }
    }
}

/// Reads `choices[0].message.content` from a 200 reply, which may still be an error.
pub(super) fn parse_completion(
    body: &[u8],
    default_model: &str,
    key: &str,
) -> Result<AiReply, AiError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| AiError::Malformed(format!("not JSON: {e}")))?;
    if !value.is_object() {
        return Err(AiError::Malformed("not a JSON object".into()));
    }
    if let Some(message) = error_message(&value) {
        return Err(AiError::Provider {
            message: sanitize(&message, key),
        });
    }
    let choices = match value.get("choices") {
        Some(Value::Array(choices)) => choices,
        Some(_) => return Err(AiError::Malformed("`choices` is not a list".into())),
        None => return Err(AiError::Malformed("no `choices` field".into())),
    };
    let first = choices.first().ok_or(AiError::EmptyChoices)?;
    let content = first
        .pointer("/message/content")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .ok_or(AiError::MissingContent)?;
    let model = value
        .get("model")
        .and_then(Value::as_str)
        .filter(|m| !m.trim().is_empty())
        .unwrap_or(default_model);
    Ok(AiReply {
        content: content.to_string(),
        model: model.to_string(),
    })
}

/// The provider's error text: `{"error":{"message":..}}` or `{"error":"..."}`.
fn error_message(value: &Value) -> Option<String> {
    match value.get("error")? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Object(obj) => Some(
            obj.get("message")
                .and_then(Value::as_str)
                .unwrap_or("unknown provider error")
                .to_string(),
        ),
        other => Some(other.to_string()),
    }
}

/// Redacts the key (providers sometimes echo it) and bounds the length.
fn sanitize(message: &str, key: &str) -> String {
    let redacted = if key.trim().is_empty() {
        message.to_string()
    } else {
        message.replace(key, "[redacted]")
    };
    redacted.chars().take(MAX_MESSAGE_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_error_bodies_are_recognised_and_redacted() {
        let body = br#"{"error":{"message":"bad key sk-secret-123 given","type":"auth"}}"#;
        let err = parse_completion(body, "m", "sk-secret-123").unwrap_err();
        assert_eq!(
            err,
            AiError::Provider {
                message: "bad key [redacted] given".into()
            }
        );
        let err = parse_completion(br#"{"error":"quota"}"#, "m", "k").unwrap_err();
        assert!(matches!(err, AiError::Provider { .. }));
    }

    #[test]
    fn odd_shapes_are_typed_errors() {
        let parse = |b: &[u8]| parse_completion(b, "m", "k");
        assert!(matches!(parse(b"<html>"), Err(AiError::Malformed(_))));
        assert!(matches!(parse(b"[]"), Err(AiError::Malformed(_))));
        assert!(matches!(
            parse(br#"{"choices":7}"#),
            Err(AiError::Malformed(_))
        ));
        assert_eq!(parse(br#"{"choices":[]}"#), Err(AiError::EmptyChoices));
        assert_eq!(
            parse(br#"{"choices":[{"message":{"content":null}}]}"#),
            Err(AiError::MissingContent)
        );
        let ok = parse(br#"{"choices":[{"message":{"content":" hi "}}]}"#).unwrap();
        assert_eq!((ok.content.as_str(), ok.model.as_str()), ("hi", "m"));
    }

    #[test]
    fn retry_after_reads_seconds_only() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("retry-after", "2".parse().unwrap());
        assert_eq!(retry_after_secs(&h), Some(2));
        h.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after_secs(&h), None);
    }
}
