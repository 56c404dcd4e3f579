//! Shared helpers for the chat storage contract tests.
#![allow(dead_code)]

use amarktai::domain::chat::{ChatRole, StoredMessage};
use amarktai::store::Store;
use chrono::{DateTime, Utc};

use crate::common::{Engine, TestConfig};

pub async fn open(engine: &Engine) -> (Store, TestConfig) {
    let config = TestConfig::new(engine);
    let store = amarktai::store::connect(&config.config())
        .await
        .expect("store opens");
    (store, config)
}

/// Now at millisecond precision (both engines store millis).
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap()
}

pub async fn say(
    store: &Store,
    user: &str,
    conversation: Option<&str>,
    content: &str,
    at: DateTime<Utc>,
) -> StoredMessage {
    let m = StoredMessage::new(user, conversation, ChatRole::User, content, None, at);
    store.chat.insert_message(&m).await.unwrap();
    m
}

pub fn contents(messages: &[StoredMessage]) -> Vec<&str> {
    messages.iter().map(|m| m.content.as_str()).collect()
}
