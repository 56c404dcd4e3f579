//! `/api/keys/*` and legacy `/api/api-keys/*` over real HTTP, on both engines: body encodings
//! and aliases, key tests against a fake exchange that checks every signature, encryption at
//! rest, wrong-key handling, rotation, and per-user isolation.

#[path = "keys/access.rs"]
mod access;
mod common;
#[path = "keys/encodings.rs"]
mod encodings;
#[path = "keys/exchange_results.rs"]
mod exchange_results;
mod fake_exchange;
#[path = "keys/rotation.rs"]
mod rotation;
#[path = "keys/storage.rs"]
mod storage;

use base64::Engine as _;
use serde_json::Value;

use amarktai::exchange::Credentials;
use common::{Engine, TestApp, TestConfig};

/// Encryption keys used by the tests (base64 of 32 bytes each).
pub fn aes_key(fill: u8) -> String {
    base64::engine::general_purpose::STANDARD.encode([fill; 32])
}

/// Where nothing listens: tests that do not mount a fake exchange never reach the internet.
pub const NOWHERE: &str = "http://127.0.0.1:9";

/// A config with a fixed encryption key and every outbound URL pointing at `NOWHERE`.
pub fn config(engine: &Engine) -> TestConfig {
    let mut config = TestConfig::new(engine).set("API_KEY_ENCRYPTION_KEY", &aes_key(1));
    for name in [
        "LUNO_BASE_URL",
        "BINANCE_BASE_URL",
        "KUCOIN_BASE_URL",
        "VALR_BASE_URL",
        "OVEX_BASE_URL",
        "OPENAI_BASE_URL",
    ] {
        config = config.set(name, NOWHERE);
    }
    config
}

pub async fn spawn(engine: &Engine) -> TestApp {
    TestApp::spawn_with(config(engine), axum::Router::new()).await
}

/// Sends `body` as-is with `content_type` (none when `None`); returns (status, JSON body).
pub async fn post_raw(
    app: &TestApp,
    token: &str,
    path: &str,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let mut request = app.client.post(app.url(path)).bearer_auth(token);
    if let Some(ct) = content_type {
        request = request.header("content-type", ct);
    }
    let resp = request.body(body).send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

pub async fn post_json(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    let resp = app.post_auth(path, token, body).await;
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// A multipart/form-data body with text fields: (content type, body).
pub fn multipart(fields: &[(&str, &str)]) -> (String, String) {
    let boundary = "----amarktai-test-boundary-7d1e";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The caller's list entry for `provider`.
pub async fn entry(app: &TestApp, token: &str, provider: &str) -> Value {
    let body: Value = app
        .get_auth("/api/keys/list", token)
        .await
        .json()
        .await
        .expect("json");
    body["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|e| e["provider"] == provider)
        .cloned()
        .expect("entry for provider")
}

/// What the store holds for (user, provider), decrypted with the app's key.
pub async fn stored(app: &TestApp, user_id: &str, provider: &str) -> Option<Credentials> {
    let record = app
        .state
        .store
        .keys
        .find(user_id, provider)
        .await
        .unwrap()?;
    let open = |v: &str| app.state.secrets.decrypt(v, user_id).expect("opens");
    Some(Credentials {
        api_key: open(&record.api_key_enc),
        api_secret: record.api_secret_enc.as_deref().map(open),
        passphrase: record.passphrase_enc.as_deref().map(open),
    })
}

/// Registers `email`; returns (token, user id).
pub async fn user(app: &TestApp, email: &str) -> (String, String) {
    let body = app.register(email).await;
    (
        body["access_token"].as_str().expect("token").to_string(),
        body["user"]["id"].as_str().expect("id").to_string(),
    )
}
