//! Keys at rest: the raw database never holds plaintext, and a wrong encryption key shows as
//! "cannot decrypt stored key" (never a 500).

use futures_util::TryStreamExt;
use mongodb::bson::Document;
use serde_json::json;

use crate::common::{Engine, TestApp, TestConfig};
use crate::on_both_engines;
use crate::{aes_key, entry, post_json, spawn, user};
use amarktai::crypto::{key_id, SecretBox};

pub const PLAIN_KEY: &str = "PLAINKEY-visible-0123456789";
pub const PLAIN_SECRET: &str = "PLAINSECRET-visible-abcdef";
pub const PLAIN_PASSPHRASE: &str = "PLAINPASS-visible-xyz";

pub async fn save_all(app: &TestApp, token: &str) {
    let bodies = [
        json!({"provider": "binance", "api_key": PLAIN_KEY, "api_secret": PLAIN_SECRET}),
        json!({"provider": "kucoin", "api_key": PLAIN_KEY, "api_secret": PLAIN_SECRET, "passphrase": PLAIN_PASSPHRASE}),
        json!({"provider": "openai", "api_key": PLAIN_KEY}),
    ];
    for body in bodies {
        let (status, resp) = post_json(app, token, "/api/keys/save", body).await;
        assert_eq!(status, 200, "{resp}");
    }
}

/// Every byte the engine persisted (SQLite: db + WAL files; Mongo: every document).
async fn raw_database(app: &TestApp) -> Vec<u8> {
    match &app.config.mongo_db {
        None => {
            let mut bytes = Vec::new();
            for file in std::fs::read_dir(app.config.dir.path()).unwrap() {
                let path = file.unwrap().path();
                if path.to_string_lossy().contains("amarktai.db") {
                    bytes.extend(std::fs::read(&path).unwrap());
                }
            }
            bytes
        }
        Some((url, name)) => {
            let client = mongodb::Client::with_uri_str(url).await.unwrap();
            let db = client.database(name);
            let mut text = String::new();
            for collection in db.list_collection_names().await.unwrap() {
                let docs: Vec<Document> = db
                    .collection::<Document>(&collection)
                    .find(mongodb::bson::doc! {})
                    .await
                    .unwrap()
                    .try_collect()
                    .await
                    .unwrap();
                for doc in docs {
                    text.push_str(&format!("{collection}: {doc}\n"));
                }
            }
            text.into_bytes()
        }
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

async fn the_raw_database_never_holds_plaintext_keys(engine: Engine) {
    let app = spawn(&engine).await;
    let (token, id) = user(&app, "at-rest@example.com").await;
    save_all(&app, &token).await;
    post_json(
        &app,
        &token,
        "/api/keys/test",
        json!({"provider": "binance"}),
    )
    .await;
    let raw = raw_database(&app).await;
    let envelope = format!("v1:{}:", key_id(&[1u8; 32]));
    assert!(contains(&raw, &envelope), "sealed values are where we look");
    assert!(contains(&raw, "PLAI...6789"), "the masked key is stored");
    for plain in [PLAIN_KEY, PLAIN_SECRET, PLAIN_PASSPHRASE] {
        assert!(!contains(&raw, plain), "{plain} found in the raw database");
    }
    // And the API shows the mask only.
    let listed = app
        .get_auth("/api/keys/list", &token)
        .await
        .text()
        .await
        .unwrap();
    assert!(listed.contains("PLAI...6789") && !listed.contains(PLAIN_KEY));
    let record = app
        .state
        .store
        .keys
        .find(&id, "kucoin")
        .await
        .unwrap()
        .unwrap();
    assert!(SecretBox::new([1u8; 32])
        .decrypt(&record.passphrase_enc.unwrap(), &id)
        .is_ok());
}

/// A second config on the same data dir / database with another encryption setup.
pub fn same_store(first: &TestConfig, overrides: &[(&str, &str)]) -> TestConfig {
    let mut next = TestConfig::new(&Engine::Sqlite);
    next.vars = first.vars.clone();
    next.vars.remove("API_KEY_ENCRYPTION_KEY_OLD");
    for (k, v) in overrides {
        next.vars.insert(k.to_string(), v.to_string());
    }
    next
}

async fn a_wrong_encryption_key_reads_as_cannot_decrypt(engine: Engine) {
    let first = spawn(&engine).await;
    let (token, _) = user(&first, "rekeyed@example.com").await;
    save_all(&first, &token).await;
    let config = same_store(&first.config, &[("API_KEY_ENCRYPTION_KEY", &aes_key(2))]);
    let second = TestApp::spawn_with(config, axum::Router::new()).await;
    let listed = entry(&second, &token, "binance").await;
    assert_eq!(listed["status"], "test_failed");
    assert_eq!(listed["last_test_error"], "cannot decrypt stored key");
    assert_eq!(listed["masked_key"], "PLAI...6789");
    let (status, resp) = post_json(
        &second,
        &token,
        "/api/keys/test",
        json!({"platform": "binance"}),
    )
    .await;
    assert_eq!(status, 200, "{resp}");
    assert_eq!(
        (resp["ok"].as_bool(), resp["status"].as_str()),
        (Some(false), Some("test_failed"))
    );
    assert_eq!(
        (resp["message"].as_str(), resp["error"].as_str()),
        (
            Some("cannot decrypt stored key"),
            Some("cannot decrypt stored key")
        )
    );
    let after = entry(&second, &token, "binance").await;
    assert!(
        after["last_tested_at"].is_string(),
        "the failed test is recorded"
    );
    // Saving again under the new key repairs the entry.
    post_json(
        &second,
        &token,
        "/api/keys/save",
        json!({"provider": "openai", "key": PLAIN_KEY}),
    )
    .await;
    assert_eq!(
        entry(&second, &token, "openai").await["status"],
        "saved_untested"
    );
    drop(second);
    drop(first);
}

on_both_engines!(
    the_raw_database_never_holds_plaintext_keys,
    a_wrong_encryption_key_reads_as_cannot_decrypt,
);
