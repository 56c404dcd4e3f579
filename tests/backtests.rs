//! Backtests over real HTTP on both engines: queue, poll, result checked by hand, the 422s,
//! the per-user queue limit, cancel/delete, another user's id, events, and jobs a restart
//! interrupted.

mod common;

use amarktai::domain::backtest_job::{BacktestJob, BacktestRequest, JobStatus};
use amarktai::domain::bot_enums::Exchange;
use amarktai::domain::candles::{Candle, Pair, Series, Timeframe};
use amarktai::events::{EventType, Replay};
use common::{Engine, TestApp, TestConfig};
use serde_json::{json, Value};

const H: i64 = 3_600_000;
/// 2024-01-01T00:00:00Z
const T0: i64 = 1_704_067_200_000;

fn series() -> Series {
    Series::new(
        Exchange::Luno,
        Pair::parse("BTC/ZAR").unwrap(),
        Timeframe::H1,
    )
}

/// Flat hourly candles at these closes (open = high = low = close).
async fn store_closes(app: &TestApp, closes: &[f64]) {
    let candles: Vec<Candle> = closes
        .iter()
        .enumerate()
        .map(|(i, &c)| Candle {
            open_time: T0 + i as i64 * H,
            open: c,
            high: c,
            low: c,
            close: c,
            volume: 1.0,
        })
        .collect();
    app.state
        .store
        .candles
        .upsert_many(&series(), &candles)
        .await
        .unwrap();
}

async fn body(resp: reqwest::Response) -> Value {
    resp.json().await.expect("json")
}

fn request(extra: Value) -> Value {
    let mut base = json!({
        "exchange": "luno", "pair": "BTC/ZAR", "timeframe": "1h",
        "strategy": {"name": "sma_cross", "params": {"fast": 2, "slow": 3}},
        "initial_capital": 1000, "fee_bps": 0, "slippage_bps": 0
    });
    if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    base
}

async fn wait_done(app: &TestApp, token: &str, id: &str) -> Value {
    for _ in 0..200 {
        let job = body(app.get_auth(&format!("/api/backtests/{id}"), token).await).await;
        if job["status"] != "queued" && job["status"] != "running" {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("backtest {id} did not finish");
}

async fn a_backtest_runs_and_its_result_matches_the_hand_computation(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let token = app.token_for("tester@example.com").await;
    // SMA(2)/SMA(3): buy on candle 6's close, sell on candle 9's close; fills at the opens of
    // candles 7 (8000) and 10 (3000): 0.125 units for 1000, back 375.
    store_closes(
        &app,
        &[
            5000.0, 5000.0, 5000.0, 4000.0, 3000.0, 4000.0, 6000.0, 8000.0, 7000.0, 5000.0, 3000.0,
            3000.0,
        ],
    )
    .await;
    let resp = app
        .post_auth("/api/backtests", &token, request(json!({})))
        .await;
    assert_eq!(resp.status(), 202);
    let queued = body(resp).await;
    assert_eq!(queued["status"], "queued");
    let id = queued["id"].as_str().unwrap().to_string();
    let job = wait_done(&app, &token, &id).await;
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(job["progress"], 1.0);
    assert_eq!(job["candles"], 12);
    let trades = job["trades"].as_array().unwrap();
    assert_eq!(trades.len(), 1, "{job}");
    let t = &trades[0];
    assert_eq!(
        (t["entry_time"].as_i64(), t["exit_time"].as_i64()),
        (Some(T0 + 7 * H), Some(T0 + 10 * H))
    );
    assert_eq!(
        (t["entry_price"].as_f64(), t["exit_price"].as_f64()),
        (Some(8000.0), Some(3000.0))
    );
    assert_eq!(t["exit_reason"], "signal");
    assert_eq!(t["pnl"], -625.0);
    let m = &job["metrics"];
    assert_eq!(m["final_equity"], 375.0);
    assert_eq!(m["total_return_pct"], -62.5);
    assert_eq!(m["trades"], 1);
    assert_eq!(m["profit_factor"], 0.0);
    assert_eq!(job["equity"].as_array().unwrap().len(), 12);
    assert_eq!(job["request"]["strategy"]["name"], "sma_cross");

    // Listed newest first, without trades; completion was published.
    let list = body(app.get_auth("/api/backtests", &token).await).await;
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["trades_count"], 1);
    assert!(list[0].get("trades").is_none());
    let me = body(app.get_auth("/api/auth/me", &token).await).await;
    let Replay::Events(events) = app
        .state
        .events
        .subscribe(me["id"].as_str().unwrap(), Some(0))
        .replay
    else {
        panic!("events were published")
    };
    assert!(events.iter().any(|e| e.kind == EventType::BacktestCompleted
        && e.payload["id"] == id.as_str()
        && e.payload["status"] == "done"));

    // Someone else's id is not found, for reading and for deleting.
    let other = app.token_for("other-tester@example.com").await;
    assert_eq!(
        app.get_auth(&format!("/api/backtests/{id}"), &other)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.delete_auth(&format!("/api/backtests/{id}"), &other)
            .await
            .status(),
        404
    );
    let theirs = body(app.get_auth("/api/backtests", &other).await).await;
    assert_eq!(theirs, json!([]));
    // The owner deletes it.
    assert_eq!(
        app.delete_auth(&format!("/api/backtests/{id}"), &token)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.get_auth(&format!("/api/backtests/{id}"), &token)
            .await
            .status(),
        404
    );
    app.stop().await;
}

async fn bad_requests_are_422_naming_the_field_or_the_dataset(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let token = app.token_for("strict@example.com").await;
    store_closes(&app, &[100.0; 10]).await;
    let cases = [
        (
            json!({"strategy": {"name": "sma_cross", "params": {"fast": 9, "slow": 3}}}),
            "strategy.params.slow",
        ),
        (json!({"exchange": "nasdaq"}), "exchange"),
        (json!({"timeframe": "2h"}), "timeframe"),
        (json!({"start": T0 + 5 * H, "end": T0}), "end"),
        (json!({"start": "yesterday"}), "start"),
        (json!({"initial_capital": -5}), "initial_capital"),
        (json!({"fee_bps": 5000}), "fee_bps"),
        (json!({"position_size_pct": 0}), "position_size_pct"),
    ];
    for (extra, field) in cases {
        let resp = app
            .post_auth("/api/backtests", &token, request(extra.clone()))
            .await;
        assert_eq!(resp.status(), 422, "{extra}");
        let err = body(resp).await;
        assert_eq!(err["error"]["fields"][0]["field"], field, "{err}");
    }
    // Candles exist, but none in the range; and a series with nothing stored.
    let resp = app
        .post_auth(
            "/api/backtests",
            &token,
            request(json!({"start": "2025-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(resp.status(), 422);
    let err = body(resp).await;
    assert_eq!(err["error"]["fields"][0]["field"], "dataset");
    assert!(
        err["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("luno BTC/ZAR 1h"),
        "{err}"
    );
    let resp = app
        .post_auth(
            "/api/backtests",
            &token,
            request(json!({"pair": "ETH/ZAR"})),
        )
        .await;
    assert_eq!(resp.status(), 422);
    assert!(body(resp).await["error"]["fields"][0]["message"]
        .as_str()
        .unwrap()
        .contains("nothing is stored"));
    let resp = app
        .client
        .post(app.url("/api/backtests"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_client_error());
    assert_eq!(
        body(app.get_auth("/api/backtests", &token).await).await,
        json!([]),
        "nothing was queued"
    );
    app.stop().await;
}

async fn the_queue_limit_cancel_and_restart(engine: Engine) {
    let config = TestConfig::new(&engine).set("BACKTEST_MAX_QUEUED_PER_USER", "1");
    let app = TestApp::spawn_with(config, axum::Router::new()).await;
    let token = app.token_for("busy@example.com").await;
    let me = body(app.get_auth("/api/auth/me", &token).await).await;
    let user_id = me["id"].as_str().unwrap().to_string();
    store_closes(&app, &[100.0; 10]).await;
    // A job still waiting for a worker (as if the pool were busy).
    let req: BacktestRequest = serde_json::from_value(request(json!({}))).unwrap();
    let waiting = BacktestJob::queued("waiting-job".into(), &user_id, req, app.state.clock.now());
    app.state.store.backtests.insert(&waiting).await.unwrap();
    let resp = app
        .post_auth("/api/backtests", &token, request(json!({})))
        .await;
    assert_eq!(resp.status(), 429);
    assert_eq!(body(resp).await["error"]["code"], "BACKTEST_QUEUE_FULL");
    // Another user is not limited by it.
    let other = app.token_for("idle@example.com").await;
    assert_eq!(
        app.post_auth("/api/backtests", &other, request(json!({})))
            .await
            .status(),
        202
    );

    // A restart fails what had no worker any more; then the user may queue again.
    let failed = app
        .state
        .store
        .backtests
        .fail_unfinished("the server restarted before this backtest finished; run it again")
        .await
        .unwrap();
    assert!(failed >= 1);
    let job = app
        .state
        .store
        .backtests
        .find(&user_id, "waiting-job")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.status, JobStatus::Failed);
    assert!(job.error.unwrap().contains("restarted"));
    let resp = app
        .post_auth("/api/backtests", &token, request(json!({})))
        .await;
    assert_eq!(resp.status(), 202);
    let id = body(resp).await["id"].as_str().unwrap().to_string();
    // Cancel right away: it is gone, and a finishing worker does not bring it back.
    assert_eq!(
        app.delete_auth(&format!("/api/backtests/{id}"), &token)
            .await
            .status(),
        200
    );
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        app.get_auth(&format!("/api/backtests/{id}"), &token)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.delete_auth(&format!("/api/backtests/{id}"), &token)
            .await
            .status(),
        404
    );
    app.stop().await;
}

async fn a_sweep_ranks_every_combination_and_tests_each_winner_out_of_sample(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let token = app.token_for("sweeper@example.com").await;
    let closes: Vec<f64> = (0..600)
        .map(|i| 1000.0 + 50.0 * (i as f64 / 20.0).sin() + 10.0 * (i as f64 / 3.0).cos())
        .collect();
    store_closes(&app, &closes).await;
    let resp = app
        .post_auth(
            "/api/backtests/sweep",
            &token,
            request(json!({"grid": {"fast": [3, 5, 40], "slow": [10, 20]}, "objective": "total_return_pct",
                           "walk_forward": {"folds": 2, "train_pct": 75}})),
        )
        .await;
    assert_eq!(resp.status(), 202);
    let id = body(resp).await["id"].as_str().unwrap().to_string();
    let job = wait_done(&app, &token, &id).await;
    assert_eq!(job["status"], "done", "{job}");
    let result = &job["sweep_result"];
    assert_eq!(
        result["combinations"], 4,
        "fast 40 is refused with both slows"
    );
    assert_eq!(result["skipped"], 2);
    let ranking = result["ranking"].as_array().unwrap();
    assert_eq!(ranking.len(), 4);
    let scores: Vec<f64> = ranking
        .iter()
        .map(|r| r["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    let folds = result["folds"].as_array().unwrap();
    assert_eq!(folds.len(), 2);
    // Fold 1: candles 0..225 train, 225..300 test.
    assert_eq!(folds[0]["train_start"], T0);
    assert_eq!(folds[0]["test_start"], T0 + 225 * H);
    assert_eq!(folds[1]["test_end"], T0 + 599 * H);
    assert!(folds[0]["test_metrics"]["final_equity"].is_number());
    // The winner's out-of-sample figures are a plain backtest of its test window.
    let best = &folds[0]["best_params"];
    let resp = app
        .post_auth(
            "/api/backtests",
            &token,
            request(json!({"strategy": {"name": "sma_cross", "params": best}, "start": T0 + 225 * H, "end": T0 + 299 * H})),
        )
        .await;
    let single = wait_done(&app, &token, body(resp).await["id"].as_str().unwrap()).await;
    assert_eq!(single["metrics"], folds[0]["test_metrics"]);
    // Bad grids are 422s naming the field; nothing is queued.
    let resp = app
        .post_auth(
            "/api/backtests/sweep",
            &token,
            request(json!({"grid": {"speed": [1]}, "objective": "luck"})),
        )
        .await;
    assert_eq!(resp.status(), 422);
    let fields: Vec<String> = body(resp).await["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fields, ["objective", "strategy.params.speed"]);
    app.stop().await;
}

on_both_engines!(
    a_sweep_ranks_every_combination_and_tests_each_winner_out_of_sample,
    a_backtest_runs_and_its_result_matches_the_hand_computation,
    bad_requests_are_422_naming_the_field_or_the_dataset,
    the_queue_limit_cancel_and_restart,
);
