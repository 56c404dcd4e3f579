//! `/api/orders/*`, limits and circuit breaker over real HTTP on both engines, against a
//! local fake exchange serving public tickers.

mod common;
mod trading_support;

use std::time::Duration;

use amarktai::domain::bot::BotStatus;
use amarktai::domain::clock::ManualClock;
use amarktai::domain::order_record::OrderRecord;
use amarktai::domain::orders::{OrderRequest, OrderType, Side, ValidOrder};
use amarktai::events::{EventType, Replay};
use amarktai::store::bots::update_bot;
use amarktai::store::StoreError;
use amarktai::trading::orders::{submit_with, SubmitOptions};
use chrono::{TimeZone, Utc};
use common::{Engine, TestApp};
use serde_json::{json, Value};
use trading_support::*;

/// Fees and slippage of a 0.001 BTC round trip at R1,000,000 on luno, by hand:
/// fees = 10 bps x R1,000 x 2 = R2.00; slippage = 2 + 10 x 1,000 / 1,000,000 = 2.01 bps per leg,
/// i.e. R201 per BTC per leg = R0.402 over both legs; a flat price loses R2.402.
const FLAT_ROUND_TRIP_LOSS: f64 = -2.402;

async fn user(app: &TestApp, email: &str) -> (String, String) {
    let body = app.register(email).await;
    (
        body["access_token"].as_str().unwrap().to_string(),
        body["user"]["id"].as_str().unwrap().to_string(),
    )
}

async fn a_manual_paper_session_books_hand_computed_fees_slippage_and_pnl(engine: Engine) {
    let (app, _fake) = spawn_trading(&engine).await;
    let (token, user_id) = user(&app, "trader@example.com").await;
    let bot_id = create_bot(&app, &token, "Alpha", "luno", 10_000.0).await;

    let buy = order(&app, &token, small_buy(&bot_id)).await;
    assert_eq!(buy["success"], true, "{buy}");
    assert_eq!(
        buy["gates_passed"],
        json!(["idempotency", "limits", "circuit_breaker"])
    );
    assert_eq!(
        buy["fee_gate_skipped"], true,
        "a manual order without an edge skips gate 2"
    );
    assert_eq!(buy["gate_failed"], Value::Null);
    let fill = &buy["fill"];
    assert_eq!(fill["price_source"], "luno");
    assert_eq!(fill["entry_feed_price"], 1_000_000.0);
    assert!(close(fill["fees"].as_f64().unwrap(), 2.0), "{fill}");
    assert!(
        close(fill["slippage_bps"].as_f64().unwrap(), 2.01),
        "{fill}"
    );
    assert!(
        close(fill["slippage_cost"].as_f64().unwrap(), 0.402),
        "{fill}"
    );
    assert!(
        close(fill["profit_loss"].as_f64().unwrap(), FLAT_ROUND_TRIP_LOSS),
        "{fill}"
    );

    let sell = order(
        &app,
        &token,
        json!({"bot_id": bot_id, "symbol": "btc-zar", "side": "SELL", "amount": 0.001}),
    )
    .await;
    assert_eq!(sell["success"], true, "{sell}");
    assert!(close(
        sell["fill"]["profit_loss"].as_f64().unwrap(),
        FLAT_ROUND_TRIP_LOSS
    ));

    let bot = bot(&app, &token, &bot_id).await;
    assert!(
        close(
            bot["current_capital"].as_f64().unwrap(),
            10_000.0 + 2.0 * FLAT_ROUND_TRIP_LOSS
        ),
        "{bot}"
    );
    assert_eq!(
        (bot["trades_count"].as_u64(), bot["loss_count"].as_u64()),
        (Some(2), Some(2))
    );

    let status = get_json(
        &app,
        &format!("/api/orders/{}/status", buy["order_id"].as_str().unwrap()),
        &token,
    )
    .await;
    assert_eq!(
        (status["status"].as_str(), status["order_id"].clone()),
        (Some("filled"), buy["order_id"].clone())
    );

    let fills = get_json(&app, &format!("/api/ledger/fills?bot_id={bot_id}"), &token).await;
    assert_eq!(fills["count"], 2);
    let reconcile = get_json(&app, "/api/ledger/reconcile", &token).await;
    assert_eq!(reconcile["reconciled"], true, "{reconcile}");

    let Replay::Events(events) = app.state.events.subscribe(&user_id, Some(0)).replay else {
        panic!("events were published")
    };
    let kinds: Vec<EventType> = events.iter().map(|e| e.kind).collect();
    for kind in [
        EventType::TradeExecuted,
        EventType::ProfitUpdated,
        EventType::OverviewUpdated,
    ] {
        assert_eq!(
            kinds.iter().filter(|k| **k == kind).count(),
            2,
            "{kind:?} once per trade"
        );
    }
    let trade_event = events
        .iter()
        .find(|e| e.kind == EventType::TradeExecuted)
        .unwrap();
    assert_eq!(trade_event.payload["trade"]["bot_id"], bot_id.as_str());
}

async fn an_engine_order_books_the_real_price_move_over_its_holding_period(engine: Engine) {
    let (app, fake) = spawn_trading(&engine).await;
    let (token, user_id) = user(&app, "engine@example.com").await;
    let bot_id = create_bot(&app, &token, "Engine", "luno", 10_000.0).await;
    fake.set("XBTZAR", &[1_000_000.0, 1_010_000.0]);
    let req: OrderRequest = serde_json::from_value(json!({
        "bot_id": bot_id, "symbol": "BTC/ZAR", "side": "buy", "amount": 0.001, "expected_edge_bps": 100.0
    }))
    .unwrap();
    let options = SubmitOptions {
        holding_period: Some(Duration::from_millis(20)),
        ..Default::default()
    };
    let record = submit_with(&app.state, &user_id, &req, options)
        .await
        .unwrap();
    let body = record.response();
    assert_eq!(body["success"], true, "{body}");
    assert_eq!(
        body["gates_passed"],
        json!(["idempotency", "fee_coverage", "limits", "circuit_breaker"])
    );
    // Entry 1,000,000 x (1 + 0.000201) = 1,000,201; exit 1,010,000 x (1 - 0.000201) = 1,009,796.99;
    // 0.001 x 9,595.99 = 9.59599, minus R2.00 fees = 7.59599.
    let pnl = body["fill"]["profit_loss"].as_f64().unwrap();
    assert!(close(pnl, 7.59599), "{pnl}");
    assert_eq!(body["fill"]["exit_feed_price"], 1_010_000.0);
    let bot = bot(&app, &token, &bot_id).await;
    assert!(
        close(bot["current_capital"].as_f64().unwrap(), 10_007.595_99),
        "{bot}"
    );
    assert_eq!(
        (bot["win_count"].as_u64(), bot["win_rate"].as_f64()),
        (Some(1), Some(100.0))
    );
}

async fn the_fee_gate_refuses_an_edge_that_does_not_cover_costs(engine: Engine) {
    let (app, _fake) = spawn_trading(&engine).await;
    let (token, _) = user(&app, "fees@example.com").await;
    let bot_id = create_bot(&app, &token, "Fees", "luno", 10_000.0).await;
    let mut body = small_buy(&bot_id);
    // luno needs 20 (fees) + 15 (spread) + 10 + 5 + 5 = 55 bps.
    body["expected_edge_bps"] = json!(54.9);
    let refused = order(&app, &token, body.clone()).await;
    assert_eq!(
        (
            refused["success"].as_bool(),
            refused["gate_failed"].as_str()
        ),
        (Some(false), Some("fee_coverage"))
    );
    assert!(
        refused["rejection_reason"]
            .as_str()
            .unwrap()
            .contains("55.00 bps"),
        "{refused}"
    );
    assert_eq!(refused["gates_passed"], json!(["idempotency"]));
    let stored = get_json(
        &app,
        &format!(
            "/api/orders/{}/status",
            refused["order_id"].as_str().unwrap()
        ),
        &token,
    )
    .await;
    assert_eq!(stored["status"], "rejected");
    body["expected_edge_bps"] = json!(55.0);
    body["idempotency_key"] = json!("edge-ok");
    assert_eq!(order(&app, &token, body).await["success"], true);
    assert_eq!(bot(&app, &token, &bot_id).await["trades_count"], 1);
}

/// 23:59:50 UTC, so a few seconds later is the next UTC day.
fn before_midnight() -> ManualClock {
    ManualClock::new(Utc.with_ymd_and_hms(2031, 3, 9, 23, 59, 50).unwrap())
}

async fn spawn_clocked(
    engine: &Engine,
    vars: &[(&str, &str)],
) -> (TestApp, FakeExchange, ManualClock) {
    let fake = FakeExchange::default();
    fake.set("XBTZAR", &[1_000_000.0]);
    let base = fake.serve().await;
    let mut config = config_with_feed(engine, &base);
    for (k, v) in vars {
        config = config.set(k, v);
    }
    let clock = before_midnight();
    let app = TestApp::spawn_with_clock(config, clock.clone()).await;
    (app, fake, clock)
}

async fn daily_limits_count_from_utc_midnight(engine: Engine) {
    let (app, _fake, clock) = spawn_clocked(&engine, &[("MAX_TRADES_PER_BOT_DAILY", "2")]).await;
    let (token, _) = user(&app, "limits@example.com").await;
    let bot_id = create_bot(&app, &token, "Limited", "luno", 10_000.0).await;
    for _ in 0..2 {
        assert_eq!(
            order(&app, &token, small_buy(&bot_id)).await["success"],
            true
        );
    }
    let third = order(&app, &token, small_buy(&bot_id)).await;
    assert_eq!(third["gate_failed"], "limits", "{third}");
    assert!(third["rejection_reason"]
        .as_str()
        .unwrap()
        .contains("daily limit of 2"));
    let limits = get_json(&app, "/api/limits/status", &token).await;
    assert_eq!(
        (
            limits["bots"][0]["trades_today"].as_u64(),
            limits["bots"][0]["remaining_today"].as_u64()
        ),
        (Some(2), Some(0))
    );
    assert_eq!(limits["resets_at"], "2031-03-10T00:00:00Z");

    clock.advance(chrono::Duration::seconds(15));
    let next_day = order(&app, &token, small_buy(&bot_id)).await;
    assert_eq!(
        next_day["success"], true,
        "a new UTC day starts a new count: {next_day}"
    );
    let limits = get_json(&app, "/api/limits/status", &token).await;
    assert_eq!(limits["bots"][0]["trades_today"], 1);
}

async fn the_burst_limit_allows_ten_orders_per_ten_seconds_per_exchange(engine: Engine) {
    let (app, _fake, clock) = spawn_clocked(&engine, &[("MAX_CONSECUTIVE_LOSSES", "1000")]).await;
    let (token, _) = user(&app, "burst@example.com").await;
    let a = create_bot(&app, &token, "A", "luno", 10_000.0).await;
    let b = create_bot(&app, &token, "B", "luno", 10_000.0).await;
    for i in 0..10 {
        let bot_id = if i % 2 == 0 { &a } else { &b };
        assert_eq!(
            order(&app, &token, small_buy(bot_id)).await["success"],
            true,
            "order {i}"
        );
    }
    let eleventh = order(&app, &token, small_buy(&b)).await;
    assert_eq!(eleventh["gate_failed"], "limits");
    assert!(
        eleventh["rejection_reason"]
            .as_str()
            .unwrap()
            .contains("burst"),
        "{eleventh}"
    );
    clock.advance(chrono::Duration::seconds(12));
    assert_eq!(order(&app, &token, small_buy(&b)).await["success"], true);
}

async fn the_circuit_breaker_trips_pauses_alerts_and_reset_clears_it(engine: Engine) {
    let (app, _fake, clock) = spawn_clocked(&engine, &[("MAX_CONSECUTIVE_LOSSES", "2")]).await;
    let (token, user_id) = user(&app, "breaker@example.com").await;
    let bot_id = create_bot(&app, &token, "Fragile", "luno", 10_000.0).await;
    for _ in 0..2 {
        assert_eq!(
            order(&app, &token, small_buy(&bot_id)).await["success"],
            true
        );
    }
    let tripped = order(&app, &token, small_buy(&bot_id)).await;
    assert_eq!(tripped["gate_failed"], "circuit_breaker", "{tripped}");
    assert!(
        tripped["rejection_reason"]
            .as_str()
            .unwrap()
            .contains("consecutive"),
        "{tripped}"
    );
    let paused = bot(&app, &token, &bot_id).await;
    assert_eq!(paused["status"], "paused");
    assert!(paused["pause_reason"]
        .as_str()
        .unwrap()
        .starts_with("Circuit breaker"));
    let alerts = get_json(&app, "/api/alerts", &token).await;
    assert!(
        alerts["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "circuit_breaker" || a["type"] == "circuit_breaker"),
        "{alerts}"
    );
    let status = get_json(&app, "/api/circuit-breaker/status", &token).await;
    assert_eq!(
        (
            status["tripped"].as_bool(),
            status["tripped_count"].as_u64()
        ),
        (Some(true), Some(1))
    );
    let Replay::Events(events) = app.state.events.subscribe(&user_id, Some(0)).replay else {
        panic!("events were published")
    };
    assert!(events
        .iter()
        .any(|e| e.kind == EventType::BotStatusChanged && e.payload["new_status"] == "paused"));
    assert!(events.iter().any(|e| e.kind == EventType::Alert));

    let while_paused = order(&app, &token, small_buy(&bot_id)).await;
    assert_eq!(while_paused["gate_failed"], "bot_state");

    clock.advance(chrono::Duration::seconds(2));
    let other = app.token_for("other-breaker@example.com").await;
    let resp = app
        .post_auth(
            "/api/circuit-breaker/reset",
            &other,
            json!({"bot_id": bot_id}),
        )
        .await;
    assert_eq!(resp.status(), 404, "another user cannot reset my bot");
    let reset: Value = app
        .post_auth("/api/circuit-breaker/reset", &token, json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (reset["success"].as_bool(), reset["reset_count"].as_u64()),
        (Some(true), Some(1)),
        "{reset}"
    );
    assert_eq!(bot(&app, &token, &bot_id).await["status"], "active");
    let status = get_json(&app, "/api/circuit-breaker/status", &token).await;
    assert_eq!(status["tripped"], false);
    clock.advance(chrono::Duration::seconds(2));
    assert_eq!(
        order(&app, &token, small_buy(&bot_id)).await["success"],
        true,
        "losses before the reset no longer count"
    );
}

async fn paused_quarantined_and_emergency_stopped_bots_cannot_trade(engine: Engine) {
    let (app, _fake) = spawn_trading(&engine).await;
    let (token, user_id) = user(&app, "halt@example.com").await;
    let bot_id = create_bot(&app, &token, "Halted", "luno", 10_000.0).await;

    assert_eq!(
        app.post_auth(&format!("/api/bots/{bot_id}/pause"), &token, json!({}))
            .await
            .status(),
        200
    );
    let refused = order(&app, &token, small_buy(&bot_id)).await;
    assert_eq!(
        (
            refused["gate_failed"].as_str(),
            refused["success"].as_bool()
        ),
        (Some("bot_state"), Some(false))
    );
    assert!(refused["rejection_reason"]
        .as_str()
        .unwrap()
        .contains("paused"));
    assert_eq!(
        app.post_auth(&format!("/api/bots/{bot_id}/resume"), &token, json!({}))
            .await
            .status(),
        200
    );

    let mut stored = app
        .state
        .store
        .bots
        .find(&user_id, &bot_id)
        .await
        .unwrap()
        .unwrap();
    stored.status = BotStatus::Quarantined;
    assert!(app.state.store.bots.save(&stored).await.unwrap());
    let refused = order(&app, &token, small_buy(&bot_id)).await;
    assert!(
        refused["rejection_reason"]
            .as_str()
            .unwrap()
            .contains("quarantined"),
        "{refused}"
    );
    // A save carries the version it was read at: the copy saved above is stale now.
    assert!(!app.state.store.bots.save(&stored).await.unwrap());
    let mut stored = app
        .state
        .store
        .bots
        .find(&user_id, &bot_id)
        .await
        .unwrap()
        .unwrap();
    stored.status = BotStatus::Active;
    assert!(app.state.store.bots.save(&stored).await.unwrap());

    assert_eq!(
        app.post_auth("/api/system/emergency-stop", &token, json!({}))
            .await
            .status(),
        200
    );
    let refused = order(&app, &token, small_buy(&bot_id)).await;
    assert_eq!(refused["gate_failed"], "bot_state");
    assert!(
        refused["rejection_reason"]
            .as_str()
            .unwrap()
            .contains("emergency stop"),
        "{refused}"
    );
    assert_eq!(
        bot(&app, &token, &bot_id).await["trades_count"],
        0,
        "nothing traded while halted"
    );
}

async fn bad_orders_are_refused_before_anything_is_stored(engine: Engine) {
    let (app, _fake) = spawn_trading(&engine).await;
    let (token, _) = user(&app, "bad@example.com").await;
    let bot_id = create_bot(&app, &token, "Strict", "luno", 10_000.0).await;
    let base = small_buy(&bot_id);
    let with = |field: &str, value: Value| {
        let mut body = base.clone();
        body[field] = value;
        body
    };
    let cases = [
        ("amount", with("amount", json!(-1.0))),
        ("amount", with("amount", json!(0))),
        ("amount", with("amount", json!(5e7))),
        ("amount", with("amount", json!("ten"))),
        ("symbol", with("symbol", json!("DOGE/ZAR"))),
        ("side", with("side", json!("hold"))),
        ("order_type", with("order_type", json!("stop"))),
        ("price", with("order_type", json!("limit"))),
        ("idempotency_key", with("idempotency_key", json!(""))),
        ("expected_edge_bps", with("expected_edge_bps", json!(1e9))),
    ];
    for (field, body) in cases {
        let resp = app
            .post_auth("/api/orders/submit", &token, body.clone())
            .await;
        assert_eq!(resp.status(), 422, "{body}");
        let err: Value = resp.json().await.unwrap();
        assert!(
            err["error"]["fields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["field"] == field),
            "{field}: {err}"
        );
    }
    for raw in [
        format!(r#"{{"bot_id":"{bot_id}","symbol":"BTC/ZAR","side":"buy","amount":NaN}}"#),
        format!(r#"{{"bot_id":"{bot_id}","symbol":"BTC/ZAR","side":"buy","amount":1e400}}"#),
        "{not json".to_string(),
    ] {
        let resp = app
            .client
            .post(app.url("/api/orders/submit"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(raw.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 422, "{raw}");
    }
    let missing = app
        .post_auth(
            "/api/orders/submit",
            &token,
            with("bot_id", json!("no-such-bot")),
        )
        .await;
    assert_eq!(missing.status(), 404);
    let anonymous = app.post_json("/api/orders/submit", base.clone()).await;
    assert_eq!(anonymous.status(), 401);
    // Valid but unaffordable / unreachable orders are stored as rejected, never filled.
    let too_big = order(&app, &token, with("amount", json!(0.5))).await;
    assert!(
        too_big["rejection_reason"]
            .as_str()
            .unwrap()
            .contains("exceeds the bot's capital"),
        "{too_big}"
    );
    let mut limit = with("order_type", json!("limit"));
    limit["price"] = json!(900_000.0);
    let unreached = order(&app, &token, limit).await;
    assert!(
        unreached["rejection_reason"]
            .as_str()
            .unwrap()
            .contains("not reached"),
        "{unreached}"
    );
    assert_eq!(bot(&app, &token, &bot_id).await["trades_count"], 0);
    assert_eq!(
        get_json(&app, "/api/ledger/events", &token).await["count"],
        0
    );
}

async fn another_users_bot_and_orders_are_invisible(engine: Engine) {
    let (app, _fake) = spawn_trading(&engine).await;
    let (alice, _) = user(&app, "alice@example.com").await;
    let (mallory, _) = user(&app, "mallory@example.com").await;
    let bot_id = create_bot(&app, &alice, "Mine", "luno", 10_000.0).await;
    let filled = order(&app, &alice, small_buy(&bot_id)).await;
    let order_id = filled["order_id"].as_str().unwrap();

    let resp = app
        .post_auth("/api/orders/submit", &mallory, small_buy(&bot_id))
        .await;
    assert_eq!(resp.status(), 404);
    let err: Value = resp.json().await.unwrap();
    assert_eq!(err["error"]["code"], "BOT_NOT_FOUND");
    assert_eq!(
        app.get_auth(&format!("/api/orders/{order_id}/status"), &mallory)
            .await
            .status(),
        404
    );
    assert_eq!(
        get_json(&app, "/api/ledger/fills", &mallory).await["count"],
        0
    );
    assert_eq!(
        get_json(&app, "/api/limits/status", &mallory).await["bots"],
        json!([])
    );
    assert_eq!(
        get_json(&app, "/api/circuit-breaker/status", &mallory).await["bots"],
        json!([])
    );
    assert_eq!(bot(&app, &alice, &bot_id).await["trades_count"], 1);
}

async fn a_repeated_key_answers_the_first_result_even_when_sent_at_once(engine: Engine) {
    // Every manual trade loses its fees: keep the breaker out of this test.
    let (app, _fake) =
        spawn_trading_with(&engine, |c| c.set("MAX_CONSECUTIVE_LOSSES", "1000")).await;
    let (token, _) = user(&app, "idem@example.com").await;
    let bot_id = create_bot(&app, &token, "Once", "luno", 10_000.0).await;
    let mut body = small_buy(&bot_id);
    body["idempotency_key"] = json!("key-sequential");
    let first = order(&app, &token, body.clone()).await;
    let again = order(&app, &token, body).await;
    assert_eq!(
        first["order_id"], again["order_id"],
        "the same key answers the stored result"
    );
    assert_eq!(
        (first["success"].clone(), first["fill"]["trade_id"].clone()),
        (again["success"].clone(), again["fill"]["trade_id"].clone())
    );

    for round in 0..5 {
        let mut body = small_buy(&bot_id);
        body["idempotency_key"] = json!(format!("key-concurrent-{round}"));
        let (a, b) = tokio::join!(
            app.post_auth("/api/orders/submit", &token, body.clone()),
            app.post_auth("/api/orders/submit", &token, body.clone()),
        );
        assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
        let (a, b): (Value, Value) = (a.json().await.unwrap(), b.json().await.unwrap());
        assert_eq!(
            a["order_id"], b["order_id"],
            "round {round}: one order for one key"
        );
        assert_eq!(a["success"], true, "{a} {b}");
    }
    assert_eq!(
        bot(&app, &token, &bot_id).await["trades_count"],
        6,
        "one trade per key"
    );
    assert_eq!(
        get_json(&app, "/api/ledger/fills", &token).await["count"],
        6
    );
}

async fn when_every_price_source_fails_nothing_fills(engine: Engine) {
    let (app, fake) = spawn_trading(&engine).await;
    let (token, _) = user(&app, "noprice@example.com").await;
    let bot_id = create_bot(&app, &token, "Blind", "luno", 10_000.0).await;
    for exchange in ["luno", "valr", "binance"] {
        fake.take_down(exchange);
    }
    let refused = order(&app, &token, small_buy(&bot_id)).await;
    assert_eq!(
        (
            refused["success"].as_bool(),
            refused["gate_failed"].as_str()
        ),
        (Some(false), Some("execution"))
    );
    let reason = refused["rejection_reason"].as_str().unwrap();
    assert!(
        reason.contains("no live price") && reason.contains("luno: HTTP 503"),
        "{reason}"
    );
    assert_eq!(
        bot(&app, &token, &bot_id).await["current_capital"],
        10_000.0
    );
    assert_eq!(
        get_json(&app, "/api/prices/live", &token).await,
        json!({}),
        "no made-up prices"
    );
}

async fn live_prices_name_their_source_and_fall_back(engine: Engine) {
    let (app, fake) = spawn_trading(&engine).await;
    let (token, _) = user(&app, "prices@example.com").await;
    fake.set("BTCUSDT", &[65_000.5]);
    fake.set("BTCZAR", &[990_000.0]);
    let prices = get_json(&app, "/api/prices/live", &token).await;
    assert_eq!(prices["BTC/ZAR"]["price"], 1_000_000.0);
    assert_eq!(prices["BTC/ZAR"]["source"], "luno");
    assert_eq!(
        (
            prices["BTC/USDT"]["source"].as_str(),
            prices["BTC/USDT"]["change_24h"].as_f64()
        ),
        (Some("binance"), Some(-2.25))
    );
    assert!(prices["BTC/USDT"]["timestamp"].is_string());
    assert!(
        prices.get("SOL/ZAR").is_none(),
        "a pair nobody quotes is left out"
    );
    assert_eq!(app.get("/api/prices/live").await.status(), 401);

    fake.take_down("luno");
    let prices = get_json(&app, "/api/prices/live", &token).await;
    assert_eq!(
        (
            prices["BTC/ZAR"]["source"].as_str(),
            prices["BTC/ZAR"]["price"].as_f64()
        ),
        (Some("valr"), Some(990_000.0))
    );
    let bot_id = create_bot(&app, &token, "Fallback", "luno", 10_000.0).await;
    let filled = order(&app, &token, small_buy(&bot_id)).await;
    assert_eq!(filled["fill"]["price_source"], "valr", "{filled}");
}

/// With `PRICE_CACHE_SECONDS` a quote is reused: the exchange is asked once per pair.
#[tokio::test]
async fn the_price_cache_reuses_a_fresh_quote() {
    let (app, fake) =
        spawn_trading_with(&Engine::Sqlite, |c| c.set("PRICE_CACHE_SECONDS", "60")).await;
    let token = app.token_for("cache@example.com").await;
    fake.set("XBTZAR", &[1_000_000.0, 2_000_000.0]);
    let first = get_json(&app, "/api/prices/live", &token).await;
    let second = get_json(&app, "/api/prices/live", &token).await;
    assert_eq!(first["BTC/ZAR"]["price"], 1_000_000.0);
    assert_eq!(second["BTC/ZAR"], first["BTC/ZAR"], "served from the cache");
    let luno_hits = fake
        .hits
        .lock()
        .unwrap()
        .iter()
        .filter(|h| *h == "luno:XBTZAR")
        .count();
    assert_eq!(luno_hits, 1);
}

/// An engine or handler that read a bot before a fill and saves it after must not wipe the
/// fill: the stale save is refused, and the change re-applied on the current bot keeps the
/// fill's capital and counts.
async fn a_save_from_before_a_fill_never_wipes_it(engine: Engine) {
    let (app, _fake) = spawn_trading(&engine).await;
    let (token, user_id) = user(&app, "stale@example.com").await;
    let bot_id = create_bot(&app, &token, "Raced", "luno", 10_000.0).await;
    let bots = app.state.store.bots.clone();
    let stale = bots.find(&user_id, &bot_id).await.unwrap().unwrap();

    assert_eq!(
        order(&app, &token, small_buy(&bot_id)).await["success"],
        true
    );

    let mut paused = stale.clone();
    paused.status = BotStatus::Paused;
    assert!(
        !bots.save(&paused).await.unwrap(),
        "a save based on a read from before the fill is refused"
    );
    let after_fill = 10_000.0 + FLAT_ROUND_TRIP_LOSS;
    let stored = bot(&app, &token, &bot_id).await;
    assert_eq!(stored["status"], "active");
    assert_eq!(stored["trades_count"], 1);
    assert!(
        close(stored["current_capital"].as_f64().unwrap(), after_fill),
        "{stored}"
    );

    // What the bodyguard / breaker / handlers do: re-apply the change to the current bot.
    let (saved, written) =
        update_bot::<StoreError, _>(bots.as_ref(), Some(stale), &user_id, &bot_id, |b| {
            b.status = BotStatus::Paused;
            b.pause_reason = Some("test".into());
            Ok(true)
        })
        .await
        .unwrap()
        .unwrap();
    assert!(written);
    let stored = bot(&app, &token, &bot_id).await;
    assert_eq!(stored["status"], "paused");
    assert_eq!(
        (
            stored["trades_count"].as_u64(),
            stored["loss_count"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert!(
        close(stored["current_capital"].as_f64().unwrap(), after_fill),
        "{stored}"
    );
    assert!(close(
        stored["total_profit"].as_f64().unwrap(),
        FLAT_ROUND_TRIP_LOSS
    ));
    assert!(close(
        stored["daily_profit"].as_f64().unwrap(),
        FLAT_ROUND_TRIP_LOSS
    ));
    assert_eq!(saved.version, stored["version"].as_u64().unwrap());

    // The handlers take the same path: resume over HTTP after another fill-free change.
    let resumed = app
        .post_auth(&format!("/api/bots/{bot_id}/resume"), &token, json!({}))
        .await;
    assert_eq!(resumed.status(), 200);
    assert_eq!(
        order(&app, &token, small_buy(&bot_id)).await["success"],
        true
    );
    let stored = bot(&app, &token, &bot_id).await;
    assert_eq!(
        (stored["status"].as_str(), stored["trades_count"].as_u64()),
        (Some("active"), Some(2))
    );
    let reconcile = get_json(&app, "/api/ledger/reconcile", &token).await;
    assert_eq!(reconcile["reconciled"], true, "{reconcile}");
}

/// Stores a pending order of `user_id` on `bot_id`, created at `at` (an order caught between
/// claiming its key and its outcome; HTTP never leaves one behind on its own).
async fn seed_pending(
    app: &TestApp,
    user_id: &str,
    bot_id: &str,
    key: &str,
    at: chrono::DateTime<Utc>,
) -> String {
    let valid = ValidOrder {
        bot_id: bot_id.to_string(),
        symbol: "BTC/ZAR",
        side: Side::Buy,
        amount: 0.002,
        order_type: OrderType::Limit,
        price: Some(990_000.0),
        idempotency_key: Some(key.to_string()),
        expected_edge_bps: None,
    };
    let record = OrderRecord::pending(user_id, "luno", &valid, key, at);
    app.state.store.orders.insert(&record).await.unwrap();
    record.id
}

async fn pending_orders_lists_only_the_callers_unfinished_orders_oldest_first(engine: Engine) {
    let (app, _fake) = spawn_trading(&engine).await;
    let (alice, alice_id) = user(&app, "alice@example.com").await;
    let (mallory, mallory_id) = user(&app, "mallory@example.com").await;
    let alice_bot = create_bot(&app, &alice, "Mine", "luno", 10_000.0).await;
    let mallory_bot = create_bot(&app, &mallory, "Theirs", "luno", 10_000.0).await;

    // Nothing pending yet, and a filled order is final, so it is not listed.
    let empty = get_json(&app, "/api/orders/pending", &alice).await;
    assert_eq!(empty, json!({"orders": [], "count": 0}));
    let filled = order(&app, &alice, small_buy(&alice_bot)).await;
    assert_eq!(filled["status"], "filled");

    let t0 = Utc::now() - chrono::Duration::minutes(10);
    let newer = seed_pending(
        &app,
        &alice_id,
        &alice_bot,
        "k-newer",
        t0 + chrono::Duration::minutes(5),
    )
    .await;
    let older = seed_pending(&app, &alice_id, &alice_bot, "k-older", t0).await;
    let theirs = seed_pending(&app, &mallory_id, &mallory_bot, "k-theirs", t0).await;

    let mine = get_json(&app, "/api/orders/pending", &alice).await;
    assert_eq!(mine["count"], 2, "{mine}");
    let orders = mine["orders"].as_array().unwrap();
    let ids: Vec<&str> = orders
        .iter()
        .map(|o| o["order_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![older.as_str(), newer.as_str()]);
    let first = &orders[0];
    assert_eq!(first["id"], older.as_str());
    assert_eq!(first["user_id"], alice_id.as_str());
    assert_eq!(first["bot_id"], alice_bot.as_str());
    assert_eq!(first["status"], "pending");
    assert_eq!(first["symbol"], "BTC/ZAR");
    assert_eq!(first["side"], "buy");
    assert_eq!(first["order_type"], "limit");
    assert_eq!(first["price"], 990_000.0);
    assert_eq!(first["amount"], 0.002);
    assert_eq!(first["idempotency_key"], "k-older");
    assert_eq!(first["fill"], Value::Null);
    let created: chrono::DateTime<Utc> = first["created_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(created.timestamp_millis(), t0.timestamp_millis());

    // `limit` caps the list from the oldest.
    let one = get_json(&app, "/api/orders/pending?limit=1", &alice).await;
    assert_eq!(one["count"], 1);
    assert_eq!(one["orders"][0]["order_id"], older.as_str());

    // Mallory sees only her own; neither sees the other's through the status route.
    let hers = get_json(&app, "/api/orders/pending", &mallory).await;
    assert_eq!(hers["count"], 1);
    assert_eq!(hers["orders"][0]["order_id"], theirs.as_str());
    assert_eq!(
        app.get_auth(&format!("/api/orders/{theirs}/status"), &alice)
            .await
            .status(),
        404
    );

    // No token: 401 with the envelope.
    let resp = app.get("/api/orders/pending").await;
    assert_eq!(resp.status(), 401);
    let err: Value = resp.json().await.unwrap();
    assert!(err["error"]["code"].is_string(), "{err}");
}

on_both_engines!(
    a_save_from_before_a_fill_never_wipes_it,
    a_manual_paper_session_books_hand_computed_fees_slippage_and_pnl,
    an_engine_order_books_the_real_price_move_over_its_holding_period,
    the_fee_gate_refuses_an_edge_that_does_not_cover_costs,
    daily_limits_count_from_utc_midnight,
    the_burst_limit_allows_ten_orders_per_ten_seconds_per_exchange,
    the_circuit_breaker_trips_pauses_alerts_and_reset_clears_it,
    paused_quarantined_and_emergency_stopped_bots_cannot_trade,
    bad_orders_are_refused_before_anything_is_stored,
    another_users_bot_and_orders_are_invisible,
    a_repeated_key_answers_the_first_result_even_when_sent_at_once,
    when_every_price_source_fails_nothing_fills,
    live_prices_name_their_source_and_fall_back,
    pending_orders_lists_only_the_callers_unfinished_orders_oldest_first,
);
