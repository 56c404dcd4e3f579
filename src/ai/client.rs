//! The OpenAI-compatible chat-completions client: retries with backoff, defensive parsing.

use std::time::Duration;

use rand::Rng;
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::ChatMessage;
use crate::config::OutboundConfig;

/// Total attempts per chat (the first try plus one retry), as SPEC §6 fixes.
const ATTEMPTS: u32 = 2;
/// Replies larger than this are refused: a chat answer is never megabytes.
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
/// Provider messages are cut to this many characters before they reach logs or errors.
const MAX_MESSAGE_CHARS: usize = 300;

/// A successful completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AiReply {
    pub content: String,
    /// The model the provider says answered (else the configured one).
    pub model: String,
}

/// Why a chat failed. Texts never contain the API key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AiError {
    #[error("AI provider timed out")]
    Timeout,
    #[error("AI provider unreachable: {0}")]
    Network(String),
    #[error("AI provider rate limited the request")]
    RateLimited { retry_after: Option<u64> },
    #[error("AI provider failed with HTTP {status}")]
    Server { status: u16 },
    #[error("AI provider rejected the API key (HTTP {status})")]
    InvalidKey { status: u16 },
    #[error("AI provider refused the request (HTTP {status}): {message}")]
    Rejected { status: u16, message: String },
    #[error("AI provider returned an error: {message}")]
    Provider { message: String },
    #[error("AI provider sent an unreadable reply: {0}")]
    Malformed(String),
    #[error("AI provider returned no choices")]
    EmptyChoices,
    #[error("AI provider reply had no content")]
    MissingContent,
}

impl AiError {
    /// Transient failures worth a second attempt; other 4xx would fail the same way again.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            AiError::Timeout
                | AiError::Network(_)
                | AiError::RateLimited { .. }
                | AiError::Server { .. }
        )
    }
}

/// A chat-completions client over the shared `reqwest::Client`; cheap to clone.
#[derive(Debug, Clone)]
pub struct AiClient {
    http: reqwest::Client,
    endpoint: String,
    model: String,
    timeout: Duration,
    backoff_base: Duration,
    max_retry_after: Duration,
}

impl AiClient {
    pub fn new(http: reqwest::Client, cfg: &OutboundConfig) -> Self {
        Self {
            http,
            endpoint: format!(
                "{}/chat/completions",
                cfg.openai_base_url.trim_end_matches('/')
            ),
            model: cfg.openai_model.clone(),
            timeout: Duration::from_secs(cfg.ai_timeout_seconds.max(1)),
            backoff_base: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(10),
        }
    }

    /// Base delay before the retry (doubled per attempt, plus up to one base of jitter).
    pub fn with_backoff(mut self, base: Duration) -> Self {
        self.backoff_base = base;
        self
    }

    /// Longest `Retry-After` honoured; a provider asking for more is capped to this.
    pub fn with_max_retry_after(mut self, cap: Duration) -> Self {
        self.max_retry_after = cap;
        self
    }

    /// The model requested from the provider.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Sends `messages` with `api_key`; up to `ATTEMPTS` tries on transient failures.
    pub async fn chat(&self, api_key: &str, messages: &[ChatMessage]) -> Result<AiReply, AiError> {
        let body = json!({"model": self.model, "messages": messages});
        let mut attempt = 1;
        loop {
            let err = match self.attempt(api_key, &body).await {
                Ok(reply) => return Ok(reply),
                Err(err) => err,
            };
            if attempt >= ATTEMPTS || !err.is_retryable() {
                return Err(err);
            }
            let delay = self.delay_before_retry(attempt, &err);
            tracing::warn!(attempt, error = %err, retry_in_ms = delay.as_millis() as u64, "AI provider call failed; retrying");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// Exponential backoff with jitter (so many clients do not retry in lockstep); a
    /// provider's `Retry-After` wins when longer, capped so a user never waits minutes.
    fn delay_before_retry(&self, attempt: u32, err: &AiError) -> Duration {
        let base = self.backoff_base * 2u32.saturating_pow(attempt - 1);
        let jitter_cap = self.backoff_base.as_millis().min(u128::from(u64::MAX)) as u64;
        let jitter = Duration::from_millis(rand::thread_rng().gen_range(0..=jitter_cap));
        let backoff = base + jitter;
        match err {
            AiError::RateLimited {
                retry_after: Some(secs),
            } => Duration::from_secs(*secs).min(self.max_retry_after).max(backoff),
            _ => backoff,
        }
    }

    async fn attempt(&self, api_key: &str, body: &Value) -> Result<AiReply, AiError> {
        let response = self
            .http
            .post(&self.endpoint)
            .bearer_auth(api_key)
            .timeout(self.timeout)
            .json(body)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        let retry_after = retry_after_secs(response.headers());
        if response
            .content_length()
            .is_some_and(|n| n > MAX_BODY_BYTES as u64)
        {
            return Err(AiError::Malformed("reply too large".into()));
        }
        let bytes = response.bytes().await.map_err(transport_error)?;
        if bytes.len() > MAX_BODY_BYTES {
            return Err(AiError::Malformed("reply too large".into()));
        }
        if !status.is_success() {
            return Err(status_error(status, retry_after, &bytes, api_key));
        }
        parse_completion(&bytes, &self.model, api_key)
    }
}

/// reqwest errors without the URL (it may carry credentials in odd setups).
fn transport_error(err: reqwest::Error) -> AiError {
    if err.is_timeout() {
        AiError::Timeout
    } else {
        AiError::Network(err.without_url().to_string())
    }
}

/// `Retry-After` in seconds (the HTTP-date form is ignored: providers send seconds).
fn retry_after_secs(headers: &reqwest::header::HeaderMap) -> Option<u64> {
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

fn status_error(status: StatusCode, retry_after: Option<u64>, body: &[u8], key: &str) -> AiError {
    match status {
        StatusCode::TOO_MANY_REQUESTS => AiError::RateLimited { retry_after },
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => AiError::InvalidKey {
            status: status.as_u16(),
        },
        s if s.is_server_error() => AiError::Server {
            status: s.as_u16(),
        },
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
fn parse_completion(body: &[u8], default_model: &str, key: &str) -> Result<AiReply, AiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| AiError::Malformed(format!("not JSON: {e}")))?;
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
        assert!(matches!(parse(br#"{"choices":7}"#), Err(AiError::Malformed(_))));
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
        h.insert("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap());
        assert_eq!(retry_after_secs(&h), None);
    }
}
