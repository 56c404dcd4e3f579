//! Admin routes over real HTTP (SPEC §10): role checks, unlock, user management, audit log.

mod common;

use amarktai::domain::clock::ManualClock;
use axum::Router;
use common::{Engine, TestApp, TestConfig, TEST_PASSWORD};
use serde_json::{json, Value};

async fn body(resp: reqwest::Response) -> Value {
    resp.json().await.expect("json")
}

async fn user_id(app: &TestApp, token: &str) -> String {
    body(app.get_auth("/api/auth/me", token).await).await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn every_admin_route_needs_a_token_and_the_admin_role(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let user = app.token_for("plain@example.com").await;
    let admin = app.admin_token("boss@example.com").await;
    let target = user_id(&app, &user).await;
    let routes: Vec<(reqwest::Method, String)> = vec![
        (reqwest::Method::GET, "/api/admin/users".into()),
        (reqwest::Method::GET, "/api/admin/pending-users".into()),
        (reqwest::Method::GET, "/api/admin/audit-logs".into()),
        (reqwest::Method::GET, "/api/admin/unlock/verify".into()),
        (reqwest::Method::POST, "/api/admin/unlock".into()),
        (
            reqwest::Method::POST,
            format!("/api/admin/users/{target}/approve"),
        ),
        (
            reqwest::Method::POST,
            format!("/api/admin/users/{target}/block"),
        ),
        (
            reqwest::Method::POST,
            format!("/api/admin/users/{target}/unblock"),
        ),
        (
            reqwest::Method::POST,
            format!("/api/admin/users/{target}/logout"),
        ),
        (
            reqwest::Method::POST,
            format!("/api/admin/users/{target}/reset-password"),
        ),
        (
            reqwest::Method::POST,
            format!("/api/admin/users/{target}/role"),
        ),
        (
            reqwest::Method::DELETE,
            format!("/api/admin/users/{target}"),
        ),
    ];
    for (method, path) in &routes {
        let none = app
            .client
            .request(method.clone(), app.url(path))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(none.status(), 401, "{method} {path} without token");
        let as_user = app
            .client
            .request(method.clone(), app.url(path))
            .bearer_auth(&user)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(as_user.status(), 403, "{method} {path} as user");
    }
    assert_eq!(app.get_auth("/api/admin/users", &admin).await.status(), 200);
    // Nothing happened to the target through the refused calls.
    assert_eq!(app.get_auth("/api/auth/me", &user).await.status(), 200);
}

async fn unlock_has_no_fallback_password(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let admin = app.admin_token("boss@example.com").await;
    let resp = app
        .post_auth("/api/admin/unlock", &admin, json!({"password": "admin123"}))
        .await;
    assert_eq!(resp.status(), 503);
    assert_eq!(body(resp).await["detail"], "Admin unlock not configured");
}

async fn unlock_checks_the_password_and_issues_a_verifiable_token(engine: Engine) {
    let config = TestConfig::new(&engine).set("ADMIN_PASSWORD", "  s3cret-unlock ");
    let app = TestApp::spawn_with(config, Router::new()).await;
    let admin = app.admin_token("boss@example.com").await;
    let resp = app
        .post_auth("/api/admin/unlock", &admin, json!({"password": "   "}))
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(body(resp).await["detail"], "Password is required");
    let resp = app
        .post_auth("/api/admin/unlock", &admin, json!({"password": "wrong"}))
        .await;
    assert_eq!(resp.status(), 403);
    assert_eq!(body(resp).await["detail"], "Invalid admin password");
    let resp = app
        .post_auth(
            "/api/admin/unlock",
            &admin,
            json!({"password": "s3cret-unlock"}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let b = body(resp).await;
    assert_eq!(b["success"], true);
    assert_eq!(b["expires_in"], 3600);
    let unlock = b["unlock_token"].as_str().unwrap();
    let verify = body(
        app.get_auth(&format!("/api/admin/unlock/verify?token={unlock}"), &admin)
            .await,
    )
    .await;
    assert_eq!(verify["valid"], true);
    let bogus = body(
        app.get_auth("/api/admin/unlock/verify?token=nope", &admin)
            .await,
    )
    .await;
    assert_eq!(bogus["valid"], false);
    // The unlock token is not an access token.
    assert_eq!(app.get_auth("/api/auth/me", unlock).await.status(), 401);
    // Every attempt is in the audit log.
    let logs = body(app.get_auth("/api/admin/audit-logs?limit=10", &admin).await).await;
    let outcomes: Vec<&str> = logs["logs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["details"]["outcome"].as_str())
        .collect();
    assert_eq!(
        outcomes,
        vec!["success", "invalid_password", "password_missing"]
    );
}

async fn unlock_is_rate_limited(engine: Engine) {
    let config = TestConfig::new(&engine)
        .set("ADMIN_PASSWORD", "right-one")
        .set("LOGIN_RATE_LIMIT_ATTEMPTS", "2");
    let app = TestApp::spawn_with(config, Router::new()).await;
    let admin = app.admin_token("boss@example.com").await;
    for _ in 0..2 {
        assert_eq!(
            app.post_auth("/api/admin/unlock", &admin, json!({"password": "x"}))
                .await
                .status(),
            403
        );
    }
    let resp = app
        .post_auth(
            "/api/admin/unlock",
            &admin,
            json!({"password": "right-one"}),
        )
        .await;
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().get("retry-after").is_some());
}

async fn block_kills_tokens_and_unblock_restores_login(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let admin = app.admin_token("boss@example.com").await;
    let user = app.token_for("victim@example.com").await;
    let id = user_id(&app, &user).await;
    let resp = app
        .post_auth(
            &format!("/api/admin/users/{id}/block"),
            &admin,
            json!({"reason": "abuse"}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        app.get_auth("/api/auth/me", &user).await.status(),
        401,
        "old token dies at once"
    );
    let login = app
        .post_json(
            "/api/auth/login",
            json!({"email": "victim@example.com", "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(login.status(), 403);
    assert_eq!(
        app.post_auth(&format!("/api/admin/users/{id}/unblock"), &admin, json!({}))
            .await
            .status(),
        200
    );
    let login = app
        .post_json(
            "/api/auth/login",
            json!({"email": "victim@example.com", "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(login.status(), 200);
    let logs = body(app.get_auth("/api/admin/audit-logs", &admin).await).await;
    let actions: Vec<&str> = logs["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["user.unblock", "user.block"]);
    assert_eq!(logs["logs"][1]["target_id"], id.as_str());
    assert_eq!(logs["logs"][1]["details"]["reason"], "abuse");
}

async fn delete_cascades_the_users_data(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let admin = app.admin_token("boss@example.com").await;
    let user = app.token_for("gone@example.com").await;
    let id = user_id(&app, &user).await;
    let store = &app.state.store;
    let now = chrono::Utc::now();
    store
        .alerts
        .insert(&amarktai::domain::settings::Alert::new(
            &id, None, "system", "info", "hello", now,
        ))
        .await
        .unwrap();
    store
        .settings
        .set_mode(
            &id,
            amarktai::domain::settings::SystemMode::Autopilot,
            true,
            now,
        )
        .await
        .unwrap();
    let resp = app
        .delete_auth(&format!("/api/admin/users/{id}"), &admin)
        .await;
    assert_eq!(resp.status(), 200);
    assert!(store.users.find_by_id(&id).await.unwrap().is_none());
    assert!(store.alerts.list(&id, 10, true).await.unwrap().is_empty());
    assert!(!store.settings.get(&id, now).await.unwrap().autopilot);
    assert_eq!(app.get_auth("/api/auth/me", &user).await.status(), 401);
    assert_eq!(
        app.delete_auth(&format!("/api/admin/users/{id}"), &admin)
            .await
            .status(),
        404
    );
}

on_both_engines!(
    block_kills_tokens_and_unblock_restores_login,
    delete_cascades_the_users_data
);

async fn reset_password_returns_a_one_time_password_that_must_be_changed(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let admin = app.admin_token("boss@example.com").await;
    let user = app.token_for("forgot@example.com").await;
    let id = user_id(&app, &user).await;
    let b = body(
        app.post_auth(
            &format!("/api/admin/users/{id}/reset-password"),
            &admin,
            json!({}),
        )
        .await,
    )
    .await;
    let temp = b["temporary_password"].as_str().unwrap().to_string();
    assert_eq!(app.get_auth("/api/auth/me", &user).await.status(), 401);
    let login = body(
        app.post_json(
            "/api/auth/login",
            json!({"email": "forgot@example.com", "password": temp}),
        )
        .await,
    )
    .await;
    assert_eq!(login["user"]["must_change_password"], true);
    let token = login["access_token"].as_str().unwrap();
    let resp = app.get_auth("/api/admin/users", token).await;
    assert_eq!(resp.status(), 403);
    let resp = app
        .put_auth(
            "/api/auth/password",
            token,
            json!({"current_password": temp, "new_password": "Br4nd-new-pw"}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let fresh = body(resp).await;
    assert_eq!(fresh["user"]["must_change_password"], false);
    // The temporary password appears in no audit entry.
    let logs = app
        .get_auth("/api/admin/audit-logs", &admin)
        .await
        .text()
        .await
        .unwrap();
    assert!(!logs.contains(&temp));
}

async fn admins_cannot_harm_themselves_and_the_last_admin_stays(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let admin = app.admin_token("boss@example.com").await;
    let me = user_id(&app, &admin).await;
    for action in ["block", "role"] {
        let resp = app
            .post_auth(
                &format!("/api/admin/users/{me}/{action}"),
                &admin,
                json!({"role": "user"}),
            )
            .await;
        assert_eq!(resp.status(), 400, "{action}");
    }
    assert_eq!(
        app.delete_auth(&format!("/api/admin/users/{me}"), &admin)
            .await
            .status(),
        400
    );
    // Promote someone, then demote them; role changes kill the target's old tokens.
    let other = app.token_for("deputy@example.com").await;
    let other_id = user_id(&app, &other).await;
    let resp = app
        .post_auth(
            &format!("/api/admin/users/{other_id}/role"),
            &admin,
            json!({"role": "admin"}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(app.get_auth("/api/auth/me", &other).await.status(), 401);
    let resp = app
        .post_auth(
            &format!("/api/admin/users/{other_id}/role"),
            &admin,
            json!({"role": "superuser"}),
        )
        .await;
    assert_eq!(resp.status(), 422);
    let users = body(app.get_auth("/api/admin/users", &admin).await).await;
    assert_eq!(users["total"], 2);
    let row = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == other_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(row["role"], "admin");
    for field in [
        "user_id",
        "first_name",
        "email",
        "status",
        "is_active",
        "created_at",
        "last_seen",
        "bots_count",
        "api_keys_count",
    ] {
        assert!(row.get(field).is_some(), "{field}");
    }
    assert!(!users.to_string().contains("password_hash"));
    let resp = app
        .post_auth("/api/admin/users/no-such-user/block", &admin, json!({}))
        .await;
    assert_eq!(resp.status(), 404);
}

async fn approval_flow_lists_pending_users_and_approve_lets_them_in(engine: Engine) {
    let app = TestApp::spawn_with(
        TestConfig::new(&engine).set("REQUIRE_APPROVAL", "true"),
        Router::new(),
    )
    .await;
    let admin_id = {
        let store = &app.state.store;
        let mut boss = amarktai::domain::user::User::new(
            "boss@example.com",
            "Boss",
            amarktai::auth::password::hash(TEST_PASSWORD.into())
                .await
                .unwrap(),
            amarktai::domain::user::UserStatus::Active,
            chrono::Utc::now(),
        );
        boss.role = amarktai::domain::user::Role::Admin;
        store.users.create(&boss).await.unwrap();
        boss.id
    };
    let admin = body(
        app.post_json(
            "/api/auth/login",
            json!({"email": "boss@example.com", "password": TEST_PASSWORD}),
        )
        .await,
    )
    .await;
    let admin = admin["access_token"].as_str().unwrap().to_string();
    let resp = app
        .post_json(
            "/api/auth/register",
            json!({"first_name": "P", "email": "p@example.com", "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let pending = body(app.get_auth("/api/admin/pending-users", &admin).await).await;
    assert_eq!(pending["total"], 1);
    let pid = pending["users"][0]["id"].as_str().unwrap().to_string();
    assert_ne!(pid, admin_id);
    assert_eq!(
        app.post_auth(
            &format!("/api/admin/users/{pid}/approve"),
            &admin,
            json!({})
        )
        .await
        .status(),
        200
    );
    let login = app
        .post_json(
            "/api/auth/login",
            json!({"email": "p@example.com", "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(login.status(), 200);
}

/// The ids of one audit-log page, after checking the page echoes what it was asked for.
async fn audit_page(app: &TestApp, admin: &str, query: &str) -> (Value, Vec<String>) {
    let resp = app
        .get_auth(&format!("/api/admin/audit-logs?{query}"), admin)
        .await;
    assert_eq!(resp.status(), 200, "{query}");
    let page = body(resp).await;
    let ids = page["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect();
    (page, ids)
}

async fn audit_log_pages_are_consecutive_newest_first_slices(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let admin = app.admin_token("boss@example.com").await;
    // Without ADMIN_PASSWORD every unlock attempt is refused and audited: seven entries.
    for _ in 0..7 {
        let resp = app
            .post_auth("/api/admin/unlock", &admin, json!({"password": "x"}))
            .await;
        assert_eq!(resp.status(), 503);
    }
    let (all, all_ids) = audit_page(&app, &admin, "limit=1000").await;
    assert_eq!(all["total"], 7);
    assert_eq!(all_ids.len(), 7);
    let times: Vec<chrono::DateTime<chrono::Utc>> = all["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["timestamp"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {times:?}"
    );

    let mut paged = Vec::new();
    for (offset, expected_len) in [(0, 3), (3, 3), (6, 1), (9, 0)] {
        let (page, ids) = audit_page(&app, &admin, &format!("limit=3&offset={offset}")).await;
        assert_eq!(page["limit"], 3);
        assert_eq!(page["offset"], offset);
        assert_eq!(page["total"], 7, "total counts every entry, not the page");
        assert_eq!(ids.len(), expected_len, "offset {offset}");
        assert_eq!(ids, all_ids[offset.min(7)..(offset + 3).min(7)].to_vec());
        paged.extend(ids);
    }
    // The pages together are the whole log once: no overlap, no gap.
    assert_eq!(paged, all_ids);

    // Out-of-range numbers are clamped to 1..=1000; the default page is 100 from the top.
    let (page, ids) = audit_page(&app, &admin, "limit=0").await;
    assert_eq!(
        (page["limit"].clone(), ids),
        (json!(1), all_ids[..1].to_vec())
    );
    let (page, ids) = audit_page(&app, &admin, "limit=5000").await;
    assert_eq!((page["limit"].clone(), ids.len()), (json!(1000), 7));
    let (page, ids) = audit_page(&app, &admin, "").await;
    assert_eq!(
        (page["limit"].clone(), page["offset"].clone()),
        (json!(100), json!(0))
    );
    assert_eq!(ids, all_ids);
    let (page, ids) = audit_page(&app, &admin, "offset=4294967295").await;
    assert_eq!((page["total"].clone(), ids.len()), (json!(7), 0));

    // Negative, non-numeric and too large values are refused with the envelope.
    for bad in [
        "limit=-1",
        "offset=-5",
        "limit=abc",
        "offset=1e3",
        "limit=NaN",
        "offset=99999999999999999999",
    ] {
        let resp = app
            .get_auth(&format!("/api/admin/audit-logs?{bad}"), &admin)
            .await;
        let status = resp.status();
        let b = body(resp).await;
        assert_eq!(status, 400, "{bad}: {b}");
        assert_eq!(b["error"]["code"], "BAD_REQUEST", "{bad}: {b}");
        assert!(b["detail"].is_string(), "{bad}: {b}");
    }
}

/// `GET /api/admin/unlock/verify` with the unlock token in its header.
async fn verify_unlock_header(app: &TestApp, admin: &str, unlock: &str) -> Value {
    let resp = app
        .client
        .get(app.url("/api/admin/unlock/verify"))
        .bearer_auth(admin)
        .header("X-Admin-Unlock-Token", unlock)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    body(resp).await
}

async fn unlock_token_expires_after_an_hour(engine: Engine) {
    let clock = ManualClock::new(chrono::Utc::now());
    let config = TestConfig::new(&engine).set("ADMIN_PASSWORD", "s3cret-unlock");
    let app = TestApp::spawn_with_clock(config, clock.clone()).await;
    let admin = app.admin_token("boss@example.com").await;
    let issued_at = app.state.clock.now().timestamp();
    let resp = app
        .post_auth(
            "/api/admin/unlock",
            &admin,
            json!({"password": "s3cret-unlock"}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let unlock = body(resp).await["unlock_token"]
        .as_str()
        .unwrap()
        .to_string();
    let fresh = verify_unlock_header(&app, &admin, &unlock).await;
    assert_eq!(fresh["valid"], true);
    let expires_at: chrono::DateTime<chrono::Utc> =
        fresh["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires_at.timestamp(), issued_at + 3600);

    // One second before the hour is up it still works.
    clock.advance(chrono::Duration::seconds(3599));
    assert_eq!(
        verify_unlock_header(&app, &admin, &unlock).await["valid"],
        true
    );
    // Past the hour (and the 30 s clock-skew leeway every token gets) it is refused, while
    // the admin's own access token (1 day) still works.
    clock.advance(chrono::Duration::seconds(32));
    assert_eq!(
        verify_unlock_header(&app, &admin, &unlock).await,
        json!({"valid": false})
    );
    assert_eq!(app.get_auth("/api/auth/me", &admin).await.status(), 200);
}

on_both_engines!(
    every_admin_route_needs_a_token_and_the_admin_role,
    unlock_has_no_fallback_password,
    unlock_checks_the_password_and_issues_a_verifiable_token,
    unlock_is_rate_limited,
    reset_password_returns_a_one_time_password_that_must_be_changed,
    admins_cannot_harm_themselves_and_the_last_admin_stays,
    approval_flow_lists_pending_users_and_approve_lets_them_in,
    audit_log_pages_are_consecutive_newest_first_slices,
    unlock_token_expires_after_an_hour,
);
