//! Storage contract for chat messages, run on SQLite and (when configured) MongoDB.

mod chat_helpers;
mod common;

use amarktai::domain::chat::{ChatRole, Conversation, StoredMessage};
use chat_helpers::{contents, now, open, say};
use chrono::Duration;
use common::Engine;

async fn history_is_oldest_first_within_the_window(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    let t = now();
    // Inserted out of order; times minutes apart (the test server rounds to seconds).
    say(&store, "u1", None, "ancient", t - Duration::days(40)).await;
    say(&store, "u1", None, "second", t - Duration::minutes(5)).await;
    say(&store, "u1", None, "first", t - Duration::minutes(10)).await;
    let mut reply = StoredMessage::new(
        "u1",
        None,
        ChatRole::Assistant,
        "third",
        Some("gpt-x"),
        t - Duration::minutes(1),
    );
    store.chat.insert_message(&reply).await.unwrap();
    let got = store
        .chat
        .history("u1", t - Duration::days(30), 100, None)
        .await
        .unwrap();
    assert_eq!(contents(&got), ["first", "second", "third"]);
    reply.model_used = Some("gpt-x".into());
    assert_eq!(got[2], reply, "every field round-trips");
}

async fn limit_keeps_the_newest_messages(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    let t = now() - Duration::hours(1);
    for i in 0..6 {
        say(
            &store,
            "u1",
            None,
            &format!("m{i}"),
            t + Duration::minutes(i),
        )
        .await;
    }
    let got = store
        .chat
        .history("u1", t - Duration::days(1), 3, None)
        .await
        .unwrap();
    assert_eq!(contents(&got), ["m3", "m4", "m5"]);
    let none = store
        .chat
        .history("u1", t - Duration::days(1), 0, None)
        .await
        .unwrap();
    assert!(none.is_empty(), "limit 0 means nothing, not everything");
}

async fn messages_in_the_same_millisecond_keep_insertion_order(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    let t = now();
    for i in 0..5 {
        say(&store, "u1", None, &format!("same{i}"), t).await;
    }
    let got = store.chat.recent_for_context("u1", None, 10).await.unwrap();
    assert_eq!(
        contents(&got),
        ["same0", "same1", "same2", "same3", "same4"]
    );
}

async fn users_never_see_each_other(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    let t = now();
    say(&store, "alice", None, "alice secret", t).await;
    say(&store, "bob", None, "bob secret", t).await;
    let since = t - Duration::days(1);
    let alice = store.chat.history("alice", since, 100, None).await.unwrap();
    assert_eq!(contents(&alice), ["alice secret"]);
    assert_eq!(store.chat.clear("bob").await.unwrap(), 1);
    let alice = store.chat.history("alice", since, 100, None).await.unwrap();
    assert_eq!(alice.len(), 1, "clearing bob left alice alone");
}

async fn clear_is_idempotent_and_removes_conversations(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    let t = now();
    let c = Conversation::new("alice", "Chat", t);
    store.chat.create_conversation(&c).await.unwrap();
    say(&store, "alice", None, "one", t).await;
    say(&store, "alice", Some(&c.id), "two", t).await;
    assert_eq!(store.chat.clear("alice").await.unwrap(), 2);
    assert_eq!(store.chat.clear("alice").await.unwrap(), 0);
    assert_eq!(store.chat.clear("nobody").await.unwrap(), 0);
    assert!(store
        .chat
        .list_conversations("alice")
        .await
        .unwrap()
        .is_empty());
    let left = store
        .chat
        .history("alice", t - Duration::days(1), 100, None)
        .await
        .unwrap();
    assert!(left.is_empty());
}

async fn usage_counts_messages_conversations_and_bytes(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    let t = now();
    let empty = store.chat.usage_for_user("alice").await.unwrap();
    assert_eq!(
        (empty.messages, empty.conversations, empty.bytes),
        (0, 0, 0)
    );
    store
        .chat
        .create_conversation(&Conversation::new("alice", "c", t))
        .await
        .unwrap();
    say(&store, "alice", None, "hello", t).await; // 5 bytes
    say(&store, "alice", None, "rand: R100 ≈ €5", t).await; // multi-byte chars count as bytes
    say(&store, "bob", None, "not counted", t).await;
    let usage = store.chat.usage_for_user("alice").await.unwrap();
    let expected_bytes = ("hello".len() + "rand: R100 ≈ €5".len()) as u64;
    assert_eq!(
        (usage.messages, usage.conversations, usage.bytes),
        (2, 1, expected_bytes)
    );
}

async fn chat_collections_exist_after_migration(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    assert!(store.admin.migrations_applied().await.unwrap());
    store.admin.migrate().await.unwrap();
    // Mongo creates collections lazily: write once so both engines list them.
    let t = now();
    store
        .chat
        .create_conversation(&Conversation::new("u", "c", t))
        .await
        .unwrap();
    say(&store, "u", None, "x", t).await;
    let names = store.admin.collections().await.unwrap();
    for wanted in ["chat_messages", "conversations"] {
        assert!(
            names.contains(&wanted.to_string()),
            "{wanted} missing from {names:?}"
        );
    }
}

on_both_engines!(
    history_is_oldest_first_within_the_window,
    limit_keeps_the_newest_messages,
    messages_in_the_same_millisecond_keep_insertion_order,
    users_never_see_each_other,
    clear_is_idempotent_and_removes_conversations,
    usage_counts_messages_conversations_and_bytes,
    chat_collections_exist_after_migration,
);
