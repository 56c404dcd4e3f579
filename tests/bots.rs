//! Bots over real HTTP (SPEC §3): validation codes, caps under concurrency, whitelisted
//! updates, the status machine, isolation, batch create, evolve.

mod common;

use common::{Engine, TestApp, TestConfig};
use serde_json::{json, Value};

async fn body(resp: reqwest::Response) -> Value {
    resp.json().await.expect("json")
}

fn new_bot(name: &str, exchange: &str, capital: Value) -> Value {
    json!({"name": name, "exchange": exchange, "risk_mode": "balanced", "initial_capital": capital})
}

async fn create(app: &TestApp, token: &str, name: &str, exchange: &str) -> Value {
    let resp = app
        .post_auth("/api/bots", token, new_bot(name, exchange, json!(1000)))
        .await;
    assert_eq!(resp.status(), 200, "create {name}");
    body(resp).await
}

async fn error_code(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    let b = body(resp).await;
    (
        status,
        b["error"]["code"].as_str().unwrap_or("").to_string(),
    )
}

async fn create_list_get_and_validation_codes(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let token = app.token_for("bots@example.com").await;
    let bot = create(&app, &token, "Alpha", "luno").await;
    assert_eq!(bot["status"], "active", "new paper bots start active");
    assert_eq!(bot["trading_mode"], "paper");
    assert_eq!(bot["mode"], "paper");
    assert_eq!(bot["current_capital"], 1000.0);
    for field in [
        "id",
        "user_id",
        "win_rate",
        "max_drawdown",
        "override_rules",
        "paper_start_date",
        "bay_entered_at",
        "created_at",
    ] {
        assert!(bot.get(field).is_some(), "{field}");
    }
    let list = body(app.get_auth("/api/bots", &token).await).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let id = bot["id"].as_str().unwrap();
    assert_eq!(
        body(app.get_auth(&format!("/api/bots/{id}"), &token).await).await["name"],
        "Alpha"
    );
    let status = body(
        app.get_auth(&format!("/api/bots/{id}/status"), &token)
            .await,
    )
    .await;
    assert_eq!(
        (
            status["can_pause"].as_bool(),
            status["can_resume"].as_bool()
        ),
        (Some(true), Some(false))
    );

    let cases = [
        (
            new_bot("B", "bitstamp", json!(1000)),
            400,
            "INVALID_EXCHANGE",
        ),
        (
            new_bot("B", "luno", json!(99.99)),
            400,
            "INVALID_CAPITAL_AMOUNT",
        ),
        (
            new_bot("B", "luno", json!(100000.01)),
            400,
            "INVALID_CAPITAL_AMOUNT",
        ),
        (
            new_bot("alpha", "valr", json!(1000)),
            400,
            "BOT_NAME_DUPLICATE",
        ),
        (new_bot("", "luno", json!(1000)), 400, "INVALID_BOT_NAME"),
        (
            new_bot(&"n".repeat(65), "luno", json!(1000)),
            400,
            "INVALID_BOT_NAME",
        ),
        (new_bot("B", "luno", json!("lots")), 422, "VALIDATION_ERROR"),
        (
            json!({"name": "B", "exchange": "luno", "risk_mode": "yolo", "initial_capital": 500}),
            400,
            "INVALID_RISK_MODE",
        ),
        (
            json!({"name": "L", "exchange": "binance", "risk_mode": "safe", "trading_mode": "live", "initial_capital": 500}),
            400,
            "EXCHANGE_API_KEYS_MISSING",
        ),
    ];
    for (payload, status, code) in cases {
        let got = error_code(app.post_auth("/api/bots", &token, payload.clone()).await).await;
        assert_eq!(got, (status, code.to_string()), "{payload}");
    }
    assert_eq!(
        body(app.get_auth("/api/bots", &token).await)
            .await
            .as_array()
            .unwrap()
            .len(),
        1,
        "nothing half-written"
    );
    // The boundaries themselves are fine.
    assert_eq!(
        app.post_auth("/api/bots", &token, new_bot("Min", "valr", json!(100)))
            .await
            .status(),
        200
    );
    assert_eq!(
        app.post_auth(
            "/api/bots",
            &token,
            new_bot(&"n".repeat(64), "valr", json!(100000))
        )
        .await
        .status(),
        200
    );
}

async fn exchange_cap_holds_under_concurrent_creates(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let token = app.token_for("race@example.com").await;
    let attempts = (0..9).map(|i| {
        app.post_auth(
            "/api/bots",
            &token,
            new_bot(&format!("r{i}"), "luno", json!(500)),
        )
    });
    let results = futures_util::future::join_all(attempts).await;
    let ok = results.iter().filter(|r| r.status() == 200).count();
    assert_eq!(ok, 5, "luno allows five bots");
    for r in results.into_iter().filter(|r| r.status() != 200) {
        assert_eq!(
            error_code(r).await,
            (400, "EXCHANGE_BOT_LIMIT_REACHED".to_string())
        );
    }
    assert_eq!(
        body(app.get_auth("/api/bots", &token).await)
            .await
            .as_array()
            .unwrap()
            .len(),
        5
    );
}

async fn other_users_bots_are_404_everywhere(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let owner = app.token_for("owner@example.com").await;
    let thief = app.token_for("thief@example.com").await;
    let id = create(&app, &owner, "Mine", "valr").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        app.get_auth(&format!("/api/bots/{id}"), &thief)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.put_auth(
            &format!("/api/bots/{id}"),
            &thief,
            json!({"name": "stolen"})
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        app.post_auth(&format!("/api/bots/{id}/pause"), &thief, json!({}))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.delete_auth(&format!("/api/bots/{id}"), &thief)
            .await
            .status(),
        404
    );
    for verb in ["start", "stop", "pause", "resume"] {
        let resp = app
            .post_auth(&format!("/api/bots/{id}/{verb}"), &thief, json!({}))
            .await;
        assert_eq!(
            error_code(resp).await,
            (404, "BOT_NOT_FOUND".to_string()),
            "{verb}"
        );
    }
    assert_eq!(
        app.get_auth(&format!("/api/bots/{id}/status"), &thief)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.post_auth(&format!("/api/training/{id}/promote"), &thief, json!({}))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.client
            .post(app.url(&format!("/api/bots/{id}/stop")))
            .send()
            .await
            .unwrap()
            .status(),
        401,
        "no token"
    );
    assert!(body(app.get_auth("/api/bots", &thief).await)
        .await
        .as_array()
        .unwrap()
        .is_empty());
    let mine = body(app.get_auth(&format!("/api/bots/{id}"), &owner).await).await;
    assert_eq!(
        (mine["name"].as_str(), mine["status"].as_str()),
        (Some("Mine"), Some("active")),
        "untouched by the other user's attempts"
    );
}

/// `MAX_BOTS` caps a user's bots across exchanges, for single and batch creates.
async fn total_bot_limit_is_reached_over_http(engine: Engine) {
    let config = TestConfig::new(&engine).set("MAX_BOTS", "3");
    let app = TestApp::spawn_with(config, axum::Router::new()).await;
    let token = app.token_for("total@example.com").await;
    create(&app, &token, "t1", "luno").await;
    create(&app, &token, "t2", "binance").await;
    create(&app, &token, "t3", "valr").await;
    let resp = app
        .post_auth("/api/bots", &token, new_bot("t4", "kucoin", json!(1000)))
        .await;
    assert_eq!(
        error_code(resp).await,
        (400, "TOTAL_BOT_LIMIT_REACHED".to_string())
    );
    let batch = json!({"count": 2, "capital_per_bot": 500, "safe_count": 1, "balanced_count": 1, "aggressive_count": 0, "exchange": "ovex"});
    let resp = app.post_auth("/api/bots/batch-create", &token, batch).await;
    assert_eq!(
        error_code(resp).await,
        (400, "TOTAL_BOT_LIMIT_REACHED".to_string())
    );
    assert_eq!(
        body(app.get_auth("/api/bots", &token).await)
            .await
            .as_array()
            .unwrap()
            .len(),
        3
    );
    // A deleted bot frees its slot.
    let list = body(app.get_auth("/api/bots", &token).await).await;
    let first = list[0]["id"].as_str().unwrap();
    app.delete_auth(&format!("/api/bots/{first}"), &token).await;
    create(&app, &token, "t4", "kucoin").await;
}

/// `GET /api/bots?status=` returns only the caller's bots in that status.
async fn list_filters_by_status(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let token = app.token_for("filter@example.com").await;
    let other = app.token_for("filter-other@example.com").await;
    let ids: Vec<String> = {
        let mut ids = Vec::new();
        for name in ["f1", "f2", "f3"] {
            ids.push(
                create(&app, &token, name, "binance").await["id"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
        }
        ids
    };
    create(&app, &other, "theirs", "binance").await;
    let gone = create(&app, &token, "gone", "binance").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.delete_auth(&format!("/api/bots/{gone}"), &token).await;
    app.post_auth(&format!("/api/bots/{}/pause", ids[1]), &token, json!({}))
        .await;
    app.post_auth(&format!("/api/bots/{}/stop", ids[2]), &token, json!({}))
        .await;
    // Sorted: bots created in the same millisecond are listed in id order, not creation
    // order, and this test is about which bots a filter keeps.
    let names = |v: Value| -> Vec<String> {
        let mut ids: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    for (status, expected) in [
        ("active", vec![ids[0].clone()]),
        ("paused", vec![ids[1].clone()]),
        ("stopped", vec![ids[2].clone()]),
        ("quarantined", vec![]),
        ("deleted", vec![]),
        ("", ids.clone()),
    ] {
        let mut expected = expected;
        expected.sort();
        let got = body(
            app.get_auth(&format!("/api/bots?status={status}"), &token)
                .await,
        )
        .await;
        assert_eq!(names(got), expected, "status={status}");
    }
    assert_eq!(
        app.get_auth("/api/bots?status=sleeping", &token)
            .await
            .status(),
        422
    );
}

on_both_engines!(
    create_list_get_and_validation_codes,
    exchange_cap_holds_under_concurrent_creates,
    other_users_bots_are_404_everywhere,
    total_bot_limit_is_reached_over_http,
    list_filters_by_status,
);

async fn update_writes_only_whitelisted_fields(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let token = app.token_for("upd@example.com").await;
    let bot = create(&app, &token, "Orig", "kucoin").await;
    let id = bot["id"].as_str().unwrap();
    let resp = app
        .put_auth(
            &format!("/api/bots/{id}"),
            &token,
            json!({"name": "Renamed", "risk_mode": "safe", "user_id": "someone-else", "current_capital": 1e9, "status": "deleted", "total_profit": 5e6}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let b = body(resp).await;
    assert_eq!(b["name"], "Renamed");
    assert_eq!(b["risk_mode"], "safe");
    assert_eq!(b["current_capital"], 1000.0);
    assert_eq!(b["status"], "active");
    assert_eq!(b["user_id"], bot["user_id"]);
    create(&app, &token, "Second", "kucoin").await;
    let dup = app
        .put_auth(
            &format!("/api/bots/{id}"),
            &token,
            json!({"name": "SECOND"}),
        )
        .await;
    assert_eq!(
        error_code(dup).await,
        (400, "BOT_NAME_DUPLICATE".to_string())
    );
    let live = app
        .put_auth(
            &format!("/api/bots/{id}"),
            &token,
            json!({"trading_mode": "live"}),
        )
        .await;
    assert_eq!(
        error_code(live).await,
        (400, "EXCHANGE_API_KEYS_MISSING".to_string())
    );
}

async fn lifecycle_follows_the_status_machine_and_refusals_are_200_success_false(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let token = app.token_for("life@example.com").await;
    let id = create(&app, &token, "Cycler", "binance").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let act = |verb: &'static str| {
        let (app, token, id) = (&app, &token, &id);
        async move {
            body(
                app.post_auth(
                    &format!("/api/bots/{id}/{verb}"),
                    token,
                    json!({"reason": "testing"}),
                )
                .await,
            )
            .await
        }
    };
    let resumed = act("resume").await;
    assert_eq!(
        resumed["success"], false,
        "resume of an active bot is refused"
    );
    assert_eq!(resumed["bot"]["status"], "active", "and nothing changed");
    let paused = act("pause").await;
    assert_eq!(
        (
            paused["success"].as_bool(),
            paused["bot"]["status"].as_str()
        ),
        (Some(true), Some("paused"))
    );
    assert_eq!(paused["bot"]["pause_reason"], "testing");
    assert_eq!(act("resume").await["bot"]["status"], "active");
    assert_eq!(act("stop").await["bot"]["status"], "stopped");
    assert_eq!(act("start").await["bot"]["status"], "active");
    let deleted = app.delete_auth(&format!("/api/bots/{id}"), &token).await;
    let d = body(deleted).await;
    assert_eq!(
        (d["success"].as_bool(), d["bot_name"].as_str()),
        (Some(true), Some("Cycler"))
    );
    assert_eq!(
        app.post_auth(&format!("/api/bots/{id}/start"), &token, json!({}))
            .await
            .status(),
        404,
        "deleted bots cannot start"
    );
    assert!(body(app.get_auth("/api/bots", &token).await)
        .await
        .as_array()
        .unwrap()
        .is_empty());
    create(&app, &token, "Cycler", "binance").await;
}

async fn batch_create_is_all_or_nothing_and_evolve_needs_ten_bots(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let token = app.token_for("batch@example.com").await;
    let resp = app
        .post_auth("/api/bots/evolve", &token, json!({"seed": 7}))
        .await;
    assert_eq!(error_code(resp).await, (400, "NOT_ENOUGH_BOTS".to_string()));
    let too_many = json!({"count": 11, "capital_per_bot": 500, "safe_count": 4, "balanced_count": 4, "aggressive_count": 3, "exchange": "binance"});
    let resp = app
        .post_auth("/api/bots/batch-create", &token, too_many)
        .await;
    assert_eq!(
        error_code(resp).await,
        (400, "EXCHANGE_BOT_LIMIT_REACHED".to_string())
    );
    assert!(body(app.get_auth("/api/bots", &token).await)
        .await
        .as_array()
        .unwrap()
        .is_empty());
    let ok = json!({"count": 10, "capital_per_bot": 500, "safe_count": 3, "balanced_count": 4, "aggressive_count": 3, "exchange": "binance"});
    let b = body(app.post_auth("/api/bots/batch-create", &token, ok).await).await;
    assert_eq!(b["created"], 10);
    assert_eq!(
        b["bots"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["risk_mode"] == "aggressive")
            .count(),
        3
    );
    let first = body(
        app.post_auth("/api/bots/evolve", &token, json!({"seed": 7}))
            .await,
    )
    .await;
    assert_eq!(first["evolved_count"], 3);
    assert!(first["new_strategies"].as_array().unwrap().len() == 3);
    assert!(first["message"].is_string() && first["improvement"].is_number());
}

async fn platforms_list_summary_and_action_flags(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let token = app.token_for("plat@example.com").await;
    for path in [
        "/api/platforms",
        "/api/platforms/summary",
        "/api/platforms/valr/bots",
    ] {
        assert_eq!(app.get(path).await.status(), 401, "{path} needs a token");
    }
    let platforms = body(app.get_auth("/api/platforms", &token).await).await;
    let list = platforms["platforms"].as_array().unwrap();
    assert_eq!(list.len(), 5);
    let kucoin = list.iter().find(|p| p["id"] == "kucoin").unwrap();
    assert_eq!(
        (
            kucoin["max_bots"].as_u64(),
            kucoin["requires_passphrase"].as_bool()
        ),
        (Some(10), Some(true))
    );
    let luno = list.iter().find(|p| p["id"] == "luno").unwrap();
    assert_eq!(luno["max_bots"], 5);
    let id = create(&app, &token, "P1", "valr").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    create(&app, &token, "P2", "valr").await;
    app.post_auth(&format!("/api/bots/{id}/pause"), &token, json!({}))
        .await;
    let summary = body(
        app.get_auth("/api/platforms/summary?mode=paper", &token)
            .await,
    )
    .await;
    let valr = summary["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["platform"] == "valr")
        .unwrap()
        .clone();
    assert_eq!(
        (valr["total_bots"].as_u64(), valr["active_bots"].as_u64()),
        (Some(2), Some(1))
    );
    let bots = body(
        app.get_auth("/api/platforms/valr/bots?mode=paper", &token)
            .await,
    )
    .await;
    assert_eq!(bots["total_bots"], 2);
    let paused = bots["bots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        (
            paused["can_resume"].as_bool(),
            paused["can_pause"].as_bool(),
            paused["can_stop"].as_bool()
        ),
        (Some(true), Some(false), Some(true))
    );
    assert_eq!(
        body(
            app.get_auth("/api/platforms/valr/bots?mode=live", &token)
                .await
        )
        .await["total_bots"],
        0
    );
    assert_eq!(
        app.get_auth("/api/platforms/bitstamp/bots", &token)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get_auth("/api/platforms/valr/bots?mode=moon", &token)
            .await
            .status(),
        422
    );
}

/// Every state change publishes its domain event for that user only (delivery over WS/SSE is
/// tested in tests/realtime.rs).
async fn state_changes_publish_domain_events_to_the_owner_only(engine: Engine) {
    use amarktai::events::Replay;
    let app = TestApp::spawn_on(&engine).await;
    let token = app.token_for("ev@example.com").await;
    let other = app.token_for("other@example.com").await;
    let me = body(app.get_auth("/api/auth/me", &token).await).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let them = body(app.get_auth("/api/auth/me", &other).await).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let id = create(&app, &token, "Evented", "luno").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.put_auth(
        &format!("/api/bots/{id}"),
        &token,
        json!({"name": "Renamed"}),
    )
    .await;
    app.post_auth(&format!("/api/bots/{id}/pause"), &token, json!({}))
        .await;
    app.post_auth(&format!("/api/bots/{id}/resume"), &token, json!({}))
        .await;
    app.post_auth(&format!("/api/bots/{id}/stop"), &token, json!({}))
        .await;
    app.post_auth(&format!("/api/bots/{id}/start"), &token, json!({}))
        .await;
    app.put_auth(
        "/api/system/mode",
        &token,
        json!({"mode": "autopilot", "enabled": true}),
    )
    .await;
    app.delete_auth(&format!("/api/bots/{id}"), &token).await;
    let Replay::Events(events) = app.state.events.subscribe(&me, Some(0)).replay else {
        panic!("expected replay")
    };
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        vec![
            "bot_created",
            "bot_updated",
            "bot_paused",
            "bot_resumed",
            "bot_stopped",
            "bot_started",
            "system_mode_update",
            "bot_deleted"
        ]
    );
    assert_eq!(events[1].payload["changes"]["name"], "Renamed");
    assert_eq!(events[1].payload["bot_id"], id.as_str());
    assert_eq!(
        app.state.events.subscribe(&them, Some(0)).last_event_id,
        0,
        "the other user got no events"
    );
}

on_both_engines!(
    update_writes_only_whitelisted_fields,
    lifecycle_follows_the_status_machine_and_refusals_are_200_success_false,
    batch_create_is_all_or_nothing_and_evolve_needs_ten_bots,
    platforms_list_summary_and_action_flags,
    state_changes_publish_domain_events_to_the_owner_only,
);
