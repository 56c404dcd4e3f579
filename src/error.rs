//! The one error type and the one error envelope every non-2xx response uses.

use std::borrow::Cow;

use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::http::context::current_request_id;
use crate::store::StoreError;

/// One invalid field of a 422 answer.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An error answered to the client. The message is what the client sees; `cause` (for 500s)
/// is logged once and never sent.
#[derive(Debug, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct AppError {
    pub status: StatusCode,
    pub code: Cow<'static, str>,
    pub message: String,
    pub fields: Vec<FieldError>,
    pub retry_after: Option<u64>,
    pub cause: Option<String>,
}

/// Uniform text for every token failure, so clients learn nothing about why.
pub const UNAUTHORIZED_MESSAGE: &str = "Could not validate credentials";

impl AppError {
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            fields: Vec::new(),
            retry_after: None,
            cause: None,
        }
    }
    pub fn bad_request(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn validation(fields: Vec<FieldError>) -> Self {
        let message = match fields.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            _ => "Request validation failed".to_string(),
        };
        Self {
            fields,
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "VALIDATION_ERROR",
                message,
            )
        }
    }
    pub fn field(field: &str, message: &str) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            UNAUTHORIZED_MESSAGE,
        )
    }
    pub fn forbidden(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }
    pub fn not_found(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }
    pub fn conflict(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }
    pub fn rate_limited(retry_after: u64) -> Self {
        Self {
            retry_after: Some(retry_after.max(1)),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMITED",
                "Too many requests; slow down",
            )
        }
    }
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            message,
        )
    }
    /// A 500: the client sees a generic message, the cause is logged once.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self {
            cause: Some(cause.to_string()),
            ..Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_ERROR",
                "Internal server error",
            )
        }
    }
}

#[derive(Serialize)]
struct EnvelopeError<'a> {
    code: &'a str,
    message: &'a str,
    correlation_id: String,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    fields: &'a [FieldError],
}

#[derive(Serialize)]
struct Envelope<'a> {
    detail: &'a str,
    error: EnvelopeError<'a>,
}

/// Renders the envelope body; also used by the middleware that wraps framework errors.
pub fn envelope_body(code: &str, message: &str, fields: &[FieldError]) -> String {
    let envelope = Envelope {
        detail: message,
        error: EnvelopeError {
            code,
            message,
            correlation_id: current_request_id().unwrap_or_default(),
            fields,
        },
    };
    serde_json::to_string(&envelope).unwrap_or_else(|_| {
        r#"{"detail":"Internal server error","error":{"code":"INTERNAL_ERROR","message":"Internal server error"}}"#.to_string()
    })
}

/// Marks a response whose body is already an envelope, so middleware leaves it alone.
#[derive(Clone, Copy)]
pub struct EnvelopeMarker;

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let Some(cause) = &self.cause {
            tracing::error!(code = %self.code, cause = %cause, "request failed");
        }
        let body = envelope_body(&self.code, &self.message, &self.fields);
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response.extensions_mut().insert(EnvelopeMarker);
        response
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Duplicate(what) => {
                AppError::conflict("DUPLICATE", format!("{what} already exists"))
            }
            StoreError::Unavailable(cause) => {
                tracing::warn!(cause = %cause, "database unavailable");
                AppError::unavailable("Database unavailable; try again shortly")
            }
            StoreError::Other(cause) => AppError::internal(cause),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// JSON body extractor whose every failure is a 422 envelope naming the field.
pub struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| {
                let mime = ct
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            })
            .unwrap_or(false);
        let bytes = read_body(req, state).await?;
        if !is_json {
            return Err(AppError::field(
                "body",
                "Content-Type must be application/json",
            ));
        }
        parse_json(&bytes).map(AppJson)
    }
}

/// Reads the whole body, mapping "too large" to 413.
pub async fn read_body<S: Send + Sync>(
    req: Request,
    state: &S,
) -> Result<axum::body::Bytes, AppError> {
    axum::body::Bytes::from_request(req, state)
        .await
        .map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                payload_too_large()
            } else {
                AppError::bad_request("BAD_BODY", "Could not read the request body")
            }
        })
}

pub fn payload_too_large() -> AppError {
    AppError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
        "Request body too large",
    )
}

/// An optional JSON body: empty means `T::default()`, anything else must parse.
pub fn parse_optional_json<T: DeserializeOwned + Default>(bytes: &[u8]) -> Result<T, AppError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        parse_json(bytes)
    }
}

/// Parses JSON into `T`, naming the offending field on failure.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::field(
            "body",
            "Request body is empty; JSON expected",
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize::<_, T>(&mut de).map_err(|err| {
        let path = err.path().to_string();
        describe_json_error(path, err.into_inner())
    })?;
    de.end()
        .map_err(|e| describe_json_error(String::new(), e))?;
    Ok(value)
}

fn describe_json_error(path: String, inner: serde_json::Error) -> AppError {
    let text = inner.to_string();
    let at_root = path == "." || path.is_empty();
    let field_error = if let Some(missing) = text.strip_prefix("missing field `") {
        let name = missing.split('`').next().unwrap_or("body");
        FieldError::new(
            if at_root {
                name.to_string()
            } else {
                format!("{path}.{name}")
            },
            "field required",
        )
    } else if inner.is_syntax() || inner.is_eof() {
        FieldError::new("body", "Malformed JSON")
    } else {
        let message = text
            .split(" at line")
            .next()
            .unwrap_or("invalid value")
            .to_string();
        FieldError::new(if at_root { "body".to_string() } else { path }, message)
    };
    AppError::validation(vec![field_error])
}

impl<T: Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Body {
        email: String,
        capital: f64,
    }

    #[test]
    fn missing_field_is_named() {
        let err = parse_json::<Body>(br#"{"capital": 10}"#).unwrap_err();
        assert_eq!(err.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err.fields, vec![FieldError::new("email", "field required")]);
    }

    #[test]
    fn wrong_type_is_named_by_path() {
        let err = parse_json::<Body>(br#"{"email": "a@b.c", "capital": "lots"}"#).unwrap_err();
        assert_eq!(err.fields[0].field, "capital");
    }

    #[test]
    fn malformed_and_empty_json_are_422_on_body() {
        for raw in [
            &b"{not json"[..],
            b"",
            b"   ",
            b"{\"email\":\"a\",\"capital\":1} trailing",
        ] {
            let err = parse_json::<Body>(raw).unwrap_err();
            assert_eq!(err.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(
                err.fields[0].field,
                "body",
                "{:?}",
                String::from_utf8_lossy(raw)
            );
        }
    }
}
