//! Issues 3 and 5: passwords, exchange / AI credentials and tokens never reach a log line.
//! The server runs in-process under a global subscriber that writes every event (DEBUG and
//! up, all targets, JSON as in production and the compact development format) into a buffer;
//! the test drives the flows that handle secrets and then searches the captured text.
//!
//! SQLite only, on purpose: logging sits above the store, so the Mongo engine would log the
//! same lines; and one global subscriber per test binary means a single test owns the buffer.

mod common;
#[allow(dead_code)]
mod fake_exchange;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{json, Value};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{Engine, TestApp, TestConfig, TEST_PASSWORD};
use fake_exchange::{KEY, PASSPHRASE, SECRET};

const NEW_PASSWORD: &str = "N3w-Passw0rd-Sekrit";
const WRONG_PASSWORD: &str = "Wr0ng-Passw0rd-Guess";
const OPENAI_KEY: &str = "sk-test-openai-key-0123456789abcdef";

/// Everything every subscriber layer wrote, shared with the writers it hands out.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        let bytes = self.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut bytes) = self.0.lock() {
            bytes.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Installs the capturing subscriber once for this binary (before any app is spawned).
fn capture() -> Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED
        .get_or_init(|| {
            let captured = Captured::default();
            // The production JSON lines (`log_format`), request context from the task-local
            // as in production; the compact layer then sees no request span (it only matters
            // here as a second rendering of every value).
            amarktai::log_format::use_task_local_request_context();
            tracing_subscriber::registry()
                .with(EnvFilter::new("debug"))
                .with(
                    tracing_subscriber::fmt::layer()
                        .fmt_fields(amarktai::log_format::JsonSpanFields)
                        .event_format(amarktai::log_format::JsonLines)
                        .with_writer(captured.clone()),
                )
                .with(
                    tracing_subscriber::fmt::layer()
                        .compact()
                        .with_ansi(false)
                        .with_writer(captured.clone()),
                )
                .try_init()
                .expect("no other subscriber in this test binary");
            captured
        })
        .clone()
}

async fn call(app: &TestApp, method: &str, path: &str, token: Option<&str>, body: Value) -> Value {
    let mut request = match method {
        "PUT" => app.client.put(app.url(path)),
        _ => app.client.post(app.url(path)),
    };
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let resp = request.json(&body).send().await.expect("request");
    resp.json().await.unwrap_or(Value::Null)
}

/// A fake provider that refuses everything and quotes the credentials it was given back in its
/// error text, as real providers sometimes do ("API key AK... is invalid").
async fn echoing_fake(words: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "code": "400001", "msg": words, "error": {"message": words}
        })))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn passwords_credentials_and_tokens_never_reach_the_logs() {
    let captured = capture();
    let exchanges = echoing_fake(&format!(
        "key {KEY} secret {SECRET} passphrase {PASSPHRASE}"
    ))
    .await;
    let openai = echoing_fake(&format!("Incorrect API key provided: {OPENAI_KEY}")).await;
    let mut config = TestConfig::new(&Engine::Sqlite)
        .set("API_KEY_ENCRYPTION_KEY", &base64_key())
        .set("EXCHANGE_TIMEOUT_SECONDS", "2")
        .set("AI_TIMEOUT_SECONDS", "2");
    for name in ["LUNO", "BINANCE", "KUCOIN", "VALR", "OVEX"] {
        config = config.set(&format!("{name}_BASE_URL"), &exchanges.uri());
    }
    config = config.set("OPENAI_BASE_URL", &format!("{}/v1", openai.uri()));
    let app = TestApp::spawn_with(config, axum::Router::new()).await;
    let email = "logs@example.com";

    // Register, log in right and wrong, refresh, change the password, log in with the new one.
    let registered = app.register(email).await;
    let mut tokens = vec![
        token(&registered, "access_token"),
        token(&registered, "refresh_token"),
    ];
    let wrong = json!({"email": email, "password": WRONG_PASSWORD});
    let refused = call(&app, "POST", "/api/auth/login", None, wrong).await;
    assert!(refused["access_token"].is_null(), "{refused}");
    let right = json!({"email": email, "password": TEST_PASSWORD});
    let login = call(&app, "POST", "/api/auth/login", None, right).await;
    tokens.push(token(&login, "access_token"));
    tokens.push(token(&login, "refresh_token"));
    let body = json!({"refresh_token": token(&login, "refresh_token")});
    let refreshed = call(&app, "POST", "/api/auth/refresh", None, body).await;
    tokens.push(token(&refreshed, "access_token"));
    tokens.push(token(&refreshed, "refresh_token"));
    let access = token(&refreshed, "access_token");
    let change = json!({"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD});
    let changed = call(&app, "PUT", "/api/auth/password", Some(&access), change).await;
    let access = token(&changed, "access_token");
    tokens.push(access.clone());
    tokens.push(token(&changed, "refresh_token"));
    let new_login = json!({"email": email, "password": NEW_PASSWORD});
    let again = call(&app, "POST", "/api/auth/login", None, new_login).await;
    tokens.push(token(&again, "access_token"));
    // A truncated body carrying the password, and a forged token, are refused quietly.
    let resp = app
        .client
        .post(app.url("/api/auth/login"))
        .header("content-type", "application/json")
        .body(format!(
            "{{\"email\":\"{email}\",\"password\":\"{NEW_PASSWORD}"
        ))
        .send()
        .await
        .expect("request");
    assert!(resp.status().is_client_error());
    let forged = format!("{access}x");
    let resp = app.get_auth("/api/auth/me", &forged).await;
    assert_eq!(resp.status(), 401);

    // Save credentials, test them (saved and typed in) against the echoing fake, use the AI key.
    let saves = [
        json!({"provider": "kucoin", "api_key": KEY, "api_secret": SECRET, "passphrase": PASSPHRASE}),
        json!({"provider": "binance", "api_key": KEY, "api_secret": SECRET}),
        json!({"provider": "openai", "api_key": OPENAI_KEY}),
    ];
    for save in saves {
        let saved = call(&app, "POST", "/api/keys/save", Some(&access), save.clone()).await;
        assert_eq!(saved["success"], true, "{saved}");
        let test = json!({"provider": save["provider"]});
        let tested = call(&app, "POST", "/api/keys/test", Some(&access), test).await;
        assert_eq!(tested["status"], "test_failed", "{tested}");
        let typed = call(&app, "POST", "/api/keys/test", Some(&access), save).await;
        assert_eq!(typed["ok"], false, "{typed}");
    }
    let chat = json!({"content": "How are my bots doing?"});
    let reply = call(&app, "POST", "/api/ai/chat", Some(&access), chat).await;
    assert!(!reply.to_string().contains(OPENAI_KEY), "{reply}");
    assert_eq!(seen(&exchanges).await, 4, "each exchange key tested twice");
    assert!(
        seen(&openai).await >= 3,
        "the OpenAI key tested twice, then the chat"
    );

    app.stop().await;
    tokens.push(live_trading_round_trip().await);
    let logs = captured.text();
    assert!(
        logs.contains("live order send: outcome unknown"),
        "no live order line:\n{logs}"
    );

    // The capture works: the access log and the login outcomes are there.
    for route in [
        "/api/auth/register",
        "/api/auth/login",
        "/api/auth/refresh",
        "/api/auth/password",
        "/api/keys/save",
        "/api/keys/test",
        "/api/ai/chat",
    ] {
        assert!(logs.contains(route), "no access line for {route}:\n{logs}");
    }
    for outcome in ["invalid_credentials", "success", "user registered"] {
        assert!(logs.contains(outcome), "no {outcome} line:\n{logs}");
    }
    assert!(
        logs.contains("AI provider failed"),
        "no AI failure line:\n{logs}"
    );

    // One JSON access line per request, with the fields operators search by.
    let user_id = registered["user"]["id"].as_str().expect("user id");
    let save_line = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|line| line["target"] == "access" && line["route"] == "/api/keys/save")
        .unwrap_or_else(|| panic!("no JSON access line for /api/keys/save:\n{logs}"));
    assert_eq!(save_line["method"], "POST", "{save_line}");
    assert_eq!(save_line["status"], 200, "{save_line}");
    assert_eq!(save_line["user_id"], user_id, "{save_line}");
    for field in ["request_id", "ip"] {
        assert!(
            save_line[field].as_str().is_some_and(|v| !v.is_empty()),
            "{field} missing: {save_line}"
        );
    }
    assert!(save_line["latency_ms"].is_number(), "{save_line}");
    assert!(save_line.get("spans").is_none(), "{save_line}");

    // A line logged by a handler names its request (the old request span's `spans` entry).
    let registered_line = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|line| line["message"] == "user registered")
        .unwrap_or_else(|| panic!("no JSON 'user registered' line:\n{logs}"));
    let request = &registered_line["spans"][0];
    assert_eq!(request["name"], "request", "{registered_line}");
    assert_eq!(request["method"], "POST", "{registered_line}");
    assert_eq!(request["route"], "/api/auth/register", "{registered_line}");
    assert!(
        request["request_id"]
            .as_str()
            .is_some_and(|v| !v.is_empty()),
        "{registered_line}"
    );

    let mut secrets: Vec<(&str, String)> = vec![
        ("password", TEST_PASSWORD.into()),
        ("new password", NEW_PASSWORD.into()),
        ("wrong password", WRONG_PASSWORD.into()),
        ("API key", KEY.into()),
        ("API secret", SECRET.into()),
        ("passphrase", PASSPHRASE.into()),
        ("OpenAI key", OPENAI_KEY.into()),
    ];
    secrets.extend(tokens.into_iter().map(|t| ("token", t)));
    for (what, secret) in secrets {
        if let Some(at) = logs.find(&secret) {
            let start = logs[..at].rfind('\n').map_or(0, |i| i + 1);
            let end = logs[at..].find('\n').map_or(logs.len(), |i| at + i);
            panic!("{what} in the logs: {}", &logs[start..end]);
        }
    }
}

/// A live bot on KuCoin (key, secret and passphrase all sign requests): an entry whose answer
/// times out after the exchange accepted it, the exit, and an emergency stop. Returns the
/// user's access token (searched for in the logs too).
async fn live_trading_round_trip() -> String {
    use amarktai::domain::bot::{BotStatus, TradingMode};
    use amarktai::domain::price::FixedPrices;
    use amarktai::exchange::orders::SymbolRules;
    use amarktai::exchange::Provider;
    use fake_exchange::live::{Failure, FakeExchange};

    let fake = FakeExchange::start(Provider::Kucoin).await;
    fake.set_price("BTC/USDT", 50_000.0);
    fake.set_rules(
        "BTC/USDT",
        SymbolRules {
            min_amount: 0.00001,
            amount_step: 0.00001,
            min_notional: 10.0,
        },
    );
    fake.set_balance("USDT", 10_000.0);
    let config = TestConfig::new(&Engine::Sqlite)
        .set("API_KEY_ENCRYPTION_KEY", &base64_key())
        .set("KUCOIN_BASE_URL", &fake.base_url())
        .set("EXCHANGE_TIMEOUT_SECONDS", "1")
        .set("ENABLE_TRADING", "true")
        .set("ENABLE_LIVE_TRADING", "true");
    let app = TestApp::spawn_with(config, axum::Router::new()).await;
    app.state
        .prices
        .set(Arc::new(FixedPrices::new().with("BTC/USDT", 50_000.0)));
    let registered = app.register("live-logs@example.com").await;
    let access = token(&registered, "access_token");
    let user_id = registered["user"]["id"]
        .as_str()
        .expect("user id")
        .to_string();
    let keys = json!({"provider": "kucoin", "api_key": KEY, "api_secret": SECRET, "passphrase": PASSPHRASE});
    let saved = call(&app, "POST", "/api/keys/save", Some(&access), keys).await;
    assert_eq!(saved["success"], true, "{saved}");
    let now = app.state.clock.now();
    app.state
        .store
        .keys
        .record_test(&user_id, "kucoin", "test_ok", now, None)
        .await
        .expect("key status");
    let mode = json!({"mode": "liveTrading", "enabled": true});
    call(&app, "PUT", "/api/system/mode", Some(&access), mode).await;
    let bot = json!({"name": "Live logs", "exchange": "kucoin", "risk_mode": "balanced",
        "initial_capital": 500, "pair": "BTC/USDT", "position_size_pct": 100,
        "strategy": {"name": "sma_cross", "params": {"fast": 2, "slow": 3}}});
    let bot = call(&app, "POST", "/api/bots", Some(&access), bot).await;
    let bot_id = bot["id"].as_str().expect("bot id").to_string();
    amarktai::store::bots::update_bot::<amarktai::store::StoreError, _>(
        app.state.store.bots.as_ref(),
        None,
        &user_id,
        &bot_id,
        |b| {
            b.trading_mode = TradingMode::Live;
            b.status = BotStatus::Active;
            Ok(true)
        },
    )
    .await
    .expect("bot made live");
    fake.fail_next_order(1, Failure::TimeoutAfterAccept);
    let path = format!("/api/bots/{bot_id}/force-enter");
    let entered = call(&app, "POST", &path, Some(&access), json!({})).await;
    assert_eq!(entered["success"], true, "{entered}");
    let path = format!("/api/bots/{bot_id}/force-exit");
    let exited = call(&app, "POST", &path, Some(&access), json!({})).await;
    assert_eq!(exited["success"], true, "{exited}");
    let stop = call(
        &app,
        "POST",
        "/api/system/emergency-stop",
        Some(&access),
        json!({}),
    )
    .await;
    assert_eq!(stop["success"], true, "{stop}");
    assert_eq!(fake.orders_stored(), 2, "one entry, one exit");
    app.stop().await;
    access
}

async fn seen(server: &MockServer) -> usize {
    server.received_requests().await.unwrap_or_default().len()
}

fn token(body: &Value, field: &str) -> String {
    body[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {body}"))
        .to_string()
}

fn base64_key() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode([7u8; 32])
}
