//! The answers and headers the request gate (`gate.rs`) adds: error envelopes for framework
//! errors, security headers, the panic answer, and the unknown-route answer.

use std::any::Any;

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;

use crate::error::{envelope_body, AppError, EnvelopeMarker};

/// Header names as constants: a `&str` name is parsed and validated on every insert.
pub(super) const X_REQUEST_ID: header::HeaderName = header::HeaderName::from_static("x-request-id");

pub(super) fn add_security_headers(headers: &mut axum::http::HeaderMap, production: bool) {
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
pub(super) async fn ensure_envelope(response: Response) -> Response {
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
