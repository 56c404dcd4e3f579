//! `/api/analytics/countdown-to-million` and the custom `/api/countdowns` (max 2 per user).

use crate::common::Engine;
use crate::on_both_engines;
use crate::portfolio_support::{json_of, now, rfc};
use crate::{near, seeded};
use chrono::Duration;
use serde_json::json;

async fn the_million_countdown_projects_realised_daily_profit(engine: Engine) {
    let (app, me) = seeded(&engine).await;
    let resp = app
        .get_auth("/api/analytics/countdown-to-million", &me.token)
        .await;
    assert_eq!(resp.status(), 200);
    let c = json_of(resp).await;
    // Capital 1140, 140 profit over 10 days: 14 a day.
    assert_eq!(c["current_capital"], 1140.0);
    assert_eq!(c["target"], 1_000_000.0);
    assert_eq!(c["remaining"], 998_860.0);
    assert_eq!(c["progress_pct"], 0.11);
    // 998,860 / 14 = 71,347.14 -> 71,348 days.
    assert_eq!(c["days_remaining"], 71_348.0);
    assert_eq!(
        c["completion_date"].as_str().map(|s| s[..10].to_string()),
        Some(rfc(now() + Duration::days(71_348))[..10].to_string())
    );
    assert_eq!(
        (c["mode"].as_str(), c["status"].as_str()),
        (Some("Paper"), Some("on_track"))
    );
    let m = &c["metrics"];
    assert_eq!(m["avg_daily_profit"], 14.0);
    assert_eq!(m["daily_roi_pct"], 1.2281, "14 / 1140");
    assert_eq!(
        (m["days_of_data"].as_u64(), m["total_trades"].as_u64()),
        (Some(10), Some(4))
    );
    let p = &c["projections"];
    assert_eq!(p["simple"], 71_348.0);
    // ln(1e6 / 1140) / ln(1 + 14/1140) = 555.6 -> 556.
    assert_eq!(p["compound"], 556.0);
    assert_eq!(p["using"], "simple");
    assert_eq!(p["twelve_month"], 6_250.0, "1140 + 14 × 365");
    assert_eq!(p["twelve_month_gain"], 5_110.0);
    assert_eq!(p["twelve_month_roi"], 448.25);
    assert_eq!(c["data_quality"], "medium");
    assert!(c["message"].as_str().unwrap().contains("71348 days"));
    assert!(c["timestamp"].is_string());

    // A user without trades: no date, said plainly.
    let other = app.token_for("new@example.com").await;
    let c = json_of(
        app.get_auth("/api/analytics/countdown-to-million", &other)
            .await,
    )
    .await;
    assert_eq!(
        (c["status"].as_str(), c["data_quality"].as_str()),
        (Some("no_data"), Some("none"))
    );
    assert!(c["days_remaining"].is_null() && c["completion_date"].is_null());
    assert_eq!(c["current_capital"], 0.0);
}

async fn custom_countdowns_are_capped_at_two_and_private(engine: Engine) {
    let (app, me) = seeded(&engine).await;
    let resp = app
        .post_auth(
            "/api/countdowns",
            &me.token,
            json!({"label": " Car ", "target_amount": 2280}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let car = json_of(resp).await;
    assert_eq!(car["label"], "Car");
    assert_eq!(car["user_id"], me.user_id.as_str());
    // 1140 of 2280: half way, 1140 to go at 14 a day = 81.4 -> 82 days.
    assert_eq!(car["current_progress"], 1140.0);
    assert_eq!(car["progress_pct"], 50.0);
    assert_eq!(car["remaining"], 1140.0);
    assert_eq!(car["days_remaining"], 82.0);
    assert!(car["created_at"].is_string() && car["updated_at"].is_string());

    let resp = app
        .post_auth(
            "/api/countdowns/",
            &me.token,
            json!({"label": "House", "target_amount": 500}),
        )
        .await;
    assert_eq!(resp.status(), 200, "the trailing-slash spelling");
    let house = json_of(resp).await;
    assert_eq!(
        (house["progress_pct"].as_f64(), house["remaining"].as_f64()),
        (Some(100.0), Some(0.0))
    );
    assert_eq!(house["days_remaining"], 0.0);

    let resp = app
        .post_auth(
            "/api/countdowns",
            &me.token,
            json!({"label": "Boat", "target_amount": 9000}),
        )
        .await;
    assert_eq!(resp.status(), 400);
    let body = json_of(resp).await;
    assert_eq!(
        body["detail"],
        "Maximum of 2 custom countdowns allowed per user"
    );
    assert_eq!(body["error"]["code"], "COUNTDOWN_LIMIT_REACHED");

    for path in ["/api/countdowns", "/api/countdowns/"] {
        let list = json_of(app.get_auth(path, &me.token).await).await;
        let labels: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["label"].as_str().unwrap())
            .collect();
        assert_eq!(labels, ["Car", "House"], "{path}");
    }

    // Another user sees none of them and cannot delete them.
    let other = app.token_for("other@example.com").await;
    assert_eq!(
        json_of(app.get_auth("/api/countdowns", &other).await).await,
        json!([])
    );
    let car_path = format!("/api/countdowns/{}", car["id"].as_str().unwrap());
    let resp = app.delete_auth(&car_path, &other).await;
    assert_eq!(resp.status(), 404);
    assert_eq!(json_of(resp).await["error"]["code"], "COUNTDOWN_NOT_FOUND");

    let resp = app.delete_auth(&car_path, &me.token).await;
    assert_eq!(resp.status(), 200);
    assert!(json_of(resp).await["message"].is_string());
    assert_eq!(
        app.delete_auth(&car_path, &me.token).await.status(),
        404,
        "already gone"
    );
    let list = json_of(app.get_auth("/api/countdowns", &me.token).await).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    // Room for one again.
    let resp = app
        .post_auth(
            "/api/countdowns",
            &me.token,
            json!({"label": "Boat", "target_amount": 9000}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert!(
        near(&json_of(resp).await["progress_pct"], 12.67, 1e-9),
        "1140 / 9000"
    );
}

async fn bad_countdowns_are_422_naming_the_fields(engine: Engine) {
    let (app, me) = seeded(&engine).await;
    let resp = app
        .post_auth(
            "/api/countdowns",
            &me.token,
            json!({"label": "  ", "target_amount": -5}),
        )
        .await;
    assert_eq!(resp.status(), 422);
    let body = json_of(resp).await;
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["label", "target_amount"]);
    let resp = app
        .post_auth(
            "/api/countdowns",
            &me.token,
            json!({"label": "x", "target_amount": "lots"}),
        )
        .await;
    assert_eq!(resp.status(), 422, "a string amount");
    assert!(json_of(resp).await["detail"].is_string());
    assert_eq!(
        json_of(app.get_auth("/api/countdowns", &me.token).await).await,
        json!([])
    );
}

async fn racing_creations_still_stop_at_two(engine: Engine) {
    let (app, me) = seeded(&engine).await;
    let posts = (0..6).map(|i| {
        app.post_auth(
            "/api/countdowns",
            &me.token,
            json!({"label": format!("Goal {i}"), "target_amount": 5000}),
        )
    });
    let statuses: Vec<u16> = futures_util::future::join_all(posts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        2,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 400).count(),
        4,
        "{statuses:?}"
    );
    let list = json_of(app.get_auth("/api/countdowns", &me.token).await).await;
    assert_eq!(list.as_array().map(Vec::len), Some(2));
}

on_both_engines!(
    racing_creations_still_stop_at_two,
    the_million_countdown_projects_realised_daily_profit,
    custom_countdowns_are_capped_at_two_and_private,
    bad_countdowns_are_422_naming_the_fields,
);
