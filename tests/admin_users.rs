//! Admin user management over real HTTP on both engines (SPEC §10): block pauses the user's
//! bots, delete leaves nothing of the user in any table, every action and unlock attempt is
//! audited, the platform always keeps an active admin, force-logout ends sessions.

mod common;
#[path = "admin_users/raw_scan.rs"]
mod raw_scan;
mod trading_support;

use std::collections::BTreeSet;

use amarktai::domain::bot::BotStatus;
use amarktai::domain::settings::{Alert, SystemMode};
use amarktai::events::Replay;
use common::{Engine, TestApp, TestConfig, TEST_PASSWORD};
use raw_scan::mentions;
use serde_json::{json, Value};
use trading_support::{create_bot, order, small_buy, spawn_trading};

async fn body(resp: reqwest::Response) -> Value {
    resp.json().await.expect("json")
}

/// A registered user: token and id.
async fn member(app: &TestApp, email: &str) -> (String, String) {
    let login = app.register(email).await;
    (
        login["access_token"].as_str().expect("token").to_string(),
        login["user"]["id"].as_str().expect("id").to_string(),
    )
}

async fn id_of(app: &TestApp, token: &str) -> String {
    body(app.get_auth("/api/auth/me", token).await).await["id"]
        .as_str()
        .expect("id")
        .to_string()
}

async fn login(app: &TestApp, email: &str) -> reqwest::Response {
    app.post_json(
        "/api/auth/login",
        json!({"email": email, "password": TEST_PASSWORD}),
    )
    .await
}

async fn bot_status(app: &TestApp, user_id: &str, bot_id: &str) -> BotStatus {
    app.state
        .store
        .bots
        .find(user_id, bot_id)
        .await
        .expect("db")
        .expect("bot")
        .status
}

async fn block_pauses_the_users_active_bots_and_tells_them(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let admin = app.admin_token("boss@example.com").await;
    let (owner, owner_id) = member(&app, "owner@example.com").await;
    let (other, other_id) = member(&app, "other@example.com").await;
    let (running, second, stopped) = (
        create_bot(&app, &owner, "Running", "luno", 1000.0).await,
        create_bot(&app, &owner, "Second", "luno", 1000.0).await,
        create_bot(&app, &owner, "Stopped", "luno", 1000.0).await,
    );
    let bystander = create_bot(&app, &other, "Elsewhere", "luno", 1000.0).await;
    let stop = app
        .post_auth(&format!("/api/bots/{stopped}/stop"), &owner, json!({}))
        .await;
    assert_eq!(stop.status(), 200);
    for bot in [&running, &second] {
        assert_eq!(bot_status(&app, &owner_id, bot).await, BotStatus::Active);
    }
    let before = app.state.events.last_event_id(&owner_id);
    let others_before = app.state.events.last_event_id(&other_id);

    let resp = app
        .post_auth(
            &format!("/api/admin/users/{owner_id}/block"),
            &admin,
            json!({"reason": "abuse"}),
        )
        .await;
    assert_eq!(resp.status(), 200);

    assert_eq!(
        bot_status(&app, &owner_id, &running).await,
        BotStatus::Paused
    );
    assert_eq!(
        bot_status(&app, &owner_id, &second).await,
        BotStatus::Paused
    );
    assert_eq!(
        bot_status(&app, &owner_id, &stopped).await,
        BotStatus::Stopped,
        "a stopped bot is not resurrected as paused"
    );
    assert_eq!(
        bot_status(&app, &other_id, &bystander).await,
        BotStatus::Active
    );
    let Replay::Events(events) = app.state.events.subscribe(&owner_id, Some(before)).replay else {
        panic!("expected the owner's new events")
    };
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, vec!["bot_paused", "bot_paused"]);
    let paused: BTreeSet<&str> = events
        .iter()
        .filter_map(|e| e.payload["bot"]["id"].as_str())
        .collect();
    assert_eq!(paused, BTreeSet::from([running.as_str(), second.as_str()]));
    assert_eq!(app.state.events.last_event_id(&other_id), others_before);
    let logs = body(app.get_auth("/api/admin/audit-logs?limit=1", &admin).await).await;
    assert_eq!(logs["logs"][0]["action"], "user.block");
    assert_eq!(logs["logs"][0]["details"]["result"]["bots_paused"], 2);
    // The blocked owner cannot start them again.
    assert_eq!(
        app.post_auth(&format!("/api/bots/{running}/resume"), &owner, json!({}))
            .await
            .status(),
        401
    );
}

/// Gives `token`'s user something in every part of the store: a bot with a filled order
/// (order, trade, ledger, rollups), exchange keys, a conversation with a message, an alert,
/// a system mode and a refresh token.
async fn fill_every_table(app: &TestApp, token: &str, user_id: &str, email: &str) {
    let bot = create_bot(app, token, "Alpha", "luno", 10_000.0).await;
    order(app, token, small_buy(&bot)).await;
    let keys = app
        .post_auth(
            "/api/keys/save",
            token,
            json!({"provider": "luno", "api_key": "luno-key-1234", "api_secret": "luno-secret-5678"}),
        )
        .await;
    assert_eq!(keys.status(), 200);
    let conversation = body(
        app.post_auth("/api/ai/conversations", token, json!({"title": "Notes"}))
            .await,
    )
    .await["id"]
        .as_str()
        .expect("conversation")
        .to_string();
    let stored = app
        .post_auth(
            "/api/ai/chat",
            token,
            json!({"content": "remember this", "role": "assistant", "conversation_id": conversation}),
        )
        .await;
    assert_eq!(stored.status(), 200);
    let store = &app.state.store;
    let now = app.state.clock.now();
    store
        .alerts
        .insert(&Alert::new(user_id, None, "system", "info", "hello", now))
        .await
        .expect("alert");
    store
        .settings
        .set_mode(user_id, SystemMode::Autopilot, true, now)
        .await
        .expect("mode");
    assert_eq!(login(app, email).await.status(), 200, "a second session");
}

async fn delete_leaves_nothing_of_the_user_in_any_table(engine: Engine) {
    let (app, _feed) = spawn_trading(&engine).await;
    let admin = app.admin_token("boss@example.com").await;
    let (victim, victim_id) = member(&app, "gone@example.com").await;
    let (keeper, keeper_id) = member(&app, "stays@example.com").await;
    fill_every_table(&app, &victim, &victim_id, "gone@example.com").await;
    fill_every_table(&app, &keeper, &keeper_id, "stays@example.com").await;

    let victims_rows = mentions(&app, &engine, &victim_id).await;
    for table in [
        "users",
        "bots",
        "orders",
        "trades",
        "ledger",
        "api_keys",
        "conversations",
        "chat_messages",
        "alerts",
        "refresh_tokens",
    ] {
        assert!(
            victims_rows.contains_key(table),
            "the victim has nothing in {table}: {victims_rows:?}"
        );
    }
    let keepers_rows = mentions(&app, &engine, &keeper_id).await;
    assert_eq!(
        victims_rows.keys().collect::<Vec<_>>(),
        keepers_rows.keys().collect::<Vec<_>>(),
        "both users hold data in the same tables"
    );

    let resp = app
        .delete_auth(&format!("/api/admin/users/{victim_id}"), &admin)
        .await;
    assert_eq!(resp.status(), 200);

    // Only the admin's audit entry about the deletion may still name the user.
    let left = mentions(&app, &engine, &victim_id).await;
    assert!(
        left.keys().all(|t| t == "audit_log") && left.get("audit_log") == Some(&1),
        "left behind: {left:?}"
    );
    let by_email = mentions(&app, &engine, "gone@example.com").await;
    assert!(
        by_email.keys().all(|t| t == "audit_log"),
        "left behind: {by_email:?}"
    );
    assert_eq!(
        mentions(&app, &engine, &keeper_id).await,
        keepers_rows,
        "the other user's data is untouched"
    );
    assert_eq!(app.get_auth("/api/auth/me", &victim).await.status(), 401);
    let bots = body(app.get_auth("/api/bots", &keeper).await).await;
    assert_eq!(bots.as_array().map(Vec::len), Some(1), "{bots}");
}

fn with_unlock_password(engine: &Engine) -> TestConfig {
    TestConfig::new(engine).set("ADMIN_PASSWORD", "s3cret-unlock")
}

async fn every_admin_action_and_unlock_attempt_is_audited(engine: Engine) {
    let app = TestApp::spawn_with(with_unlock_password(&engine), axum::Router::new()).await;
    let admin = app.admin_token("boss@example.com").await;
    let admin_id = id_of(&app, &admin).await;
    let (_, target) = member(&app, "target@example.com").await;

    for blank in [
        json!({}),
        json!({"password": ""}),
        json!({"password": "  \t "}),
    ] {
        let resp = app
            .post_auth("/api/admin/unlock", &admin, blank.clone())
            .await;
        assert_eq!(resp.status(), 400, "{blank}");
        let refused = body(resp).await;
        assert_eq!(refused["error"]["code"], "PASSWORD_REQUIRED", "{refused}");
        assert_eq!(refused["detail"], "Password is required");
    }
    let wrong = json!({"password": "wrong"});
    assert_eq!(
        app.post_auth("/api/admin/unlock", &admin, wrong)
            .await
            .status(),
        403
    );
    let right = json!({"password": "s3cret-unlock"});
    assert_eq!(
        app.post_auth("/api/admin/unlock", &admin, right)
            .await
            .status(),
        200
    );
    let user_path = |action: &str| format!("/api/admin/users/{target}/{action}");
    for (action, payload) in [
        ("approve", json!({})),
        ("block", json!({"reason": "check"})),
        ("unblock", json!({})),
        ("logout", json!({})),
        ("reset-password", json!({})),
        ("role", json!({"role": "admin"})),
        ("role", json!({"role": "user"})),
    ] {
        let resp = app.post_auth(&user_path(action), &admin, payload).await;
        assert_eq!(resp.status(), 200, "{action}");
    }
    let deleted = app
        .delete_auth(&format!("/api/admin/users/{target}"), &admin)
        .await;
    assert_eq!(deleted.status(), 200);
    let refused = app
        .post_auth(
            &format!("/api/admin/users/{admin_id}/block"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(refused.status(), 400);
    assert_eq!(body(refused).await["error"]["code"], "SELF_ACTION_REFUSED");

    let logs = body(
        app.get_auth("/api/admin/audit-logs?limit=100", &admin)
            .await,
    )
    .await;
    let logs = logs["logs"].as_array().expect("logs").clone();
    let mut seen: Vec<(String, String)> = logs
        .iter()
        .map(|l| {
            let outcome = l["details"]["outcome"].as_str().unwrap_or("");
            (
                l["action"].as_str().unwrap_or("").to_string(),
                outcome.to_string(),
            )
        })
        .collect();
    seen.reverse();
    let expected: Vec<(String, String)> = [
        ("admin.unlock", "password_missing"),
        ("admin.unlock", "password_missing"),
        ("admin.unlock", "password_missing"),
        ("admin.unlock", "invalid_password"),
        ("admin.unlock", "success"),
        ("user.approve", ""),
        ("user.block", ""),
        ("user.unblock", ""),
        ("user.logout", ""),
        ("user.reset_password", ""),
        ("user.role", ""),
        ("user.role", ""),
        ("user.delete", ""),
        ("user.block", "refused"),
    ]
    .iter()
    .map(|(a, o)| (a.to_string(), o.to_string()))
    .collect();
    assert_eq!(seen, expected, "oldest first here");
    for entry in &logs {
        assert_eq!(entry["admin_id"], admin_id.as_str(), "{entry}");
        assert!(entry["timestamp"].is_string(), "{entry}");
        assert!(
            entry["ip"].as_str().is_some_and(|ip| !ip.is_empty()),
            "{entry}"
        );
        let on_user = entry["action"].as_str().unwrap_or("").starts_with("user.");
        if on_user && entry["details"]["outcome"] == "refused" {
            assert_eq!(entry["target_id"], admin_id.as_str(), "{entry}");
            assert_eq!(entry["details"]["code"], "SELF_ACTION_REFUSED", "{entry}");
        } else if on_user {
            assert_eq!(entry["target_id"], target.as_str(), "{entry}");
            assert_eq!(entry["target_type"], "user", "{entry}");
        }
    }
    // No route edits or removes entries.
    for method in [reqwest::Method::PUT, reqwest::Method::DELETE] {
        let resp = app
            .client
            .request(method.clone(), app.url("/api/admin/audit-logs"))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status(), 405, "{method}");
    }
}

/// Two active admins: `a` and a promoted `b` (with a fresh token, promotion bumps it).
async fn two_admins(app: &TestApp) -> ((String, String), (String, String)) {
    let a = app.admin_token("first@example.com").await;
    let a_id = id_of(app, &a).await;
    let b = app.admin_token("second@example.com").await;
    let b_id = id_of(app, &b).await;
    ((a, a_id), (b, b_id))
}

async fn active_admins(app: &TestApp) -> u64 {
    app.state
        .store
        .users
        .count_active_admins()
        .await
        .expect("count")
}

async fn only_active_admins_count_for_the_last_admin_rule(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let ((a, _), (_, b_id)) = two_admins(&app).await;
    let blocked = app
        .post_auth(&format!("/api/admin/users/{b_id}/block"), &a, json!({}))
        .await;
    assert_eq!(blocked.status(), 200);
    assert_eq!(active_admins(&app).await, 1);
    // `b` is an admin but not an active one: demoting or deleting them takes nothing away.
    let demoted = app
        .post_auth(
            &format!("/api/admin/users/{b_id}/role"),
            &a,
            json!({"role": "user"}),
        )
        .await;
    assert_eq!(demoted.status(), 200);
    let deleted = app
        .delete_auth(&format!("/api/admin/users/{b_id}"), &a)
        .await;
    assert_eq!(deleted.status(), 200);
    assert_eq!(active_admins(&app).await, 1);
}

/// Two admins who remove each other at the same moment: one wins, the other is refused
/// (the last active admin, or already locked out), and one active admin always remains.
async fn two_admins_removing_each_other_leave_one_active_admin(engine: Engine) {
    for (action, payload) in [
        ("block", json!({})),
        ("role", json!({"role": "user"})),
        ("delete", json!({})),
    ] {
        let app = TestApp::spawn_on(&engine).await;
        let ((a, a_id), (b, b_id)) = two_admins(&app).await;
        let send = |token: &str, target: &str| {
            let request = if action == "delete" {
                app.client
                    .delete(app.url(&format!("/api/admin/users/{target}")))
            } else {
                app.client
                    .post(app.url(&format!("/api/admin/users/{target}/{action}")))
                    .json(&payload)
            };
            request.bearer_auth(token.to_string()).send()
        };
        let (first, second) = tokio::join!(send(&a, &b_id), send(&b, &a_id));
        let mut statuses = [
            first.expect("a's request").status().as_u16(),
            second.expect("b's request").status().as_u16(),
        ];
        statuses.sort_unstable();
        assert_eq!(statuses[0], 200, "{action}: one of them wins");
        assert!(
            [400, 401, 403, 404].contains(&statuses[1]),
            "{action}: the other is refused, got {statuses:?}"
        );
        assert_eq!(active_admins(&app).await, 1, "{action}");
    }
}

async fn force_logout_ends_every_session_and_a_fresh_login_works(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let admin = app.admin_token("boss@example.com").await;
    let registered = app.register("sessions@example.com").await;
    let old_access = registered["access_token"].as_str().expect("token");
    let old_refresh = registered["refresh_token"].as_str().expect("refresh");
    let id = registered["user"]["id"].as_str().expect("id");
    assert_eq!(app.get_auth("/api/auth/me", old_access).await.status(), 200);

    let resp = app
        .post_auth(&format!("/api/admin/users/{id}/logout"), &admin, json!({}))
        .await;
    assert_eq!(resp.status(), 200);

    let refused = app.get_auth("/api/auth/me", old_access).await;
    assert_eq!(refused.status(), 401);
    assert!(refused.headers().contains_key("www-authenticate"));
    assert_eq!(body(refused).await["error"]["code"], "UNAUTHORIZED");
    let refresh = app
        .post_json("/api/auth/refresh", json!({"refresh_token": old_refresh}))
        .await;
    assert_eq!(refresh.status(), 401, "the old refresh token died too");

    let fresh = login(&app, "sessions@example.com").await;
    assert_eq!(fresh.status(), 200);
    let fresh = body(fresh).await;
    let token = fresh["access_token"].as_str().expect("token");
    let me = app.get_auth("/api/auth/me", token).await;
    assert_eq!(me.status(), 200);
    assert_eq!(body(me).await["email"], "sessions@example.com");
    // The account itself is untouched: still active, still a user.
    let user = app
        .state
        .store
        .users
        .find_by_id(id)
        .await
        .expect("db")
        .expect("user");
    assert_eq!(user.status.as_str(), "active");
    assert_eq!(user.role.as_str(), "user");
}

on_both_engines!(
    block_pauses_the_users_active_bots_and_tells_them,
    delete_leaves_nothing_of_the_user_in_any_table,
    every_admin_action_and_unlock_attempt_is_audited,
    only_active_admins_count_for_the_last_admin_rule,
    two_admins_removing_each_other_leave_one_active_admin,
    force_logout_ends_every_session_and_a_fresh_login_works,
);
