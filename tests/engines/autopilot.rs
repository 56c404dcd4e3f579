//! Autopilot (reinvestment within MAX_BOTS, bay promotion) and the daily reset at UTC midnight.

use amarktai::domain::clock::ManualClock;
use amarktai::domain::orders::OrderRequest;
use amarktai::engine::{autopilot, daily_reset};
use amarktai::trading::orders::{submit_with, SubmitOptions};
use chrono::Duration;
use serde_json::{json, Value};

use crate::common::{Engine, TestApp};
use crate::on_both_engines;
use crate::support::*;
use crate::trading_support::{self, config_with_feed, FakeExchange};

async fn daily_reset_happens_at_utc_midnight(engine: Engine) {
    let (app, clock) = spawn_at(&engine, before_midnight(), &[]).await;
    let token = app.token_for("night@example.com").await;
    let id = create_bot(&app, &token, "Owl").await;
    let t = clock.now();
    edit_bot(&app, &id, |b| {
        b.record_trade(12.5, t - Duration::minutes(5));
        b.record_trade(-2.5, t - Duration::minutes(2));
    })
    .await;

    // 23:59: still the same day, nothing to reset.
    assert_eq!(daily_reset::tick(&app.state).await.unwrap(), 0);
    let bot = get_bot(&app, &token, &id).await;
    assert_eq!(bot["daily_profit"], 10.0);
    assert_eq!(bot["daily_trade_count"], 2);

    // 00:00:30 the next day: the counters start again; lifetime totals stay.
    clock.advance(Duration::seconds(90));
    assert_eq!(daily_reset::tick(&app.state).await.unwrap(), 1);
    let bot = get_bot(&app, &token, &id).await;
    assert_eq!(bot["daily_profit"], 0.0);
    assert_eq!(bot["daily_trade_count"], 0);
    assert_eq!(bot["total_profit"], 10.0);
    assert_eq!(bot["trades_count"], 2);
    // Idempotent: a second instance or a second pass finds nothing left.
    assert_eq!(daily_reset::tick(&app.state).await.unwrap(), 0);
    app.stop().await;
}

/// Profit above the starting capital moves into one new bot a day, never past `MAX_BOTS`;
/// users without the autopilot mode are left alone.
async fn autopilot_spawns_within_max_bots(engine: Engine) {
    let vars = [("ENABLE_AUTOPILOT", "yes"), ("MAX_BOTS", "3")];
    let (app, clock) = spawn_at(&engine, midday(), &vars).await;
    let token = app.token_for("pilot@example.com").await;
    let manual = app.token_for("manual@example.com").await;
    let user = user_id(&app, &token).await;
    let resp = app
        .put_auth(
            "/api/system/mode",
            &token,
            json!({"mode": "autopilot", "enabled": true}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let a = create_bot(&app, &token, "A").await;
    let b = create_bot(&app, &token, "B").await;
    let m = create_bot(&app, &manual, "M").await;
    let t = clock.now();
    edit_bot(&app, &a, |bot| {
        bot.record_trade(90.0, t - Duration::hours(1))
    })
    .await;
    edit_bot(&app, &b, |bot| {
        bot.record_trade(60.0, t - Duration::hours(1))
    })
    .await;
    edit_bot(&app, &m, |bot| {
        bot.record_trade(500.0, t - Duration::hours(1))
    })
    .await;

    let report = autopilot::tick(&app.state).await.unwrap();
    assert_eq!((report.users, report.spawned), (1, 1));
    let bots = body(app.get_auth("/api/bots", &token).await).await;
    let bots = bots.as_array().unwrap();
    assert_eq!(bots.len(), 3);
    let spawned = bots
        .iter()
        .find(|b| b["autopilot_spawned"] == true)
        .unwrap();
    assert_eq!(spawned["initial_capital"], 150.0);
    assert_eq!(spawned["trading_mode"], "paper");
    assert_eq!(spawned["status"], "active");
    // Capital was moved, not created: the donors are back at their starting capital.
    for (id, profit) in [(&a, 90.0), (&b, 60.0)] {
        let bot = get_bot(&app, &token, id).await;
        assert_eq!(bot["current_capital"], 1000.0);
        assert_eq!(bot["total_profit"], profit, "profit history is kept");
    }
    assert_eq!(events_of(&app, &user, "bot_created").len(), 3);
    let alerts = body(app.get_auth("/api/alerts", &token).await).await;
    assert!(alerts["alerts"][0]["message"]
        .as_str()
        .unwrap()
        .contains("reinvested 150.00"));
    // The manual user's profit is untouched.
    assert_eq!(get_bot(&app, &manual, &m).await["current_capital"], 1500.0);

    // The next day there is profit again, but MAX_BOTS (3) is reached.
    clock.advance(Duration::days(1));
    let t = clock.now();
    edit_bot(&app, &a, |bot| {
        bot.record_trade(400.0, t - Duration::minutes(5))
    })
    .await;
    let report = autopilot::tick(&app.state).await.unwrap();
    assert_eq!(report.spawned, 0);
    let token = fresh_token(&app, "pilot@example.com").await;
    let bots = body(app.get_auth("/api/bots", &token).await).await;
    assert_eq!(bots.as_array().unwrap().len(), 3);
    assert_eq!(get_bot(&app, &token, &a).await["current_capital"], 1400.0);
    app.stop().await;
}

/// The hourly check promotes bay bots whose hours are done (autopilot users only), and a
/// server without `ENABLE_AUTOPILOT` does nothing at all.
async fn autopilot_promotes_finished_bay_bots(engine: Engine) {
    let (app, clock) = spawn_at(&engine, midday(), &[("ENABLE_AUTOPILOT", "on")]).await;
    let token = app.token_for("bay@example.com").await;
    let user = user_id(&app, &token).await;
    app.put_auth(
        "/api/system/mode",
        &token,
        json!({"mode": "autopilot", "enabled": true}),
    )
    .await;
    let bot = insert_live_bot(&app, &user, "Live", clock.now()).await;
    clock.advance(Duration::hours(23));
    assert_eq!(autopilot::tick(&app.state).await.unwrap().promoted, 0);
    clock.advance(Duration::hours(1));
    assert_eq!(autopilot::tick(&app.state).await.unwrap().promoted, 1);
    let token = fresh_token(&app, "bay@example.com").await;
    let stored = get_bot(&app, &token, &bot).await;
    assert_eq!(stored["status"], "paused");
    assert!(stored["promoted_at"].is_string());
    assert_eq!(events_of(&app, &user, "bot_promoted").len(), 1);
    app.stop().await;

    let (off, clock) = spawn_at(&engine, midday(), &[]).await;
    let token = off.token_for("bay@example.com").await;
    let user = user_id(&off, &token).await;
    off.put_auth(
        "/api/system/mode",
        &token,
        json!({"mode": "autopilot", "enabled": true}),
    )
    .await;
    insert_live_bot(&off, &user, "Live", clock.now()).await;
    clock.advance(Duration::hours(25));
    let report = autopilot::tick(&off.state).await.unwrap();
    assert_eq!(report, autopilot::AutopilotReport::default());
    off.stop().await;
}

/// A profitable fill through the order pipeline (enters at 1,000,000, exits at 1,100,000):
/// 0.001 x (1,100,000 x (1 - s) - 1,000,000 x (1 + s)) - 2 with s = 0.000201 = 97.5779.
const FILL_PROFIT: f64 = 97.5779;

async fn profitable_fill(app: &TestApp, fake: &FakeExchange, user_id: &str, bot_id: &str) {
    let profit = fill_with(app, fake, user_id, bot_id, 0.001).await;
    assert!((profit - FILL_PROFIT).abs() < 1e-6, "{profit}");
}

/// Buys `amount` BTC at 1,000,000 and sells at 1,100,000 through the pipeline; the profit.
async fn fill_with(
    app: &TestApp,
    fake: &FakeExchange,
    user_id: &str,
    bot_id: &str,
    amount: f64,
) -> f64 {
    fake.set("XBTZAR", &[1_000_000.0, 1_100_000.0]);
    let req: OrderRequest = serde_json::from_value(json!({
        "bot_id": bot_id, "symbol": "BTC/ZAR", "side": "buy", "amount": amount, "expected_edge_bps": 100.0
    }))
    .unwrap();
    let options = SubmitOptions {
        holding_period: Some(std::time::Duration::from_millis(5)),
        ..Default::default()
    };
    let record = submit_with(&app.state, user_id, &req, options)
        .await
        .unwrap();
    let body = record.response();
    assert_eq!(body["success"], true, "{body}");
    body["fill"]["profit_loss"].as_f64().unwrap()
}

/// A reinvestment is booked in the ledger (a transfer out of each donor, one into the new
/// bot, summing to zero), so the ledger still reconciles with every bot, and the portfolio
/// counts the moved profit once: equity is the bots' real capital.
async fn a_reinvestment_is_booked_in_the_ledger_and_counted_once(engine: Engine) {
    let fake = FakeExchange::default();
    fake.set("XBTZAR", &[1_000_000.0]);
    let base = fake.serve().await;
    let config = config_with_feed(&engine, &base).set("ENABLE_AUTOPILOT", "1");
    let clock = ManualClock::new(midday());
    let app = TestApp::spawn_with_clock(config, clock.clone()).await;
    let token = app.token_for("reinvest@example.com").await;
    let user = user_id(&app, &token).await;
    app.put_auth(
        "/api/system/mode",
        &token,
        json!({"mode": "autopilot", "enabled": true}),
    )
    .await;
    let a = trading_support::create_bot(&app, &token, "A", "luno", 10_000.0).await;
    let b = trading_support::create_bot(&app, &token, "B", "luno", 10_000.0).await;
    profitable_fill(&app, &fake, &user, &a).await;
    profitable_fill(&app, &fake, &user, &b).await;

    let report = autopilot::tick(&app.state).await.unwrap();
    assert_eq!(report.spawned, 1);
    let bots = body(app.get_auth("/api/bots", &token).await).await;
    let bots = bots.as_array().unwrap();
    let spawned = bots
        .iter()
        .find(|x| x["autopilot_spawned"] == true)
        .unwrap();
    let moved = 2.0 * FILL_PROFIT;
    assert!((spawned["initial_capital"].as_f64().unwrap() - moved).abs() < 1e-6);
    for id in [&a, &b] {
        let donor = get_bot(&app, &token, id).await;
        assert!((donor["current_capital"].as_f64().unwrap() - 10_000.0).abs() < 1e-6);
    }

    let reconcile = body(app.get_auth("/api/ledger/reconcile", &token).await).await;
    assert_eq!(reconcile["reconciled"], true, "{reconcile}");
    assert_eq!(reconcile["bots"].as_array().unwrap().len(), 3);
    assert!(
        reconcile["ledger_totals"]["transfer"]
            .as_f64()
            .unwrap()
            .abs()
            < 1e-6,
        "{reconcile}"
    );
    let transfers = body(
        app.get_auth("/api/ledger/events?kind=transfer", &token)
            .await,
    )
    .await;
    let legs = transfers["events"].as_array().unwrap();
    assert_eq!(legs.len(), 3, "{transfers}");
    let into_new: Vec<&Value> = legs
        .iter()
        .filter(|e| e["bot_id"] == spawned["id"])
        .collect();
    assert_eq!(into_new.len(), 1);
    assert!((into_new[0]["amount"].as_f64().unwrap() - moved).abs() < 1e-6);
    let integrity = body(app.get_auth("/api/ledger/verify-integrity", &token).await).await;
    assert_eq!(integrity["valid"], true, "{integrity}");

    // Real capital: 10,000 + 10,000 + the moved profit, counted once.
    let total: f64 = bots
        .iter()
        .map(|x| x["current_capital"].as_f64().unwrap())
        .sum();
    let summary = body(app.get_auth("/api/portfolio/summary", &token).await).await;
    let real = 20_000.0 + moved;
    assert!((total - real).abs() < 1e-6);
    for field in ["equity", "total_capital"] {
        assert!(
            (summary[field].as_f64().unwrap() - real).abs() < 1e-6,
            "{field}: {summary}"
        );
    }
    assert!(
        (summary["initial_capital"].as_f64().unwrap() - 20_000.0).abs() < 1e-6,
        "{summary}"
    );
    assert!(
        (summary["net_pnl"].as_f64().unwrap() - moved).abs() < 1e-6,
        "{summary}"
    );
    let equity = body(
        app.get_auth("/api/analytics/equity?range=all", &token)
            .await,
    )
    .await;
    assert!(
        (equity["current_equity"].as_f64().unwrap() - real).abs() < 1e-6,
        "{equity}"
    );
    assert!(
        (equity["starting_equity"].as_f64().unwrap() - 20_000.0).abs() < 1e-6,
        "{equity}"
    );

    // The new bot trades like any other (within its smaller capital) and everything still
    // reconciles.
    let new_id = spawned["id"].as_str().unwrap().to_string();
    let profit = fill_with(&app, &fake, &user, &new_id, 0.0001).await;
    assert!(profit > 0.0);
    let reconcile = body(app.get_auth("/api/ledger/reconcile", &token).await).await;
    assert_eq!(reconcile["reconciled"], true, "{reconcile}");
    let summary = body(app.get_auth("/api/portfolio/summary", &token).await).await;
    assert!(
        (summary["equity"].as_f64().unwrap() - (real + profit)).abs() < 1e-6,
        "{summary}"
    );
    app.stop().await;
}

on_both_engines!(
    a_reinvestment_is_booked_in_the_ledger_and_counted_once,
    daily_reset_happens_at_utc_midnight,
    autopilot_spawns_within_max_bots,
    autopilot_promotes_finished_bay_bots,
);
