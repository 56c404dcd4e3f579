//! Background engines (SPEC §9) driven tick by tick with a manual clock, on both storage
//! engines: bodyguard rules, daily reset, autopilot, flags, leases, health output.

mod common;
#[path = "engines/support.rs"]
mod support;

use std::sync::Arc;

use amarktai::domain::bot::{Bot, BotStatus, Exchange, NewBot, RiskMode, TradingMode};
use amarktai::engine::{self, autopilot, bodyguard, daily_reset, TickOutcome};
use chrono::Duration;
use serde_json::{json, Value};

use common::{Engine, TestConfig};
use support::*;

// ---------------------------------------------------------------- bodyguard

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

// ---------------------------------------------------------------- daily reset

async fn daily_reset_happens_at_utc_midnight(engine: Engine) {
    let (app, clock) = spawn_at(&engine, before_midnight(), &[]).await;
    let token = app.token_for("night@example.com").await;
    let id = create_bot(&app, &token, "Owl").await;
    let t = clock.now();
    edit_bot(&app, &id, |b| {
        b.record_trade(12.5, t - Duration::minutes(5));
        b.record_trade(-2.5, t - Duration::minutes(2));
    })
    .await;

    // 23:59: still the same day, nothing to reset.
    assert_eq!(daily_reset::tick(&app.state).await.unwrap(), 0);
    let bot = get_bot(&app, &token, &id).await;
    assert_eq!(bot["daily_profit"], 10.0);
    assert_eq!(bot["daily_trade_count"], 2);

    // 00:00:30 the next day: the counters start again; lifetime totals stay.
    clock.advance(Duration::seconds(90));
    assert_eq!(daily_reset::tick(&app.state).await.unwrap(), 1);
    let bot = get_bot(&app, &token, &id).await;
    assert_eq!(bot["daily_profit"], 0.0);
    assert_eq!(bot["daily_trade_count"], 0);
    assert_eq!(bot["total_profit"], 10.0);
    assert_eq!(bot["trades_count"], 2);
    // Idempotent: a second instance or a second pass finds nothing left.
    assert_eq!(daily_reset::tick(&app.state).await.unwrap(), 0);
    app.stop().await;
}

// ---------------------------------------------------------------- autopilot

/// Profit above the starting capital moves into one new bot a day, never past `MAX_BOTS`;
/// users without the autopilot mode are left alone.
async fn autopilot_spawns_within_max_bots(engine: Engine) {
    let vars = [("ENABLE_AUTOPILOT", "yes"), ("MAX_BOTS", "3")];
    let (app, clock) = spawn_at(&engine, midday(), &vars).await;
    let token = app.token_for("pilot@example.com").await;
    let manual = app.token_for("manual@example.com").await;
    let user = user_id(&app, &token).await;
    let resp = app
        .put_auth(
            "/api/system/mode",
            &token,
            json!({"mode": "autopilot", "enabled": true}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let a = create_bot(&app, &token, "A").await;
    let b = create_bot(&app, &token, "B").await;
    let m = create_bot(&app, &manual, "M").await;
    let t = clock.now();
    edit_bot(&app, &a, |bot| {
        bot.record_trade(90.0, t - Duration::hours(1))
    })
    .await;
    edit_bot(&app, &b, |bot| {
        bot.record_trade(60.0, t - Duration::hours(1))
    })
    .await;
    edit_bot(&app, &m, |bot| {
        bot.record_trade(500.0, t - Duration::hours(1))
    })
    .await;

    let report = autopilot::tick(&app.state).await.unwrap();
    assert_eq!((report.users, report.spawned), (1, 1));
    let bots = body(app.get_auth("/api/bots", &token).await).await;
    let bots = bots.as_array().unwrap();
    assert_eq!(bots.len(), 3);
    let spawned = bots
        .iter()
        .find(|b| b["autopilot_spawned"] == true)
        .unwrap();
    assert_eq!(spawned["initial_capital"], 150.0);
    assert_eq!(spawned["trading_mode"], "paper");
    assert_eq!(spawned["status"], "active");
    // Capital was moved, not created: the donors are back at their starting capital.
    for (id, profit) in [(&a, 90.0), (&b, 60.0)] {
        let bot = get_bot(&app, &token, id).await;
        assert_eq!(bot["current_capital"], 1000.0);
        assert_eq!(bot["total_profit"], profit, "profit history is kept");
    }
    assert_eq!(events_of(&app, &user, "bot_created").len(), 3);
    let alerts = body(app.get_auth("/api/alerts", &token).await).await;
    assert!(alerts["alerts"][0]["message"]
        .as_str()
        .unwrap()
        .contains("reinvested 150.00"));
    // The manual user's profit is untouched.
    assert_eq!(get_bot(&app, &manual, &m).await["current_capital"], 1500.0);

    // The next day there is profit again, but MAX_BOTS (3) is reached.
    clock.advance(Duration::days(1));
    let t = clock.now();
    edit_bot(&app, &a, |bot| {
        bot.record_trade(400.0, t - Duration::minutes(5))
    })
    .await;
    let report = autopilot::tick(&app.state).await.unwrap();
    assert_eq!(report.spawned, 0);
    let token = fresh_token(&app, "pilot@example.com").await;
    let bots = body(app.get_auth("/api/bots", &token).await).await;
    assert_eq!(bots.as_array().unwrap().len(), 3);
    assert_eq!(get_bot(&app, &token, &a).await["current_capital"], 1400.0);
    app.stop().await;
}

/// The hourly check promotes bay bots whose hours are done (autopilot users only), and a
/// server without `ENABLE_AUTOPILOT` does nothing at all.
async fn autopilot_promotes_finished_bay_bots(engine: Engine) {
    let (app, clock) = spawn_at(&engine, midday(), &[("ENABLE_AUTOPILOT", "on")]).await;
    let token = app.token_for("bay@example.com").await;
    let user = user_id(&app, &token).await;
    app.put_auth(
        "/api/system/mode",
        &token,
        json!({"mode": "autopilot", "enabled": true}),
    )
    .await;
    let bot = insert_live_bot(&app, &user, "Live", clock.now()).await;
    clock.advance(Duration::hours(23));
    assert_eq!(autopilot::tick(&app.state).await.unwrap().promoted, 0);
    clock.advance(Duration::hours(1));
    assert_eq!(autopilot::tick(&app.state).await.unwrap().promoted, 1);
    let token = fresh_token(&app, "bay@example.com").await;
    let stored = get_bot(&app, &token, &bot).await;
    assert_eq!(stored["status"], "paused");
    assert!(stored["promoted_at"].is_string());
    assert_eq!(events_of(&app, &user, "bot_promoted").len(), 1);
    app.stop().await;

    let (off, clock) = spawn_at(&engine, midday(), &[]).await;
    let token = off.token_for("bay@example.com").await;
    let user = user_id(&off, &token).await;
    off.put_auth(
        "/api/system/mode",
        &token,
        json!({"mode": "autopilot", "enabled": true}),
    )
    .await;
    insert_live_bot(&off, &user, "Live", clock.now()).await;
    clock.advance(Duration::hours(25));
    let report = autopilot::tick(&off.state).await.unwrap();
    assert_eq!(report, autopilot::AutopilotReport::default());
    off.stop().await;
}

// ---------------------------------------------------------------- flags, health, metrics

/// Flags off: no engine starts and preflight says `enabled:false`; the trading scheduler is
/// allowed by its flags but not started without an executor, and says so.
async fn flags_decide_which_engines_start(engine: Engine) {
    let (app, _clock) = spawn_at(&engine, midday(), &[("DISABLE_AI_BODYGUARD", "TRUE")]).await;
    let handles = engine::start(&app.state, None);
    assert!(handles.is_empty());
    let preflight = body(app.get("/api/health/preflight").await).await;
    for name in [
        "ai_bodyguard",
        "autopilot",
        "daily_reset",
        "trading_scheduler",
    ] {
        let status = &preflight["engines"][name];
        assert_eq!(status["enabled"], false, "{name}: {status}");
        assert_eq!(status["started"], false, "{name}");
        assert_eq!(status["last_tick"], Value::Null, "{name}");
    }
    assert_eq!(preflight["flags"]["DISABLE_AI_BODYGUARD"], true);
    app.stop().await;

    let vars = [("ENABLE_TRADING", "1"), ("ENABLE_SCHEDULERS", "On")];
    let (app, _clock) = spawn_at(&engine, midday(), &vars).await;
    let handles = engine::start(&app.state, None);
    assert_eq!(handles.len(), 2, "bodyguard and daily reset");
    let health = body(app.get("/api/health").await).await;
    let engines = &health["engines"];
    assert_eq!(engines["ai_bodyguard"]["started"], true);
    assert_eq!(engines["daily_reset"]["started"], true);
    assert_eq!(engines["autopilot"]["enabled"], false);
    assert_eq!(engines["trading_scheduler"]["enabled"], true);
    assert_eq!(engines["trading_scheduler"]["started"], false);
    // The loops tick at once; wait for both first ticks to be recorded.
    let mut ticked = false;
    for _ in 0..100 {
        let preflight = body(app.get("/api/health/preflight").await).await;
        let e = &preflight["engines"];
        if e["ai_bodyguard"]["last_outcome"] == "ok" && e["daily_reset"]["last_outcome"] == "ok" {
            assert_eq!(e["ai_bodyguard"]["lag_seconds"], 0);
            ticked = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(ticked, "engines never ticked");
    // Shutdown stops the loops and gives their leases back.
    app.state.shutdown.cancel();
    for handle in handles {
        handle.await.unwrap();
    }
    let lease = app
        .state
        .store
        .leases
        .current("ai_bodyguard")
        .await
        .unwrap();
    assert_eq!(lease, None);
}

/// A tick run through the runner is shown in preflight (`last_tick`, `lag_seconds`) and
/// counted in `engine_ticks_total`.
async fn ticks_show_in_preflight_and_metrics(engine: Engine) {
    let (app, clock) = spawn_at(&engine, midday(), &[]).await;
    let outcome = engine::run_once(&app.state, &bodyguard::Bodyguard).await;
    assert_eq!(outcome, TickOutcome::Ok);
    clock.advance(Duration::seconds(100));
    let preflight = body(app.get("/api/health/preflight").await).await;
    let guard = &preflight["engines"]["ai_bodyguard"];
    assert_eq!(guard["enabled"], true);
    assert_eq!(guard["last_outcome"], "ok");
    assert_eq!(guard["lag_seconds"], 100);
    assert!(guard["last_tick"].is_string());
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.lines().any(|l| l.starts_with("engine_ticks_total")
            && l.contains(r#"engine="ai_bodyguard""#)
            && l.contains(r#"outcome="ok""#)),
        "{metrics}"
    );
    app.stop().await;
}

#[test]
fn feature_flags_line_lists_every_flag_and_only_engines_that_started() {
    let flags = amarktai::config::FeatureFlags {
        enable_trading: true,
        enable_schedulers: true,
        enable_autopilot: false,
        disable_ai_bodyguard: false,
        enable_live_trading: false,
        enable_realtime: true,
    };
    let registry = engine::EngineRegistry::from_flags(&flags);
    registry.mark_started(engine::AI_BODYGUARD);
    registry.mark_started(engine::DAILY_RESET);
    let line =
        engine::flags_line::feature_flags_line(&flags, &registry.snapshot(chrono::Utc::now()));
    assert!(line.starts_with("Feature flags: "), "{line}");
    for flag in [
        "ENABLE_TRADING=true",
        "ENABLE_SCHEDULERS=true",
        "ENABLE_AUTOPILOT=false",
        "DISABLE_AI_BODYGUARD=false",
        "ENABLE_LIVE_TRADING=false",
        "ENABLE_REALTIME=true",
    ] {
        assert!(line.contains(flag), "{flag} missing: {line}");
    }
    assert!(
        line.contains("engines started: [ai_bodyguard, daily_reset];"),
        "{line}"
    );
    assert!(
        line.contains("trading_scheduler (order pipeline not wired)"),
        "{line}"
    );
    assert!(
        line.contains("autopilot (needs ENABLE_AUTOPILOT)"),
        "{line}"
    );
    assert_eq!(line.lines().count(), 1);
}

// ---------------------------------------------------------------- leases

/// Two server instances on one database: only the lease holder ticks; the other takes over
/// once the lease expires or is released.
async fn lease_lets_one_instance_run_an_engine(engine: Engine) {
    let (app, clock) = spawn_at(&engine, midday(), &[]).await;
    let other = second_instance(&app, &clock).await;
    let guard = bodyguard::Bodyguard;
    assert_eq!(engine::run_once(&app.state, &guard).await, TickOutcome::Ok);
    assert_eq!(engine::run_once(&other, &guard).await, TickOutcome::Standby);
    // The holder renews its lease each interval and keeps it.
    clock.advance(Duration::seconds(300));
    assert_eq!(engine::run_once(&app.state, &guard).await, TickOutcome::Ok);
    clock.advance(Duration::seconds(300));
    assert_eq!(engine::run_once(&other, &guard).await, TickOutcome::Standby);
    // Engines hold separate leases.
    assert_eq!(
        engine::run_once(&other, &daily_reset::DailyReset).await,
        TickOutcome::Ok
    );
    // The holder dies: after the lease's TTL (2 x 300 s + 30 s) the other instance takes over.
    clock.advance(Duration::seconds(631));
    assert_eq!(engine::run_once(&other, &guard).await, TickOutcome::Ok);
    assert_eq!(
        engine::run_once(&app.state, &guard).await,
        TickOutcome::Standby
    );
    let preflight = body(app.get("/api/health/preflight").await).await;
    assert_eq!(
        preflight["engines"]["ai_bodyguard"]["last_outcome"],
        "standby"
    );
    // A released lease is free at once.
    let holder = other.engines.instance_id().to_string();
    other
        .store
        .leases
        .release("ai_bodyguard", &holder)
        .await
        .unwrap();
    assert_eq!(engine::run_once(&app.state, &guard).await, TickOutcome::Ok);
    app.stop().await;
}

/// Many contenders at the same instant: exactly one gets the lease.
async fn lease_has_one_winner_under_contention(engine: Engine) {
    let (app, clock) = spawn_at(&engine, midday(), &[]).await;
    let other = second_instance(&app, &clock).await;
    let now = clock.now();
    let until = now + Duration::minutes(5);
    let mut attempts = Vec::new();
    for i in 0..8 {
        let store = if i % 2 == 0 {
            app.state.store.clone()
        } else {
            other.store.clone()
        };
        attempts.push(tokio::spawn(async move {
            store
                .leases
                .try_acquire("contended", &format!("holder-{i}"), now, until)
                .await
                .unwrap()
        }));
    }
    let mut winners = 0;
    for attempt in attempts {
        if attempt.await.unwrap() {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
    let (holder, expires) = app
        .state
        .store
        .leases
        .current("contended")
        .await
        .unwrap()
        .unwrap();
    assert!(holder.starts_with("holder-"));
    assert_eq!(expires.timestamp_millis(), until.timestamp_millis());
    app.stop().await;
}

// ---------------------------------------------------------------- trading scheduler

/// Only running paper bots of users who have not hit the emergency stop, did not switch paper
/// trading off, and were not switched off by an admin get a turn; each gets exactly one.
async fn scheduler_selects_only_eligible_bots(engine: Engine) {
    let vars = [("ENABLE_TRADING", "true"), ("ENABLE_SCHEDULERS", "true")];
    let (app, clock) = spawn_at(&engine, midday(), &vars).await;
    let token = app.token_for("trader@example.com").await;
    let user = user_id(&app, &token).await;
    let eligible = create_bot(&app, &token, "Eligible").await;
    let also = create_bot(&app, &token, "AlsoEligible").await;
    let paused = create_bot(&app, &token, "Paused").await;
    app.post_auth(&format!("/api/bots/{paused}/pause"), &token, json!({}))
        .await;
    let quarantined = create_bot(&app, &token, "Quarantined").await;
    edit_bot(&app, &quarantined, |b| b.status = BotStatus::Quarantined).await;
    let admin_off = create_bot(&app, &token, "AdminOff").await;
    edit_bot(&app, &admin_off, |b| {
        b.override_rules = json!({"trading_enabled": false})
    })
    .await;
    let live = insert_live_bot(&app, &user, "LiveActive", clock.now()).await;
    edit_bot(&app, &live, |b| b.status = BotStatus::Active).await;

    // A user under emergency stop (bot set running again behind the flag's back).
    let stopped_user = app.token_for("stopped@example.com").await;
    let frozen = create_bot(&app, &stopped_user, "Frozen").await;
    app.post_auth("/api/system/emergency-stop", &stopped_user, json!({}))
        .await;
    edit_bot(&app, &frozen, |b| b.status = BotStatus::Active).await;
    // A user who switched paper trading off.
    let no_paper = app.token_for("nopaper@example.com").await;
    create_bot(&app, &no_paper, "Idle").await;
    app.put_auth(
        "/api/system/mode",
        &no_paper,
        json!({"mode": "paperTrading", "enabled": false}),
    )
    .await;

    let recorder = Arc::new(RecordingExecutor::default());
    let report = engine::scheduler::tick(&app.state, recorder.as_ref())
        .await
        .unwrap();
    let mut seen = recorder.bot_ids();
    seen.sort();
    let mut expected = vec![eligible.clone(), also.clone()];
    expected.sort();
    assert_eq!(seen, expected);
    assert_eq!(report.eligible, 2);
    assert_eq!(
        (report.submitted, report.failed),
        (1, 1),
        "one fake failure"
    );
    app.stop().await;

    // Same bots, trading flags off: nobody trades.
    let (off, _clock) = spawn_at(&engine, midday(), &[("ENABLE_SCHEDULERS", "true")]).await;
    let token = off.token_for("trader@example.com").await;
    create_bot(&off, &token, "Eligible").await;
    let recorder = RecordingExecutor::default();
    let report = engine::scheduler::tick(&off.state, &recorder)
        .await
        .unwrap();
    assert_eq!(report.eligible, 0);
    assert!(recorder.bot_ids().is_empty());
    off.stop().await;
}

#[test]
fn scheduler_eligibility_rules() {
    use amarktai::domain::settings::UserSettings;
    let now = chrono::Utc::now();
    let cfg = TestConfig::new(&Engine::Sqlite).config();
    let bot = Bot::new(
        "u",
        NewBot {
            name: "x".into(),
            exchange: Exchange::Binance,
            risk_mode: RiskMode::Safe,
            trading_mode: TradingMode::Paper,
            initial_capital: 500.0,
        },
        now,
        &cfg.trading,
    );
    let owner = UserSettings::defaults("u", now);
    let on = amarktai::config::FeatureFlags {
        enable_trading: true,
        enable_schedulers: true,
        ..Default::default()
    };
    let is = engine::scheduler::is_eligible;
    assert!(is(&bot, &owner, &on));
    let only_trading = amarktai::config::FeatureFlags {
        enable_trading: true,
        ..Default::default()
    };
    assert!(!is(&bot, &owner, &only_trading));
    let mut stopped = owner.clone();
    stopped.emergency_stop = true;
    assert!(!is(&bot, &stopped, &on));
    for status in [
        BotStatus::Paused,
        BotStatus::Quarantined,
        BotStatus::Stopped,
    ] {
        let mut b = bot.clone();
        b.status = status;
        assert!(!is(&b, &owner, &on), "{status:?}");
    }
}

on_both_engines!(
    bodyguard_acts_on_each_rule,
    bodyguard_pauses_all_bots_on_daily_loss,
    daily_reset_happens_at_utc_midnight,
    autopilot_spawns_within_max_bots,
    autopilot_promotes_finished_bay_bots,
    flags_decide_which_engines_start,
    ticks_show_in_preflight_and_metrics,
    lease_lets_one_instance_run_an_engine,
    lease_has_one_winner_under_contention,
    scheduler_selects_only_eligible_bots,
);
