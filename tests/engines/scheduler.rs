//! Trading scheduler: which bots get a turn (the executor is a recording fake).

use std::sync::Arc;

use amarktai::domain::bot::{Bot, BotStatus, Exchange, NewBot, RiskMode, TradingMode};
use amarktai::engine;
use serde_json::json;

use crate::common::{Engine, TestConfig};
use crate::on_both_engines;
use crate::support::*;

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
        enable_market_data: false,
        enable_trading: true,
        enable_schedulers: true,
        ..Default::default()
    };
    let is = engine::scheduler::is_eligible;
    assert!(is(&bot, &owner, &on));
    let only_trading = amarktai::config::FeatureFlags {
        enable_market_data: false,
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
    // A live bot runs only with live mode on and ENABLE_LIVE_TRADING.
    let mut live = bot.clone();
    live.trading_mode = amarktai::domain::bot::TradingMode::Live;
    assert!(!is(&live, &owner, &on), "live mode off");
    let mut live_owner = owner.clone();
    live_owner.live_trading = true;
    assert!(!is(&live, &live_owner, &on), "ENABLE_LIVE_TRADING off");
    let live_on = amarktai::config::FeatureFlags {
        enable_live_trading: true,
        ..on.clone()
    };
    assert!(is(&live, &live_owner, &live_on));
}

// The server's executor (strategies on candles through the order pipeline) is tested in
// tests/strategy_bots.rs.
on_both_engines!(scheduler_selects_only_eligible_bots);
