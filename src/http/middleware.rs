//! Cross-cutting middleware: request context + access log + metrics, error envelopes for
//! framework errors, security headers, request timeout, panic handling.

use std::any::Any;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;

use super::context::{self, RequestContext};
use crate::error::{envelope_body, AppError, EnvelopeMarker};
use crate::state::AppState;

/// Outermost middleware: sets up the request context, then logs, counts and finishes the response.
pub async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = context::request_id_from(req.headers());
    let ip = context::client_ip(&req, state.config.trust_proxy);
    let method = req.method().clone();
    // The matched template is shared (`Arc<str>` inside): no copy per request.
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let ctx = Arc::new(RequestContext {
        request_id,
        ip,
        method,
        matched,
        user_id: OnceLock::new(),
    });

    // Lines logged while the handler runs carry the request's id, method and route. The JSON
    // format prints them from the task-local context (`log_format`), which costs nothing per
    // request; the pretty format gets them from a `tracing` span.
    let span = if crate::log_format::request_span_needed() {
        tracing::info_span!(
            "request",
            request_id = ctx.request_id.as_str(),
            method = ctx.method.as_str(),
            route = ctx.route_template()
        )
    } else {
        tracing::Span::none()
    };
    let fut = next.run(req);
    let mut response = tracing::Instrument::instrument(
        context::scope(ctx.clone(), async move { ensure_envelope(fut.await).await }),
        span,
    )
    .await;
    let status = response.status();
    let latency = started.elapsed();

    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&ctx.request_id) {
        headers.insert(X_REQUEST_ID, value);
    }
    add_security_headers(headers, state.config.is_production());

    let route = ctx.route_template();
    super::route_metrics::record(route, &ctx.method, status, latency);

    // The access line names every field itself, so it is logged outside the request span
    // (inside it the JSON line would repeat them in a `spans` list, re-parsed per line).
    let latency_ms = (latency.as_secs_f64() * 1000.0 * 100.0).round() / 100.0;
    let user_id = ctx.user_id.get().map(String::as_str).unwrap_or("");
    let method = ctx.method.as_str();
    if status.is_server_error() {
        tracing::warn!(target: "access", request_id = ctx.request_id.as_str(), method, route, status = status.as_u16(), latency_ms, user_id, ip = ctx.ip.as_str(), "request");
    } else {
        tracing::info!(target: "access", request_id = ctx.request_id.as_str(), method, route, status = status.as_u16(), latency_ms, user_id, ip = ctx.ip.as_str(), "request");
    }
    response
}

/// Header names as constants: a `&str` name is parsed and validated on every insert.
const X_REQUEST_ID: header::HeaderName = header::HeaderName::from_static("x-request-id");

fn add_security_headers(headers: &mut axum::http::HeaderMap, production: bool) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // Pages that need scripts (docs, dashboard) set their own policy; everything else is JSON.
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
        ));
    if production {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
}

/// Framework-made errors (405, 413, query rejections, ...) get the same envelope as ours.
async fn ensure_envelope(response: Response) -> Response {
    let status = response.status();
    // A handler's own JSON failure body is deliberate (e.g. the health probes' 503
    // `{status:"unhealthy", db:"disconnected"}` of SPEC §1); only framework text is wrapped.
    let handler_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error())
        || handler_json
        || response.extensions().get::<EnvelopeMarker>().is_some()
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    // Framework error bodies are short text; cap what we read anyway.
    let text = match http_body_util::Limited::new(body, 4096).collect().await {
        Ok(collected) => String::from_utf8_lossy(&collected.to_bytes())
            .trim()
            .to_string(),
        Err(_) => String::new(),
    };
    let code = match status {
        StatusCode::BAD_REQUEST => "BAD_REQUEST",
        StatusCode::UNAUTHORIZED => "UNAUTHORIZED",
        StatusCode::FORBIDDEN => "FORBIDDEN",
        StatusCode::NOT_FOUND => "NOT_FOUND",
        StatusCode::METHOD_NOT_ALLOWED => "METHOD_NOT_ALLOWED",
        StatusCode::REQUEST_TIMEOUT => "REQUEST_TIMEOUT",
        StatusCode::PAYLOAD_TOO_LARGE => "PAYLOAD_TOO_LARGE",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "UNSUPPORTED_MEDIA_TYPE",
        StatusCode::UNPROCESSABLE_ENTITY => "VALIDATION_ERROR",
        StatusCode::TOO_MANY_REQUESTS => "RATE_LIMITED",
        StatusCode::SERVICE_UNAVAILABLE => "SERVICE_UNAVAILABLE",
        s if s.is_server_error() => "INTERNAL_ERROR",
        _ => "ERROR",
    };
    let message = if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
        "Internal server error".to_string()
    } else if !text.is_empty() && text.len() <= 300 && !text.starts_with('{') {
        text
    } else {
        status.canonical_reason().unwrap_or("Error").to_string()
    };
    let mut response = Response::from_parts(parts, Body::from(envelope_body(code, &message, &[])));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.remove(header::CONTENT_LENGTH);
    if status == StatusCode::UNAUTHORIZED {
        headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// The rate limit (`rate_limit::check`), then the request timeout, as one middleware: each
/// `from_fn` layer clones the rest of the stack and boxes a future per request.
pub async fn limit_and_timeout(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    super::rate_limit::check(&state, req, |req| with_timeout(&state, req, next)).await
}

/// Per-request timeout for plain REST calls; long-lived realtime streams are exempt.
async fn with_timeout(state: &AppState, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path == "/api/ws" || path.starts_with("/api/realtime/") {
        return next.run(req).await;
    }
    let limit = Duration::from_secs(state.config.request_timeout_seconds);
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "REQUEST_TIMEOUT",
            "The request took too long; try again",
        )
        .into_response(),
    }
}

/// A panic in a handler becomes a 500 envelope; the panic text is logged, never sent.
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    AppError::internal(format!("handler panicked: {detail}")).into_response()
}

/// Unknown routes.
pub async fn not_found() -> AppError {
    AppError::not_found("NOT_FOUND", "Not Found")
}
