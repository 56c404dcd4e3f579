//! The existing dashboard's wallet (COMPAT.md) on both engines: balances read from each
//! exchange the user has tested keys for (a local fake per exchange that verifies signatures),
//! an exchange failing on its own, requirements of live bots, funding plans and their cancel.

mod common;
mod fake_exchange;

use std::sync::Arc;

use amarktai::domain::bot::{BotStatus, TradingMode};
use amarktai::domain::price::FixedPrices;
use amarktai::exchange::Provider;
use amarktai::state::AppState;
use amarktai::store::bots::update_bot;
use common::{Engine, TestApp, TestConfig};
use fake_exchange::live::{Failure, FakeExchange};
use fake_exchange::{KEY, SECRET};
use serde_json::{json, Value};

async fn body(resp: reqwest::Response) -> Value {
    resp.json().await.expect("json")
}

async fn save_tested_keys(app: &TestApp, token: &str, user_id: &str, provider: Provider) {
    let keys = json!({"provider": provider.id(), "api_key": KEY, "api_secret": SECRET});
    let resp = app.post_auth("/api/keys/save", token, keys).await;
    assert_eq!(resp.status(), 200);
    let now = app.state.clock.now();
    app.state
        .store
        .keys
        .record_test(user_id, provider.id(), "test_ok", now, None)
        .await
        .unwrap();
}

async fn live_bot(
    app: &TestApp,
    token: &str,
    user_id: &str,
    exchange: &str,
    capital: f64,
) -> String {
    let resp = app
        .post_auth(
            "/api/bots",
            token,
            json!({"name": format!("Live {exchange} {capital}"), "exchange": exchange,
                   "risk_mode": "balanced", "initial_capital": capital}),
        )
        .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let id = body(resp).await["id"].as_str().unwrap().to_string();
    set_live(&app.state, user_id, &id).await;
    id
}

async fn set_live(state: &AppState, user_id: &str, id: &str) {
    update_bot::<amarktai::store::StoreError, _>(
        state.store.bots.as_ref(),
        None,
        user_id,
        id,
        |b| {
            b.trading_mode = TradingMode::Live;
            b.status = BotStatus::Active;
            Ok(true)
        },
    )
    .await
    .unwrap();
}

fn near(v: &Value, want: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - want).abs() < 1e-6)
}

async fn balances_requirements_and_funding_plans(engine: Engine) {
    let luno = FakeExchange::start(Provider::Luno).await;
    luno.set_balance("ZAR", 600.0);
    luno.set_balance("BTC", 0.01);
    luno.set_balance("ETH", 0.5);
    let binance = FakeExchange::start(Provider::Binance).await;
    binance.set_balance("USDT", 250.0);
    binance.set_balance("BTC", 0.002);
    let valr = FakeExchange::start(Provider::Valr).await;
    let config = TestConfig::new(&engine)
        .set("LUNO_BASE_URL", &luno.base_url())
        .set("BINANCE_BASE_URL", &binance.base_url())
        .set("VALR_BASE_URL", &valr.base_url())
        .set("EXCHANGE_TIMEOUT_SECONDS", "2");
    let app = TestApp::spawn_with(config, axum::Router::new()).await;
    app.state.prices.set(Arc::new(
        FixedPrices::new()
            .with("BTC/ZAR", 1_000_000.0)
            .with("ETH/ZAR", 40_000.0)
            .with("BTC/USDT", 50_000.0),
    ));
    assert_eq!(app.get("/api/wallet/balances").await.status(), 401);
    let token = app.token_for("wallet@example.com").await;
    let me = body(app.get_auth("/api/auth/me", &token).await).await;
    let user_id = me["id"].as_str().unwrap().to_string();

    // No tested keys: nothing to read, said plainly.
    let empty = body(app.get_auth("/api/wallet/balances", &token).await).await;
    assert_eq!(empty["exchanges"], json!({}));
    assert_eq!(empty["zar"], 0.0);
    assert_eq!(empty["master_wallet"]["error"], "no tested Luno API keys");

    save_tested_keys(&app, &token, &user_id, Provider::Luno).await;
    save_tested_keys(&app, &token, &user_id, Provider::Binance).await;
    save_tested_keys(&app, &token, &user_id, Provider::Valr).await;
    // VALR is down: its own error, the others answer.
    valr.fail_next(5, Failure::ServerError);
    let w = body(app.get_auth("/api/wallet/balances", &token).await).await;
    assert_eq!(w["user_id"], user_id.as_str());
    let l = &w["exchanges"]["luno"];
    assert!(near(&l["balances"]["ZAR"], 600.0), "{w}");
    assert!(near(&l["balances"]["BTC"], 0.01));
    // 600 + 0.01 x 1,000,000 + 0.5 x 40,000 = 30,600 ZAR
    assert!(near(&l["total_in_quote"], 30_600.0), "{l}");
    assert_eq!(l["error"], Value::Null);
    let b = &w["exchanges"]["binance"];
    // 250 + 0.002 x 50,000 = 350 USDT
    assert!(near(&b["total_in_quote"], 350.0), "{b}");
    assert!(
        w["exchanges"]["valr"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("503")),
        "{w}"
    );
    assert!(near(&w["zar"], 600.0));
    assert!(near(&w["btc"], 0.012));
    assert!(near(&w["master_wallet"]["total_zar"], 30_600.0));
    assert!(near(&w["master_wallet"]["eth_balance"], 0.5));
    assert!(!w.to_string().contains(SECRET) && !w.to_string().contains(KEY));
    // Cached: a new balance is seen only with refresh.
    luno.set_balance("ZAR", 900.0);
    let cached = body(app.get_auth("/api/wallet/balances", &token).await).await;
    assert!(near(&cached["exchanges"]["luno"]["balances"]["ZAR"], 600.0));
    let fresh = body(
        app.get_auth("/api/wallet/balances?refresh=true", &token)
            .await,
    )
    .await;
    assert!(
        near(&fresh["exchanges"]["luno"]["balances"]["ZAR"], 900.0),
        "{fresh}"
    );
    assert_eq!(
        app.get_auth("/api/wallet/balances?refresh=maybe", &token)
            .await
            .status(),
        422
    );

    // Two live bots on Luno need 1,000 + 500 ZAR; 900 is available: the older bot is covered
    // up to 900, the newer one lacks all 500 and the older 100.
    let first = live_bot(&app, &token, &user_id, "luno", 1000.0).await;
    let second = live_bot(&app, &token, &user_id, "luno", 500.0).await;
    let r = body(app.get_auth("/api/wallet/requirements", &token).await).await;
    let luno_row = &r["requirements"]["luno"];
    assert!(near(&luno_row["required"], 1500.0), "{r}");
    assert!(near(&luno_row["available"], 900.0));
    assert!(near(&luno_row["surplus_deficit"], -600.0));
    assert_eq!(luno_row["health"], "warning", "0.6x");
    assert_eq!(
        r["requirements"]["binance"]["health"], "healthy",
        "nothing needed"
    );
    assert_eq!(r["summary"]["overall_health"], "warning");
    assert_eq!(r["summary"]["keys_configured"], 3);
    let plans = body(app.get_auth("/api/wallet/funding-plans", &token).await).await;
    assert_eq!(plans["count"], 2, "{plans}");
    let plan_for = |bot: &str| {
        plans["plans"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["bot_id"] == bot)
            .unwrap()
            .clone()
    };
    assert!(near(&plan_for(&first)["amount_required"], 100.0));
    assert!(near(&plan_for(&second)["amount_required"], 500.0));
    assert_eq!(plan_for(&second)["currency"], "ZAR");
    assert_eq!(plan_for(&second)["to_exchange"], "luno");
    // Asking again keeps one pending plan per bot.
    body(app.get_auth("/api/wallet/requirements", &token).await).await;
    let again = body(
        app.get_auth("/api/wallet/funding-plans?status=pending", &token)
            .await,
    )
    .await;
    assert_eq!(again["count"], 2);

    // Cancel one; a second cancel is a conflict; another user cannot touch it.
    let plan_id = plan_for(&second)["plan_id"].as_str().unwrap().to_string();
    let other = app.token_for("other-wallet@example.com").await;
    let path = format!("/api/wallet/funding-plans/{plan_id}/cancel");
    assert_eq!(app.post_auth(&path, &other, json!({})).await.status(), 404);
    let done = body(app.post_auth(&path, &token, json!({})).await).await;
    assert_eq!(
        done,
        json!({"success": true, "plan_id": plan_id, "status": "cancelled"})
    );
    assert_eq!(app.post_auth(&path, &token, json!({})).await.status(), 409);
    let cancelled = body(
        app.get_auth("/api/wallet/funding-plans?status=cancelled", &token)
            .await,
    )
    .await;
    assert_eq!(cancelled["count"], 1);
    assert_eq!(
        app.get_auth("/api/wallet/funding-plans?status=lost", &token)
            .await
            .status(),
        422
    );

    // Funds arrive: the remaining plan completes.
    luno.set_balance("ZAR", 5_000.0);
    body(
        app.get_auth("/api/wallet/balances?refresh=true", &token)
            .await,
    )
    .await;
    let r = body(app.get_auth("/api/wallet/requirements", &token).await).await;
    assert_eq!(r["requirements"]["luno"]["health"], "healthy", "{r}");
    let pending = body(
        app.get_auth("/api/wallet/funding-plans?status=pending", &token)
            .await,
    )
    .await;
    assert_eq!(pending["count"], 0, "{pending}");
    let completed = body(
        app.get_auth("/api/wallet/funding-plans?status=completed", &token)
            .await,
    )
    .await;
    assert_eq!(completed["count"], 1);
    app.stop().await;
}

/// The dashboard's "switch to live": refused on a paper-only server, a no-op until Luno is
/// funded, then live mode on and paper bots with keys into the training bay.
async fn confirm_live_switch(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let token = app.token_for("switch@example.com").await;
    let body_of = json!({"luno_funded": true, "use_paper_bots": true});
    let resp = app
        .post_auth("/api/bots/confirm-live-switch", &token, body_of.clone())
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(body(resp).await["error"]["code"], "LIVE_TRADING_DISABLED");
    app.stop().await;

    let config = TestConfig::new(&engine).set("ENABLE_LIVE_TRADING", "true");
    let app = TestApp::spawn_with(config, axum::Router::new()).await;
    let token = app.token_for("switch@example.com").await;
    let me = body(app.get_auth("/api/auth/me", &token).await).await;
    let user_id = me["id"].as_str().unwrap().to_string();
    let mut ids = Vec::new();
    for exchange in ["luno", "binance"] {
        let resp = app
            .post_auth(
                "/api/bots",
                &token,
                json!({"name": format!("Paper {exchange}"), "exchange": exchange, "risk_mode": "balanced", "initial_capital": 500}),
            )
            .await;
        ids.push(body(resp).await["id"].as_str().unwrap().to_string());
    }
    save_tested_keys(&app, &token, &user_id, Provider::Luno).await;
    let not_yet = body(
        app.post_auth(
            "/api/bots/confirm-live-switch",
            &token,
            json!({"luno_funded": false, "use_paper_bots": true}),
        )
        .await,
    )
    .await;
    assert_eq!(not_yet["switched"], false, "{not_yet}");
    let modes = body(app.get_auth("/api/system/mode", &token).await).await;
    assert_eq!(modes["modes"]["liveTrading"], false, "{modes}");

    let done = body(
        app.post_auth("/api/bots/confirm-live-switch", &token, body_of)
            .await,
    )
    .await;
    assert_eq!(done["switched"], true, "{done}");
    assert_eq!(
        (done["bots_moved"].as_u64(), done["bots_skipped"].as_u64()),
        (Some(1), Some(1))
    );
    let modes = body(app.get_auth("/api/system/mode", &token).await).await;
    assert_eq!(modes["modes"]["liveTrading"], true, "{modes}");
    let luno = body(app.get_auth(&format!("/api/bots/{}", ids[0]), &token).await).await;
    assert_eq!(
        (luno["trading_mode"].as_str(), luno["status"].as_str()),
        (Some("live"), Some("live_training_bay")),
        "{luno}"
    );
    let binance = body(app.get_auth(&format!("/api/bots/{}", ids[1]), &token).await).await;
    assert_eq!(binance["trading_mode"], "paper");
    assert_eq!(
        app.post_json("/api/bots/confirm-live-switch", json!({}))
            .await
            .status(),
        401
    );
    app.stop().await;
}

/// Deposit addresses come from the exchange's signed call; an exchange without one says so.
async fn deposit_addresses(engine: Engine) {
    let valr = FakeExchange::start(Provider::Valr).await;
    let config = TestConfig::new(&engine)
        .set("VALR_BASE_URL", &valr.base_url())
        .set("OVEX_BASE_URL", "http://127.0.0.1:9")
        .set("EXCHANGE_TIMEOUT_SECONDS", "2");
    let app = TestApp::spawn_with(config, axum::Router::new()).await;
    let path = "/api/wallet/deposit-address?exchange=valr&asset=btc";
    assert_eq!(app.get(path).await.status(), 401);
    let token = app.token_for("deposit@example.com").await;
    let me = body(app.get_auth("/api/auth/me", &token).await).await;
    let user_id = me["id"].as_str().unwrap().to_string();
    let resp = app.get_auth(path, &token).await;
    assert_eq!(resp.status(), 409, "no keys saved");
    assert_eq!(body(resp).await["error"]["code"], "KEYS_MISSING");
    for bad in [
        "/api/wallet/deposit-address?exchange=kraken&asset=BTC",
        "/api/wallet/deposit-address?exchange=valr&asset=B%20T",
        "/api/wallet/deposit-address?exchange=valr",
    ] {
        assert_eq!(app.get_auth(bad, &token).await.status(), 422, "{bad}");
    }
    save_tested_keys(&app, &token, &user_id, Provider::Valr).await;
    let found = body(app.get_auth(path, &token).await).await;
    assert_eq!(
        (found["exchange"].as_str(), found["asset"].as_str()),
        (Some("valr"), Some("BTC")),
        "{found}"
    );
    assert!(
        found["address"].as_str().is_some_and(|a| !a.is_empty()),
        "{found}"
    );
    assert_eq!(found["note"], Value::Null);
    save_tested_keys(&app, &token, &user_id, Provider::Ovex).await;
    let ovex = body(
        app.get_auth(
            "/api/wallet/deposit-address?exchange=ovex&asset=BTC",
            &token,
        )
        .await,
    )
    .await;
    assert_eq!(ovex["address"], Value::Null, "{ovex}");
    assert!(
        ovex["note"].as_str().is_some_and(|n| n.contains("OVEX")),
        "{ovex}"
    );
    app.stop().await;
}

on_both_engines!(
    balances_requirements_and_funding_plans,
    confirm_live_switch,
    deposit_addresses
);
