//! The market sync engine (SPEC §15) against a local fake Binance: it syncs the default pair of
//! every exchange with an active bot, backfills a gap the exchange left, resumes on the next
//! tick, skips OVEX, and shows up in preflight with its lag.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use amarktai::domain::bot::{Bot, BotStatus, NewBot, RiskMode, TradingMode};
use amarktai::domain::bot_enums::Exchange;
use amarktai::domain::candles::{Pair, Series, Timeframe};
use amarktai::domain::clock::ManualClock;
use amarktai::engine::market_sync::{self, MarketSync};
use amarktai::store::bots::BotCaps;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use common::{Engine, TestApp, TestConfig};
use serde_json::{json, Value};

const M: i64 = 60_000;
/// 2024-01-01T00:00:00Z
const T0: i64 = 1_704_067_200_000;

#[derive(Default)]
struct Fake {
    /// An open time the fake leaves out once (a hole in the exchange's first answer).
    skip_once: Mutex<Option<i64>>,
    requests: Mutex<usize>,
}

async fn klines(
    State(fake): State<Arc<Fake>>,
    Query(q): Query<HashMap<String, String>>,
) -> Json<Value> {
    *fake.requests.lock().unwrap() += 1;
    let num = |k: &str| q.get(k).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let (start, end) = (num("startTime"), num("endTime"));
    let mut skip = fake.skip_once.lock().unwrap();
    let mut rows = Vec::new();
    let mut t = (start + M - 1) / M * M;
    while t <= end && rows.len() < 1000 {
        if Some(t) == *skip {
            *skip = None;
        } else {
            rows.push(json!([t, "10", "12", "9", "11", "1.5", t + M - 1]));
        }
        t += M;
    }
    Json(Value::Array(rows))
}

async fn add_active_bot(app: &TestApp, user_id: &str, exchange: Exchange, name: &str) {
    let new = NewBot {
        name: name.to_string(),
        exchange,
        risk_mode: RiskMode::Safe,
        trading_mode: TradingMode::Paper,
        initial_capital: 1000.0,
    };
    let mut bot = Bot::new(
        user_id,
        new,
        app.state.clock.now(),
        &app.state.config.trading,
    );
    bot.status = BotStatus::Active;
    // Minute candles of the exchange's default pair, read by the default 24-hour rule.
    bot.timeframe = Timeframe::M1;
    let caps = BotCaps {
        exchange_max: 10,
        total_max: 45,
    };
    app.state.store.bots.create(&bot, caps).await.expect("bot");
}

async fn syncs_active_bots_series_and_backfills_gaps(engine: Engine) {
    let fake = Arc::new(Fake::default());
    *fake.skip_once.lock().unwrap() = Some(T0 + 100 * M);
    let router = Router::new()
        .route("/api/v3/klines", get(klines))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });

    let now = chrono::DateTime::from_timestamp_millis(T0 + 1440 * M + 30_000).unwrap();
    let clock = ManualClock::new(now);
    let config = TestConfig::new(&engine)
        .set("BINANCE_BASE_URL", &url)
        .set("ENABLE_TRADING", "true");
    let app = TestApp::spawn_with_clock(config, clock.clone()).await;
    assert!(app.state.engines.is_enabled(amarktai::engine::MARKET_SYNC));

    // No active bot: nothing to do, no request.
    let report = market_sync::tick(&app.state).await.unwrap();
    assert_eq!(report, market_sync::SyncReport::default());
    assert_eq!(*fake.requests.lock().unwrap(), 0);

    let token = app.token_for("sync@example.com").await;
    let me: Value = app
        .get_auth("/api/auth/me", &token)
        .await
        .json()
        .await
        .unwrap();
    let user_id = me["id"].as_str().unwrap().to_string();
    add_active_bot(&app, &user_id, Exchange::Binance, "b1").await;
    add_active_bot(&app, &user_id, Exchange::Binance, "b2").await;
    add_active_bot(&app, &user_id, Exchange::Ovex, "o1").await;

    let wanted = market_sync::wanted_series(&app.state).await.unwrap();
    let binance = Series::new(
        Exchange::Binance,
        Pair::parse("BTC/USDT").unwrap(),
        Timeframe::M1,
    );
    assert_eq!(
        wanted.len(),
        2,
        "one series per pair and timeframe: {wanted:?}"
    );
    // momentum_24h on 1m candles needs 1,441 of them: two days of history.
    assert!(wanted.contains(&(binance.clone(), 2)), "{wanted:?}");

    // First tick: the last two days (the strategy's warm-up), with the exchange's hole at
    // minute 100 backfilled.
    let report = market_sync::tick(&app.state).await.unwrap();
    assert_eq!(report.series, 1, "{report}");
    assert_eq!(report.unsupported, 1, "ovex has no candles: {report}");
    assert_eq!(report.failed, 0, "{report}");
    assert_eq!(report.gaps_filled, 1, "{report}");
    assert_eq!(report.inserted, 2 * 1440, "{report}");
    let repo = app.state.store.candles.clone();
    assert_eq!(
        repo.open_times(&binance, T0, T0 + 1439 * M)
            .await
            .unwrap()
            .len(),
        1440
    );

    // Five minutes later: only the five new closed candles.
    clock.advance(chrono::Duration::minutes(5));
    let outcome = amarktai::engine::run_once(&app.state, &MarketSync).await;
    assert_eq!(outcome.as_str(), "ok");
    assert_eq!(
        repo.last_open_time(&binance).await.unwrap(),
        Some(T0 + 1444 * M)
    );

    let preflight: Value = app.get("/api/health/preflight").await.json().await.unwrap();
    let status = &preflight["engines"]["market_sync"];
    assert_eq!(status["enabled"], true, "{status}");
    assert_eq!(status["last_outcome"], "ok", "{status}");
    assert_eq!(status["lag_seconds"], 0, "{status}");
    assert_eq!(preflight["flags"]["ENABLE_MARKET_DATA"], true);
    app.stop().await;
}

on_both_engines!(syncs_active_bots_series_and_backfills_gaps);
