//! Storage contract for chat conversations (ownership, cascade), on both engines.

mod chat_helpers;
mod common;

use amarktai::domain::chat::Conversation;
use chat_helpers::{contents, now, open, say};
use chrono::Duration;
use common::Engine;

async fn conversations_belong_to_their_owner(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    let t = now() - Duration::hours(1);
    let older = Conversation::new("alice", "Strategy", t);
    let newer = Conversation::new("alice", "  ", t + Duration::minutes(1));
    store.chat.create_conversation(&older).await.unwrap();
    store.chat.create_conversation(&newer).await.unwrap();
    // A message moves "Strategy" to the top of the list.
    say(
        &store,
        "alice",
        Some(&older.id),
        "q1",
        t + Duration::minutes(10),
    )
    .await;
    say(
        &store,
        "alice",
        Some(&older.id),
        "q2",
        t + Duration::minutes(11),
    )
    .await;
    say(
        &store,
        "alice",
        None,
        "default thread",
        t + Duration::minutes(12),
    )
    .await;

    let list = store.chat.list_conversations("alice").await.unwrap();
    let titles: Vec<(&str, u64)> = list
        .iter()
        .map(|c| (c.title.as_str(), c.message_count))
        .collect();
    assert_eq!(titles, [("Strategy", 2), ("New conversation", 0)]);
    assert_eq!(list[0].updated_at, t + Duration::minutes(11));

    let mine = store
        .chat
        .get_conversation("alice", &older.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((mine.title.as_str(), mine.message_count), ("Strategy", 2));
    assert!(store
        .chat
        .get_conversation("bob", &older.id)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .chat
        .list_conversations("bob")
        .await
        .unwrap()
        .is_empty());
    assert!(!store
        .chat
        .delete_conversation("bob", &older.id)
        .await
        .unwrap());
    assert!(store
        .chat
        .get_conversation("alice", &older.id)
        .await
        .unwrap()
        .is_some());

    let since = t - Duration::days(1);
    let in_conv = store
        .chat
        .history("alice", since, 100, Some(&older.id))
        .await
        .unwrap();
    assert_eq!(contents(&in_conv), ["q1", "q2"]);
    let context = store
        .chat
        .recent_for_context("alice", None, 10)
        .await
        .unwrap();
    assert_eq!(contents(&context), ["default thread"]);
    let context = store
        .chat
        .recent_for_context("alice", Some(&older.id), 1)
        .await
        .unwrap();
    assert_eq!(contents(&context), ["q2"]);
}

async fn deleting_a_conversation_deletes_its_messages(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    let t = now() - Duration::hours(1);
    let doomed = Conversation::new("alice", "Doomed", t);
    let kept = Conversation::new("alice", "Kept", t);
    store.chat.create_conversation(&doomed).await.unwrap();
    store.chat.create_conversation(&kept).await.unwrap();
    say(
        &store,
        "alice",
        Some(&doomed.id),
        "gone",
        t + Duration::minutes(1),
    )
    .await;
    say(
        &store,
        "alice",
        Some(&kept.id),
        "stays",
        t + Duration::minutes(2),
    )
    .await;
    say(
        &store,
        "alice",
        None,
        "also stays",
        t + Duration::minutes(3),
    )
    .await;

    assert!(store
        .chat
        .delete_conversation("alice", &doomed.id)
        .await
        .unwrap());
    assert!(!store
        .chat
        .delete_conversation("alice", &doomed.id)
        .await
        .unwrap());
    assert!(store
        .chat
        .get_conversation("alice", &doomed.id)
        .await
        .unwrap()
        .is_none());
    let all = store
        .chat
        .history("alice", t - Duration::days(1), 100, None)
        .await
        .unwrap();
    assert_eq!(contents(&all), ["stays", "also stays"]);
}

async fn updated_at_only_moves_forward(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    let t = now() - Duration::hours(1);
    let c = Conversation::new("alice", "c", t);
    store.chat.create_conversation(&c).await.unwrap();
    say(
        &store,
        "alice",
        Some(&c.id),
        "back-dated",
        t - Duration::minutes(30),
    )
    .await;
    let got = store
        .chat
        .get_conversation("alice", &c.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((got.updated_at, got.message_count), (t, 1));
    say(
        &store,
        "alice",
        Some(&c.id),
        "later",
        t + Duration::minutes(30),
    )
    .await;
    let got = store
        .chat
        .get_conversation("alice", &c.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (got.updated_at, got.created_at),
        (t + Duration::minutes(30), t)
    );
}

on_both_engines!(
    conversations_belong_to_their_owner,
    deleting_a_conversation_deletes_its_messages,
    updated_at_only_moves_forward,
);
