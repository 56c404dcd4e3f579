//! Admin bot routes over real HTTP (SPEC §10) on both engines: the auth matrix of every admin
//! route, the cross-user bot list, override rules, forced pause/resume, mode changes, the
//! owner's `bot_updated` events and the audit trail.

mod common;

use amarktai::events::Replay;
use amarktai::store::ApiKeyRecord;
use common::{Engine, TestApp, TestConfig};
use reqwest::Method;
use serde_json::{json, Value};

async fn body(resp: reqwest::Response) -> Value {
    resp.json().await.expect("json")
}

async fn user_id(app: &TestApp, token: &str) -> String {
    body(app.get_auth("/api/auth/me", token).await).await["id"]
        .as_str()
        .expect("id")
        .to_string()
}

async fn create_bot(app: &TestApp, token: &str, name: &str) -> String {
    let resp = app
        .post_auth(
            "/api/bots",
            token,
            json!({"name": name, "exchange": "luno", "risk_mode": "balanced", "initial_capital": 1000}),
        )
        .await;
    assert_eq!(resp.status(), 200, "create {name}");
    body(resp).await["id"].as_str().expect("id").to_string()
}

async fn send(app: &TestApp, method: &Method, path: &str, token: Option<&str>) -> u16 {
    let mut request = app.client.request(method.clone(), app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let body = if path.ends_with("/override") {
        json!({"override_rules": {"notes": "checked"}})
    } else if path.ends_with("/role") {
        json!({"role": "user"})
    } else if path.ends_with("/mode") {
        json!({"mode": "paper"})
    } else if path.ends_with("/unlock") {
        json!({"password": "unlock-me"})
    } else {
        json!({})
    };
    request
        .json(&body)
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

async fn every_admin_route_is_401_without_token_403_for_users_and_200_for_admins(engine: Engine) {
    let config = TestConfig::new(&engine).set("ADMIN_PASSWORD", "unlock-me");
    let app = TestApp::spawn_with(config, axum::Router::new()).await;
    let plain = app.token_for("plain@example.com").await;
    let owner = app.token_for("owner@example.com").await;
    let admin = app.admin_token("boss@example.com").await;
    let target = user_id(&app, &owner).await;
    let bot = create_bot(&app, &owner, "Matrix").await;
    let (get, post, delete) = (Method::GET, Method::POST, Method::DELETE);
    // Every /api/admin/* route and /api/status; the user delete goes last.
    let routes: Vec<(Method, String)> = vec![
        (get.clone(), "/api/status".into()),
        (get.clone(), "/api/admin/users".into()),
        (get.clone(), "/api/admin/pending-users".into()),
        (get.clone(), "/api/admin/audit-logs".into()),
        (get.clone(), "/api/admin/unlock/verify".into()),
        (post.clone(), "/api/admin/unlock".into()),
        (get.clone(), "/api/admin/bots".into()),
        (post.clone(), format!("/api/admin/bots/{bot}/override")),
        (post.clone(), format!("/api/admin/bots/{bot}/pause")),
        (post.clone(), format!("/api/admin/bots/{bot}/resume")),
        (post.clone(), format!("/api/admin/bots/{bot}/mode")),
        (get.clone(), "/api/admin/resources/users".into()),
        (get.clone(), "/api/admin/storage".into()),
        (get.clone(), "/api/admin/system-stats".into()),
        (post.clone(), format!("/api/admin/users/{target}/approve")),
        (post.clone(), format!("/api/admin/users/{target}/block")),
        (post.clone(), format!("/api/admin/users/{target}/unblock")),
        (post.clone(), format!("/api/admin/users/{target}/logout")),
        (
            post.clone(),
            format!("/api/admin/users/{target}/reset-password"),
        ),
        (post.clone(), format!("/api/admin/users/{target}/role")),
        (delete, format!("/api/admin/users/{target}")),
    ];
    for (method, path) in &routes {
        assert_eq!(
            send(&app, method, path, None).await,
            401,
            "{method} {path} without token"
        );
        assert_eq!(
            send(&app, method, path, Some("not-a-jwt")).await,
            401,
            "{method} {path} with a bad token"
        );
        assert_eq!(
            send(&app, method, path, Some(&plain)).await,
            403,
            "{method} {path} as a user"
        );
        assert_eq!(
            send(&app, method, path, Some(&admin)).await,
            200,
            "{method} {path} as admin"
        );
    }
}

async fn admin_lists_every_users_bots_with_owner_email_and_pages(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let alice = app.token_for("alice@example.com").await;
    let bob = app.token_for("bob@example.com").await;
    let admin = app.admin_token("boss@example.com").await;
    let a1 = create_bot(&app, &alice, "A1").await;
    create_bot(&app, &alice, "A2").await;
    let b1 = create_bot(&app, &bob, "B1").await;
    app.delete_auth(&format!("/api/bots/{b1}"), &bob).await;
    create_bot(&app, &bob, "B2").await;

    let list = body(app.get_auth("/api/admin/bots", &admin).await).await;
    assert_eq!(list["total"], 3, "deleted bots are not listed");
    let bots = list["bots"].as_array().unwrap();
    assert_eq!(bots.len(), 3);
    let first = bots.iter().find(|b| b["id"] == a1.as_str()).unwrap();
    assert_eq!(first["email"], "alice@example.com");
    assert_eq!(first["user_id"], user_id(&app, &alice).await.as_str());
    for field in [
        "name",
        "exchange",
        "status",
        "trading_mode",
        "total_profit",
        "override_rules",
    ] {
        assert!(first.get(field).is_some(), "{field}");
    }
    assert!(bots.iter().any(|b| b["email"] == "bob@example.com"));

    let page = body(
        app.get_auth("/api/admin/bots?limit=2&offset=2", &admin)
            .await,
    )
    .await;
    assert_eq!(page["bots"].as_array().unwrap().len(), 1);
    assert_eq!(page["total"], 3);
    assert_eq!(page["limit"], 2);
    let clamped = body(app.get_auth("/api/admin/bots?limit=0", &admin).await).await;
    assert_eq!(clamped["limit"], 1);
    assert_eq!(clamped["bots"].as_array().unwrap().len(), 1);
    for bad in ["limit=-1", "limit=abc", "offset=-5"] {
        let resp = app
            .get_auth(&format!("/api/admin/bots?{bad}"), &admin)
            .await;
        assert_eq!(resp.status(), 400, "{bad}");
        assert!(body(resp).await["error"]["code"].is_string(), "{bad}");
    }
}

async fn override_rules_are_validated_merged_and_nothing_half_written(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let owner = app.token_for("owner@example.com").await;
    let admin = app.admin_token("boss@example.com").await;
    let bot = create_bot(&app, &owner, "Ruled").await;
    let path = format!("/api/admin/bots/{bot}/override");

    let ok = app
        .post_auth(
            &path,
            &admin,
            json!({"override_rules": {"max_daily_trades": 10, "notes": " careful "}}),
        )
        .await;
    assert_eq!(ok.status(), 200);
    let ok = body(ok).await;
    assert_eq!(ok["success"], true);
    assert_eq!(
        ok["bot"]["override_rules"],
        json!({"max_daily_trades": 10, "notes": "careful"})
    );

    let unknown = app
        .post_auth(
            &path,
            &admin,
            json!({"override_rules": {"leverage": 10, "max_daily_trades": 20}}),
        )
        .await;
    assert_eq!(unknown.status(), 422);
    let unknown = body(unknown).await;
    assert_eq!(
        unknown["error"]["fields"][0]["field"],
        "override_rules.leverage"
    );
    assert!(unknown["detail"].is_string());

    for bad in [
        json!({"override_rules": {"max_daily_trades": 0}}),
        json!({"override_rules": {"stop_loss_pct": -1}}),
        json!({"override_rules": {"max_position_size_pct": 1e300}}),
        json!({"override_rules": {"trading_enabled": "yes"}}),
        json!({"override_rules": [1, 2]}),
        json!({}),
        json!({"force_pause": true, "force_resume": true}),
    ] {
        let resp = app.post_auth(&path, &admin, bad.clone()).await;
        assert_eq!(resp.status(), 422, "{bad}");
        assert!(body(resp).await["error"]["code"].is_string(), "{bad}");
    }
    let malformed = app
        .client
        .post(app.url(&path))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(
        malformed.status(),
        422,
        "this API answers malformed JSON with 422"
    );
    assert_eq!(body(malformed).await["error"]["fields"][0]["field"], "body");

    let stored = body(app.get_auth(&format!("/api/bots/{bot}"), &owner).await).await;
    assert_eq!(
        stored["override_rules"],
        json!({"max_daily_trades": 10, "notes": "careful"}),
        "refused overrides changed nothing"
    );

    // null clears one key; the others stay.
    let cleared = body(
        app.post_auth(&path, &admin, json!({"override_rules": {"notes": null}}))
            .await,
    )
    .await;
    assert_eq!(
        cleared["bot"]["override_rules"],
        json!({"max_daily_trades": 10})
    );

    let missing = app
        .post_auth(
            &format!("/api/admin/bots/{}/override", uuid::Uuid::new_v4()),
            &admin,
            json!({"override_rules": {"notes": "x"}}),
        )
        .await;
    assert_eq!(missing.status(), 404);
}

async fn force_pause_and_resume_follow_the_status_machine(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let owner = app.token_for("owner@example.com").await;
    let admin = app.admin_token("boss@example.com").await;
    let bot = create_bot(&app, &owner, "Forced").await;
    let path = format!("/api/admin/bots/{bot}/override");
    let status = |v: &Value| v["bot"]["status"].as_str().unwrap_or("").to_string();

    let paused = body(
        app.post_auth(
            &path,
            &admin,
            json!({"force_pause": true, "reason": "risk review"}),
        )
        .await,
    )
    .await;
    assert_eq!(paused["success"], true);
    assert_eq!(status(&paused), "paused");
    assert_eq!(paused["bot"]["pause_reason"], "risk review");
    let again = body(
        app.post_auth(&path, &admin, json!({"force_pause": true}))
            .await,
    )
    .await;
    assert_eq!(
        again["success"], true,
        "forcing the current state is a no-op"
    );
    assert_eq!(status(&again), "paused");

    let resumed = body(
        app.post_auth(
            &path,
            &admin,
            json!({"force_resume": true, "override_rules": {"trading_enabled": true}}),
        )
        .await,
    )
    .await;
    assert_eq!(status(&resumed), "active");
    assert_eq!(resumed["bot"]["override_rules"]["trading_enabled"], true);

    // The owner's emergency stop wins over an admin resume; nothing is written.
    app.post_auth("/api/system/emergency-stop", &owner, json!({}))
        .await;
    let refused = body(
        app.post_auth(
            &path,
            &admin,
            json!({"force_resume": true, "override_rules": {"notes": "should not stick"}}),
        )
        .await,
    )
    .await;
    assert_eq!(refused["success"], false);
    assert!(refused["message"]
        .as_str()
        .unwrap()
        .contains("Emergency stop"));
    let stored = body(app.get_auth(&format!("/api/bots/{bot}"), &owner).await).await;
    assert_eq!(stored["status"], "paused");
    assert!(stored["override_rules"].get("notes").is_none());

    // The plain pause/resume routes answer like the owner's own: refusals are success:false.
    app.post_auth("/api/system/emergency-stop/disable", &owner, json!({}))
        .await;
    let pause_path = format!("/api/admin/bots/{bot}/pause");
    let resume_path = format!("/api/admin/bots/{bot}/resume");
    let already = body(app.post_auth(&pause_path, &admin, json!({})).await).await;
    assert_eq!(already["success"], false);
    let resumed = body(app.post_auth(&resume_path, &admin, json!({})).await).await;
    assert_eq!(resumed["success"], true);
    assert_eq!(status(&resumed), "active");
    let paused = body(app.post_auth(&pause_path, &admin, json!({})).await).await;
    assert_eq!(status(&paused), "paused");
    assert_eq!(paused["bot"]["pause_reason"], "Paused by admin");
    let stopped = app
        .post_auth(&format!("/api/bots/{bot}/stop"), &owner, json!({}))
        .await;
    assert_eq!(stopped.status(), 200);
    let cannot = body(
        app.post_auth(&path, &admin, json!({"force_pause": true}))
            .await,
    )
    .await;
    assert_eq!(cannot["success"], false, "a stopped bot cannot be paused");
    assert_eq!(
        app.post_auth(
            &format!("/api/admin/bots/{}/pause", uuid::Uuid::new_v4()),
            &admin,
            json!({})
        )
        .await
        .status(),
        404
    );
}

fn saved_keys(user_id: &str, provider: &str) -> ApiKeyRecord {
    let now = chrono::Utc::now();
    ApiKeyRecord {
        id: uuid::Uuid::new_v4().to_string(),
        user_id: user_id.into(),
        provider: provider.into(),
        api_key_enc: "v1:test:AAAA".into(),
        api_secret_enc: Some("v1:test:BBBB".into()),
        passphrase_enc: None,
        masked_key: "abcd...wxyz".into(),
        status: "saved_untested".into(),
        created_at: now,
        updated_at: now,
        last_tested_at: None,
        last_test_error: None,
    }
}

async fn mode_changes_need_the_live_flag_and_the_owners_keys(engine: Engine) {
    let off = TestApp::spawn_on(&engine).await;
    let owner = off.token_for("owner@example.com").await;
    let admin = off.admin_token("boss@example.com").await;
    let bot = create_bot(&off, &owner, "Moded").await;
    let mode = format!("/api/admin/bots/{bot}/mode");
    let refused = off.post_auth(&mode, &admin, json!({"mode": "live"})).await;
    assert_eq!(refused.status(), 400);
    assert_eq!(
        body(refused).await["error"]["code"],
        "LIVE_TRADING_DISABLED"
    );
    let bad = off.post_auth(&mode, &admin, json!({"mode": "moon"})).await;
    assert_eq!(bad.status(), 400);
    let missing = off.post_auth(&mode, &admin, json!({})).await;
    assert_eq!(missing.status(), 422);

    let config = TestConfig::new(&engine).set("ENABLE_LIVE_TRADING", "true");
    let app = TestApp::spawn_with(config, axum::Router::new()).await;
    let owner = app.token_for("owner@example.com").await;
    let admin = app.admin_token("boss@example.com").await;
    let owner_id = user_id(&app, &owner).await;
    let bot = create_bot(&app, &owner, "Moded").await;
    let mode = format!("/api/admin/bots/{bot}/mode");
    let no_keys = app.post_auth(&mode, &admin, json!({"mode": "live"})).await;
    assert_eq!(no_keys.status(), 400);
    assert_eq!(
        body(no_keys).await["error"]["code"],
        "EXCHANGE_API_KEYS_MISSING"
    );
    // Keys for another exchange do not count.
    app.state
        .store
        .keys
        .upsert(&saved_keys(&owner_id, "binance"))
        .await
        .unwrap();
    let wrong = app.post_auth(&mode, &admin, json!({"mode": "live"})).await;
    assert_eq!(wrong.status(), 400);
    let stored = body(app.get_auth(&format!("/api/bots/{bot}"), &owner).await).await;
    assert_eq!(
        stored["trading_mode"], "paper",
        "a refused change wrote nothing"
    );

    app.state
        .store
        .keys
        .upsert(&saved_keys(&owner_id, "luno"))
        .await
        .unwrap();
    let live = body(
        app.post_auth(&mode, &admin, json!({"trading_mode": "live"}))
            .await,
    )
    .await;
    assert_eq!(live["success"], true);
    assert_eq!(live["bot"]["trading_mode"], "live");
    assert_eq!(
        live["bot"]["status"], "live_training_bay",
        "live goes through the training bay"
    );
    let paper = body(app.post_auth(&mode, &admin, json!({"mode": "paper"})).await).await;
    assert_eq!(paper["bot"]["trading_mode"], "paper");
    assert_eq!(paper["bot"]["status"], "paused");
}

async fn changes_reach_the_owner_as_bot_updated_and_are_audited(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let owner = app.token_for("owner@example.com").await;
    let admin = app.admin_token("boss@example.com").await;
    let owner_id = user_id(&app, &owner).await;
    let admin_id = user_id(&app, &admin).await;
    let bot = create_bot(&app, &owner, "Watched").await;
    let before = app.state.events.last_event_id(&owner_id);

    let base = format!("/api/admin/bots/{bot}");
    app.post_auth(
        &format!("{base}/override"),
        &admin,
        json!({"override_rules": {"max_daily_trades": 3}}),
    )
    .await;
    app.post_auth(&format!("{base}/pause"), &admin, json!({"reason": "check"}))
        .await;
    app.post_auth(&format!("{base}/resume"), &admin, json!({}))
        .await;
    app.post_auth(&format!("{base}/mode"), &admin, json!({"mode": "paper"}))
        .await;

    let Replay::Events(events) = app.state.events.subscribe(&owner_id, Some(before)).replay else {
        panic!("expected replay")
    };
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        vec!["bot_updated", "bot_updated", "bot_updated"],
        "three changes; the unchanged mode sends nothing"
    );
    assert_eq!(events[0].payload["bot_id"], bot.as_str());
    assert_eq!(
        events[0].payload["changes"]["override_rules"]["max_daily_trades"],
        3
    );
    assert_eq!(events[1].payload["changes"]["status"], "paused");
    assert_eq!(events[1].payload["reason"], "check");
    assert_eq!(events[2].payload["changes"]["status"], "active");
    assert_eq!(
        app.state.events.last_event_id(&admin_id),
        0,
        "the admin gets no bot events"
    );

    let logs = body(app.get_auth("/api/admin/audit-logs?limit=10", &admin).await).await;
    let ours: Vec<&Value> = logs["logs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["target_id"] == bot.as_str())
        .collect();
    let actions: Vec<&str> = ours.iter().map(|l| l["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        vec!["bot.mode", "bot.resume", "bot.pause", "bot.override"],
        "newest first"
    );
    assert!(ours.iter().all(|l| l["admin_id"] == admin_id.as_str()));
    assert_eq!(ours[0]["details"]["outcome"], "unchanged");
    assert_eq!(ours[3]["details"]["owner"], owner_id.as_str());
    assert_eq!(ours[3]["target_type"], "bot");
}

on_both_engines!(
    every_admin_route_is_401_without_token_403_for_users_and_200_for_admins,
    admin_lists_every_users_bots_with_owner_email_and_pages,
    override_rules_are_validated_merged_and_nothing_half_written,
    force_pause_and_resume_follow_the_status_machine,
    mode_changes_need_the_live_flag_and_the_owners_keys,
    changes_reach_the_owner_as_bot_updated_and_are_audited,
);
