//! Sends one outbound request with a per-request timeout and reads a bounded body.

use std::time::Duration;

use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;

/// Bodies larger than this are refused: a ticker or balance reply is a few KiB at most.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A reply that arrived in time (any status).
pub(crate) struct Reply {
    pub status: StatusCode,
    pub body: Vec<u8>,
    /// `Retry-After` in seconds, when the server sent one (rate limits).
    pub retry_after: Option<Duration>,
}

impl Reply {
    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// Why no reply arrived. Deliberately coarse: the underlying error text may name URLs and
/// header values, so it is never shown to users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    Timeout,
    Unreachable,
    /// The request could not be built (e.g. a header value with a newline in it).
    InvalidRequest,
    BodyTooLarge,
}

pub(crate) async fn send(request: RequestBuilder, timeout: Duration) -> Result<Reply, Failure> {
    let mut response = request.timeout(timeout).send().await.map_err(classify)?;
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    if response
        .content_length()
        .is_some_and(|len| len > MAX_BODY_BYTES as u64)
    {
        return Err(Failure::BodyTooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(classify)? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(Failure::BodyTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Reply {
        status,
        body,
        retry_after,
    })
}

fn classify(error: reqwest::Error) -> Failure {
    if error.is_timeout() {
        Failure::Timeout
    } else if error.is_builder() {
        Failure::InvalidRequest
    } else {
        Failure::Unreachable
    }
}
