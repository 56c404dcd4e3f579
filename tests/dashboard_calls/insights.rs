//! `/api/ai/insights`, `/api/ai/chat/greeting`, `/api/ml/predict`, and the whale/flokx panels.

use crate::common::Engine;
use crate::on_both_engines;
use crate::portfolio_support::json_of;
use crate::{near, seeded, seeded_with_clock, store_candles};
use chrono::Duration;
use serde_json::json;

async fn insights_read_the_regime_from_candles_and_sentiment_from_results(engine: Engine) {
    let (app, me) = seeded(&engine).await;
    let i = json_of(app.get_auth("/api/ai/insights", &me.token).await).await;
    assert_eq!(i["regime"]["current"], "unknown", "no candles yet");
    store_candles(&app).await;
    let i = json_of(app.get_auth("/api/ai/insights", &me.token).await).await;
    assert_eq!(i["user_id"], me.user_id.as_str());
    // Closes 100 × 1.001^i: an exact log-linear rise, R² 1, daily volatility 0.
    assert_eq!(i["regime"]["current"], "trending_up");
    assert_eq!(i["regime"]["confidence"], 1.0);
    assert_eq!(i["pairs"][0]["pair"], "BTC/ZAR");
    assert_eq!(i["pairs"][0]["candles"], 48);
    // Three wins, one loss in four trades: (3 - 1) / 4.
    let s = &i["sentiment"];
    assert_eq!(
        (
            s["overall"].as_str(),
            s["score"].as_f64(),
            s["sources_count"].as_u64()
        ),
        (Some("positive"), Some(0.5), Some(4))
    );
    assert!(s["source"]
        .as_str()
        .unwrap()
        .contains("your last 4 closed trades"));
    let text = i["insights"].as_str().unwrap();
    assert!(
        text.contains("BTC/ZAR")
            && text.contains("trending up")
            && text.contains("3 won and 1 lost"),
        "{text}"
    );
    assert!(i["last_decision"].is_null());
    assert_eq!(i["system_health"]["database"], "connected");
    assert_eq!(i["system_health"]["active_bots"], 1);
}

async fn the_forecast_is_a_log_linear_fit_of_stored_closes(engine: Engine) {
    let (app, me) = seeded(&engine).await;
    let resp = app
        .get_auth("/api/ml/predict?symbol=BTC-ZAR&platform=luno", &me.token)
        .await;
    assert_eq!(resp.status(), 404, "no candles yet");
    let body = json_of(resp).await;
    assert_eq!(body["error"]["code"], "NO_CANDLES");
    assert!(
        body["detail"].as_str().unwrap().contains("luno BTC/ZAR"),
        "{body}"
    );
    store_candles(&app).await;
    let p = json_of(
        app.get_auth("/api/ml/predict?symbol=BTC-ZAR&platform=luno", &me.token)
            .await,
    )
    .await;
    assert_eq!(
        (p["pair"].as_str(), p["timeframe"].as_str()),
        (Some("BTC/ZAR"), Some("1h"))
    );
    assert!(near(&p["current_price"], 100.0 * 1.001f64.powi(47), 1e-9));
    // The line continues exactly: 1 h -> index 48, 24 h -> index 71.
    assert!(near(&p["prediction_1h"], 100.0 * 1.001f64.powi(48), 1e-6));
    assert!(near(&p["prediction_24h"], 100.0 * 1.001f64.powi(71), 1e-6));
    assert!(near(&p["predicted_change"], 2.4278, 1e-4), "1.001^24 - 1");
    assert_eq!(
        (p["direction"].as_str(), p["confidence"].as_f64()),
        (Some("up"), Some(100.0))
    );
    assert_eq!(p["method"], "ols_linear_regression_on_log_close");
    assert_eq!(p["candles_used"], 48);
    let resp = app
        .get_auth("/api/ml/predict?symbol=BTC&platform=nowhere", &me.token)
        .await;
    assert_eq!(resp.status(), 422);
    let fields = json_of(resp).await["error"]["fields"].clone();
    assert_eq!(
        (fields[0]["field"].as_str(), fields[1]["field"].as_str()),
        (Some("symbol"), Some("platform"))
    );
}

async fn the_greeting_comes_once_a_utc_day(engine: Engine) {
    let (app, me, clock) = seeded_with_clock(&engine).await;
    let resp = app
        .post_auth("/api/ai/chat/greeting", &me.token, json!(null))
        .await;
    assert_eq!(resp.status(), 200);
    let g = json_of(resp).await;
    assert_eq!(
        (g["role"].as_str(), g["is_greeting"].as_bool()),
        (Some("assistant"), Some(true))
    );
    let content = g["content"].as_str().unwrap().to_string();
    assert!(
        content.contains("1 of your 1 bots are active") && content.contains("-30.00"),
        "{content}"
    );
    assert_eq!(g["system_state"]["profit_today"], -30.0);
    let again = json_of(
        app.post_auth("/api/ai/chat/greeting", &me.token, json!(null))
            .await,
    )
    .await;
    assert_eq!(again["already_greeted"], true);
    assert_eq!(again["messages"][0]["content"], content.as_str());
    assert_eq!(again["messages"][0]["role"], "assistant");
    // Another user still gets theirs.
    let other = app.token_for("other@example.com").await;
    let g = json_of(
        app.post_auth("/api/ai/chat/greeting", &other, json!(null))
            .await,
    )
    .await;
    assert_eq!(g["is_greeting"], true);
    // After UTC midnight (12:00 + 13 h) the same user is greeted again, once.
    clock.advance(Duration::hours(13));
    let g = json_of(
        app.post_auth("/api/ai/chat/greeting", &me.token, json!(null))
            .await,
    )
    .await;
    assert_eq!(g["is_greeting"], true, "{g}");
    let again = json_of(
        app.post_auth("/api/ai/chat/greeting", &me.token, json!(null))
            .await,
    )
    .await;
    assert_eq!(again["already_greeted"], true);
    assert_eq!(
        again["messages"].as_array().map(Vec::len),
        Some(1),
        "today's messages only"
    );
}

async fn whale_and_flokx_say_there_is_no_source(engine: Engine) {
    let (app, me) = seeded(&engine).await;
    let w = json_of(app.get_auth("/api/advanced/whale/summary", &me.token).await).await;
    assert_eq!(w["status"], "unavailable");
    assert!(w["message"]
        .as_str()
        .unwrap()
        .contains("No on-chain data source"));
    let f = json_of(app.get_auth("/api/flokx/alerts", &me.token).await).await;
    assert_eq!(f, json!({"alerts": [], "count": 0}));
    let d = json_of(
        app.get_auth("/api/advanced/decisions/recent?limit=5", &me.token)
            .await,
    )
    .await;
    assert_eq!(
        (
            d["success"].as_bool(),
            d["count"].as_u64(),
            d["limit"].as_u64()
        ),
        (Some(true), Some(0), Some(5))
    );
    assert!(d["decisions"].is_array() && d["timestamp"].is_string());
}

on_both_engines!(
    insights_read_the_regime_from_candles_and_sentiment_from_results,
    the_forecast_is_a_log_linear_fit_of_stored_closes,
    the_greeting_comes_once_a_utc_day,
    whale_and_flokx_say_there_is_no_source,
);
