//! Storage contract for the API-keys repository on both engines.

mod common;

use amarktai::store::{ApiKeyRecord, Store};
use chrono::{Duration, Utc};
use common::{Engine, TestConfig};

async fn open(engine: &Engine) -> (Store, TestConfig) {
    let config = TestConfig::new(engine);
    let store = amarktai::store::connect(&config.config())
        .await
        .expect("store opens");
    (store, config)
}

fn now() -> chrono::DateTime<Utc> {
    chrono::DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap()
}

fn record(user: &str, provider: &str, key_enc: &str) -> ApiKeyRecord {
    ApiKeyRecord {
        id: uuid::Uuid::new_v4().to_string(),
        user_id: user.into(),
        provider: provider.into(),
        api_key_enc: key_enc.into(),
        api_secret_enc: Some(format!("{key_enc}-secret")),
        passphrase_enc: None,
        masked_key: "abcd...wxyz".into(),
        status: "saved_untested".into(),
        created_at: now(),
        updated_at: now(),
        last_tested_at: None,
        last_test_error: None,
    }
}

async fn upsert_keeps_one_row_per_user_and_provider(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    let first = store
        .keys
        .upsert(&record("u1", "luno", "v1:k:AAA"))
        .await
        .unwrap();
    let mut again = record("u1", "luno", "v1:k:BBB");
    again.updated_at = first.updated_at + Duration::seconds(5);
    let second = store.keys.upsert(&again).await.unwrap();
    assert_eq!(second.id, first.id, "id kept");
    assert_eq!(second.created_at, first.created_at, "created_at kept");
    assert_eq!(second.api_key_enc, "v1:k:BBB");
    assert_eq!(store.keys.count_for_user("u1").await.unwrap(), 1);
    store
        .keys
        .upsert(&record("u1", "binance", "v1:k:CCC"))
        .await
        .unwrap();
    store
        .keys
        .upsert(&record("u2", "luno", "v1:k:DDD"))
        .await
        .unwrap();
    let mine = store.keys.list_for_user("u1").await.unwrap();
    assert_eq!(
        mine.iter().map(|r| r.provider.as_str()).collect::<Vec<_>>(),
        vec!["binance", "luno"]
    );
    assert_eq!(
        store
            .keys
            .find("u2", "luno")
            .await
            .unwrap()
            .unwrap()
            .api_key_enc,
        "v1:k:DDD"
    );
    assert!(store.keys.find("u2", "binance").await.unwrap().is_none());
}

async fn test_results_are_recorded_and_rows_deleted_per_user(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    store
        .keys
        .upsert(&record("u1", "valr", "v1:k:A"))
        .await
        .unwrap();
    let at = now();
    assert!(store
        .keys
        .record_test(
            "u1",
            "valr",
            "test_failed",
            at,
            Some("Invalid API key or secret")
        )
        .await
        .unwrap());
    let row = store.keys.find("u1", "valr").await.unwrap().unwrap();
    assert_eq!(row.status, "test_failed");
    assert_eq!(row.last_tested_at, Some(at));
    assert_eq!(
        row.last_test_error.as_deref(),
        Some("Invalid API key or secret")
    );
    assert!(
        !store
            .keys
            .record_test("u2", "valr", "test_ok", at, None)
            .await
            .unwrap(),
        "other user's row untouched"
    );
    assert!(!store.keys.delete("u2", "valr").await.unwrap());
    assert!(store.keys.delete("u1", "valr").await.unwrap());
    assert!(!store.keys.delete("u1", "valr").await.unwrap());
    store.keys.upsert(&record("u3", "luno", "x")).await.unwrap();
    store.keys.upsert(&record("u3", "ovex", "y")).await.unwrap();
    assert_eq!(store.keys.delete_for_user("u3").await.unwrap(), 2);
}

async fn rotation_pages_and_compare_and_set(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    for i in 0..5 {
        store
            .keys
            .upsert(&record(&format!("u{i}"), "luno", &format!("v1:old:{i}")))
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.keys.page_all(after.as_deref(), 2).await.unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().map(|r| r.id.clone());
        seen.extend(page);
    }
    assert_eq!(seen.len(), 5);
    let row = &seen[0];
    assert!(store
        .keys
        .replace_encrypted(
            &row.id,
            &row.api_key_enc,
            "v1:new:k",
            Some("v1:new:s"),
            None
        )
        .await
        .unwrap());
    // A stale expectation (the row changed meanwhile) does not overwrite.
    assert!(!store
        .keys
        .replace_encrypted(&row.id, &row.api_key_enc, "v1:newer:k", None, None)
        .await
        .unwrap());
    let back = store
        .keys
        .find(&row.user_id, "luno")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back.api_key_enc, "v1:new:k");
    assert_eq!(back.api_secret_enc.as_deref(), Some("v1:new:s"));
}

on_both_engines!(
    upsert_keeps_one_row_per_user_and_provider,
    test_results_are_recorded_and_rows_deleted_per_user,
    rotation_pages_and_compare_and_set,
);
