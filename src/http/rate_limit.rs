//! General rate limits (SPEC §13): a token bucket per user and per IP, with `X-RateLimit-*`.

use axum::extract::Request;
use axum::http::HeaderValue;
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

/// The limit check around `run` (the rest of the stack); the middleware is
/// `middleware::limit_and_timeout`, which also applies the request timeout.
pub async fn check<F, Fut>(state: &AppState, mut req: Request, run: F) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    if !state.config.rate_limit.enabled || exempt(req.uri().path()) {
        return run(req).await;
    }
    let ip = context::client_ip(&req, state.config.trust_proxy);
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
    let mut response = if decision.allowed && ip_decision.allowed {
        run(req).await
    } else {
        AppError::rate_limited(decision.retry_after).into_response()
    };
    add_headers(&mut response, decision);
    response
}

fn add_headers(response: &mut Response, decision: Decision) {
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from(decision.limit));
    headers.insert(
        "x-ratelimit-remaining",
        HeaderValue::from(decision.remaining),
    );
}
