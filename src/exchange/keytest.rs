//! Key tests: one authenticated read per provider, mapped to a short, friendly, secret-free outcome.

use std::time::Duration;

use chrono::Utc;
use reqwest::StatusCode;
use serde_json::Value;

use super::transport::{self, Failure, Reply};
use super::{binance, kucoin, luno, openai, ovex, valr, Credentials, KeyTestOutcome, Provider};
use crate::config::OutboundConfig;

/// `error` never exceeds this many characters.
const MAX_ERROR_CHARS: usize = 200;
/// The exchange's own explanation is cut to this before being appended.
const MAX_DETAIL_CHARS: usize = 100;

fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Validated credentials, borrowed for signing one request.
pub(crate) struct Keys<'a> {
    pub key: &'a str,
    pub secret: &'a str,
    pub passphrase: Option<&'a str>,
}

/// What an exchange-specific error code says, when the HTTP status alone does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hint {
    InvalidCredentials,
    Forbidden,
    ClockSkew,
}

/// Calls the provider's cheapest authenticated endpoint with `creds`, signed as the provider
/// documents, and reports whether the key works. Never fails; never echoes the credentials.
pub async fn test_credentials(
    client: &reqwest::Client,
    urls: &OutboundConfig,
    provider: Provider,
    creds: &Credentials,
) -> KeyTestOutcome {
    let keys = match validate(provider, creds) {
        Ok(keys) => keys,
        Err(message) => return KeyTestOutcome::failed(message.clone(), message),
    };
    let now_ms = Utc::now().timestamp_millis();
    let request = match provider {
        Provider::Luno => luno::balance_request(client, &urls.luno_base_url, &keys),
        Provider::Binance => {
            binance::account_request(client, &urls.binance_base_url, &keys, now_ms)
        }
        Provider::Kucoin => kucoin::accounts_request(client, &urls.kucoin_base_url, &keys, now_ms),
        Provider::Valr => valr::balances_request(client, &urls.valr_base_url, &keys, now_ms),
        Provider::Ovex => ovex::account_request(client, &urls.ovex_base_url, &keys),
        Provider::OpenAi => openai::models_request(client, &urls.openai_base_url, &keys),
    };
    let timeout = Duration::from_secs(urls.exchange_timeout_seconds);
    let secrets = Secrets::of(creds);
    let outcome = match transport::send(request, timeout).await {
        Ok(reply) => judge(provider, &reply, &secrets),
        Err(failure) => {
            let message = failure_message(provider, failure);
            KeyTestOutcome::failed(message.clone(), message)
        }
    };
    redact(outcome, &secrets)
}

/// Required fields present (and the API key not blank) before anything goes on the wire.
fn validate(provider: Provider, creds: &Credentials) -> Result<Keys<'_>, String> {
    let key = creds.api_key.trim();
    if key.is_empty() {
        return Err("API key is required".into());
    }
    let secret = present(&creds.api_secret);
    if provider.requires_secret() && secret.is_none() {
        return Err(format!(
            "API secret is required for {}",
            provider.display_name()
        ));
    }
    let passphrase = present(&creds.passphrase);
    if provider.requires_passphrase() && passphrase.is_none() {
        return Err(format!(
            "Passphrase is required for {}",
            provider.display_name()
        ));
    }
    Ok(Keys {
        key,
        secret: secret.unwrap_or_default(),
        passphrase,
    })
}

/// "Exchange ..." for the exchanges (the dashboard's wording), the name for the AI provider.
fn subject(provider: Provider) -> &'static str {
    if provider.is_exchange() {
        "Exchange"
    } else {
        provider.display_name()
    }
}

fn failure_message(provider: Provider, failure: Failure) -> String {
    let name = provider.display_name();
    match failure {
        Failure::Timeout => format!("{} did not answer in time", subject(provider)),
        Failure::Unreachable => format!("Could not connect to {name}; check the network"),
        Failure::InvalidRequest => {
            "API key or secret contains characters that are not allowed".into()
        }
        Failure::BodyTooLarge => format!("{name} sent an unexpected response"),
    }
}

/// Maps a reply (status, then provider error codes) to an outcome; `secrets` are scrubbed
/// from the provider's own words before they are cut short.
fn judge(provider: Provider, reply: &Reply, secrets: &Secrets) -> KeyTestOutcome {
    let name = provider.display_name();
    let body = reply.json();
    let hint = body.as_ref().and_then(|b| match provider {
        Provider::Binance => binance::hint(b),
        Provider::Kucoin => kucoin::hint(b),
        _ => None,
    });
    // KuCoin can answer 200 with an error code in the body; that is not a success.
    let body_error =
        provider == Provider::Kucoin && body.as_ref().and_then(kucoin::body_code).is_some();
    if reply.status.is_success() && !body_error {
        return KeyTestOutcome {
            ok: true,
            message: format!("Connection to {name} successful"),
            error: None,
        };
    }
    let message = match (reply.status, hint) {
        (_, Some(Hint::ClockSkew)) => {
            format!("Server clock differs from {name}'s; check the system time")
        }
        (_, Some(Hint::InvalidCredentials)) | (StatusCode::UNAUTHORIZED, _) => {
            invalid_credentials(provider)
        }
        (_, Some(Hint::Forbidden)) | (StatusCode::FORBIDDEN, _) => {
            "API key lacks required permissions".to_string()
        }
        (StatusCode::TOO_MANY_REQUESTS, _) => {
            format!("{name} is rate limiting requests; try again in a minute")
        }
        (status, _) if status.is_server_error() => format!(
            "{} is unavailable right now; try again later",
            subject(provider)
        ),
        (status, _) => format!("{name} rejected the request (HTTP {})", status.as_u16()),
    };
    let error = match body.as_ref().and_then(|b| detail(b, secrets)) {
        Some(detail) => format!("{message} ({name} said: {detail})"),
        None => message.clone(),
    };
    KeyTestOutcome::failed(message, error)
}

fn invalid_credentials(provider: Provider) -> String {
    if provider.requires_secret() {
        "Invalid API key or secret".into()
    } else {
        "Invalid API key".into()
    }
}

/// The provider's own one-line explanation, from the usual error fields. Secrets go first:
/// cutting first could leave a secret's prefix that no longer matches the whole secret.
fn detail(body: &Value, secrets: &Secrets) -> Option<String> {
    let text = ["msg", "message", "error", "error_description"]
        .iter()
        .find_map(|field| body.get(field).and_then(Value::as_str))
        .or_else(|| body.pointer("/error/message").and_then(Value::as_str))?;
    let clean: String = secrets
        .scrub(text)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_DETAIL_CHARS)
        .collect();
    let clean = clean.trim().to_string();
    (!clean.is_empty()).then_some(clean)
}

/// The credential values to keep out of any text a provider sends back.
pub(crate) struct Secrets(Vec<String>);

impl Secrets {
    pub(crate) fn of(creds: &Credentials) -> Self {
        Self(
            [
                Some(creds.api_key.as_str()),
                creds.api_secret.as_deref(),
                creds.passphrase.as_deref(),
            ]
            .into_iter()
            .flatten()
            .map(str::trim)
            // Very short values cannot be scrubbed without mangling ordinary words.
            .filter(|s| s.chars().count() >= 4)
            .map(str::to_string)
            .collect(),
        )
    }

    pub(crate) fn scrub(&self, text: &str) -> String {
        self.0.iter().fold(text.to_string(), |text, secret| {
            text.replace(secret, "[redacted]")
        })
    }
}

/// Last line of defence: providers sometimes echo what they were sent. Scrubs, then cuts.
fn redact(mut outcome: KeyTestOutcome, secrets: &Secrets) -> KeyTestOutcome {
    outcome.message = secrets.scrub(&outcome.message);
    outcome.error = outcome
        .error
        .map(|e| secrets.scrub(&e).chars().take(MAX_ERROR_CHARS).collect());
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(key: &str, secret: Option<&str>, passphrase: Option<&str>) -> Credentials {
        Credentials {
            api_key: key.into(),
            api_secret: secret.map(Into::into),
            passphrase: passphrase.map(Into::into),
        }
    }

    #[test]
    fn missing_fields_are_reported_before_any_request() {
        assert_eq!(
            validate(Provider::Luno, &creds(" ", Some("s"), None))
                .err()
                .unwrap(),
            "API key is required"
        );
        assert_eq!(
            validate(Provider::Luno, &creds("k", None, None))
                .err()
                .unwrap(),
            "API secret is required for Luno"
        );
        assert_eq!(
            validate(Provider::Kucoin, &creds("k", Some("s"), Some(" ")))
                .err()
                .unwrap(),
            "Passphrase is required for KuCoin"
        );
        assert!(validate(Provider::OpenAi, &creds("sk-1", None, None)).is_ok());
        assert!(validate(Provider::Ovex, &creds("k", Some("s"), None)).is_ok());
    }

    #[test]
    fn echoed_credentials_are_scrubbed_and_errors_are_short() {
        let c = creds("KEY-1234", Some("SECRET-5678"), None);
        let outcome = KeyTestOutcome::failed(
            "bad".into(),
            format!("key KEY-1234 secret SECRET-5678 {}", "x".repeat(500)),
        );
        let outcome = redact(outcome, &Secrets::of(&c));
        let error = outcome.error.unwrap();
        assert!(!error.contains("KEY-1234") && !error.contains("SECRET-5678"));
        assert!(error.chars().count() <= MAX_ERROR_CHARS);
    }

    #[test]
    fn detail_prefers_provider_messages_and_strips_control_characters() {
        let body = serde_json::json!({"code": -1022, "msg": "Signature\nnot valid."});
        let none = Secrets(Vec::new());
        assert_eq!(detail(&body, &none).unwrap(), "Signature not valid.");
        let body = serde_json::json!({"error": {"message": "Incorrect API key"}});
        assert_eq!(detail(&body, &none).unwrap(), "Incorrect API key");
        assert_eq!(detail(&serde_json::json!({"data": []}), &none), None);
    }

    /// A secret echoed across the cut-off point: cutting before scrubbing would leave its
    /// first half in the message, which no longer matches the secret and so survives.
    #[test]
    fn a_secret_straddling_the_cut_is_scrubbed_before_cutting() {
        let secret = "SECRET-abcdefghijklmnopqrstuvwxyz";
        let c = creds("KEY-1234", Some(secret), None);
        let lead = "x".repeat(MAX_DETAIL_CHARS - 10);
        let body = serde_json::json!({"msg": format!("{lead}{secret} was refused")});
        let reply = Reply {
            status: StatusCode::BAD_REQUEST,
            body: body.to_string().into_bytes(),
            retry_after: None,
        };
        let outcome = redact(
            judge(Provider::Luno, &reply, &Secrets::of(&c)),
            &Secrets::of(&c),
        );
        let error = outcome.error.unwrap();
        assert!(error.contains("[redacted]"), "{error}");
        assert!(!error.contains(&secret[..8]), "a prefix leaked: {error}");
        assert!(error.chars().count() <= MAX_ERROR_CHARS);
    }
}
