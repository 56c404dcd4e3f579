//! History, clear and conversations on both engines. No provider key is configured, so every
//! question is answered locally with the key guidance (no fake provider needed).

use serde_json::{json, Value};

use crate::common::{Engine, TestApp};
use crate::on_both_engines;
use crate::{ask, history_of, spawn};

async fn get(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    let resp = app.get_auth(path, token).await;
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn history_is_oldest_first_and_per_user(engine: Engine) {
    let app = spawn(&engine, None, None).await;
    let alice = app.token_for("alice@example.com").await;
    let bob = app.token_for("bob@example.com").await;
    for q in ["one", "two"] {
        assert_eq!(ask(&app, &alice, json!({ "content": q })).await.0, 200);
    }
    let roles_and_text = history_of(&app, &alice).await;
    let users: Vec<&str> = roles_and_text
        .iter()
        .filter(|(r, _)| r == "user")
        .map(|(_, c)| c.as_str())
        .collect();
    assert_eq!(users, ["one", "two"]);
    let roles: Vec<&str> = roles_and_text.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(roles, ["user", "assistant", "user", "assistant"]);
    assert!(
        history_of(&app, &bob).await.is_empty(),
        "bob sees none of alice's messages"
    );

    let (status, body) = get(&app, "/api/ai/chat/history?days=0&limit=9999", &alice).await;
    assert_eq!(status, 200);
    assert_eq!(
        (body["days"].as_i64(), body["limit"].as_i64()),
        (Some(1), Some(500))
    );
    assert_eq!(body["count"], 4);
    let first = &body["messages"][0];
    for field in ["id", "role", "content", "timestamp", "conversation_id"] {
        assert!(first.get(field).is_some(), "{field} missing from {first}");
    }
    let (status, body) = get(&app, "/api/ai/chat/history?limit=2", &alice).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["messages"][0]["content"], "two",
        "the newest two, oldest first"
    );
    let (status, _) = get(&app, "/api/ai/chat/history?limit=lots", &alice).await;
    assert_eq!(status, 422);
}

async fn clear_is_idempotent_and_touches_only_the_caller(engine: Engine) {
    let app = spawn(&engine, None, None).await;
    let alice = app.token_for("alice@example.com").await;
    let bob = app.token_for("bob@example.com").await;
    ask(&app, &alice, json!({"content": "mine"})).await;
    ask(&app, &bob, json!({"content": "his"})).await;

    let cleared: Value = app
        .post_auth("/api/ai/chat/clear", &alice, json!({}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(cleared, json!({"success": true, "deleted_count": 2}));
    let again = app.delete_auth("/api/ai/chat/history", &alice).await;
    assert_eq!(again.status(), 200);
    assert_eq!(
        again.json::<Value>().await.expect("json")["deleted_count"],
        0
    );
    assert!(history_of(&app, &alice).await.is_empty());
    assert_eq!(
        history_of(&app, &bob).await.len(),
        2,
        "bob's history untouched"
    );
}

async fn conversations_belong_to_their_owner(engine: Engine) {
    let app = spawn(&engine, None, None).await;
    let alice = app.token_for("alice@example.com").await;
    let bob = app.token_for("bob@example.com").await;
    let created = app
        .post_auth(
            "/api/ai/conversations",
            &alice,
            json!({"title": "  Strategy  "}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.expect("json");
    assert_eq!(created["title"], "Strategy");
    let id = created["id"].as_str().expect("id").to_string();
    let path = format!("/api/ai/conversations/{id}");
    let messages_path = format!("{path}/messages");

    let resp = app
        .post_auth(&messages_path, &alice, json!({"content": "in thread"}))
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.json::<Value>().await.expect("json")["conversation_id"],
        id.as_str()
    );
    ask(&app, &alice, json!({"content": "outside"})).await;

    let (status, body) = get(&app, &path, &alice).await;
    assert_eq!(status, 200);
    assert_eq!(body["messages"].as_array().map(Vec::len), Some(2));
    assert_eq!(body["messages"][0]["content"], "in thread");
    let (_, list) = get(&app, "/api/ai/conversations", &alice).await;
    assert_eq!(
        (
            list["count"].as_u64(),
            list["conversations"][0]["message_count"].as_u64()
        ),
        (Some(1), Some(2))
    );
    let thread = get(
        &app,
        &format!("/api/ai/chat/history?conversation_id={id}"),
        &alice,
    )
    .await;
    assert_eq!(thread.1["count"], 2);

    // Bob can neither see, write to, read through history, nor delete alice's conversation.
    assert_eq!(get(&app, &path, &bob).await.0, 404);
    assert_eq!(
        app.post_auth(&messages_path, &bob, json!({"content": "hi"}))
            .await
            .status(),
        404
    );
    assert_eq!(
        ask(&app, &bob, json!({"content": "hi", "conversation_id": id}))
            .await
            .0,
        404
    );
    assert_eq!(
        get(
            &app,
            &format!("/api/ai/chat/history?conversation_id={id}"),
            &bob
        )
        .await
        .0,
        404
    );
    assert_eq!(app.delete_auth(&path, &bob).await.status(), 404);
    assert_eq!(get(&app, "/api/ai/conversations", &bob).await.1["count"], 0);

    assert_eq!(app.delete_auth(&path, &alice).await.status(), 200);
    assert_eq!(app.delete_auth(&path, &alice).await.status(), 404);
    assert_eq!(get(&app, &path, &alice).await.0, 404);
    let left = history_of(&app, &alice).await;
    assert_eq!(left.len(), 2, "only the default thread remains: {left:?}");

    let untitled = app
        .post_auth("/api/ai/conversations", &alice, json!({}))
        .await;
    assert_eq!(
        untitled.json::<Value>().await.expect("json")["title"],
        "New conversation"
    );
}

on_both_engines!(
    history_is_oldest_first_and_per_user,
    clear_is_idempotent_and_touches_only_the_caller,
    conversations_belong_to_their_owner,
);
