//! A paper strategy bot end to end on both engines: candles come from a local fake Binance
//! through the market sync engine, the scheduler evaluates each closed candle, fills go
//! through the order pipeline at the next candle's open, the position survives a restart, the
//! P&L matches a hand computation, decisions explain each step and link to their orders, and
//! force-exit / force-enter act once.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use amarktai::domain::clock::ManualClock;
use amarktai::domain::price::FixedPrices;
use amarktai::engine::{market_sync, scheduler};
use amarktai::events::{EventType, Replay};
use amarktai::state::AppState;
use amarktai::trading::strategy_runner::StrategyExecutor;
use axum::extract::Query;
use axum::routing::get;
use axum::{Json, Router};
use common::{Engine, TestApp, TestConfig};
use serde_json::{json, Value};

const M: i64 = 60_000;
/// 2024-01-01T00:00:00Z
const T0: i64 = 1_704_067_200_000;
/// Flat 1m candles (open = high = low = close), in thousands of USDT: SMA(2) crosses above
/// SMA(3) on candle 6 and below on candle 9 (worked out in the strategy unit tests).
const CLOSES: [f64; 11] = [
    5000.0, 5000.0, 5000.0, 4000.0, 3000.0, 4000.0, 6000.0, 8000.0, 7000.0, 5000.0, 3000.0,
];

/// Serves `GET /api/v3/klines` from the script above.
async fn klines(Query(q): Query<HashMap<String, String>>) -> Json<Value> {
    let num = |k: &str| q.get(k).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let (start, end) = (num("startTime"), num("endTime"));
    let rows: Vec<Value> = CLOSES
        .iter()
        .enumerate()
        .map(|(i, c)| (T0 + i as i64 * M, c))
        .filter(|(t, _)| *t >= start && *t <= end)
        .map(|(t, c)| {
            let p = c.to_string();
            json!([t, p, p, p, p, "1.0", t + M - 1])
        })
        .collect();
    Json(Value::Array(rows))
}

async fn body(resp: reqwest::Response) -> Value {
    resp.json().await.expect("json")
}

/// Moves to `minutes` past T0 (plus a few seconds), syncs candles and gives every bot a turn.
async fn minute(state: &AppState, clock: &ManualClock, minutes: i64) {
    clock.set(chrono::DateTime::from_timestamp_millis(T0 + minutes * M + 5_000).unwrap());
    let sync = market_sync::tick(state).await.expect("sync");
    assert_eq!(sync.failed, 0, "{sync}");
    let executor = StrategyExecutor::new(state.clone());
    let report = scheduler::tick(state, &executor).await.expect("tick");
    assert_eq!(report.failed, 0, "{report:?}");
}

fn near(a: &Value, b: f64) -> bool {
    a.as_f64()
        .is_some_and(|a| (a - b).abs() <= 1e-9 * b.abs().max(1.0))
}

async fn a_paper_bot_trades_its_strategy_on_closed_candles(engine: Engine) {
    let fake = Router::new().route("/api/v3/klines", get(klines));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, fake).await });
    let clock = ManualClock::new(chrono::DateTime::from_timestamp_millis(T0).unwrap());
    let config = TestConfig::new(&engine)
        .set("BINANCE_BASE_URL", &url)
        .set("ENABLE_TRADING", "true")
        .set("ENABLE_SCHEDULERS", "true")
        // The scripted loss (62.6 % of the bot) would trip the breaker's drawdown limit and
        // block the manual entry below; that gate has its own tests.
        .set("MAX_DRAWDOWN_PERCENT", "95")
        .set("MAX_DAILY_LOSS_PERCENT", "95");
    let app = TestApp::spawn_with_clock(config, clock.clone()).await;
    let token = app.token_for("quant@example.com").await;
    let resp = app
        .post_auth(
            "/api/bots",
            &token,
            json!({"name": "Crossing", "exchange": "binance", "risk_mode": "balanced",
                   "initial_capital": 1000, "strategy": {"name": "sma_cross", "params": {"fast": 2, "slow": 3}},
                   "pair": "BTC/USDT", "timeframe": "1m", "stop_loss_pct": 0, "take_profit_pct": 0,
                   "position_size_pct": 100, "cooldown_candles": 0}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let id = body(resp).await["id"].as_str().unwrap().to_string();
    let decisions_path = format!("/api/bots/{id}/decisions");
    let position_path = format!("/api/bots/{id}/position");

    // Candles 0..=6 closed: the fast SMA crossed above on candle 6's close -> enter_long,
    // filled at candle 7's open (nothing filled yet).
    minute(&app.state, &clock, 7).await;
    let list = body(app.get_auth(&decisions_path, &token).await).await;
    let newest = &list["decisions"][0];
    assert_eq!(newest["decision"], "enter_long", "{list}");
    assert_eq!(newest["candle_time"], T0 + 6 * M);
    assert_eq!(
        newest["reason"],
        "fast SMA(2) 5000.00 crossed above slow SMA(3) 4333.33"
    );
    assert_eq!(newest["order_id"], Value::Null, "fills at the next open");
    let enter_decision = newest["id"].as_str().unwrap().to_string();
    // Published live as a `decision` event too.
    let me = body(app.get_auth("/api/auth/me", &token).await).await;
    let Replay::Events(events) = app
        .state
        .events
        .subscribe(me["id"].as_str().unwrap(), Some(0))
        .replay
    else {
        panic!("events were published")
    };
    let published: Vec<&Value> = events
        .iter()
        .filter(|e| e.kind == EventType::Decision)
        .map(|e| &e.payload["decision"])
        .collect();
    assert!(
        published
            .iter()
            .any(|d| d["id"] == enter_decision.as_str() && d["decision"] == "enter_long"),
        "{published:?}"
    );
    let pos = body(app.get_auth(&position_path, &token).await).await;
    assert_eq!(
        (pos["position"].clone(), pos["pending_order"].clone()),
        (Value::Null, json!("enter"))
    );

    // Candle 7 closed: the entry filled at its open, 8000 plus 1.1 bps slippage (USDT model,
    // 1 bps + 10 bps per 100,000 of notional); size = 1000 / (8000.88 x 1.001).
    minute(&app.state, &clock, 8).await;
    let pos = body(app.get_auth(&position_path, &token).await).await;
    let p = &pos["position"];
    assert_eq!(p["entry_time"], T0 + 7 * M, "{pos}");
    assert!(near(&p["entry_price"], 8000.88), "{pos}");
    assert!(near(&p["size"], 0.124_861_390_122_211_45), "{pos}");
    assert_eq!(pos["mark_price"], 8000.0);
    let list = body(app.get_auth(&decisions_path, &token).await).await;
    let entered = list["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == enter_decision.as_str())
        .unwrap();
    let entry_order = entered["order_id"]
        .as_str()
        .expect("the entry decision names its order");
    assert_eq!(list["decisions"][0]["decision"], "hold");
    let bot = body(app.get_auth(&format!("/api/bots/{id}"), &token).await).await;
    assert_eq!(bot["current_capital"], 1000.0, "an entry books no P&L");

    // A restart: a new state on the same database sees the same position and does not
    // evaluate candle 7 twice.
    let store = amarktai::store::connect(&app.config.config())
        .await
        .unwrap();
    let restarted = AppState::with_clock(app.config.config(), store, Arc::new(clock.clone()));
    let stored = restarted
        .store
        .bots
        .find(bot["user_id"].as_str().unwrap(), &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        serde_json::to_value(stored.position).unwrap(),
        pos["position"]
    );
    let again = scheduler::tick(&restarted, &StrategyExecutor::new(restarted.clone()))
        .await
        .unwrap();
    assert_eq!(
        (again.submitted, again.skipped),
        (0, 1),
        "no new closed candle"
    );

    // Candle 8: hold. Candle 9: the fast SMA crossed below -> exit, filled at candle 10's open
    // (3000 less 1.1 bps), on the restarted state.
    minute(&restarted, &clock, 9).await;
    minute(&restarted, &clock, 10).await;
    let list = body(app.get_auth(&decisions_path, &token).await).await;
    assert_eq!(list["decisions"][0]["decision"], "exit", "{list}");
    assert_eq!(list["decisions"][0]["candle_time"], T0 + 9 * M);
    minute(&restarted, &clock, 11).await;
    let recent = body(app.get_auth("/api/trades/recent", &token).await).await;
    let trades = recent["trades"].as_array().unwrap();
    assert_eq!(trades.len(), 1, "{recent}");
    let trade = &trades[0];
    assert!(near(&trade["entry_price"], 8000.88), "{trade}");
    assert!(near(&trade["exit_price"], 2999.67), "{trade}");
    // Proceeds 0.1248614 x 2999.67 = 374.5430, less the 0.1 % fee, minus the 1000 paid.
    assert!(
        near(&trade["profit_loss"], -625.831_576_858_213_9),
        "{trade}"
    );
    let bot = body(app.get_auth(&format!("/api/bots/{id}"), &token).await).await;
    assert!(
        near(&bot["current_capital"], 374.168_423_141_786_1),
        "{bot}"
    );
    assert_eq!(bot["position"], Value::Null);
    let list = body(app.get_auth(&decisions_path, &token).await).await;
    let exit = list["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["decision"] == "exit")
        .unwrap();
    assert_eq!(
        exit["order_id"], trade["order_id"],
        "the trade traces back to its decision"
    );
    assert_ne!(exit["order_id"].as_str(), Some(entry_order));

    // By hand: enter at market, then exit once; a second exit is refused.
    let prices = FixedPrices::new();
    prices.set("BTC/USDT", 3000.0);
    app.state.prices.set(Arc::new(prices.clone()));
    // The entry gates apply to a manual entry too: a paused bot may not open a position.
    let pause = format!("/api/bots/{id}/pause");
    assert_eq!(app.post_auth(&pause, &token, json!({})).await.status(), 200);
    let resp = app
        .post_auth(&format!("/api/bots/{id}/force-enter"), &token, json!({}))
        .await;
    assert_eq!(resp.status(), 409);
    let refused = body(resp).await;
    assert_eq!(refused["error"]["code"], "ORDER_REJECTED");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("paused"),
        "{refused}"
    );
    let resume = format!("/api/bots/{id}/resume");
    let resumed = body(app.post_auth(&resume, &token, json!({})).await).await;
    assert_eq!(resumed["success"], true, "{resumed}");
    let resp = app
        .post_auth(&format!("/api/bots/{id}/force-enter"), &token, json!({}))
        .await;
    let status = resp.status();
    let entered = body(resp).await;
    assert_eq!(status, 200, "{entered}");
    assert_eq!(
        entered["decision"]["reason"],
        "manual: opened by the user at market 3000.00"
    );
    let resp = app
        .post_auth(&format!("/api/bots/{id}/force-enter"), &token, json!({}))
        .await;
    assert_eq!(resp.status(), 409);
    assert_eq!(body(resp).await["error"]["code"], "POSITION_OPEN");
    // Exits reduce risk: a paused bot can still close its position.
    assert_eq!(app.post_auth(&pause, &token, json!({})).await.status(), 200);
    prices.set("BTC/USDT", 3100.0);
    let resp = app
        .post_auth(&format!("/api/bots/{id}/force-exit"), &token, json!({}))
        .await;
    assert_eq!(resp.status(), 200);
    let exited = body(resp).await;
    assert_eq!(exited["position"], Value::Null);
    assert_eq!(exited["decision"]["decision"], "exit");
    assert!(exited["decision"]["reason"]
        .as_str()
        .unwrap()
        .starts_with("manual:"));
    let resp = app
        .post_auth(&format!("/api/bots/{id}/force-exit"), &token, json!({}))
        .await;
    assert_eq!(resp.status(), 409);
    assert_eq!(body(resp).await["error"]["code"], "NO_POSITION");
    let recent = body(app.get_auth("/api/trades/recent", &token).await).await;
    assert_eq!(
        recent["trades"].as_array().unwrap().len(),
        2,
        "one manual round trip"
    );

    // The old dashboard's decision trace lists the same decisions; another user sees none
    // and gets 404 for this bot.
    let trace = body(
        app.get_auth("/api/advanced/decisions/recent?limit=3", &token)
            .await,
    )
    .await;
    assert_eq!(
        (
            trace["success"].as_bool(),
            trace["limit"].as_u64(),
            trace["count"].as_u64()
        ),
        (Some(true), Some(3), Some(3))
    );
    assert_eq!(trace["decisions"][0]["strategy"], "manual");
    let other = app.token_for("someone-else@example.com").await;
    let theirs = body(app.get_auth("/api/advanced/decisions/recent", &other).await).await;
    assert_eq!(theirs["count"], 0);
    assert_eq!(app.get_auth(&decisions_path, &other).await.status(), 404);
    assert_eq!(app.get_auth(&position_path, &other).await.status(), 404);
    assert_eq!(
        app.post_auth(&format!("/api/bots/{id}/force-exit"), &other, json!({}))
            .await
            .status(),
        404
    );
    let bad = app
        .get_auth(&format!("{decisions_path}?limit=lots"), &token)
        .await;
    assert_eq!(bad.status(), 422);
    restarted.store.admin.close().await;
    app.stop().await;
}

on_both_engines!(a_paper_bot_trades_its_strategy_on_closed_candles);
