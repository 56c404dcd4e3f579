//! Live training bay (moved by a manual clock), promotion, quarantine status, system modes,
//! emergency stop and alerts over real HTTP (SPEC §4, §11).

mod common;

use amarktai::domain::bot::{Bot, Exchange, NewBot, RiskMode, TradingMode};
use amarktai::domain::clock::{Clock, ManualClock};
use amarktai::store::bots::{BotCaps, CreateOutcome};
use amarktai::store::ApiKeyRecord;
use chrono::{Duration, Utc};
use common::{Engine, TestApp, TestConfig};
use serde_json::{json, Value};

/// These tests move the app clock days ahead; tokens expire by that clock, so they are issued
/// for 30 days to outlive the jumps.
fn clocked_config(engine: &Engine) -> TestConfig {
    TestConfig::new(engine).set("ACCESS_TOKEN_EXPIRES_MIN", "43200")
}

async fn body(resp: reqwest::Response) -> Value {
    resp.json().await.expect("json")
}

async fn save_keys(app: &TestApp, token: &str, exchange: &str) {
    let me = body(app.get_auth("/api/auth/me", token).await).await;
    let now = app.state.clock.now();
    let record = ApiKeyRecord {
        id: uuid::Uuid::new_v4().to_string(),
        user_id: me["id"].as_str().unwrap().into(),
        provider: exchange.into(),
        api_key_enc: "v1:test:AAAA".into(),
        api_secret_enc: Some("v1:test:BBBB".into()),
        passphrase_enc: None,
        masked_key: "abcd...wxyz".into(),
        status: "saved_untested".into(),
        created_at: now,
        updated_at: now,
        last_tested_at: None,
        last_test_error: None,
    };
    app.state.store.keys.upsert(&record).await.unwrap();
}

async fn bay_clock_start_refusal_and_promotion(engine: Engine) {
    let clock = ManualClock::new(Utc::now());
    let app = TestApp::spawn_with_clock(clocked_config(&engine), clock.clone()).await;
    let token = app.token_for("bay@example.com").await;
    save_keys(&app, &token, "luno").await;
    let resp = app
        .post_auth("/api/bots", &token, json!({"name": "Live1", "exchange": "luno", "risk_mode": "safe", "trading_mode": "live", "initial_capital": 2000}))
        .await;
    assert_eq!(resp.status(), 200);
    let bot = body(resp).await;
    assert_eq!(bot["status"], "live_training_bay");
    assert!(bot["bay_entered_at"].is_string());
    let id = bot["id"].as_str().unwrap().to_string();

    clock.advance(Duration::hours(10));
    let start = body(
        app.post_auth(&format!("/api/bots/{id}/start"), &token, json!({}))
            .await,
    )
    .await;
    assert_eq!(start["success"], false);
    assert_eq!(start["hours_remaining"], 14.0);
    let bay = body(app.get_auth("/api/training/live-bay", &token).await).await;
    assert_eq!(bay["success"], true);
    assert_eq!(bay["total"], 1);
    assert_eq!(bay["min_training_hours"], 24);
    assert_eq!(bay["quarantine_bots"][0]["hours_elapsed"], 10.0);
    assert_eq!(bay["quarantine_bots"][0]["eligible_for_promotion"], false);
    let early = body(
        app.post_auth(&format!("/api/training/{id}/promote"), &token, json!({}))
            .await,
    )
    .await;
    assert_eq!(
        (
            early["success"].as_bool(),
            early["hours_remaining"].as_f64()
        ),
        (Some(false), Some(14.0))
    );

    clock.advance(Duration::hours(14));
    let bay = body(app.get_auth("/api/training/live-bay", &token).await).await;
    assert_eq!(bay["ready_for_promotion"], 1);
    let promoted = body(
        app.post_auth(&format!("/api/training/{id}/promote"), &token, json!({}))
            .await,
    )
    .await;
    assert_eq!(promoted["success"], true);
    assert_eq!(promoted["bot"]["status"], "paused");
    assert!(promoted["bot"]["promoted_at"].is_string());
    let started = body(
        app.post_auth(&format!("/api/bots/{id}/start"), &token, json!({}))
            .await,
    )
    .await;
    assert_eq!(
        (
            started["success"].as_bool(),
            started["bot"]["status"].as_str()
        ),
        (Some(true), Some("active"))
    );
}

async fn emergency_stop_pauses_everything_and_blocks_starts(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let token = app.token_for("panic@example.com").await;
    let other = app.token_for("calm@example.com").await;
    let mut ids = Vec::new();
    for name in ["e1", "e2", "e3"] {
        let b = body(app.post_auth("/api/bots", &token, json!({"name": name, "exchange": "valr", "risk_mode": "risky", "initial_capital": 500})).await).await;
        ids.push(b["id"].as_str().unwrap().to_string());
    }
    let bystander = body(
        app.post_auth(
            "/api/bots",
            &other,
            json!({"name": "x", "exchange": "valr", "risk_mode": "risky", "initial_capital": 500}),
        )
        .await,
    )
    .await;
    let stop = body(
        app.post_auth(
            "/api/system/emergency-stop",
            &token,
            json!({"reason": "flash crash"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (stop["success"].as_bool(), stop["bots_paused"].as_u64()),
        (Some(true), Some(3))
    );
    for bot in body(app.get_auth("/api/bots", &token).await)
        .await
        .as_array()
        .unwrap()
    {
        assert_eq!(bot["status"], "paused");
        assert_eq!(bot["pause_reason"], "flash crash");
    }
    let bystander_now = body(
        app.get_auth(
            &format!("/api/bots/{}", bystander["id"].as_str().unwrap()),
            &other,
        )
        .await,
    )
    .await;
    assert_eq!(
        bystander_now["status"], "active",
        "other users are untouched"
    );
    let refused = body(
        app.post_auth(&format!("/api/bots/{}/resume", ids[0]), &token, json!({}))
            .await,
    )
    .await;
    assert_eq!(refused["success"], false);
    let status = body(
        app.get_auth("/api/system/emergency-stop/status", &token)
            .await,
    )
    .await;
    assert_eq!(
        (status["active"].as_bool(), status["reason"].as_str()),
        (Some(true), Some("flash crash"))
    );
    let alerts = body(app.get_auth("/api/alerts", &token).await).await;
    assert_eq!(alerts["count"], 1);
    assert_eq!(alerts["alerts"][0]["kind"], "emergency_stop");
    assert_eq!(
        app.post_auth("/api/system/emergency-stop/disable", &token, json!({}))
            .await
            .status(),
        200
    );
    let resumed = body(
        app.post_auth(&format!("/api/bots/{}/resume", ids[0]), &token, json!({}))
            .await,
    )
    .await;
    assert_eq!(resumed["bot"]["status"], "active");
}

on_both_engines!(
    bay_clock_start_refusal_and_promotion,
    emergency_stop_pauses_everything_and_blocks_starts
);

async fn system_modes_are_per_user(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let a = app.token_for("a@example.com").await;
    let b = app.token_for("b@example.com").await;
    let modes = body(app.get_auth("/api/system/mode", &a).await).await;
    assert_eq!(
        modes["modes"],
        json!({"paperTrading": true, "liveTrading": false, "autopilot": false})
    );
    let set = body(
        app.put_auth(
            "/api/system/mode",
            &a,
            json!({"mode": "autopilot", "enabled": true}),
        )
        .await,
    )
    .await;
    assert_eq!(set["modes"]["autopilot"], true);
    assert_eq!(
        body(app.get_auth("/api/system/mode", &b).await).await["modes"]["autopilot"],
        false,
        "B sees B's modes"
    );
    assert_eq!(
        app.put_auth(
            "/api/system/mode",
            &a,
            json!({"mode": "turbo", "enabled": true})
        )
        .await
        .status(),
        422
    );
    let live = app
        .put_auth(
            "/api/system/mode",
            &a,
            json!({"mode": "liveTrading", "enabled": true}),
        )
        .await;
    assert_eq!(live.status(), 400, "live mode needs ENABLE_LIVE_TRADING");
    let status = body(app.get_auth("/api/system/status", &a).await).await;
    assert_eq!(status["database"]["status"], "connected");
    assert_eq!(status["modes"]["autopilot"], true);
    assert!(status["flags"].get("ENABLE_TRADING").is_some());
}

async fn alerts_ack_and_clear_are_scoped_to_the_caller(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let a = app.token_for("a@example.com").await;
    let b = app.token_for("b@example.com").await;
    let a_id = body(app.get_auth("/api/auth/me", &a).await).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let alert = amarktai::domain::settings::Alert::new(
        &a_id,
        None,
        "bodyguard",
        "warning",
        "drawdown high",
        Utc::now(),
    );
    app.state.store.alerts.insert(&alert).await.unwrap();
    assert_eq!(
        app.post_auth(&format!("/api/alerts/ack/{}", alert.id), &b, json!({}))
            .await
            .status(),
        404
    );
    assert_eq!(
        body(app.get_auth("/api/alerts", &b).await).await["count"],
        0
    );
    assert_eq!(
        app.post_auth(&format!("/api/alerts/ack/{}", alert.id), &a, json!({}))
            .await
            .status(),
        200
    );
    let list = body(app.get_auth("/api/alerts", &a).await).await;
    assert_eq!(
        (list["count"].as_u64(), list["unacknowledged"].as_u64()),
        (Some(1), Some(0))
    );
    let cleared = body(app.delete_auth("/api/alerts/clear", &a).await).await;
    assert_eq!(cleared["deleted_count"], 1);
    assert_eq!(
        body(app.delete_auth("/api/alerts/clear", &a).await).await["deleted_count"],
        0
    );
}

/// A bot of `token`'s user inserted straight into the store (stats and states no route
/// can set), with the server's caps.
async fn insert_bot(app: &TestApp, token: &str, name: &str, shape: impl FnOnce(&mut Bot)) -> Bot {
    let me = body(app.get_auth("/api/auth/me", token).await).await;
    let new = NewBot {
        name: name.into(),
        exchange: Exchange::Ovex,
        risk_mode: RiskMode::Aggressive,
        trading_mode: TradingMode::Paper,
        initial_capital: 1000.0,
    };
    let trading = &app.state.config.trading;
    let mut bot = Bot::new(
        me["id"].as_str().unwrap(),
        new,
        app.state.clock.now(),
        trading,
    );
    shape(&mut bot);
    let caps = BotCaps {
        exchange_max: 10,
        total_max: trading.max_bots,
    };
    assert_eq!(
        app.state.store.bots.create(&bot, caps).await.unwrap(),
        CreateOutcome::Created
    );
    bot
}

async fn quarantine_status_lists_quarantined_bots_with_time_left(engine: Engine) {
    let clock = ManualClock::new(Utc::now());
    let app = TestApp::spawn_with_clock(clocked_config(&engine), clock.clone()).await;
    let token = app.token_for("q@example.com").await;
    let now = clock.now();
    let bot = insert_bot(&app, &token, "Q", |bot| {
        amarktai::domain::quarantine::quarantine(bot, now, "drawdown");
    })
    .await;
    let q = body(app.get_auth("/api/quarantine/status", &token).await).await;
    assert_eq!(q["quarantined"], 1);
    assert_eq!(q["bots"][0]["quarantine_count"], 1);
    assert_eq!(q["bots"][0]["hours_remaining"].as_f64(), Some(1.0));
    clock.advance(Duration::minutes(30));
    let start = body(
        app.post_auth(&format!("/api/bots/{}/start", bot.id), &token, json!({}))
            .await,
    )
    .await;
    assert_eq!(start["success"], false, "no start during retraining");
    assert_eq!(start["hours_remaining"], 0.5);
    assert_eq!(start["bot"]["status"], "quarantined");
    let other = app.token_for("q-other@example.com").await;
    assert_eq!(
        body(app.get_auth("/api/quarantine/status", &other).await).await["quarantined"],
        0,
        "another user's quarantine is not listed"
    );
    clock.advance(Duration::minutes(31));
    let resumed = body(
        app.post_auth(&format!("/api/bots/{}/resume", bot.id), &token, json!({}))
            .await,
    )
    .await;
    assert_eq!(
        (
            resumed["success"].as_bool(),
            resumed["bot"]["status"].as_str()
        ),
        (Some(true), Some("active")),
        "{resumed}"
    );
}

/// The retraining time grows with each quarantine (1 h, 3 h, 24 h) as the route and the
/// start guard see it; the fourth quarantine stops the bot for good.
async fn quarantine_escalation_is_visible_over_http(engine: Engine) {
    let clock = ManualClock::new(Utc::now());
    let app = TestApp::spawn_with_clock(clocked_config(&engine), clock.clone()).await;
    let token = app.token_for("esc@example.com").await;
    let now = clock.now();
    for (count, hours) in [(1u32, 1.0), (2, 3.0), (3, 24.0)] {
        let bot = insert_bot(&app, &token, &format!("Q{count}"), |bot| {
            bot.quarantine_count = count - 1;
            amarktai::domain::quarantine::quarantine(bot, now, "losing streak");
        })
        .await;
        let start = body(
            app.post_auth(&format!("/api/bots/{}/start", bot.id), &token, json!({}))
                .await,
        )
        .await;
        assert_eq!(
            (
                start["success"].as_bool(),
                start["hours_remaining"].as_f64()
            ),
            (Some(false), Some(hours)),
            "quarantine #{count}"
        );
    }
    let q = body(app.get_auth("/api/quarantine/status", &token).await).await;
    let mut left: Vec<(u64, f64)> = q["bots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["quarantine_count"].as_u64().unwrap(),
                b["hours_remaining"].as_f64().unwrap(),
            )
        })
        .collect();
    left.sort_by_key(|(n, _)| *n);
    assert_eq!(left, vec![(1, 1.0), (2, 3.0), (3, 24.0)]);
    let retired = insert_bot(&app, &token, "Q4", |bot| {
        bot.quarantine_count = 3;
        amarktai::domain::quarantine::quarantine(bot, now, "losing streak");
    })
    .await;
    assert_eq!(retired.status, amarktai::domain::bot::BotStatus::Stopped);
    clock.advance(Duration::days(2));
    let start = body(
        app.post_auth(
            &format!("/api/bots/{}/start", retired.id),
            &token,
            json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(start["success"], false, "stopped for good: {start}");
    assert_eq!(start["bot"]["status"], "stopped");
}

/// Paper -> live eligibility (SPEC §4): the days criterion follows the clock, the others the
/// bot's record; live bots are not listed; only the caller's bots.
async fn eligible_for_promotion_follows_the_clock_and_the_record(engine: Engine) {
    let clock = ManualClock::new(Utc::now());
    let app = TestApp::spawn_with_clock(clocked_config(&engine), clock.clone()).await;
    let token = app.token_for("elig@example.com").await;
    let record = |trades: u64| {
        move |bot: &mut Bot| {
            bot.trades_count = trades;
            bot.win_count = trades * 2 / 3;
            bot.loss_count = trades - trades * 2 / 3;
            bot.total_profit = 50.0;
            bot.current_capital = 1050.0;
        }
    };
    let ready = insert_bot(&app, &token, "Ready", record(30)).await;
    let thin = insert_bot(&app, &token, "Thin", record(5)).await;
    insert_bot(&app, &token, "LiveOne", |bot| {
        bot.trading_mode = TradingMode::Live;
        bot.status = amarktai::domain::bot::BotStatus::LiveTrainingBay;
        bot.paper_start_date = None;
        bot.bay_entered_at = Some(bot.created_at);
    })
    .await;
    let row = |answer: &Value, id: &str| {
        answer["bots"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["id"] == id)
            .cloned()
            .unwrap_or(Value::Null)
    };

    let early = body(
        app.get_auth("/api/bots/eligible-for-promotion", &token)
            .await,
    )
    .await;
    assert_eq!(early["success"], true);
    assert_eq!(
        early["bots"].as_array().unwrap().len(),
        2,
        "paper bots only"
    );
    assert_eq!(early["eligible_count"], 0);
    assert_eq!(early["requirements"]["min_days"], 7);
    let r = row(&early, &ready.id);
    assert_eq!(r["eligible"], false);
    assert_eq!(r["criteria"]["days_in_paper"]["passed"], false);
    assert_eq!(r["criteria"]["trades"]["passed"], true);
    assert_eq!(r["criteria"]["profit_pct"]["value"], 5.0);

    clock.advance(Duration::days(7) + Duration::minutes(1));
    let later = body(
        app.get_auth("/api/bots/eligible-for-promotion", &token)
            .await,
    )
    .await;
    assert_eq!(later["eligible_count"], 1);
    let r = row(&later, &ready.id);
    assert_eq!(
        (r["eligible"].as_bool(), r["status"].as_str()),
        (Some(true), Some("active"))
    );
    assert_eq!(r["criteria"]["days_in_paper"]["passed"], true);
    let t = row(&later, &thin.id);
    assert_eq!(t["eligible"], false);
    assert_eq!(
        (
            t["criteria"]["days_in_paper"]["passed"].as_bool(),
            t["criteria"]["trades"]["passed"].as_bool()
        ),
        (Some(true), Some(false))
    );

    let other = app.token_for("elig-other@example.com").await;
    let theirs = body(
        app.get_auth("/api/bots/eligible-for-promotion", &other)
            .await,
    )
    .await;
    assert_eq!(
        (
            theirs["bots"].as_array().map(Vec::len),
            theirs["eligible_count"].as_u64()
        ),
        (Some(0), Some(0))
    );
    assert_eq!(
        app.get("/api/bots/eligible-for-promotion").await.status(),
        401
    );
}

/// Promotion, emergency stop and its alert publish their SPEC §12 events (payload fields at
/// the top level) to the owner only.
async fn promotion_emergency_stop_and_alert_publish_events(engine: Engine) {
    use amarktai::events::Replay;
    let clock = ManualClock::new(Utc::now());
    let app = TestApp::spawn_with_clock(clocked_config(&engine), clock.clone()).await;
    let token = app.token_for("evt@example.com").await;
    let other = app.token_for("evt-other@example.com").await;
    let me = body(app.get_auth("/api/auth/me", &token).await).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let them = body(app.get_auth("/api/auth/me", &other).await).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    save_keys(&app, &token, "binance").await;
    let live = body(app.post_auth("/api/bots", &token, json!({"name": "L", "exchange": "binance", "risk_mode": "safe", "trading_mode": "live", "initial_capital": 1000})).await).await;
    let live_id = live["id"].as_str().unwrap().to_string();
    let paper = body(app.post_auth("/api/bots", &token, json!({"name": "P", "exchange": "binance", "risk_mode": "safe", "initial_capital": 1000})).await).await;
    clock.advance(Duration::hours(25));
    let promoted = body(
        app.post_auth(
            &format!("/api/training/{live_id}/promote"),
            &token,
            json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(promoted["success"], true);
    app.post_auth(
        "/api/system/emergency-stop",
        &token,
        json!({"reason": "news"}),
    )
    .await;
    app.post_auth("/api/system/emergency-stop/disable", &token, json!({}))
        .await;
    let Replay::Events(events) = app.state.events.subscribe(&me, Some(0)).replay else {
        panic!("expected replay")
    };
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        vec![
            "bot_created",
            "bot_created",
            "bot_promoted",
            "bot_paused",
            "emergency_stop",
            "alert",
            "emergency_stop"
        ]
    );
    let promoted_event = &events[2].payload;
    assert_eq!(promoted_event["bot"]["id"], live_id.as_str());
    assert_eq!(promoted_event["bot"]["status"], "paused");
    assert!(promoted_event["bot"]["promoted_at"].is_string());
    assert!(promoted_event["message"].is_string());
    assert_eq!(events[3].payload["bot"]["id"], paper["id"]);
    assert_eq!(events[3].payload["bot"]["pause_reason"], "news");
    assert_eq!(
        Value::Object(events[4].payload.clone()),
        json!({"active": true, "reason": "news", "bots_paused": 1})
    );
    let alert = &events[5].payload["alert"];
    assert_eq!(
        (alert["kind"].as_str(), alert["severity"].as_str()),
        (Some("emergency_stop"), Some("critical")),
        "{alert}"
    );
    assert_eq!(
        Value::Object(events[6].payload.clone()),
        json!({"active": false})
    );
    assert_eq!(
        app.state.events.subscribe(&them, Some(0)).last_event_id,
        0,
        "the other user got no events"
    );
}

on_both_engines!(
    system_modes_are_per_user,
    alerts_ack_and_clear_are_scoped_to_the_caller,
    quarantine_status_lists_quarantined_bots_with_time_left,
    quarantine_escalation_is_visible_over_http,
    eligible_for_promotion_follows_the_clock_and_the_record,
    promotion_emergency_stop_and_alert_publish_events,
);
