//! Background engines (SPEC §9) driven tick by tick with a manual clock, on both storage
//! engines: bodyguard rules, daily reset, autopilot, flags, leases, health output.

#[path = "engines/autopilot.rs"]
mod autopilot_tests;
#[path = "engines/bodyguard.rs"]
mod bodyguard_tests;
mod common;
#[path = "engines/leases.rs"]
mod leases_tests;
#[path = "engines/scheduler.rs"]
mod scheduler_tests;
#[path = "engines/support.rs"]
mod support;
mod trading_support;

use amarktai::engine::{self, bodyguard, TickOutcome};
use chrono::Duration;
use serde_json::Value;

use common::Engine;
use support::*;

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
        "market_sync",
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
    assert_eq!(
        handles.len(),
        3,
        "bodyguard, daily reset and market sync (ENABLE_MARKET_DATA follows ENABLE_TRADING)"
    );
    let health = body(app.get("/api/health").await).await;
    let engines = &health["engines"];
    assert_eq!(engines["ai_bodyguard"]["started"], true);
    assert_eq!(engines["daily_reset"]["started"], true);
    assert_eq!(engines["market_sync"]["started"], true);
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
        enable_market_data: false,
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

on_both_engines!(
    flags_decide_which_engines_start,
    ticks_show_in_preflight_and_metrics,
);
