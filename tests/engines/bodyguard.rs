//! Bodyguard engine: each rule, the daily loss limit, quarantine release.

use amarktai::engine::bodyguard;
use chrono::Duration;
use serde_json::json;

use crate::common::Engine;
use crate::on_both_engines;
use crate::support::*;

/// Four bots each break one rule, one stays healthy: three are quarantined, one paused, each
/// with an alert and a `bot_status_changed` event; the healthy bot is untouched.
async fn bodyguard_acts_on_each_rule(engine: Engine) {
    let (app, clock) = spawn_at(&engine, midday(), &[]).await;
    let token = app.token_for("guard@example.com").await;
    let user = user_id(&app, &token).await;
    let hourly = create_bot(&app, &token, "Hourly").await;
    let stop_loss = create_bot(&app, &token, "StopLoss").await;
    let streak = create_bot(&app, &token, "Streak").await;
    let busy = create_bot(&app, &token, "Busy").await;
    let healthy = create_bot(&app, &token, "Healthy").await;
    let t = clock.now();
    // -160 on 1000 within 30 minutes: 16 % in an hour.
    edit_bot(&app, &hourly, |b| {
        b.record_trade(-100.0, t - Duration::minutes(30));
        b.record_trade(-60.0, t - Duration::minutes(1));
    })
    .await;
    // A slow bleed past the 20 % stop loss: never 15 % within one hour.
    edit_bot(&app, &stop_loss, |b| {
        for h in [8, 6, 4] {
            b.record_trade(-70.0, t - Duration::hours(h));
        }
    })
    .await;
    // Ten small losses in a row.
    edit_bot(&app, &streak, |b| {
        for m in 0..10 {
            b.record_trade(-1.0, t - Duration::minutes(20 - m));
        }
    })
    .await;
    // 101 trades in the last few minutes, roughly break-even.
    edit_bot(&app, &busy, |b| {
        for s in 0..101 {
            let pnl = if s % 2 == 0 { 0.5 } else { -0.4 };
            b.record_trade(pnl, t - Duration::seconds(200 - s));
        }
    })
    .await;
    edit_bot(&app, &healthy, |b| {
        b.record_trade(-10.0, t - Duration::minutes(5))
    })
    .await;

    let report = bodyguard::tick(&app.state).await.unwrap();
    assert_eq!(report.checked, 5);
    assert_eq!(report.quarantined, 3);
    assert_eq!(report.paused, 1);

    for id in [&hourly, &stop_loss, &streak] {
        let bot = get_bot(&app, &token, id).await;
        assert_eq!(bot["status"], "quarantined", "{bot}");
        assert_eq!(bot["quarantine_count"], 1);
        assert!(bot["pause_reason"]
            .as_str()
            .unwrap()
            .contains("AI bodyguard"));
    }
    let paused = get_bot(&app, &token, &busy).await;
    assert_eq!(paused["status"], "paused");
    assert!(paused["pause_reason"]
        .as_str()
        .unwrap()
        .contains("trades within an hour"));
    assert_eq!(get_bot(&app, &token, &healthy).await["status"], "active");

    let alerts = body(app.get_auth("/api/alerts", &token).await).await;
    let alerts = alerts["alerts"].as_array().unwrap().clone();
    assert_eq!(alerts.len(), 4, "{alerts:?}");
    for (id, needle) in [
        (&hourly, "within an hour"),
        (&stop_loss, "stop loss"),
        (&streak, "losing trades in a row"),
        (&busy, "trades within an hour"),
    ] {
        let alert = alerts
            .iter()
            .find(|a| a["bot_id"] == id.as_str())
            .unwrap_or_else(|| panic!("no alert for {needle}"));
        assert_eq!(alert["kind"], "bodyguard");
        assert!(
            alert["message"].as_str().unwrap().contains(needle),
            "{alert}"
        );
    }
    let changed = events_of(&app, &user, "bot_status_changed");
    assert_eq!(changed.len(), 4);
    let new_status = |id: &str| {
        changed
            .iter()
            .find(|e| e["bot_id"] == id)
            .map(|e| (e["old_status"].clone(), e["new_status"].clone()))
    };
    assert_eq!(
        new_status(&streak),
        Some((json!("active"), json!("quarantined")))
    );
    assert_eq!(new_status(&busy), Some((json!("active"), json!("paused"))));
    assert_eq!(events_of(&app, &user, "alert").len(), 4);

    // A second pass changes nothing: the evidence was cleared with the action.
    let again = bodyguard::tick(&app.state).await.unwrap();
    assert_eq!((again.quarantined, again.paused), (0, 0));

    // After the first quarantine's hour the bots are released to `paused`, ready to start.
    clock.advance(Duration::minutes(61));
    let later = bodyguard::tick(&app.state).await.unwrap();
    assert_eq!(later.released, 3);
    assert_eq!(get_bot(&app, &token, &streak).await["status"], "paused");
    let resumed = body(
        app.post_auth(&format!("/api/bots/{streak}/resume"), &token, json!({}))
            .await,
    )
    .await;
    assert_eq!(resumed["success"], true, "{resumed}");
    let resumed = body(
        app.post_auth(&format!("/api/bots/{stop_loss}/resume"), &token, json!({}))
            .await,
    )
    .await;
    assert_eq!(resumed["success"], true, "{resumed}");
    // Back from retraining, they are judged on what they do next, not on the old losses.
    let after = bodyguard::tick(&app.state).await.unwrap();
    assert_eq!((after.quarantined, after.paused), (0, 0));
    assert_eq!(get_bot(&app, &token, &stop_loss).await["status"], "active");
    assert_eq!(get_bot(&app, &token, &streak).await["status"], "active");
    app.stop().await;
}

/// A day's loss at the limit pauses all of the user's running bots, even though no single
/// bot broke a rule; another user's bots are left alone.
async fn bodyguard_pauses_all_bots_on_daily_loss(engine: Engine) {
    let (app, _clock) = spawn_at(&engine, midday(), &[]).await;
    let token = app.token_for("loser@example.com").await;
    let other = app.token_for("bystander@example.com").await;
    let user = user_id(&app, &token).await;
    let a = create_bot(&app, &token, "A").await;
    let b = create_bot(&app, &token, "B").await;
    let theirs = create_bot(&app, &other, "Theirs").await;
    let t = app.state.clock.now();
    // 100 + 100 lost of 2000 this morning: exactly MAX_DAILY_LOSS_PERCENT (10 %).
    edit_bot(&app, &a, |bot| {
        bot.record_trade(-100.0, t - Duration::hours(3))
    })
    .await;
    edit_bot(&app, &b, |bot| {
        bot.record_trade(-100.0, t - Duration::hours(2))
    })
    .await;
    edit_bot(&app, &theirs, |bot| {
        bot.record_trade(-50.0, t - Duration::hours(2))
    })
    .await;

    let report = bodyguard::tick(&app.state).await.unwrap();
    assert_eq!((report.quarantined, report.paused), (0, 0));
    assert_eq!(report.users_paused, 1);
    for id in [&a, &b] {
        let bot = get_bot(&app, &token, id).await;
        assert_eq!(bot["status"], "paused");
        assert!(bot["pause_reason"].as_str().unwrap().contains("daily loss"));
    }
    assert_eq!(get_bot(&app, &other, &theirs).await["status"], "active");
    let alerts = body(app.get_auth("/api/alerts", &token).await).await;
    assert_eq!(alerts["count"], 1);
    assert!(alerts["alerts"][0]["message"]
        .as_str()
        .unwrap()
        .contains("2 bots paused"));
    assert_eq!(events_of(&app, &user, "bot_status_changed").len(), 2);
    let others_alerts = body(app.get_auth("/api/alerts", &other).await).await;
    assert_eq!(others_alerts["count"], 0);

    // Nothing left running: no second alert on the next pass.
    bodyguard::tick(&app.state).await.unwrap();
    let alerts = body(app.get_auth("/api/alerts", &token).await).await;
    assert_eq!(alerts["count"], 1);
    app.stop().await;
}

on_both_engines!(
    bodyguard_acts_on_each_rule,
    bodyguard_pauses_all_bots_on_daily_loss,
);
