//! `/api/overview`, `/api/analytics/profit-history`, `/api/system/health|platforms`,
//! `/api/metrics` (JSON, Prometheus text on request) and the legacy `/api/api-keys` array.

use crate::common::Engine;
use crate::on_both_engines;
use crate::portfolio_support::{ago, json_of, now};
use crate::seeded;
use serde_json::json;

async fn the_overview_sums_realised_profit_and_counts_bots(engine: Engine) {
    let (app, me) = seeded(&engine).await;
    let o = json_of(app.get_auth("/api/overview", &me.token).await).await;
    assert_eq!(
        (o["total_profit"].as_f64(), o["totalProfit"].as_f64()),
        (Some(140.0), Some(140.0))
    );
    // Last 24 h: +20 yesterday 15:00, -30 today 09:00; capital then 1150.
    assert_eq!(o["change_24h"], -10.0);
    assert_eq!(o["change_24h_pct"], -0.87);
    assert_eq!(
        (
            o["total_bots"].as_u64(),
            o["active_bots"].as_u64(),
            o["paper_bots"].as_u64(),
            o["live_bots"].as_u64()
        ),
        (Some(1), Some(1), Some(1), Some(0))
    );
    assert_eq!(o["activeBots"], "1 active / 1");
    assert_eq!(o["exposure"], 0.0);
    assert_eq!(
        (o["risk_level"].as_str(), o["riskLevel"].as_str()),
        (Some("low"), Some("low"))
    );
    assert_eq!(
        (o["trading_status"].as_str(), o["tradingStatus"].as_str()),
        (Some("active"), Some("active"))
    );
    assert_eq!(o["last_update"], o["lastUpdate"]);

    let resp = app
        .post_auth("/api/system/emergency-stop", &me.token, json!({}))
        .await;
    assert_eq!(resp.status(), 200);
    let o = json_of(app.get_auth("/api/overview", &me.token).await).await;
    assert_eq!(o["tradingStatus"], "emergency_stop");
    assert_eq!(o["active_bots"], 0, "the stop paused the bot");
}

async fn profit_history_buckets_realised_profit(engine: Engine) {
    let (app, me) = seeded(&engine).await;
    let day = |d: i64| ago(d, 0, 0).format("%Y-%m-%d").to_string();
    let h = json_of(
        app.get_auth("/api/analytics/profit-history", &me.token)
            .await,
    )
    .await;
    let labels: Vec<String> = (0..7).rev().map(day).collect();
    assert_eq!(
        h["labels"],
        json!(labels),
        "daily is the default: the last 7 days"
    );
    assert_eq!(h["values"], json!([0.0, 0.0, 0.0, 0.0, 100.0, 20.0, -30.0]));
    assert_eq!(
        (h["total"].as_f64(), h["best_day"].as_f64()),
        (Some(90.0), Some(100.0))
    );
    assert_eq!(h["avg_daily"], 12.86, "90 / 7");
    assert_eq!(h["growth_rate"], -250.0, "20 -> -30");

    let w = json_of(
        app.get_auth("/api/analytics/profit-history?period=weekly", &me.token)
            .await,
    )
    .await;
    // Weeks from Monday: -9 d and -2 d are Mondays.
    let mondays: Vec<String> = [23, 16, 9, 2].into_iter().map(day).collect();
    assert_eq!(w["labels"], json!(mondays));
    assert_eq!(w["values"], json!([0.0, 0.0, 50.0, 90.0]));
    assert_eq!(
        (w["total"].as_f64(), w["best_day"].as_f64()),
        (Some(140.0), Some(100.0))
    );
    assert_eq!(
        w["avg_daily"], 5.83,
        "140 over the 24 days since the first Monday"
    );
    assert_eq!(w["growth_rate"], 80.0, "50 -> 90");

    let m = json_of(
        app.get_auth("/api/analytics/profit-history?period=monthly", &me.token)
            .await,
    )
    .await;
    assert_eq!(m["values"], json!([0.0, 0.0, 0.0, 0.0, 0.0, 140.0]));
    assert_eq!(m["labels"][5], now().format("%Y-%m").to_string());
    assert_eq!(m["growth_rate"], 0.0, "no profit the month before");

    let resp = app
        .get_auth("/api/analytics/profit-history?period=yearly", &me.token)
        .await;
    assert_eq!(resp.status(), 422);
    assert_eq!(json_of(resp).await["error"]["fields"][0]["field"], "period");
    // Someone else's history is their own (empty).
    let other = app.token_for("other@example.com").await;
    let h = json_of(app.get_auth("/api/analytics/profit-history", &other).await).await;
    assert_eq!(h["total"], 0.0);
}

async fn system_health_platforms_and_metrics(engine: Engine) {
    let (app, me) = seeded(&engine).await;
    let h = json_of(app.get_auth("/api/system/health", &me.token).await).await;
    assert_eq!(
        (h["status"].as_str(), h["database"].as_str()),
        (Some("healthy"), Some("connected"))
    );
    assert_eq!(h["engine"], app.state.store.engine());
    assert!(h["timestamp"].is_string());

    let p = json_of(app.get_auth("/api/system/platforms", &me.token).await).await;
    assert_eq!(
        (p["total_count"].as_u64(), p["default"].as_str()),
        (Some(5), Some("all"))
    );
    let luno = &p["platforms"][0];
    assert_eq!(
        (
            luno["id"].as_str(),
            luno["display_name"].as_str(),
            luno["bot_limit"].as_u64(),
            luno["region"].as_str()
        ),
        (Some("luno"), Some("Luno"), Some(5), Some("ZA"))
    );
    assert_eq!(luno["supports_paper"], true);
    assert_eq!(
        luno["supports_live"],
        app.state.config.flags.enable_live_trading
    );
    assert_eq!(p["platforms"][2]["bot_limit"], 10, "kucoin");

    let m = json_of(app.get_auth("/api/metrics", &me.token).await).await;
    assert!(
        m["requests"]["total"].as_f64().is_some_and(|n| n >= 2.0),
        "{m}"
    );
    assert_eq!(m["errors"], m["requests"]["server_errors"]);
    assert_eq!(m["trades_today"], 1, "the -30 at 09:00");
    assert!(m["engines"].is_object() && m["realtime_clients"].is_number());
    let resp = app
        .client
        .get(app.url("/api/metrics"))
        .bearer_auth(&me.token)
        .header("accept", "text/plain")
        .send()
        .await
        .unwrap();
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    assert!(resp.text().await.unwrap().contains("http_requests_total"));
    // The Prometheus endpoint is unchanged.
    let resp = app.get("/metrics").await;
    assert_eq!(resp.status(), 200);
}

async fn legacy_api_keys_is_a_bare_array_without_secrets(engine: Engine) {
    let (app, me) = seeded(&engine).await;
    assert_eq!(
        json_of(app.get_auth("/api/api-keys", &me.token).await).await,
        json!([])
    );
    let resp = app
        .post_auth("/api/keys/save", &me.token, json!({"provider": "luno", "api_key": "LUNOKEY-123456", "api_secret": "very-secret-value"}))
        .await;
    assert_eq!(resp.status(), 200);
    let resp = app.get_auth("/api/api-keys", &me.token).await;
    let text = resp.text().await.unwrap();
    assert!(!text.contains("very-secret-value") && !text.contains("LUNOKEY-123456"));
    let keys: serde_json::Value = serde_json::from_str(&text).unwrap();
    let k = &keys[0];
    assert_eq!(keys.as_array().map(Vec::len), Some(1));
    assert_eq!(
        (
            k["provider"].as_str(),
            k["connected"].as_bool(),
            k["status"].as_str(),
            k["masked_key"].as_str()
        ),
        (
            Some("luno"),
            Some(false),
            Some("saved_untested"),
            Some("LUNO...3456")
        )
    );
    assert!(k["created_at"].is_string() && k["last_tested_at"].is_null());
    // A passing test makes it connected.
    let at = now();
    assert!(app
        .state
        .store
        .keys
        .record_test(&me.user_id, "luno", "test_ok", at, None)
        .await
        .unwrap());
    let k = &json_of(app.get_auth("/api/api-keys", &me.token).await).await[0];
    assert_eq!(
        (k["connected"].as_bool(), k["status"].as_str()),
        (Some(true), Some("test_ok"))
    );
    assert!(k["last_tested_at"].is_string());
    // The full list keeps its shape.
    let full = json_of(app.get_auth("/api/keys/list", &me.token).await).await;
    assert_eq!(
        (full["success"].as_bool(), full["total"].as_u64()),
        (Some(true), Some(6))
    );
}

on_both_engines!(
    the_overview_sums_realised_profit_and_counts_bots,
    profit_history_buckets_realised_profit,
    system_health_platforms_and_metrics,
    legacy_api_keys_is_a_bare_array_without_secrets,
);
