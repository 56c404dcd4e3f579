//! Who sees what: public providers list, 401 without a token, per-user isolation, routing of
//! static paths vs `{provider}`, the legacy routes, and the key events.

use amarktai::events::Replay;
use serde_json::json;

use crate::common::Engine;
use crate::on_both_engines;
use crate::{entry, post_json, spawn, user};

const BINANCE: &str =
    r#"{"provider":"binance","api_key":"BNKEY-000111222","api_secret":"bn-secret"}"#;

async fn providers_are_public_and_everything_else_needs_a_token(engine: Engine) {
    let app = spawn(&engine).await;
    let resp = app.get("/api/keys/providers").await;
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["total"], 6);
    let kucoin = body["providers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "kucoin")
        .cloned()
        .unwrap();
    assert_eq!(
        kucoin["required_fields"],
        json!(["api_key", "api_secret", "passphrase"])
    );
    assert_eq!(kucoin["type"], "exchange");
    assert_eq!(body["providers"][5]["type"], "ai");

    let client = &app.client;
    let requests = [
        client.get(app.url("/api/keys/list")),
        client.post(app.url("/api/keys/save")).body(BINANCE),
        client.post(app.url("/api/keys/test")).body(BINANCE),
        client.get(app.url("/api/keys/binance")),
        client.post(app.url("/api/keys/binance")).body(BINANCE),
        client.delete(app.url("/api/keys/binance")),
        client.get(app.url("/api/api-keys")),
        client.post(app.url("/api/api-keys")).body(BINANCE),
        client.post(app.url("/api/api-keys/binance/test")),
        client.delete(app.url("/api/api-keys/binance")),
    ];
    for request in requests {
        let resp = request
            .header("content-type", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401, "{}", resp.url());
        assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    }
    let resp = client
        .get(app.url("/api/keys/list"))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

async fn another_users_keys_are_invisible(engine: Engine) {
    let app = spawn(&engine).await;
    let (owner, _) = user(&app, "owner@example.com").await;
    let (other, _) = user(&app, "other@example.com").await;
    let body = serde_json::from_str(BINANCE).unwrap();
    assert_eq!(post_json(&app, &owner, "/api/keys/save", body).await.0, 200);

    assert_eq!(
        entry(&app, &other, "binance").await["status"],
        "not_configured"
    );
    let one: serde_json::Value = app
        .get_auth("/api/keys/binance", &other)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (one["status"].as_str(), one["masked_key"].is_null()),
        (Some("not_configured"), true)
    );
    assert_eq!(
        app.delete_auth("/api/keys/binance", &other).await.status(),
        404
    );
    assert_eq!(
        app.delete_auth("/api/api-keys/binance", &other)
            .await
            .status(),
        404
    );
    let (status, _) = post_json(
        &app,
        &other,
        "/api/keys/test",
        json!({"provider": "binance"}),
    )
    .await;
    assert_eq!(
        status, 400,
        "the owner's saved key is not the caller's to test"
    );
    let listed: serde_json::Value = app
        .get_auth("/api/api-keys", &other)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed,
        json!([]),
        "the legacy list is a bare array of saved keys"
    );

    let mine = entry(&app, &owner, "binance").await;
    assert_eq!(
        (mine["status"].as_str(), mine["masked_key"].as_str()),
        (Some("saved_untested"), Some("BNKE...1222"))
    );
}

async fn static_paths_win_over_provider_and_legacy_routes_share_the_store(engine: Engine) {
    let app = spawn(&engine).await;
    let (token, me) = user(&app, "routes@example.com").await;
    // `save`/`test`/`list` are never taken for a provider name.
    assert_eq!(app.get_auth("/api/keys/save", &token).await.status(), 405);
    assert_eq!(app.get_auth("/api/keys/test", &token).await.status(), 405);
    assert_eq!(app.get_auth("/api/keys/kraken", &token).await.status(), 404);
    let (status, _) = post_json(&app, &token, "/api/keys/kraken", json!({"api_key": "k"})).await;
    assert_eq!(status, 404);

    // Provider from the URL; a disagreeing body is refused.
    let (status, resp) = post_json(
        &app,
        &token,
        "/api/keys/luno",
        json!({"key": "LUNOKEY-12345", "secret": "s"}),
    )
    .await;
    assert_eq!(
        (status, resp["provider"].as_str()),
        (200, Some("luno")),
        "{resp}"
    );
    let (status, _) = post_json(
        &app,
        &token,
        "/api/keys/luno",
        json!({"provider": "valr", "key": "k", "secret": "s"}),
    )
    .await;
    assert_eq!(status, 400);
    let one: serde_json::Value = app
        .get_auth("/api/keys/LUNO", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (one["status"].as_str(), one["display_name"].as_str()),
        (Some("saved_untested"), Some("Luno"))
    );

    // Legacy save / list / delete on the same store.
    let (status, _) = post_json(
        &app,
        &token,
        "/api/api-keys",
        json!({"exchange": "ovex", "apiKey": "OVEXKEY-12345", "apiSecret": "s"}),
    )
    .await;
    assert_eq!(status, 200);
    let listed: serde_json::Value = app
        .get_auth("/api/api-keys", &token)
        .await
        .json()
        .await
        .unwrap();
    let saved: Vec<(&str, bool, &str)> = listed
        .as_array()
        .expect("a bare array")
        .iter()
        .map(|k| {
            assert!(k.get("api_key_enc").is_none() && k.get("api_secret").is_none());
            (
                k["provider"].as_str().unwrap(),
                k["connected"].as_bool().unwrap(),
                k["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        saved,
        vec![
            ("luno", false, "saved_untested"),
            ("ovex", false, "saved_untested")
        ],
        "one entry per saved key, in catalogue order"
    );
    assert_eq!(
        entry(&app, &token, "ovex").await["masked_key"],
        "OVEX...2345"
    );
    let resp = app.delete_auth("/api/api-keys/ovex", &token).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        app.delete_auth("/api/keys/ovex", &token).await.status(),
        404,
        "already gone"
    );
    let resp = app.delete_auth("/api/keys/luno", &token).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        entry(&app, &token, "luno").await["status"],
        "not_configured"
    );

    let Replay::Events(events) = app.state.events.subscribe(&me, Some(0)).replay else {
        panic!("expected events")
    };
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "key_saved",
            "api_key_update",
            "key_saved",
            "api_key_update",
            "key_deleted",
            "api_key_update",
            "key_deleted",
            "api_key_update",
        ]
    );
    assert_eq!(events[0].payload["provider"], "luno");
    assert_eq!(events[3].payload["action"], "saved");
    assert_eq!(events[4].payload["provider"], "ovex");
    let json_text: Vec<&str> = events.iter().map(|e| e.json().as_ref()).collect();
    assert!(json_text
        .iter()
        .all(|t| !t.contains("LUNOKEY-12345") && !t.contains("OVEXKEY-12345")));
}

async fn a_key_test_publishes_key_tested(engine: Engine) {
    let app = spawn(&engine).await;
    let (token, me) = user(&app, "tested@example.com").await;
    post_json(
        &app,
        &token,
        "/api/keys/save",
        json!({"provider": "openai", "api_key": "sk-test-0000111"}),
    )
    .await;
    // Outbound URLs point where nothing listens: the test fails fast, and says so.
    let (status, resp) = post_json(
        &app,
        &token,
        "/api/keys/test",
        json!({"provider": "openai"}),
    )
    .await;
    assert_eq!(
        (status, resp["status"].as_str()),
        (200, Some("test_failed")),
        "{resp}"
    );
    assert_eq!(
        resp["message"],
        "Could not connect to OpenAI; check the network"
    );
    let Replay::Events(events) = app.state.events.subscribe(&me, Some(0)).replay else {
        panic!("expected events")
    };
    let tested = events
        .iter()
        .find(|e| e.kind.as_str() == "key_tested")
        .expect("key_tested");
    assert_eq!(
        (
            tested.payload["provider"].as_str(),
            tested.payload["ok"].as_bool()
        ),
        (Some("openai"), Some(false))
    );
    assert!(events
        .iter()
        .any(|e| e.kind.as_str() == "api_key_update" && e.payload["action"] == "tested"));
}

on_both_engines!(
    providers_are_public_and_everything_else_needs_a_token,
    another_users_keys_are_invisible,
    static_paths_win_over_provider_and_legacy_routes_share_the_store,
    a_key_test_publishes_key_tested,
);
