//! Exchange / AI key rules (SPEC §5): payload alias normalisation, per-provider required
//! fields, status names and the friendly, bounded texts shown to users. No I/O.

use serde_json::{Map, Value};

use crate::exchange::{Credentials, Provider};

pub const STATUS_NOT_CONFIGURED: &str = "not_configured";
pub const STATUS_SAVED_UNTESTED: &str = "saved_untested";
pub const STATUS_TEST_OK: &str = "test_ok";
pub const STATUS_TEST_FAILED: &str = "test_failed";

/// Shown (as status `test_failed`) when a stored value no longer opens, e.g. after the
/// encryption key changed without a rotation.
pub const DECRYPT_FAILED: &str = "cannot decrypt stored key";

/// Test messages and errors never exceed this many characters.
pub const MAX_MESSAGE_CHARS: usize = 200;

/// Accepted spellings, in priority order (the first non-empty one wins).
pub const PROVIDER_ALIASES: [&str; 3] = ["provider", "exchange", "platform"];
pub const KEY_ALIASES: [&str; 3] = ["api_key", "apiKey", "key"];
pub const SECRET_ALIASES: [&str; 3] = ["api_secret", "apiSecret", "secret"];
pub const PASSPHRASE_ALIASES: [&str; 1] = ["passphrase"];

/// Longest accepted values (real keys are far shorter; this bounds what we encrypt).
const MAX_KEY_CHARS: usize = 512;
const MAX_SECRET_CHARS: usize = 1024;
const MAX_PASSPHRASE_CHARS: usize = 256;

/// A save/test body after alias normalisation: trimmed, empty values dropped.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct KeyPayload {
    pub provider: Option<String>,
    pub api_key: Option<String>,
    pub api_secret: Option<String>,
    pub passphrase: Option<String>,
}

impl std::fmt::Debug for KeyPayload {
    /// Provider only: the payload carries plaintext credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPayload")
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

/// Why a key payload was refused; `Display` is the one-line 400 message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyRuleError {
    #[error("provider is required (send provider, exchange or platform)")]
    MissingProvider,
    #[error("unknown provider {0:?}; expected one of luno, binance, kucoin, valr, ovex, openai")]
    UnknownProvider(String),
    #[error("provider in the body ({body}) does not match the URL ({path})")]
    ProviderMismatch { body: String, path: String },
    #[error("api_key is required (send api_key, apiKey or key)")]
    MissingKey,
    #[error("api_secret is required for {0} (send api_secret, apiSecret or secret)")]
    MissingSecret(&'static str),
    #[error("passphrase is required for {0}")]
    MissingPassphrase(&'static str),
    #[error("{0} must be text")]
    NotText(String),
    #[error("{0} is too long (at most {1} characters)")]
    TooLong(&'static str, usize),
    #[error("{0} contains characters that are not allowed")]
    BadCharacters(&'static str),
}

impl KeyRuleError {
    /// Machine-readable code for the error envelope.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingProvider => "MISSING_PROVIDER",
            Self::UnknownProvider(_) => "UNKNOWN_PROVIDER",
            Self::ProviderMismatch { .. } => "PROVIDER_MISMATCH",
            Self::MissingKey => "MISSING_API_KEY",
            Self::MissingSecret(_) => "MISSING_API_SECRET",
            Self::MissingPassphrase(_) => "MISSING_PASSPHRASE",
            Self::NotText(_) | Self::TooLong(..) | Self::BadCharacters(_) => "INVALID_KEY_FIELD",
        }
    }
}

fn clean(value: &str) -> Option<String> {
    let trimmed = value.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

impl KeyPayload {
    /// From text fields (form, multipart). Unknown names are ignored.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
        let pick = |aliases: &[&str]| {
            aliases.iter().find_map(|alias| {
                pairs
                    .iter()
                    .filter(|(name, _)| name == alias)
                    .find_map(|(_, value)| clean(value))
            })
        };
        Self {
            provider: pick(&PROVIDER_ALIASES),
            api_key: pick(&KEY_ALIASES),
            api_secret: pick(&SECRET_ALIASES),
            passphrase: pick(&PASSPHRASE_ALIASES),
        }
    }

    /// From a JSON object. Numbers are taken as their text; `null` means absent; an object
    /// or array under a known name is refused.
    pub fn from_json(object: &Map<String, Value>) -> Result<Self, KeyRuleError> {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        let known = PROVIDER_ALIASES
            .iter()
            .chain(&KEY_ALIASES)
            .chain(&SECRET_ALIASES)
            .chain(&PASSPHRASE_ALIASES);
        for name in known {
            match object.get(*name) {
                None | Some(Value::Null) => {}
                Some(Value::String(s)) => pairs.push((name, s.clone())),
                Some(Value::Number(n)) => pairs.push((name, n.to_string())),
                Some(_) => return Err(KeyRuleError::NotText((*name).to_string())),
            }
        }
        Ok(Self::from_pairs(
            pairs.iter().map(|(n, v)| (*n, v.as_str())),
        ))
    }
}

/// The provider named by the URL (wins) or the body; both given must agree.
pub fn resolve_provider(body: Option<&str>, path: Option<&str>) -> Result<Provider, KeyRuleError> {
    let parse = |raw: &str| {
        Provider::parse(raw).ok_or_else(|| KeyRuleError::UnknownProvider(short(raw, 40)))
    };
    match (path, body) {
        (Some(path), Some(body)) => {
            let (from_path, from_body) = (parse(path)?, parse(body)?);
            if from_path != from_body {
                return Err(KeyRuleError::ProviderMismatch {
                    body: from_body.id().into(),
                    path: from_path.id().into(),
                });
            }
            Ok(from_path)
        }
        (Some(one), None) | (None, Some(one)) => parse(one),
        (None, None) => Err(KeyRuleError::MissingProvider),
    }
}

fn checked(
    field: &'static str,
    value: Option<&String>,
    max: usize,
) -> Result<Option<String>, KeyRuleError> {
    let Some(value) = value else { return Ok(None) };
    if value.chars().count() > max {
        return Err(KeyRuleError::TooLong(field, max));
    }
    // Control characters cannot travel in HTTP headers and are never part of a real key.
    if value.chars().any(char::is_control) {
        return Err(KeyRuleError::BadCharacters(field));
    }
    Ok(Some(value.clone()))
}

/// The credentials to store for `provider`: every required field present and sane. Fields
/// the provider does not use are dropped rather than stored.
pub fn credentials_for(
    provider: Provider,
    payload: &KeyPayload,
) -> Result<Credentials, KeyRuleError> {
    let api_key = checked("api_key", payload.api_key.as_ref(), MAX_KEY_CHARS)?
        .ok_or(KeyRuleError::MissingKey)?;
    let api_secret = checked("api_secret", payload.api_secret.as_ref(), MAX_SECRET_CHARS)?;
    let passphrase = checked(
        "passphrase",
        payload.passphrase.as_ref(),
        MAX_PASSPHRASE_CHARS,
    )?;
    if provider.requires_secret() && api_secret.is_none() {
        return Err(KeyRuleError::MissingSecret(provider.display_name()));
    }
    if provider.requires_passphrase() && passphrase.is_none() {
        return Err(KeyRuleError::MissingPassphrase(provider.display_name()));
    }
    Ok(Credentials {
        api_key,
        api_secret: api_secret.filter(|_| provider.requires_secret()),
        passphrase: passphrase.filter(|_| provider.requires_passphrase()),
    })
}

/// The dashboard's label for a status.
pub fn status_display(status: &str) -> &'static str {
    match status {
        STATUS_SAVED_UNTESTED => "Saved (not tested)",
        STATUS_TEST_OK => "Connected",
        STATUS_TEST_FAILED => "Test failed",
        _ => "Not configured",
    }
}

/// `text` cut to `max` characters (on a character boundary).
pub fn short(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// A message safe to show and store: bounded, one line.
pub fn friendly(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    short(one_line.trim(), MAX_MESSAGE_CHARS)
}

#[cfg(test)]
mod tests;
