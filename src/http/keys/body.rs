//! Reads a key save/test body in every encoding clients send (SPEC §5): JSON, form-urlencoded,
//! multipart/form-data, and JSON with a wrong or missing content type.

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{header, StatusCode};
use serde_json::Value;

use crate::domain::api_keys::{
    KeyPayload, KeyRuleError, KEY_ALIASES, PASSPHRASE_ALIASES, PROVIDER_ALIASES, SECRET_ALIASES,
};
use crate::error::{payload_too_large, read_body, AppError};

/// A normalised key payload (aliases resolved, values trimmed).
pub struct KeyBody(pub KeyPayload);

/// A rule violation as the one-line 400 the dashboard shows.
pub fn rule_error(err: KeyRuleError) -> AppError {
    AppError::bad_request(err.code(), err.to_string())
}

fn bad_body(message: &str) -> AppError {
    AppError::bad_request("BAD_BODY", message)
}

fn is_known_field(name: &str) -> bool {
    PROVIDER_ALIASES
        .iter()
        .chain(&KEY_ALIASES)
        .chain(&SECRET_ALIASES)
        .chain(&PASSPHRASE_ALIASES)
        .any(|alias| *alias == name)
}

fn from_pairs(pairs: &[(String, String)]) -> KeyPayload {
    KeyPayload::from_pairs(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())))
}

impl<S: Send + Sync> FromRequest<S> for KeyBody {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let mime = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|ct| ct.split(';').next())
            .map(|m| m.trim().to_ascii_lowercase())
            .unwrap_or_default();
        if mime == "multipart/form-data" {
            return read_multipart(req, state).await.map(KeyBody);
        }
        let bytes = read_body(req, state).await?;
        if mime == "application/x-www-form-urlencoded" {
            let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
                .map_err(|_| bad_body("Malformed form body"))?;
            return Ok(KeyBody(from_pairs(&pairs)));
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            // Nothing sent: the rules answer "provider is required" (or use the URL's).
            return Ok(KeyBody(KeyPayload::default()));
        }
        // JSON whatever the declared type: old scripts post JSON as text/plain or with none.
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(object)) => KeyPayload::from_json(&object)
                .map(KeyBody)
                .map_err(rule_error),
            Ok(_) => Err(bad_body("Request body must be a JSON object")),
            Err(_) if !mime.contains("json") => undeclared_form(&bytes).map(KeyBody),
            Err(_) => Err(bad_body("Malformed JSON body")),
        }
    }
}

/// A form-urlencoded body sent without its content type; accepted only if it names at least
/// one known field, so arbitrary text is still refused.
fn undeclared_form(bytes: &[u8]) -> Result<KeyPayload, AppError> {
    let refused = || bad_body("Request body must be JSON, form-urlencoded or multipart/form-data");
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(bytes).map_err(|_| refused())?;
    if pairs.iter().any(|(name, _)| is_known_field(name)) {
        Ok(from_pairs(&pairs))
    } else {
        Err(refused())
    }
}

async fn read_multipart<S: Send + Sync>(req: Request, state: &S) -> Result<KeyPayload, AppError> {
    let mut multipart = Multipart::from_request(req, state)
        .await
        .map_err(|_| bad_body("Malformed multipart body"))?;
    let mut pairs = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(err) => return Err(multipart_error(err.status())),
        };
        let Some(name) = field.name().map(str::to_string) else {
            continue;
        };
        if !is_known_field(&name) {
            // Unread fields are skipped by `next_field`.
            continue;
        }
        let text = field
            .text()
            .await
            .map_err(|err| multipart_error(err.status()))?;
        pairs.push((name, text));
    }
    Ok(from_pairs(&pairs))
}

fn multipart_error(status: StatusCode) -> AppError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        payload_too_large()
    } else {
        bad_body("Malformed multipart body")
    }
}
