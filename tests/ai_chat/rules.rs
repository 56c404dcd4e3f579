//! Input rules of `/api/ai/chat`: stored-only roles, admin phrases, validation, and the
//! `chat_message` event for every stored message.

use amarktai::events::Received;
use serde_json::{json, Value};
use wiremock::{MockServer, ResponseTemplate};

use crate::common::Engine;
use crate::on_both_engines;
use crate::{ask, endpoint, history_of, pair, spawn, ENV_KEY};

async fn assistant_and_system_messages_are_stored_without_an_ai_turn(engine: Engine) {
    let provider = MockServer::start().await;
    endpoint()
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&provider)
        .await;
    let app = spawn(&engine, Some(&provider), Some(ENV_KEY)).await;
    let token = app.token_for("store@example.com").await;
    for role in ["assistant", "system"] {
        let (status, body) = ask(&app, &token, json!({"content": "Welcome!", "role": role})).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            (body["success"].as_bool(), body["stored"].as_bool()),
            (Some(true), Some(true))
        );
        assert_eq!(body["message"]["role"], role);
        assert!(body["message"]["id"].is_string());
    }
    let (status, _) = ask(&app, &token, json!({"content": "x", "role": "tool"})).await;
    assert_eq!(status, 422);
    assert_eq!(
        history_of(&app, &token).await,
        [pair("assistant", "Welcome!"), pair("system", "Welcome!")]
    );
}

async fn an_admin_phrase_is_answered_locally_and_never_reaches_the_provider(engine: Engine) {
    let provider = MockServer::start().await;
    endpoint()
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&provider)
        .await;
    let app = spawn(&engine, Some(&provider), Some(ENV_KEY)).await;
    let token = app.token_for("admin-ask@example.com").await;
    let (status, body) = ask(&app, &token, json!({"content": "Show me the admin panel"})).await;
    assert_eq!(status, 200);
    assert_eq!(body["action"], "show_admin_panel");
    assert_eq!(body["requires_password"], true);
    assert_eq!(body["role"], "assistant");
    assert!(
        history_of(&app, &token).await.is_empty(),
        "trigger turns are not stored"
    );
}

async fn empty_and_oversized_content_and_unknown_conversations_are_refused(engine: Engine) {
    let app = spawn(&engine, None, None).await;
    let token = app.token_for("bad@example.com").await;
    for content in [" \n\t ".to_string(), "a".repeat(4001)] {
        let (status, body) = ask(&app, &token, json!({ "content": content })).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["fields"][0]["field"], "content");
    }
    let (status, _) = ask(&app, &token, json!({"content": "a".repeat(4000)})).await;
    assert_eq!(status, 200, "exactly 4000 characters is allowed");
    let (status, _) = ask(
        &app,
        &token,
        json!({"content": "hi", "conversation_id": "nope"}),
    )
    .await;
    assert_eq!(status, 404);
    let resp = app
        .post_json("/api/ai/chat", json!({"content": "hi"}))
        .await;
    assert_eq!(resp.status(), 401);
}

async fn every_stored_message_is_announced_as_a_chat_message_event(engine: Engine) {
    let app = spawn(&engine, None, None).await;
    let body = app.register("events@example.com").await;
    let token = body["access_token"].as_str().expect("token").to_string();
    let user_id = body["user"]["id"].as_str().expect("id").to_string();
    let mut events = app.state.events.subscribe(&user_id, None);

    let (status, reply) = ask(&app, &token, json!({"content": "ping"})).await;
    assert_eq!(status, 200);
    let mut seen: Vec<Value> = Vec::new();
    for _ in 0..2 {
        let next = tokio::time::timeout(std::time::Duration::from_secs(5), events.recv()).await;
        let Ok(Received::Event(event)) = next else {
            panic!("expected a chat_message event, got {next:?}");
        };
        assert_eq!(event.kind.as_str(), "chat_message");
        seen.push(event.payload["message"].clone());
    }
    assert_eq!(
        (seen[0]["role"].as_str(), seen[0]["content"].as_str()),
        (Some("user"), Some("ping"))
    );
    assert_eq!(seen[1]["id"], reply["id"]);
}

on_both_engines!(
    assistant_and_system_messages_are_stored_without_an_ai_turn,
    an_admin_phrase_is_answered_locally_and_never_reaches_the_provider,
    empty_and_oversized_content_and_unknown_conversations_are_refused,
    every_stored_message_is_announced_as_a_chat_message_event,
);
