//! The OpenAI-compatible chat-completions client: retries with backoff, defensive parsing.

use std::time::Duration;

use rand::Rng;
use serde_json::{json, Value};

use super::parse::{parse_completion, retry_after_secs, status_error, transport_error};
use super::ChatMessage;
use crate::config::OutboundConfig;

/// Total attempts per chat (the first try plus one retry), as SPEC §6 fixes.
const ATTEMPTS: u32 = 2;
/// Replies larger than this are refused: a chat answer is never megabytes.
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

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
            } => Duration::from_secs(*secs)
                .min(self.max_retry_after)
                .max(backoff),
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
