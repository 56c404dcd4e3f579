//! Strategies over real HTTP on both engines: the public catalog, bots created and updated with
//! a strategy, pair, timeframe and risk exits, and the 422/409 answers for bad or untimely input.

mod common;

use common::{Engine, TestApp};
use serde_json::{json, Value};

async fn body(resp: reqwest::Response) -> Value {
    resp.json().await.expect("json")
}

async fn catalog_is_public_with_parameter_schemas(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let resp = app.get("/api/strategies").await;
    assert_eq!(resp.status(), 200, "no token needed");
    let list = body(resp).await;
    assert_eq!(list["default"], "momentum_24h");
    let names: Vec<&str> = list["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "sma_cross",
            "ema_cross",
            "rsi_reversion",
            "bollinger_reversion",
            "macd_cross",
            "breakout",
            "momentum_24h"
        ]
    );
    let sma = &list["strategies"][0];
    assert_eq!(
        sma["params"][0],
        json!({"name": "fast", "type": "int", "default": 10.0, "min": 2.0, "max": 500.0,
               "description": "Fast SMA period, in candles"})
    );
    assert_eq!(list["strategies"][3]["params"][1]["type"], "float");
    app.stop().await;
}

async fn bots_carry_a_strategy_and_bad_input_is_a_422_per_field(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let token = app.token_for("strategist@example.com").await;

    // Without a strategy: the original rule on the exchange's default pair, hourly candles.
    let plain = body(
        app.post_auth(
            "/api/bots",
            &token,
            json!({"name": "Plain", "exchange": "binance", "risk_mode": "safe", "initial_capital": 1000}),
        )
        .await,
    )
    .await;
    assert_eq!(plain["strategy"]["name"], "momentum_24h");
    assert_eq!(plain["strategy"]["params"], json!({"threshold_pct": 0.0}));
    assert_eq!(
        (plain["pair"].as_str(), plain["timeframe"].as_str()),
        (Some("BTC/USDT"), Some("1h"))
    );
    assert_eq!(plain["position"], Value::Null);

    let resp = app
        .post_auth(
            "/api/bots",
            &token,
            json!({"name": "Crossy", "exchange": "luno", "risk_mode": "balanced", "initial_capital": 1000,
                   "strategy": {"name": "sma_cross", "params": {"fast": 5}}, "pair": "eth/zar",
                   "timeframe": "15m", "stop_loss_pct": 3, "trailing_stop_pct": 1.5, "cooldown_candles": 4}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let bot = body(resp).await;
    assert_eq!(
        bot["strategy"],
        json!({"name": "sma_cross", "params": {"fast": 5.0, "slow": 30.0}})
    );
    assert_eq!(
        (bot["pair"].as_str(), bot["timeframe"].as_str()),
        (Some("ETH/ZAR"), Some("15m"))
    );
    assert_eq!(bot["params"]["stop_loss_pct"], 3.0);
    assert_eq!(bot["params"]["trailing_stop_pct"], 1.5);
    assert_eq!(bot["params"]["cooldown_candles"], 4);
    // SPEC §16: the bot carries them at the top level too, as they were sent.
    assert_eq!(
        (
            bot["stop_loss_pct"].as_f64(),
            bot["trailing_stop_pct"].as_f64(),
            bot["cooldown_candles"].as_u64()
        ),
        (Some(3.0), Some(1.5), Some(4))
    );
    // Balanced mode's default target, since none was sent.
    assert_eq!(bot["params"]["take_profit_pct"], 3.0);
    let id = bot["id"].as_str().unwrap().to_string();
    let stored = body(app.get_auth(&format!("/api/bots/{id}"), &token).await).await;
    assert_eq!(
        stored["strategy"], bot["strategy"],
        "stored, not just echoed"
    );

    // Every bad field at once, one message each; nothing is created.
    let resp = app
        .post_auth(
            "/api/bots",
            &token,
            json!({"name": "Broken", "exchange": "luno", "risk_mode": "balanced", "initial_capital": 1000,
                   "strategy": {"name": "sma_cross", "params": {"fast": 30, "slow": 10, "speed": 1}},
                   "timeframe": "2h", "position_size_pct": 150}),
        )
        .await;
    assert_eq!(resp.status(), 422);
    let err = body(resp).await;
    let fields: Vec<(String, String)> = err["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().into(),
                f["message"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(fields.len(), 4, "{fields:?}");
    assert_eq!(fields[0].0, "strategy.params.speed");
    assert_eq!(
        fields[1],
        (
            "strategy.params.slow".to_string(),
            "must be greater than fast".to_string()
        )
    );
    assert_eq!(fields[2].0, "timeframe");
    assert_eq!(fields[3].0, "position_size_pct");
    let resp = app
        .post_auth(
            "/api/bots",
            &token,
            json!({"name": "Unknown", "exchange": "luno", "risk_mode": "balanced", "initial_capital": 1000,
                   "strategy": {"name": "martingale"}}),
        )
        .await;
    assert_eq!(resp.status(), 422);
    assert_eq!(
        body(resp).await["error"]["fields"][0]["field"],
        "strategy.name"
    );
    let all = body(app.get_auth("/api/bots", &token).await).await;
    assert_eq!(
        all.as_array().unwrap().len(),
        2,
        "refused bots were not stored"
    );

    // An active bot keeps its strategy; risk settings change any time.
    let path = format!("/api/bots/{id}");
    let resp = app
        .put_auth(
            &path,
            &token,
            json!({"strategy": {"name": "breakout", "params": {"lookback": 50}}}),
        )
        .await;
    assert_eq!(resp.status(), 409);
    let err = body(resp).await;
    assert_eq!(err["error"]["code"], "BOT_ACTIVE");
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Pause the bot"));
    let resp = app
        .put_auth(&path, &token, json!({"take_profit_pct": 6}))
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(body(resp).await["params"]["take_profit_pct"], 6.0);

    // Paused, it takes a new strategy and timeframe.
    let resp = app
        .post_auth(&format!("/api/bots/{id}/pause"), &token, json!({}))
        .await;
    assert_eq!(resp.status(), 200);
    let resp = app
        .put_auth(
            &path,
            &token,
            json!({"strategy": {"name": "breakout", "params": {"lookback": 50}}, "timeframe": "4h"}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let updated = body(resp).await;
    assert_eq!(updated["strategy"]["name"], "breakout");
    assert_eq!(updated["timeframe"], "4h");
    let resp = app
        .put_auth(
            &path,
            &token,
            json!({"strategy": {"name": "breakout", "params": {"lookback": 1}}}),
        )
        .await;
    assert_eq!(resp.status(), 422);
    assert_eq!(
        body(resp).await["error"]["fields"][0],
        json!({"field": "strategy.params.lookback", "message": "must be between 2 and 1000"})
    );
    let still = body(app.get_auth(&path, &token).await).await;
    assert_eq!(
        still["strategy"]["params"]["lookback"], 50.0,
        "a refused update changes nothing"
    );

    // Another user's bot is not found, whatever the body.
    let other = app.token_for("other-strategist@example.com").await;
    let resp = app
        .put_auth(&path, &other, json!({"timeframe": "1d"}))
        .await;
    assert_eq!(resp.status(), 404);
    app.stop().await;
}

on_both_engines!(
    catalog_is_public_with_parameter_schemas,
    bots_carry_a_strategy_and_bad_input_is_a_422_per_field,
);
