//! General rate limits (SPEC §13): a token bucket per user and per IP, with `X-RateLimit-*`.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::context;
use crate::auth::rate_limit::Decision;
use crate::error::AppError;
use crate::state::AppState;

/// Health, metrics and realtime handshakes are never throttled.
fn exempt(path: &str) -> bool {
    path.starts_with("/api/health")
        || path == "/metrics"
        || path == "/api/ws"
        || path.starts_with("/api/realtime/")
}

/// The limiter's answer for one request.
#[derive(Debug, Clone, Copy)]
pub struct Admission {
    /// What the caller is told in `X-RateLimit-*` (the tighter of the IP and user buckets).
    pub decision: Decision,
    /// Whether the request may go on; refused ones are answered 429.
    pub allowed: bool,
}

/// Checks the request against the IP and user buckets (`None` when the limiter is off or the
/// path is exempt). A token that verifies is left in the request for authentication
/// (`VerifiedToken`), so its signature is checked once. Called by the request gate
/// (`http/gate.rs`), which answers 429 or runs the request and adds the headers.
pub fn admit(state: &AppState, req: &mut Request) -> Option<Admission> {
    if !state.config.rate_limit.enabled || exempt(req.uri().path()) {
        return None;
    }
    let ip = context::client_ip(req, state.config.trust_proxy);
    let ip_decision = state.auth.ip_buckets.check(&ip);
    // The user bucket keys on a token that verifies (signature + expiry only: no database here).
    let verified = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::auth::bearer_value)
        .and_then(|token| {
            let claims = state
                .auth
                .jwt
                .verify_access(token, state.clock.now())
                .ok()?;
            Some(crate::auth::VerifiedToken::new(token, claims))
        });
    let user_decision = verified
        .as_ref()
        .and_then(|v| v.claims().subject())
        .map(|user_id| state.auth.user_buckets.check(user_id));
    // Authentication reuses the verified signature instead of checking it a second time.
    if let Some(verified) = verified {
        req.extensions_mut().insert(verified);
    }

    // Report the tighter of the two limits.
    let decision = match user_decision {
        Some(user)
            if !user.allowed || (ip_decision.allowed && user.remaining < ip_decision.remaining) =>
        {
            user
        }
        _ => ip_decision,
    };
    Some(Admission {
        decision,
        allowed: decision.allowed && ip_decision.allowed,
    })
}

/// The 429 answer for a refused request (inside the request's context, so the envelope
/// quotes its id).
pub fn refusal(decision: Decision) -> Response {
    let mut response = AppError::rate_limited(decision.retry_after).into_response();
    add_headers(&mut response, decision);
    response
}

/// `X-RateLimit-Limit` / `X-RateLimit-Remaining` on an answer.
pub fn add_headers(response: &mut Response, decision: Decision) {
    let headers = response.headers_mut();
    headers.insert(RATELIMIT_LIMIT, HeaderValue::from(decision.limit));
    headers.insert(RATELIMIT_REMAINING, HeaderValue::from(decision.remaining));
}

const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
