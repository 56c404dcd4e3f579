//! Live training bay (moved by a manual clock), promotion, quarantine status, system modes,
//! emergency stop and alerts over real HTTP (SPEC §4, §11).

mod common;

use amarktai::domain::clock::ManualClock;
use amarktai::store::ApiKeyRecord;
use chrono::{Duration, Utc};
use common::{Engine, TestApp, TestConfig};
use serde_json::{json, Value};

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
    let app = TestApp::spawn_with_clock(TestConfig::new(&engine), clock.clone()).await;
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

#[tokio::test]
async fn system_modes_are_per_user() {
    let app = TestApp::spawn().await;
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

#[tokio::test]
async fn alerts_ack_and_clear_are_scoped_to_the_caller() {
    let app = TestApp::spawn().await;
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

#[tokio::test]
async fn quarantine_status_lists_quarantined_bots_with_time_left() {
    let app = TestApp::spawn().await;
    let token = app.token_for("q@example.com").await;
    let b = body(app.post_auth("/api/bots", &token, json!({"name": "Q", "exchange": "ovex", "risk_mode": "aggressive", "initial_capital": 900})).await).await;
    let mut bot = app
        .state
        .store
        .bots
        .find(b["user_id"].as_str().unwrap(), b["id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    amarktai::domain::quarantine::quarantine(&mut bot, Utc::now(), "drawdown");
    app.state.store.bots.save(&bot).await.unwrap();
    let q = body(app.get_auth("/api/quarantine/status", &token).await).await;
    assert_eq!(q["quarantined"], 1);
    assert_eq!(q["bots"][0]["quarantine_count"], 1);
    let left = q["bots"][0]["hours_remaining"].as_f64().unwrap();
    assert!(left > 0.9 && left <= 1.0, "{left}");
    let start = body(
        app.post_auth(&format!("/api/bots/{}/start", bot.id), &token, json!({}))
            .await,
    )
    .await;
    assert_eq!(start["success"], false, "no start during retraining");
}
