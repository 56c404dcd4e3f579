//! The old dashboard's remaining calls (COMPAT.md) over real HTTP on both engines: shapes and
//! values computed by hand from seeded bots, trades and candles, auth, other users' ids, and
//! bad input in the error envelope.

#[path = "dashboard_calls/autonomy.rs"]
mod autonomy;
mod common;
#[path = "dashboard_calls/countdowns.rs"]
mod countdowns;
#[path = "dashboard_calls/insights.rs"]
mod insights;
mod portfolio_support;
#[path = "dashboard_calls/smtp_sink.rs"]
mod smtp_sink;
#[path = "dashboard_calls/summary.rs"]
mod summary;
#[path = "dashboard_calls/training.rs"]
mod training;

use amarktai::domain::bot_enums::Exchange;
use amarktai::domain::candles::{Candle, Pair, Series, Timeframe};
use amarktai::domain::clock::ManualClock;
use chrono::Duration;
use common::{Engine, TestApp, TestConfig};
use portfolio_support::{ago, now, seed, spawn, trade, trader, Trader};

pub const H: i64 = 3_600_000;

/// A user whose paper bot "Alpha" (luno BTC/ZAR, 1h, 1000 capital) closed four trades, written
/// as days before "now" (a Wednesday the 18th, 12:00 UTC):
///
/// | when          | result |
/// |---------------|-------:|
/// | -9 d (Mon) 10:00 |  +50 |
/// | -2 d (Mon) 09:00 | +100 |
/// | -1 d (Tue) 15:00 |  +20 |
/// |  0 d (Wed) 09:00 |  -30 |
///
/// Net +140 over 10 calendar days (14 a day); capital 1140; last 24 h: -10.
pub async fn seeded(engine: &Engine) -> (TestApp, Trader) {
    let (app, me, _clock) = seeded_with_clock(engine).await;
    (app, me)
}

/// `seeded`, with the server's clock to move.
pub async fn seeded_with_clock(engine: &Engine) -> (TestApp, Trader, ManualClock) {
    seeded_on(TestConfig::new(engine)).await
}

/// `seeded` on a given configuration.
pub async fn seeded_on(config: TestConfig) -> (TestApp, Trader, ManualClock) {
    let clock = ManualClock::new(now());
    let app = TestApp::spawn_with_clock(config, clock.clone()).await;
    let me = trader(&app, "owner@example.com").await;
    let t = |at, pnl| trade(&me.user_id, &me.bot_id, at, pnl, 0.0);
    seed(
        &app,
        &[
            t(ago(9, 10, 0), 50.0),
            t(ago(2, 9, 0), 100.0),
            t(ago(1, 15, 0), 20.0),
            t(ago(0, 9, 0), -30.0),
        ],
    )
    .await;
    (app, me, clock)
}

pub fn btc_zar() -> Series {
    Series::new(
        Exchange::Luno,
        Pair::parse("BTC/ZAR").expect("pair"),
        Timeframe::H1,
    )
}

/// 48 hourly candles of luno BTC/ZAR, the newest opening an hour before "now", closing at
/// 100 × 1.001^i (i = 0 oldest): an exact exponential trend.
pub async fn store_candles(app: &TestApp) {
    let last = (now() - Duration::hours(1)).timestamp_millis();
    let candles: Vec<Candle> = (0..48)
        .map(|i| {
            let c = 100.0 * 1.001f64.powi(i);
            Candle {
                open_time: last - (47 - i as i64) * H,
                open: c,
                high: c,
                low: c,
                close: c,
                volume: 1.0,
            }
        })
        .collect();
    app.state
        .store
        .candles
        .upsert_many(&btc_zar(), &candles)
        .await
        .expect("store candles");
}

pub fn near(v: &serde_json::Value, expected: f64, tolerance: f64) -> bool {
    v.as_f64()
        .is_some_and(|x| (x - expected).abs() <= tolerance)
}

/// Every route of this file answers 401 without a token.
async fn every_route_needs_a_token(engine: Engine) {
    let app = spawn(&engine).await;
    let client = &app.client;
    let gets = [
        "/api/api-keys",
        "/api/analytics/countdown-to-million",
        "/api/countdowns",
        "/api/countdowns/",
        "/api/analytics/profit-history",
        "/api/overview",
        "/api/system/health",
        "/api/system/platforms",
        "/api/metrics",
        "/api/ai/insights",
        "/api/ml/predict",
        "/api/advanced/whale/summary",
        "/api/flokx/alerts",
        "/api/training/history",
        "/api/training/some-id/status",
        "/api/admin/health-check",
    ];
    for path in gets {
        let resp = client.get(app.url(path)).send().await.expect("request");
        assert_eq!(resp.status(), 401, "GET {path}");
        let body: serde_json::Value = resp.json().await.expect("json");
        assert!(body["detail"].is_string(), "GET {path}: envelope");
    }
    let posts = [
        "/api/admin/email/broadcast",
        "/api/autonomous/bodyguard/system-check",
        "/api/autonomous/learning/trigger",
        "/api/profits/reinvest",
        "/api/countdowns",
        "/api/countdowns/",
        "/api/ai/chat/greeting",
        "/api/training/start",
    ];
    for path in posts {
        let resp = client.post(app.url(path)).send().await.expect("request");
        assert_eq!(resp.status(), 401, "POST {path}");
    }
    let resp = client
        .delete(app.url("/api/countdowns/x"))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 401, "DELETE /api/countdowns/x");
}

on_both_engines!(every_route_needs_a_token);
