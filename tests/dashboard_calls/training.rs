//! Training runs: `POST /api/training/start` runs the bot's strategy over its latest candles
//! as a paper backtest; history and status read it back; the live-bay routes still answer.

use crate::common::{Engine, TestApp};
use crate::on_both_engines;
use crate::portfolio_support::{json_of, new_bot};
use crate::{seeded, seeded_with_clock, store_candles, H};
use serde_json::{json, Value};

async fn wait_done(app: &TestApp, token: &str, run_id: &str) -> Value {
    for _ in 0..400 {
        let resp = app
            .get_auth(&format!("/api/training/{run_id}/status"), token)
            .await;
        assert_eq!(resp.status(), 200);
        let run = json_of(resp).await;
        if run["status"] != "queued" && run["status"] != "running" {
            return run;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("training run {run_id} did not finish");
}

async fn a_training_run_backtests_the_bots_strategy_on_its_latest_candles(engine: Engine) {
    let (app, me, clock) = seeded_with_clock(&engine).await;
    store_candles(&app).await;
    let resp = app
        .post_auth(
            "/api/training/start",
            &me.token,
            json!({"bot_id": me.bot_id, "duration_hours": 24}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let started = json_of(resp).await;
    assert_eq!(started["success"], true);
    assert!(started["message"].as_str().unwrap().contains("Alpha"));
    let run_id = started["run_id"].as_str().unwrap().to_string();

    let run = wait_done(&app, &me.token, &run_id).await;
    assert_eq!(run["status"], "completed", "{run}");
    assert_eq!(
        (run["bot_id"].as_str(), run["bot_name"].as_str()),
        (Some(me.bot_id.as_str()), Some("Alpha"))
    );
    assert_eq!(
        (run["exchange"].as_str(), run["mode"].as_str()),
        (Some("luno"), Some("paper"))
    );
    assert_eq!(run["duration"], 24.0);
    assert!(run["completed_at"].is_string() && run["started_at"].is_string());

    // It is the same simulator's backtest: the job holds the request and result.
    let job = json_of(
        app.get_auth(&format!("/api/backtests/{run_id}"), &me.token)
            .await,
    )
    .await;
    assert_eq!(job["candles"], 24, "the newest 24 hourly candles");
    assert_eq!(job["request"]["pair"], "BTC/ZAR");
    assert_eq!(
        job["request"]["initial_capital"], 1140.0,
        "the bot's capital"
    );
    let last = job["request"]["end"].as_i64().unwrap();
    assert_eq!(job["request"]["start"].as_i64(), Some(last - 23 * H));
    let final_equity = job["metrics"]["final_equity"].as_f64().unwrap();
    assert!((run["final_pnl"].as_f64().unwrap() - (final_equity - 1140.0)).abs() < 1e-9);
    assert_eq!(run["trades_executed"], job["metrics"]["trades"]);

    // Query-string form too, a minute later (the history lists by start time).
    clock.advance(chrono::Duration::minutes(1));
    let resp = app
        .post_auth(
            &format!("/api/training/start?bot_id={}&duration_hours=12", me.bot_id),
            &me.token,
            json!(null),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let second = json_of(resp).await["run_id"].as_str().unwrap().to_string();
    wait_done(&app, &me.token, &second).await;

    // A plain backtest is not a training run.
    let resp = app
        .post_auth(
            "/api/backtests",
            &me.token,
            json!({"exchange": "luno", "pair": "BTC/ZAR", "timeframe": "1h",
                   "strategy": {"name": "sma_cross", "params": {"fast": 2, "slow": 3}},
                   "initial_capital": 1000}),
        )
        .await;
    assert!(resp.status().is_success(), "{}", resp.status());
    let plain = json_of(resp).await["id"].as_str().unwrap().to_string();
    let resp = app
        .get_auth(&format!("/api/training/{plain}/status"), &me.token)
        .await;
    assert_eq!(resp.status(), 404, "a plain backtest is not a training run");

    let h = json_of(app.get_auth("/api/training/history", &me.token).await).await;
    assert_eq!(
        (h["success"].as_bool(), h["total"].as_u64()),
        (Some(true), Some(2))
    );
    assert_eq!(h["history"][0]["run_id"], second.as_str(), "newest first");
    assert_eq!(h["history"][0]["duration"], 12.0);

    // Another user: no history, the run is 404, and the bot is not theirs.
    let other = app.token_for("other@example.com").await;
    let h = json_of(app.get_auth("/api/training/history", &other).await).await;
    assert_eq!(h["total"], 0);
    let resp = app
        .get_auth(&format!("/api/training/{run_id}/status"), &other)
        .await;
    assert_eq!(resp.status(), 404);
    assert_eq!(
        json_of(resp).await["error"]["code"],
        "TRAINING_RUN_NOT_FOUND"
    );
    let resp = app
        .post_auth("/api/training/start", &other, json!({"bot_id": me.bot_id}))
        .await;
    assert_eq!(resp.status(), 404);

    // The live training bay still answers beside the runs.
    let bay = app.get_auth("/api/training/live-bay", &me.token).await;
    assert_eq!(bay.status(), 200);
}

async fn bad_training_requests_are_refused_in_the_envelope(engine: Engine) {
    let (app, me) = seeded(&engine).await;
    let resp = app
        .post_auth("/api/training/start", &me.token, json!({}))
        .await;
    assert_eq!(resp.status(), 422);
    assert_eq!(json_of(resp).await["error"]["fields"][0]["field"], "bot_id");
    let resp = app
        .post_auth(
            "/api/training/start",
            &me.token,
            json!({"bot_id": me.bot_id, "duration_hours": 0}),
        )
        .await;
    assert_eq!(resp.status(), 422);
    assert_eq!(
        json_of(resp).await["error"]["fields"][0]["field"],
        "duration_hours"
    );
    // No candles stored for the bot's pair.
    let resp = app
        .post_auth(
            "/api/training/start",
            &me.token,
            json!({"bot_id": me.bot_id}),
        )
        .await;
    assert_eq!(resp.status(), 422);
    let body = json_of(resp).await;
    assert!(
        body["detail"].as_str().unwrap().contains("candles"),
        "{body}"
    );
    let kucoin = new_bot(&app, &me.token, "Beta", "kucoin").await;
    store_candles(&app).await;
    let resp = app
        .post_auth("/api/training/start", &me.token, json!({"bot_id": kucoin}))
        .await;
    assert_eq!(resp.status(), 422, "BTC/USDT has no candles");
    let resp = app.get_auth("/api/training/nope/status", &me.token).await;
    assert_eq!(resp.status(), 404);
}

on_both_engines!(
    a_training_run_backtests_the_bots_strategy_on_its_latest_candles,
    bad_training_requests_are_refused_in_the_envelope,
);
