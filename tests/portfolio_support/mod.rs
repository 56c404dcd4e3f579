//! Helpers for the portfolio, analytics and trades tests: a server on a fixed clock, users
//! with a paper bot, and trades seeded through the store (no HTTP route injects trades).
#![allow(dead_code)]

use amarktai::domain::bot::TradingMode;
use amarktai::domain::clock::ManualClock;
use amarktai::domain::orders::Side;
use amarktai::domain::trade::Trade;
use std::sync::OnceLock;

use chrono::{DateTime, Datelike, Duration, SecondsFormat, Utc, Weekday};
use serde_json::{json, Value};

use crate::common::{Engine, TestApp, TestConfig};

/// "Now" in these tests: the first Wednesday the 18th, 12:00 UTC, after the real time, so
/// the week runs Monday 16th..Sunday 22nd inside one month and the 2nd is a Monday. (The
/// clock cannot sit in the past: tokens it issues would already be expired.)
pub fn now() -> DateTime<Utc> {
    static NOW: OnceLock<DateTime<Utc>> = OnceLock::new();
    *NOW.get_or_init(|| {
        let mut day = Utc::now().date_naive() + Duration::days(1);
        while !(day.day() == 18 && day.weekday() == Weekday::Wed) {
            day += Duration::days(1);
        }
        day.and_hms_opt(12, 0, 0).expect("noon").and_utc()
    })
}

/// `days` before today (in test time), at `hour:minute` UTC.
pub fn ago(days: i64, hour: u32, minute: u32) -> DateTime<Utc> {
    (now().date_naive() - Duration::days(days))
        .and_hms_opt(hour, minute, 0)
        .expect("valid time")
        .and_utc()
}

/// RFC 3339 text of UTC midnight `days` before today, as the API renders it.
pub fn midnight(days: i64) -> String {
    rfc(ago(days, 0, 0))
}

/// RFC 3339 text of the 1st of this month (`0`) or of the month before (`1`).
pub fn month_start(months_back: u32) -> String {
    let first = now().date_naive().with_day(1).expect("1st");
    let first = if months_back == 0 {
        first
    } else {
        first - chrono::Months::new(months_back)
    };
    rfc(first.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
}

pub fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub async fn spawn(engine: &Engine) -> TestApp {
    TestApp::spawn_with_clock(TestConfig::new(engine), ManualClock::new(now())).await
}

pub async fn json_of(resp: reqwest::Response) -> Value {
    resp.json().await.expect("json")
}

/// A registered user with one paper bot of 1000 capital.
pub struct Trader {
    pub token: String,
    pub user_id: String,
    pub bot_id: String,
}

pub async fn trader(app: &TestApp, email: &str) -> Trader {
    let login = app.register(email).await;
    let token = login["access_token"].as_str().expect("token").to_string();
    let user_id = login["user"]["id"].as_str().expect("user id").to_string();
    let bot_id = new_bot(app, &token, "Alpha", "luno").await;
    Trader {
        token,
        user_id,
        bot_id,
    }
}

/// Creates a paper bot with 1000 capital; returns its id.
pub async fn new_bot(app: &TestApp, token: &str, name: &str, exchange: &str) -> String {
    let resp = app
        .post_auth(
            "/api/bots",
            token,
            json!({"name": name, "exchange": exchange, "risk_mode": "balanced", "initial_capital": 1000}),
        )
        .await;
    assert_eq!(resp.status(), 200, "create bot {name}");
    json_of(resp).await["id"]
        .as_str()
        .expect("bot id")
        .to_string()
}

/// A closed trade of `bot_id` with the given result and fees.
pub fn trade(user_id: &str, bot_id: &str, timestamp: DateTime<Utc>, pnl: f64, fees: f64) -> Trade {
    Trade {
        id: uuid::Uuid::new_v4().to_string(),
        user_id: user_id.to_string(),
        bot_id: bot_id.to_string(),
        bot_name: "Alpha".into(),
        exchange: "luno".into(),
        symbol: "BTC/ZAR".into(),
        side: Side::Buy,
        entry_price: 1_000_000.0,
        exit_price: 1_000_000.0 + pnl,
        amount: 0.001,
        fees,
        slippage_cost: 0.25,
        profit_loss: pnl,
        is_profitable: pnl > 0.0,
        trading_mode: TradingMode::Paper,
        timestamp,
        order_id: None,
    }
}

pub async fn seed(app: &TestApp, trades: &[Trade]) {
    let stored = app
        .state
        .store
        .trade_stats
        .import(trades)
        .await
        .expect("seed trades");
    assert_eq!(stored, trades.len() as u64);
    // The fill path books every result on its bot; the portfolio's equity is the bots'
    // capital, so seeded trades move it the same way.
    let mut per_bot: std::collections::BTreeMap<(&str, &str), f64> = Default::default();
    for t in trades {
        *per_bot.entry((&t.user_id, &t.bot_id)).or_default() += t.profit_loss;
    }
    for ((user_id, bot_id), pnl) in per_bot {
        let bots = &app.state.store.bots;
        let mut bot = bots
            .find(user_id, bot_id)
            .await
            .expect("find bot")
            .expect("seeded trades belong to an existing bot");
        bot.current_capital += pnl;
        bot.total_profit += pnl;
        assert!(
            bots.save(&bot).await.expect("save bot"),
            "bot changed meanwhile"
        );
    }
}

/// Asserts a 422 envelope naming `field`.
pub async fn assert_invalid(resp: reqwest::Response, field: &str) {
    assert_eq!(resp.status(), 422, "{field}");
    let body = json_of(resp).await;
    assert_eq!(body["error"]["code"], "VALIDATION_ERROR");
    assert_eq!(body["error"]["fields"][0]["field"], field, "{body}");
    assert!(body["detail"].is_string());
}

pub fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-9)
}
