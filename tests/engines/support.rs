//! Helpers for the engine tests: servers at a chosen time, bots edited as if they had traded,
//! a second server instance on the same database, and a recording trade executor.

use std::sync::{Arc, Mutex};

use amarktai::domain::bot::{Bot, NewBot, RiskMode, TradingMode};
pub use amarktai::domain::clock::Clock;
use amarktai::domain::clock::ManualClock;
use amarktai::engine::scheduler::{Execution, TradeExecutor};
use amarktai::error::{AppError, AppResult};
use amarktai::events::Replay;
use amarktai::state::AppState;
use amarktai::store::bots::BotCaps;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use crate::common::{Engine, TestApp, TestConfig, TEST_PASSWORD};

/// Tomorrow 12:00 UTC: a fixed time of day, ahead of the wall clock so tokens stay valid.
pub fn midday() -> DateTime<Utc> {
    let tomorrow = Utc::now().date_naive() + Duration::days(1);
    tomorrow.and_hms_opt(12, 0, 0).unwrap().and_utc()
}

/// Tomorrow 23:59:00 UTC.
pub fn before_midnight() -> DateTime<Utc> {
    let tomorrow = Utc::now().date_naive() + Duration::days(1);
    tomorrow.and_hms_opt(23, 59, 0).unwrap().and_utc()
}

/// A server whose clock starts at `start`, with extra env vars.
pub async fn spawn_at(
    engine: &Engine,
    start: DateTime<Utc>,
    vars: &[(&str, &str)],
) -> (TestApp, ManualClock) {
    let clock = ManualClock::new(start);
    let mut config = TestConfig::new(engine);
    for (k, v) in vars {
        config = config.set(k, v);
    }
    let app = TestApp::spawn_with_clock(config, clock.clone()).await;
    (app, clock)
}

/// Another server instance on the same database and clock (its own lease holder id).
pub async fn second_instance(app: &TestApp, clock: &ManualClock) -> AppState {
    let cfg = app.config.config();
    let store = amarktai::store::connect(&cfg).await.expect("store");
    let other = AppState::with_clock(cfg, store, Arc::new(clock.clone()));
    assert_ne!(other.engines.instance_id(), app.state.engines.instance_id());
    other
}

pub async fn body(resp: reqwest::Response) -> Value {
    resp.json().await.expect("json body")
}

pub async fn user_id(app: &TestApp, token: &str) -> String {
    let me = body(app.get_auth("/api/auth/me", token).await).await;
    me["id"].as_str().expect("id").to_string()
}

/// Logs in again (after the clock moved a lot).
pub async fn fresh_token(app: &TestApp, email: &str) -> String {
    let login = body(
        app.post_json(
            "/api/auth/login",
            json!({"email": email, "password": TEST_PASSWORD}),
        )
        .await,
    )
    .await;
    login["access_token"].as_str().expect("token").to_string()
}

/// A paper bot with 1000 of capital on binance, created over HTTP; returns its id.
pub async fn create_bot(app: &TestApp, token: &str, name: &str) -> String {
    let resp = app
        .post_auth(
            "/api/bots",
            token,
            json!({"name": name, "exchange": "binance", "risk_mode": "balanced", "initial_capital": 1000}),
        )
        .await;
    assert_eq!(resp.status(), 200, "create {name}");
    body(resp).await["id"].as_str().expect("id").to_string()
}

/// A live bot entering the training bay at `at`, inserted through the repository (no keys).
pub async fn insert_live_bot(
    app: &TestApp,
    user_id: &str,
    name: &str,
    at: DateTime<Utc>,
) -> String {
    let new = NewBot {
        name: name.to_string(),
        exchange: amarktai::domain::bot::Exchange::Kucoin,
        risk_mode: RiskMode::Safe,
        trading_mode: TradingMode::Live,
        initial_capital: 2000.0,
    };
    let bot = Bot::new(user_id, new, at, &app.state.config.trading);
    let caps = BotCaps {
        exchange_max: 10,
        total_max: 45,
    };
    app.state
        .store
        .bots
        .create(&bot, caps)
        .await
        .expect("insert");
    bot.id
}

/// Changes a stored bot as the trading core would (e.g. `record_trade`).
pub async fn edit_bot(app: &TestApp, id: &str, change: impl FnOnce(&mut Bot)) {
    let store = &app.state.store.bots;
    let mut bot = store.find_any(id).await.expect("db").expect("bot");
    change(&mut bot);
    assert!(store.save(&bot).await.expect("save"));
}

pub async fn get_bot(app: &TestApp, token: &str, id: &str) -> Value {
    let resp = app.get_auth(&format!("/api/bots/{id}"), token).await;
    assert_eq!(resp.status(), 200);
    body(resp).await
}

/// The payloads of every buffered event of `kind` published for `user_id`.
pub fn events_of(app: &TestApp, user_id: &str, kind: &str) -> Vec<Value> {
    let sub = app.state.events.subscribe(user_id, Some(0));
    let Replay::Events(events) = sub.replay else {
        return Vec::new();
    };
    events
        .iter()
        .filter(|e| e.kind.as_str() == kind)
        .map(|e| Value::Object(e.payload.clone()))
        .collect()
}

/// Records which bots were asked to trade; fails for bots named `AlsoEligible`.
#[derive(Default)]
pub struct RecordingExecutor {
    seen: Mutex<Vec<String>>,
}

impl RecordingExecutor {
    pub fn bot_ids(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

#[async_trait]
impl TradeExecutor for RecordingExecutor {
    async fn execute(&self, bot: &Bot) -> AppResult<Execution> {
        self.seen.lock().unwrap().push(bot.id.clone());
        if bot.name == "AlsoEligible" {
            return Err(AppError::internal("fake exchange outage"));
        }
        Ok(Execution::Submitted {
            order_id: format!("order-{}", bot.id),
        })
    }
}
