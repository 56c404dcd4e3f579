//! Typed configuration: every environment variable is read once, here, and validated at boot.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

mod secrets;
mod smtp;

pub use secrets::DEV_ENCRYPTION_KEY_FILE;
use secrets::{dev_encryption_key, dev_jwt_secret, parse_encryption_key, parse_old_encryption_key};
pub use smtp::{plausible_address, SmtpConfig};

/// A value that must never appear in logs or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }
    /// Access the secret value. Named loudly so reviews notice every use.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Deployment environment; `production` turns on the strict checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Development => "development",
            Environment::Production => "production",
        }
    }
}

/// Feature flags of SPEC §9; all off by default except the bodyguard switch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeatureFlags {
    pub enable_trading: bool,
    pub enable_autopilot: bool,
    pub enable_schedulers: bool,
    pub disable_ai_bodyguard: bool,
    pub enable_live_trading: bool,
    pub enable_realtime: bool,
    /// Market sync engine (SPEC §15); defaults to `enable_trading`.
    pub enable_market_data: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

/// Where a secret (JWT secret, encryption key) came from; a generated one is reported at boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretSource {
    Env,
    GeneratedDevFile,
}

#[derive(Debug, Clone)]
pub struct RateLimitConfig {
    pub enabled: bool,
    pub per_user_per_min: u32,
    pub per_user_burst: u32,
    pub per_ip_per_min: u32,
    pub per_ip_burst: u32,
    pub login_attempts: u32,
    pub login_window_seconds: u64,
    pub login_block_seconds: u64,
}

/// Outbound endpoints (scheme + host); tests point them at local fakes.
#[derive(Debug, Clone)]
pub struct OutboundConfig {
    pub luno_base_url: String,
    pub binance_base_url: String,
    pub kucoin_base_url: String,
    pub valr_base_url: String,
    pub ovex_base_url: String,
    /// OpenAI-compatible API root, e.g. `https://api.openai.com/v1`.
    pub openai_base_url: String,
    pub openai_model: String,
    pub ai_timeout_seconds: u64,
    pub exchange_timeout_seconds: u64,
    /// How long a public ticker price is reused before the exchange is asked again (0 = never).
    pub price_cache_seconds: u64,
}

/// Realtime delivery knobs (SPEC §12).
#[derive(Debug, Clone)]
pub struct RealtimeConfig {
    pub replay_events: usize,
    pub max_connections_per_user: usize,
    pub ws_heartbeat_seconds: u64,
    pub ws_idle_timeout_seconds: u64,
    /// A WS send stuck this long means the client stopped reading: it is disconnected.
    pub ws_send_timeout_seconds: u64,
    pub sse_heartbeat_seconds: u64,
}

/// Trading rules and limits (SPEC §3, §4, §8, §9).
#[derive(Debug, Clone)]
pub struct TradingConfig {
    pub max_bots: u32,
    pub live_min_training_hours: i64,
    pub paper_training_days: i64,
    pub max_trades_per_bot_daily: u32,
    pub max_trades_per_user_daily: u32,
    pub min_edge_bps: f64,
    pub safety_margin_bps: f64,
    pub slippage_buffer_bps: f64,
    pub max_drawdown_percent: f64,
    pub max_daily_loss_percent: f64,
    pub max_consecutive_losses: u32,
    pub max_errors_per_hour: u32,
    pub trading_tick_seconds: u64,
    /// Backtests run at once (`BACKTEST_WORKERS`, default: the machine's cores).
    pub backtest_workers: u32,
    /// Queued or running backtests one user may have (`BACKTEST_MAX_QUEUED_PER_USER`).
    pub backtest_max_queued_per_user: u32,
    /// Largest notional (quote currency) of one live order (`LIVE_MAX_ORDER_NOTIONAL`).
    pub live_max_order_notional: f64,
    /// Largest notional one user's live orders may add up to per UTC day
    /// (`LIVE_MAX_DAILY_NOTIONAL`).
    pub live_max_daily_notional: f64,
    /// How often the live order tracker looks for orders to poll (`LIVE_POLL_SECONDS`).
    pub live_poll_seconds: u64,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub env: Environment,
    pub host: String,
    pub port: u16,
    pub data_dir: PathBuf,
    pub mongodb_url: Option<Secret<String>>,
    pub mongodb_db: String,
    pub db_timeout_ms: u64,
    pub db_connect_attempts: u32,
    pub jwt_secret: Secret<String>,
    pub jwt_secret_source: SecretSource,
    pub access_token_expires_min: i64,
    pub refresh_token_expires_days: i64,
    /// AES-256 key sealing stored exchange keys (SPEC §5).
    pub api_key_encryption_key: Secret<[u8; 32]>,
    pub api_key_encryption_key_source: SecretSource,
    /// The previous key during a rotation (`API_KEY_ENCRYPTION_KEY_OLD`): (key id, key).
    pub api_key_encryption_key_old: Option<(String, Secret<[u8; 32]>)>,
    pub cors_origins: Vec<String>,
    pub request_size_limit_bytes: usize,
    pub request_timeout_seconds: u64,
    /// SQLite: how long a token check's answer may be reused without a write to its user
    /// (`TOKEN_CHECK_MAX_AGE_MS`; 0 = read every time). See `store/sqlite/token_checks.rs`.
    pub token_check_max_age_ms: u64,
    pub metrics_token: Option<Secret<String>>,
    /// Outgoing mail for admin broadcasts (`SMTP_URL`, `SMTP_FROM`); `None`: email is off.
    pub smtp: Option<SmtpConfig>,
    pub log_format: LogFormat,
    pub log_level: String,
    pub trust_proxy: bool,
    pub rate_limit: RateLimitConfig,
    pub invite_code: Option<Secret<String>>,
    pub require_approval: bool,
    pub flags: FeatureFlags,
    pub enable_docs: bool,
    pub openai_api_key: Option<Secret<String>>,
    pub admin_password: Option<Secret<String>>,
    pub outbound: OutboundConfig,
    pub realtime: RealtimeConfig,
    pub trading: TradingConfig,
}

/// A configuration error: one line naming the variable.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Parses `1|true|yes|on` (any case) as true, `0|false|no|off|""` as false.
pub fn parse_flag(name: &str, raw: Option<String>) -> Result<bool, ConfigError> {
    match raw.map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(false),
        Some(v) if matches!(v.as_str(), "1" | "true" | "yes" | "on") => Ok(true),
        Some(v) if matches!(v.as_str(), "" | "0" | "false" | "no" | "off") => Ok(false),
        Some(v) => Err(ConfigError(format!(
            "{name} must be one of 1/0, true/false, yes/no, on/off (got {v:?})"
        ))),
    }
}

fn non_empty(lookup: Lookup, name: &str) -> Option<String> {
    lookup(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn number<T: std::str::FromStr + PartialOrd + fmt::Display + Copy>(
    lookup: Lookup,
    name: &str,
    default: T,
    min: T,
    max: T,
) -> Result<T, ConfigError> {
    let Some(raw) = non_empty(lookup, name) else {
        return Ok(default);
    };
    let value: T = raw
        .parse()
        .map_err(|_| ConfigError(format!("{name} must be a number (got {raw:?})")))?;
    if value < min || value > max {
        return Err(ConfigError(format!(
            "{name} must be between {min} and {max} (got {value})"
        )));
    }
    Ok(value)
}

fn flag_default(lookup: Lookup, name: &str, default: bool) -> Result<bool, ConfigError> {
    match non_empty(lookup, name) {
        None => Ok(default),
        raw => parse_flag(name, raw),
    }
}

/// `CORS_ORIGINS` accepts a comma list or a JSON array; `*` is refused (we send credentials).
fn parse_cors(raw: Option<String>) -> Result<Vec<String>, ConfigError> {
    let Some(raw) = raw else {
        return Ok(vec![
            "http://localhost:3000".into(),
            "http://localhost:8000".into(),
        ]);
    };
    let items: Vec<String> = if raw.trim_start().starts_with('[') {
        serde_json::from_str(&raw).map_err(|_| {
            ConfigError("CORS_ORIGINS must be a comma list or a JSON array of origins".into())
        })?
    } else {
        raw.split(',').map(|s| s.trim().to_string()).collect()
    };
    let items: Vec<String> = items
        .into_iter()
        .map(|s| s.trim().trim_end_matches('/').to_string())
        .filter(|s| !s.is_empty())
        .collect();
    for origin in &items {
        if origin == "*" {
            return Err(ConfigError(
                "CORS_ORIGINS must list explicit origins; `*` is not allowed with credentials"
                    .into(),
            ));
        }
        if !(origin.starts_with("http://") || origin.starts_with("https://")) {
            return Err(ConfigError(format!(
                "CORS_ORIGINS entry {origin:?} must start with http:// or https://"
            )));
        }
    }
    Ok(items)
}

/// A base URL: scheme + host (+ optional path), stored without a trailing slash.
fn base_url(lookup: Lookup, name: &str, default: &str) -> Result<String, ConfigError> {
    let url = non_empty(lookup, name).unwrap_or_else(|| default.to_string());
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(ConfigError(format!(
            "{name} must start with http:// or https:// (got {url:?})"
        )));
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// Placeholder values copied from examples are as bad as no secret at all.
pub fn is_placeholder_secret(secret: &str) -> bool {
    let lower = secret.to_ascii_lowercase();
    [
        "change-me",
        "changeme",
        "your-secret",
        "your_secret",
        "secret-key",
        "placeholder",
        "example",
    ]
    .iter()
    .any(|p| lower.contains(p))
}

impl Config {
    /// Loads `.env` (if present) and then the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        Self::from_lookup(&|name| std::env::var(name).ok())
    }

    /// Builds a config from an explicit map (tests) layered on nothing else.
    pub fn from_map(map: &HashMap<String, String>) -> Result<Self, ConfigError> {
        Self::from_lookup(&|name| map.get(name).cloned())
    }

    pub fn from_lookup(lookup: Lookup) -> Result<Self, ConfigError> {
        let env = match non_empty(lookup, "ENV")
            .map(|v| v.to_ascii_lowercase())
            .as_deref()
        {
            None | Some("local") | Some("development") | Some("dev") | Some("test") => {
                Environment::Development
            }
            Some("production") | Some("prod") => Environment::Production,
            Some(other) => {
                return Err(ConfigError(format!(
                    "ENV must be local, development, test or production (got {other:?})"
                )))
            }
        };
        let data_dir =
            PathBuf::from(non_empty(lookup, "DATA_DIR").unwrap_or_else(|| "./data".into()));

        let (jwt_secret, jwt_secret_source) = match non_empty(lookup, "JWT_SECRET") {
            Some(secret) => {
                if secret.len() < 32 {
                    return Err(ConfigError("JWT_SECRET must be at least 32 bytes".into()));
                }
                if env == Environment::Production && is_placeholder_secret(&secret) {
                    return Err(ConfigError(
                        "JWT_SECRET is a placeholder; set a random value".into(),
                    ));
                }
                (secret, SecretSource::Env)
            }
            None if env == Environment::Production => {
                return Err(ConfigError(
                    "JWT_SECRET is required when ENV=production".into(),
                ))
            }
            None => (dev_jwt_secret(&data_dir)?, SecretSource::GeneratedDevFile),
        };

        let (api_key_encryption_key, api_key_encryption_key_source) =
            match non_empty(lookup, "API_KEY_ENCRYPTION_KEY") {
                Some(raw) => (
                    parse_encryption_key("API_KEY_ENCRYPTION_KEY", &raw)?,
                    SecretSource::Env,
                ),
                None if env == Environment::Production => {
                    return Err(ConfigError(
                        "API_KEY_ENCRYPTION_KEY is required when ENV=production".into(),
                    ))
                }
                None => (
                    dev_encryption_key(&data_dir)?,
                    SecretSource::GeneratedDevFile,
                ),
            };
        let api_key_encryption_key_old = non_empty(lookup, "API_KEY_ENCRYPTION_KEY_OLD")
            .map(|raw| parse_old_encryption_key(&raw))
            .transpose()?;

        let log_format = match non_empty(lookup, "LOG_FORMAT").map(|v| v.to_ascii_lowercase()) {
            None if env == Environment::Production => LogFormat::Json,
            None => LogFormat::Pretty,
            Some(v) if v == "json" => LogFormat::Json,
            Some(v) if v == "pretty" || v == "text" => LogFormat::Pretty,
            Some(v) => {
                return Err(ConfigError(format!(
                    "LOG_FORMAT must be json or pretty (got {v:?})"
                )))
            }
        };

        let port = number(lookup, "PORT", 8000u16, 0, u16::MAX)?;
        let request_size_limit_mb = number(lookup, "REQUEST_SIZE_LIMIT_MB", 1u64, 1, 1024)?;

        Ok(Config {
            env,
            host: non_empty(lookup, "HOST").unwrap_or_else(|| "0.0.0.0".into()),
            port,
            data_dir,
            mongodb_url: non_empty(lookup, "MONGODB_URL").map(Secret::new),
            mongodb_db: non_empty(lookup, "MONGODB_DB").unwrap_or_else(|| "amarktai".into()),
            db_timeout_ms: number(lookup, "DB_TIMEOUT_MS", 5000u64, 100, 120_000)?,
            db_connect_attempts: number(lookup, "DB_CONNECT_ATTEMPTS", 6u32, 1, 100)?,
            jwt_secret: Secret::new(jwt_secret),
            jwt_secret_source,
            access_token_expires_min: number(
                lookup,
                "ACCESS_TOKEN_EXPIRES_MIN",
                1440i64,
                1,
                525_600,
            )?,
            refresh_token_expires_days: number(lookup, "REFRESH_TOKEN_EXPIRES_DAYS", 7i64, 1, 365)?,
            api_key_encryption_key: Secret::new(api_key_encryption_key),
            api_key_encryption_key_source,
            api_key_encryption_key_old,
            cors_origins: parse_cors(non_empty(lookup, "CORS_ORIGINS"))?,
            request_size_limit_bytes: (request_size_limit_mb * 1024 * 1024) as usize,
            request_timeout_seconds: number(lookup, "REQUEST_TIMEOUT_SECONDS", 30u64, 1, 3600)?,
            token_check_max_age_ms: number(lookup, "TOKEN_CHECK_MAX_AGE_MS", 1000u64, 0, 600_000)?,
            metrics_token: non_empty(lookup, "METRICS_TOKEN").map(Secret::new),
            smtp: smtp::parse_smtp(
                non_empty(lookup, "SMTP_URL"),
                non_empty(lookup, "SMTP_FROM"),
            )?,
            log_format,
            log_level: non_empty(lookup, "LOG_LEVEL").unwrap_or_else(|| "info".into()),
            trust_proxy: flag_default(lookup, "TRUST_PROXY", false)?,
            rate_limit: RateLimitConfig {
                enabled: flag_default(lookup, "RATE_LIMIT_ENABLED", true)?,
                per_user_per_min: number(lookup, "RATE_LIMIT_PER_MIN", 600u32, 1, 1_000_000)?,
                per_user_burst: number(lookup, "RATE_LIMIT_BURST", 200u32, 1, 1_000_000)?,
                per_ip_per_min: number(lookup, "RATE_LIMIT_IP_PER_MIN", 1200u32, 1, 1_000_000)?,
                per_ip_burst: number(lookup, "RATE_LIMIT_IP_BURST", 400u32, 1, 1_000_000)?,
                login_attempts: number(lookup, "LOGIN_RATE_LIMIT_ATTEMPTS", 5u32, 1, 10_000)?,
                login_window_seconds: number(
                    lookup,
                    "LOGIN_RATE_LIMIT_WINDOW_SECONDS",
                    60u64,
                    1,
                    86_400,
                )?,
                login_block_seconds: number(
                    lookup,
                    "LOGIN_RATE_LIMIT_BLOCK_SECONDS",
                    300u64,
                    1,
                    86_400,
                )?,
            },
            invite_code: non_empty(lookup, "INVITE_CODE").map(Secret::new),
            require_approval: flag_default(lookup, "REQUIRE_APPROVAL", false)?,
            flags: FeatureFlags {
                enable_market_data: flag_default(
                    lookup,
                    "ENABLE_MARKET_DATA",
                    flag_default(lookup, "ENABLE_TRADING", false)?,
                )?,
                enable_trading: flag_default(lookup, "ENABLE_TRADING", false)?,
                enable_autopilot: flag_default(lookup, "ENABLE_AUTOPILOT", false)?,
                enable_schedulers: flag_default(lookup, "ENABLE_SCHEDULERS", false)?,
                disable_ai_bodyguard: flag_default(lookup, "DISABLE_AI_BODYGUARD", false)?,
                enable_live_trading: flag_default(lookup, "ENABLE_LIVE_TRADING", false)?,
                enable_realtime: flag_default(lookup, "ENABLE_REALTIME", true)?,
            },
            enable_docs: flag_default(lookup, "ENABLE_DOCS", env != Environment::Production)?,
            openai_api_key: non_empty(lookup, "OPENAI_API_KEY").map(Secret::new),
            admin_password: non_empty(lookup, "ADMIN_PASSWORD").map(Secret::new),
            outbound: OutboundConfig {
                luno_base_url: base_url(lookup, "LUNO_BASE_URL", "https://api.luno.com")?,
                binance_base_url: base_url(lookup, "BINANCE_BASE_URL", "https://api.binance.com")?,
                kucoin_base_url: base_url(lookup, "KUCOIN_BASE_URL", "https://api.kucoin.com")?,
                valr_base_url: base_url(lookup, "VALR_BASE_URL", "https://api.valr.com")?,
                ovex_base_url: base_url(lookup, "OVEX_BASE_URL", "https://www.ovex.io")?,
                openai_base_url: base_url(lookup, "OPENAI_BASE_URL", "https://api.openai.com/v1")?,
                openai_model: non_empty(lookup, "OPENAI_MODEL")
                    .unwrap_or_else(|| "gpt-4o-mini".into()),
                ai_timeout_seconds: number(lookup, "AI_TIMEOUT_SECONDS", 30u64, 1, 600)?,
                exchange_timeout_seconds: number(
                    lookup,
                    "EXCHANGE_TIMEOUT_SECONDS",
                    10u64,
                    1,
                    120,
                )?,
                price_cache_seconds: number(lookup, "PRICE_CACHE_SECONDS", 5u64, 0, 3600)?,
            },
            realtime: RealtimeConfig {
                replay_events: number(lookup, "REALTIME_REPLAY_EVENTS", 500usize, 1, 100_000)?,
                max_connections_per_user: number(
                    lookup,
                    "REALTIME_MAX_CONNECTIONS_PER_USER",
                    20usize,
                    1,
                    10_000,
                )?,
                ws_heartbeat_seconds: number(lookup, "WS_HEARTBEAT_SECONDS", 30u64, 1, 3600)?,
                ws_idle_timeout_seconds: number(
                    lookup,
                    "WS_IDLE_TIMEOUT_SECONDS",
                    90u64,
                    1,
                    86_400,
                )?,
                ws_send_timeout_seconds: number(lookup, "WS_SEND_TIMEOUT_SECONDS", 10u64, 1, 3600)?,
                sse_heartbeat_seconds: number(lookup, "SSE_HEARTBEAT_SECONDS", 15u64, 1, 3600)?,
            },
            trading: TradingConfig {
                max_bots: number(lookup, "MAX_BOTS", 45u32, 1, 10_000)?,
                live_min_training_hours: number(
                    lookup,
                    "LIVE_MIN_TRAINING_HOURS",
                    24i64,
                    0,
                    24 * 365,
                )?,
                paper_training_days: number(lookup, "PAPER_TRAINING_DAYS", 7i64, 0, 365)?,
                max_trades_per_bot_daily: number(
                    lookup,
                    "MAX_TRADES_PER_BOT_DAILY",
                    50u32,
                    1,
                    1_000_000,
                )?,
                max_trades_per_user_daily: number(
                    lookup,
                    "MAX_TRADES_PER_USER_DAILY",
                    500u32,
                    1,
                    10_000_000,
                )?,
                min_edge_bps: number(lookup, "MIN_EDGE_BPS", 10.0f64, 0.0, 10_000.0)?,
                safety_margin_bps: number(lookup, "SAFETY_MARGIN_BPS", 5.0f64, 0.0, 10_000.0)?,
                slippage_buffer_bps: number(lookup, "SLIPPAGE_BUFFER_BPS", 5.0f64, 0.0, 10_000.0)?,
                max_drawdown_percent: number(lookup, "MAX_DRAWDOWN_PERCENT", 20.0f64, 0.1, 100.0)?,
                max_daily_loss_percent: number(
                    lookup,
                    "MAX_DAILY_LOSS_PERCENT",
                    10.0f64,
                    0.1,
                    100.0,
                )?,
                max_consecutive_losses: number(lookup, "MAX_CONSECUTIVE_LOSSES", 5u32, 1, 1000)?,
                max_errors_per_hour: number(lookup, "MAX_ERRORS_PER_HOUR", 10u32, 1, 100_000)?,
                trading_tick_seconds: number(lookup, "TRADING_TICK_SECONDS", 60u64, 1, 86_400)?,
                backtest_workers: number(
                    lookup,
                    "BACKTEST_WORKERS",
                    std::thread::available_parallelism().map_or(2, |n| n.get() as u32),
                    1,
                    256,
                )?,
                backtest_max_queued_per_user: number(
                    lookup,
                    "BACKTEST_MAX_QUEUED_PER_USER",
                    3u32,
                    1,
                    1_000,
                )?,
                live_max_order_notional: number(
                    lookup,
                    "LIVE_MAX_ORDER_NOTIONAL",
                    1_000.0f64,
                    0.0,
                    1e12,
                )?,
                live_max_daily_notional: number(
                    lookup,
                    "LIVE_MAX_DAILY_NOTIONAL",
                    5_000.0f64,
                    0.0,
                    1e12,
                )?,
                live_poll_seconds: number(lookup, "LIVE_POLL_SECONDS", 5u64, 1, 3_600)?,
            },
        })
    }

    pub fn is_production(&self) -> bool {
        self.env == Environment::Production
    }

    /// Human-readable engine label for logs and health output.
    pub fn storage_engine(&self) -> &'static str {
        if self.mongodb_url.is_some() {
            "mongodb"
        } else {
            "sqlite"
        }
    }

    /// Problems that make the server not ready even though it booted (shown by ready/preflight).
    pub fn readiness_issues(&self) -> Vec<String> {
        let mut issues = Vec::new();
        let secret = self.jwt_secret.expose();
        if secret.len() < 32 {
            issues.push("JWT secret shorter than 32 bytes".to_string());
        }
        if is_placeholder_secret(secret) {
            issues.push("JWT secret is a placeholder".to_string());
        }
        if self.is_production() && self.api_key_encryption_key_source != SecretSource::Env {
            issues.push("API_KEY_ENCRYPTION_KEY missing in production".to_string());
        }
        issues
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let dir = std::env::temp_dir().join(format!("amarktai-cfg-{}", uuid::Uuid::new_v4()));
        let mut map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        map.entry("DATA_DIR".into())
            .or_insert(dir.display().to_string());
        let result = Config::from_map(&map);
        // Development secrets are generated into the data dir; a test's own dir goes with it.
        let _ = std::fs::remove_dir_all(&dir);
        result
    }

    #[test]
    fn flags_accept_the_documented_spellings_in_any_case() {
        for raw in ["1", "true", "YES", "On", "TRUE"] {
            assert!(parse_flag("X", Some(raw.into())).unwrap(), "{raw}");
        }
        for raw in ["0", "false", "No", "OFF", ""] {
            assert!(!parse_flag("X", Some(raw.into())).unwrap(), "{raw}");
        }
        let err = parse_flag("ENABLE_TRADING", Some("maybe".into())).unwrap_err();
        assert!(err.0.contains("ENABLE_TRADING"));
    }

    #[test]
    fn short_jwt_secret_fails_naming_the_variable() {
        let err = config(&[("JWT_SECRET", "short")]).unwrap_err();
        assert_eq!(err.0, "JWT_SECRET must be at least 32 bytes");
    }

    #[test]
    fn production_requires_jwt_secret_and_encryption_key() {
        let err = config(&[("ENV", "production")]).unwrap_err();
        assert!(err.0.contains("JWT_SECRET"), "{}", err.0);
        let err = config(&[("ENV", "production"), ("JWT_SECRET", &"k".repeat(40))]).unwrap_err();
        assert!(err.0.contains("API_KEY_ENCRYPTION_KEY"), "{}", err.0);
    }

    #[test]
    fn development_generates_and_reuses_a_jwt_secret_per_data_dir() {
        let dir = std::env::temp_dir().join(format!("amarktai-cfg-{}", uuid::Uuid::new_v4()));
        let map: HashMap<String, String> =
            [("DATA_DIR".to_string(), dir.display().to_string())].into();
        let first = Config::from_map(&map).unwrap();
        let second = Config::from_map(&map).unwrap();
        assert_eq!(first.jwt_secret_source, SecretSource::GeneratedDevFile);
        assert!(first.jwt_secret.expose().len() >= 32);
        assert_eq!(first.jwt_secret.expose(), second.jwt_secret.expose());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let secret = "s3cr3t-value-that-is-long-enough-0123456789";
        let cfg = config(&[
            ("JWT_SECRET", secret),
            ("MONGODB_URL", "mongodb://user:pw@host"),
        ])
        .unwrap();
        let debug = format!("{cfg:?}");
        assert!(!debug.contains(secret));
        assert!(!debug.contains("pw@host"));
    }

    #[test]
    fn cors_accepts_lists_and_arrays_but_not_wildcards() {
        let cfg = config(&[("CORS_ORIGINS", "https://a.example, https://b.example/")]).unwrap();
        assert_eq!(
            cfg.cors_origins,
            vec!["https://a.example", "https://b.example"]
        );
        let cfg = config(&[("CORS_ORIGINS", r#"["https://c.example"]"#)]).unwrap();
        assert_eq!(cfg.cors_origins, vec!["https://c.example"]);
        assert!(config(&[("CORS_ORIGINS", "*")]).is_err());
    }

    #[test]
    fn numbers_out_of_range_name_the_variable() {
        let err = config(&[("PORT", "99999")]).unwrap_err();
        assert!(err.0.starts_with("PORT must be"), "{}", err.0);
        let err = config(&[("REQUEST_SIZE_LIMIT_MB", "lots")]).unwrap_err();
        assert!(err.0.starts_with("REQUEST_SIZE_LIMIT_MB"), "{}", err.0);
    }

    #[test]
    fn development_generates_and_reuses_an_encryption_key_per_data_dir() {
        let dir = std::env::temp_dir().join(format!("amarktai-cfg-{}", uuid::Uuid::new_v4()));
        let map: HashMap<String, String> =
            [("DATA_DIR".to_string(), dir.display().to_string())].into();
        let first = Config::from_map(&map).unwrap();
        let second = Config::from_map(&map).unwrap();
        assert_eq!(
            first.api_key_encryption_key_source,
            SecretSource::GeneratedDevFile
        );
        assert_eq!(
            first.api_key_encryption_key.expose(),
            second.api_key_encryption_key.expose()
        );
        let other = config(&[]).unwrap();
        assert_ne!(
            first.api_key_encryption_key.expose(),
            other.api_key_encryption_key.expose()
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn old_encryption_key_accepts_its_own_id_only() {
        let key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        let id = crate::crypto::key_id(&[7u8; 32]);
        let cfg = config(&[("API_KEY_ENCRYPTION_KEY_OLD", &key)]).unwrap();
        assert_eq!(cfg.api_key_encryption_key_old.unwrap().0, id);
        let with_id = format!("{id}:{key}");
        let cfg = config(&[("API_KEY_ENCRYPTION_KEY_OLD", &with_id)]).unwrap();
        assert_eq!(cfg.api_key_encryption_key_old.unwrap().0, id);
        let wrong = format!("deadbeef:{key}");
        let err = config(&[("API_KEY_ENCRYPTION_KEY_OLD", &wrong)]).unwrap_err();
        assert!(err.0.starts_with("API_KEY_ENCRYPTION_KEY_OLD"), "{}", err.0);
    }

    #[test]
    fn readiness_reports_a_generated_encryption_key_in_production() {
        let mut cfg = config(&[("JWT_SECRET", &"r".repeat(40))]).unwrap();
        assert!(cfg.readiness_issues().is_empty());
        cfg.env = Environment::Production;
        assert_eq!(
            cfg.readiness_issues(),
            vec!["API_KEY_ENCRYPTION_KEY missing in production".to_string()]
        );
    }

    #[test]
    fn bad_encryption_key_fails_at_boot() {
        let err = config(&[("API_KEY_ENCRYPTION_KEY", "bm90LTMyLWJ5dGVz")]).unwrap_err();
        assert!(err.0.contains("API_KEY_ENCRYPTION_KEY"));
    }
}
