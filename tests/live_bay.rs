//! Switching a paper bot to live over `PUT /api/bots/{id}` (SPEC §3, §4): it needs the user's
//! saved exchange keys, lands in the live training bay at the server's clock, is listed by
//! `GET /api/training/live-bay` (soonest-eligible first) and cannot start before
//! `LIVE_MIN_TRAINING_HOURS` have passed.

mod common;

use amarktai::domain::clock::{Clock, ManualClock};
use base64::Engine as _;
use chrono::{DateTime, Duration, DurationRound, Utc};
use common::{Engine, TestApp, TestConfig};
use serde_json::{json, Value};

/// Shorter than the default 24 h so the test shows the configured value is the one applied.
const MIN_HOURS: i64 = 6;

async fn body(resp: reqwest::Response) -> Value {
    resp.json().await.expect("json")
}

/// A server on a manual clock (whole seconds, so stored times compare exactly on both
/// engines) that can encrypt saved keys and never reaches a real exchange.
async fn spawn(engine: &Engine) -> (TestApp, ManualClock) {
    let start = Utc::now()
        .duration_trunc(Duration::seconds(1))
        .expect("truncate");
    let clock = ManualClock::new(start);
    let aes = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    let config = TestConfig::new(engine)
        .set("API_KEY_ENCRYPTION_KEY", &aes)
        .set("LIVE_MIN_TRAINING_HOURS", &MIN_HOURS.to_string())
        .set("LUNO_BASE_URL", "http://127.0.0.1:9");
    (
        TestApp::spawn_with_clock(config, clock.clone()).await,
        clock,
    )
}

/// Saves Luno keys the way the dashboard does.
async fn save_luno_keys(app: &TestApp, token: &str) {
    let resp = app
        .post_auth(
            "/api/keys/save",
            token,
            json!({"provider": "luno", "api_key": "LUNOKEY-0123456789", "api_secret": "LUNOSECRET-abcdefghij"}),
        )
        .await;
    assert_eq!(resp.status(), 200, "{}", body(resp).await);
}

async fn paper_bot(app: &TestApp, token: &str, name: &str) -> String {
    let resp = app
        .post_auth(
            "/api/bots",
            token,
            json!({"name": name, "exchange": "luno", "risk_mode": "safe", "initial_capital": 1000}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let bot = body(resp).await;
    assert_eq!(
        (bot["status"].as_str(), bot["trading_mode"].as_str()),
        (Some("active"), Some("paper"))
    );
    bot["id"].as_str().expect("id").to_string()
}

async fn switch_to_live(app: &TestApp, token: &str, id: &str) -> reqwest::Response {
    app.put_auth(
        &format!("/api/bots/{id}"),
        token,
        json!({"trading_mode": "live"}),
    )
    .await
}

fn time(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .unwrap_or_else(|| panic!("not an RFC 3339 time: {value}"))
        .with_timezone(&Utc)
}

async fn start(app: &TestApp, token: &str, id: &str) -> Value {
    body(
        app.post_auth(&format!("/api/bots/{id}/start"), token, json!({}))
            .await,
    )
    .await
}

/// Without keys the switch is refused and nothing changes; with keys the bot enters the bay
/// at the clock's time and start waits for the configured hours.
async fn switching_to_live_needs_keys_and_enters_the_bay(engine: Engine) {
    let (app, clock) = spawn(&engine).await;
    let token = app.token_for("switch@example.com").await;
    let id = paper_bot(&app, &token, "Switcher").await;

    let refused = switch_to_live(&app, &token, &id).await;
    assert_eq!(refused.status(), 400);
    let refused = body(refused).await;
    assert_eq!(
        refused["error"]["code"], "EXCHANGE_API_KEYS_MISSING",
        "{refused}"
    );
    let unchanged = body(app.get_auth(&format!("/api/bots/{id}"), &token).await).await;
    assert_eq!(
        (
            unchanged["status"].as_str(),
            unchanged["trading_mode"].as_str()
        ),
        (Some("active"), Some("paper")),
        "a refused switch changes nothing: {unchanged}"
    );
    assert!(unchanged["bay_entered_at"].is_null());
    let bay = body(app.get_auth("/api/training/live-bay", &token).await).await;
    assert_eq!(bay["total"], 0);

    save_luno_keys(&app, &token).await;
    // Entering the bay later than the bot was created: bay_entered_at is the switch time.
    clock.advance(Duration::hours(3));
    let switched_at = clock.now();
    let other = app.token_for("switch-other@example.com").await;
    assert_eq!(
        switch_to_live(&app, &other, &id).await.status(),
        404,
        "another user's bot"
    );
    let resp = switch_to_live(&app, &token, &id).await;
    assert_eq!(resp.status(), 200);
    let switched = body(resp).await;
    assert_eq!(
        (
            switched["status"].as_str(),
            switched["trading_mode"].as_str()
        ),
        (Some("live_training_bay"), Some("live")),
        "{switched}"
    );
    assert_eq!(time(&switched["bay_entered_at"]), switched_at);
    let stored = body(app.get_auth(&format!("/api/bots/{id}"), &token).await).await;
    assert_eq!(stored["status"], "live_training_bay");
    assert_eq!(time(&stored["bay_entered_at"]), switched_at, "{stored}");

    let bay = body(app.get_auth("/api/training/live-bay", &token).await).await;
    assert_eq!(
        (bay["total"].as_u64(), bay["min_training_hours"].as_i64()),
        (Some(1), Some(MIN_HOURS))
    );
    let row = &bay["quarantine_bots"][0];
    assert_eq!(row["id"], id.as_str());
    assert_eq!(time(&row["bay_entered_at"]), switched_at);
    assert_eq!(
        (
            row["hours_elapsed"].as_f64(),
            row["hours_remaining"].as_f64()
        ),
        (Some(0.0), Some(MIN_HOURS as f64))
    );
    assert_eq!(row["eligible_for_promotion"], false);
    assert_eq!(
        body(app.get_auth("/api/training/live-bay", &other).await).await["total"],
        0,
        "only the caller's bots"
    );

    let early = start(&app, &token, &id).await;
    assert_eq!(
        (
            early["success"].as_bool(),
            early["hours_remaining"].as_f64()
        ),
        (Some(false), Some(MIN_HOURS as f64)),
        "{early}"
    );
    clock.advance(Duration::hours(MIN_HOURS) - Duration::minutes(30));
    let almost = start(&app, &token, &id).await;
    assert_eq!(
        (
            almost["success"].as_bool(),
            almost["hours_remaining"].as_f64()
        ),
        (Some(false), Some(0.5)),
        "{almost}"
    );
    assert_eq!(almost["bot"]["status"], "live_training_bay");

    clock.advance(Duration::minutes(30));
    let bay = body(app.get_auth("/api/training/live-bay", &token).await).await;
    assert_eq!(bay["quarantine_bots"][0]["eligible_for_promotion"], true);
    assert_eq!(bay["ready_for_promotion"], 1);
    let started = start(&app, &token, &id).await;
    assert_eq!(
        (
            started["success"].as_bool(),
            started["bot"]["status"].as_str(),
            started["bot"]["trading_mode"].as_str()
        ),
        (Some(true), Some("active"), Some("live")),
        "{started}"
    );
}

/// Bots that entered the bay at different times are listed by hours remaining, smallest
/// first (SPEC §4), whatever their creation or name order.
async fn live_bay_lists_soonest_eligible_first(engine: Engine) {
    let (app, clock) = spawn(&engine).await;
    let token = app.token_for("order@example.com").await;
    save_luno_keys(&app, &token).await;
    let a = paper_bot(&app, &token, "Alpha").await;
    let b = paper_bot(&app, &token, "Bravo").await;
    let c = paper_bot(&app, &token, "Charlie").await;

    // Bravo enters first, then Charlie 2 h later, then Alpha 3 h after that.
    for (id, wait) in [(&b, 0), (&c, 2), (&a, 3)] {
        clock.advance(Duration::hours(wait));
        assert_eq!(switch_to_live(&app, &token, id).await.status(), 200);
    }
    clock.advance(Duration::hours(2));

    let bay = body(app.get_auth("/api/training/live-bay", &token).await).await;
    let rows: Vec<(String, f64, bool)> = bay["quarantine_bots"]
        .as_array()
        .expect("quarantine_bots")
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap_or_default().to_string(),
                r["hours_remaining"].as_f64().unwrap_or(f64::NAN),
                r["eligible_for_promotion"].as_bool().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![(b, 0.0, true), (c, 1.0, false), (a, 4.0, false)],
        "{bay}"
    );
    assert_eq!(
        (bay["total"].as_u64(), bay["ready_for_promotion"].as_u64()),
        (Some(3), Some(1))
    );
}

on_both_engines!(
    switching_to_live_needs_keys_and_enters_the_bay,
    live_bay_lists_soonest_eligible_first,
);
