//! Emergency stop against racing starts and resumes (SPEC §3, §11), and the two store
//! operations that make it hold: one-statement pause of all active bots and compare-and-set
//! status changes. Both engines.

mod common;

use amarktai::domain::bot::BotStatus;
use common::{Engine, TestApp, TestConfig};
use serde_json::{json, Value};

async fn body(resp: reqwest::Response) -> Value {
    resp.json().await.expect("json")
}

async fn create(app: &TestApp, token: &str, name: &str, exchange: &str) -> String {
    let resp = app
        .post_auth(
            "/api/bots",
            token,
            json!({"name": name, "exchange": exchange, "risk_mode": "safe", "initial_capital": 500}),
        )
        .await;
    assert_eq!(resp.status(), 200, "create {name}");
    body(resp).await["id"].as_str().expect("id").to_string()
}

async fn statuses(app: &TestApp, token: &str) -> Vec<String> {
    body(app.get_auth("/api/bots", token).await)
        .await
        .as_array()
        .expect("list")
        .iter()
        .map(|b| b["status"].as_str().unwrap_or("").to_string())
        .collect()
}

async fn act(app: &TestApp, token: &str, id: &str, verb: &str) -> Value {
    let resp = app
        .post_auth(&format!("/api/bots/{id}/{verb}"), token, json!({}))
        .await;
    assert_eq!(resp.status(), 200, "{verb} {id}");
    body(resp).await
}

/// Starts and resumes race the emergency stop, round after round: once the stop has answered
/// and every racing request has finished, no bot of the user may be active.
async fn no_bot_is_active_after_an_emergency_stop_raced_by_starts(engine: Engine) {
    const ROUNDS: usize = 12;
    // Hundreds of requests in a few seconds: the per-user rate limit is not under test here.
    let config = TestConfig::new(&engine).set("RATE_LIMIT_ENABLED", "false");
    let app = TestApp::spawn_with(config, axum::Router::new()).await;
    let token = app.token_for("racer@example.com").await;
    let mut ids = Vec::new();
    for i in 0..8 {
        let exchange = if i % 2 == 0 { "binance" } else { "valr" };
        ids.push(create(&app, &token, &format!("racer{i}"), exchange).await);
    }
    for round in 0..ROUNDS {
        // Half the bots stopped (they race with `start`), half paused (`resume`).
        for (i, id) in ids.iter().enumerate() {
            let verb = if i % 2 == 0 { "stop" } else { "pause" };
            act(&app, &token, id, verb).await;
        }
        assert!(statuses(&app, &token).await.iter().all(|s| s != "active"));
        // The stop goes in at a different place in the burst each round.
        let stop_at = round % (ids.len() + 1);
        let mut requests = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            if i == stop_at {
                requests.push(None);
            }
            let verb = if i % 2 == 0 { "start" } else { "resume" };
            requests.push(Some((id.clone(), verb)));
        }
        if stop_at == ids.len() {
            requests.push(None);
        }
        let burst = requests.into_iter().map(|request| {
            let (app, token) = (&app, &token);
            async move {
                match request {
                    Some((id, verb)) => {
                        let resp = app
                            .post_auth(&format!("/api/bots/{id}/{verb}"), token, json!({}))
                            .await;
                        resp.status().as_u16()
                    }
                    None => {
                        let resp = app
                            .post_auth(
                                "/api/system/emergency-stop",
                                token,
                                json!({"reason": "race"}),
                            )
                            .await;
                        resp.status().as_u16()
                    }
                }
            }
        });
        let codes = futures_util::future::join_all(burst).await;
        assert!(codes.iter().all(|c| *c == 200), "round {round}: {codes:?}");
        let now = statuses(&app, &token).await;
        assert!(
            now.iter().all(|s| s != "active"),
            "round {round}: a bot is active while the stop is on: {now:?}"
        );
        // Starts after the stop are refused, not half-done.
        for (i, id) in ids.iter().enumerate() {
            let verb = if i % 2 == 0 { "start" } else { "resume" };
            let answer = act(&app, &token, id, verb).await;
            assert_eq!(answer["success"], false, "round {round}: {verb} {answer}");
        }
        assert!(statuses(&app, &token).await.iter().all(|s| s != "active"));
        let off = app
            .post_auth("/api/system/emergency-stop/disable", &token, json!({}))
            .await;
        assert_eq!(off.status(), 200);
    }
}

/// `start` (from stopped) is blocked like `resume`, and the refusal writes nothing.
async fn emergency_stop_blocks_start_of_a_stopped_bot(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let token = app.token_for("halt@example.com").await;
    let id = create(&app, &token, "Halted", "kucoin").await;
    act(&app, &token, &id, "stop").await;
    let stop = body(
        app.post_auth("/api/system/emergency-stop", &token, json!({}))
            .await,
    )
    .await;
    assert_eq!(
        (stop["success"].as_bool(), stop["bots_paused"].as_u64()),
        (Some(true), Some(0)),
        "a stopped bot is not paused"
    );
    let refused = act(&app, &token, &id, "start").await;
    assert_eq!(refused["success"], false);
    assert!(
        refused["message"]
            .as_str()
            .unwrap_or("")
            .contains("Emergency stop"),
        "{refused}"
    );
    assert_eq!(refused["bot"]["status"], "stopped");
    let stored = body(app.get_auth(&format!("/api/bots/{id}"), &token).await).await;
    assert_eq!(stored["status"], "stopped", "nothing written");
    app.post_auth("/api/system/emergency-stop/disable", &token, json!({}))
        .await;
    assert_eq!(
        act(&app, &token, &id, "start").await["bot"]["status"],
        "active"
    );
}

/// The store operations themselves: the pause touches only active bots of that user, and a
/// compare-and-set status change fails once the status moved on and never touches capital.
async fn pause_all_active_and_transition_status_are_conditional(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let me_token = app.token_for("cas@example.com").await;
    let other_token = app.token_for("cas-other@example.com").await;
    let a = create(&app, &me_token, "A", "luno").await;
    let b = create(&app, &me_token, "B", "luno").await;
    let theirs = create(&app, &other_token, "T", "luno").await;
    act(&app, &me_token, &b, "stop").await;
    let me = body(app.get_auth("/api/auth/me", &me_token).await).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let bots = &app.state.store.bots;
    let now = app.state.clock.now();
    let paused = bots
        .pause_all_active(&me, "maintenance", now)
        .await
        .expect("pause");
    assert_eq!(
        paused.iter().map(|b| b.id.as_str()).collect::<Vec<_>>(),
        vec![a.as_str()]
    );
    assert_eq!(paused[0].status, BotStatus::Paused);
    assert_eq!(paused[0].pause_reason.as_deref(), Some("maintenance"));
    let stored_b = bots.find(&me, &b).await.expect("db").expect("b");
    assert_eq!(stored_b.status, BotStatus::Stopped, "stopped stays stopped");
    let other_id = body(app.get_auth("/api/auth/me", &other_token).await).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let theirs_now = bots.find(&other_id, &theirs).await.expect("db").expect("t");
    assert_eq!(
        theirs_now.status,
        BotStatus::Active,
        "other users untouched"
    );
    assert!(bots
        .pause_all_active(&me, "again", now)
        .await
        .expect("pause")
        .is_empty());

    // Compare-and-set: only from the expected status, only lifecycle fields.
    let mut started = bots.find(&me, &a).await.expect("db").expect("a");
    let capital = started.current_capital;
    started.status = BotStatus::Active;
    started.pause_reason = None;
    started.started_at = Some(now);
    started.current_capital = 1.0;
    assert!(bots
        .transition_status(&started, &[BotStatus::Stopped])
        .await
        .expect("cas")
        .is_none());
    assert_eq!(
        bots.find(&me, &a).await.expect("db").expect("a").status,
        BotStatus::Paused,
        "a failed compare-and-set writes nothing"
    );
    let returned = bots
        .transition_status(&started, &[BotStatus::Paused])
        .await
        .expect("cas")
        .expect("written");
    let after = bots.find(&me, &a).await.expect("db").expect("a");
    assert_eq!(returned, after, "the answer is the bot as stored");
    assert_eq!(after.status, BotStatus::Active);
    assert_eq!(after.pause_reason, None);
    assert!(after.started_at.is_some());
    assert_eq!(
        after.current_capital, capital,
        "capital is not a lifecycle field"
    );
    let mut foreign = after.clone();
    foreign.user_id = other_id;
    foreign.status = BotStatus::Paused;
    assert!(
        bots.transition_status(&foreign, &[BotStatus::Active])
            .await
            .expect("cas")
            .is_none(),
        "another user's id matches nothing"
    );
}

on_both_engines!(
    no_bot_is_active_after_an_emergency_stop_raced_by_starts,
    emergency_stop_blocks_start_of_a_stopped_bot,
    pause_all_active_and_transition_status_are_conditional
);
