//! MongoDB implementation of `ApiKeyRepo` (collection `api_keys`, unique (user_id, provider)).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, DateTime as BsonDateTime};
use mongodb::options::ReturnDocument;
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::{from_bson, map_err, to_bson};
use crate::store::keys::{ApiKeyRecord, ApiKeyRepo};
use crate::store::{StoreError, StoreResult};

#[derive(Debug, Serialize, Deserialize)]
struct KeyDoc {
    #[serde(rename = "_id")]
    id: String,
    user_id: String,
    provider: String,
    api_key_enc: String,
    api_secret_enc: Option<String>,
    passphrase_enc: Option<String>,
    masked_key: String,
    status: String,
    #[serde(deserialize_with = "super::dates::required")]
    created_at: BsonDateTime,
    #[serde(deserialize_with = "super::dates::required")]
    updated_at: BsonDateTime,
    #[serde(default, deserialize_with = "super::dates::optional")]
    last_tested_at: Option<BsonDateTime>,
    last_test_error: Option<String>,
}

impl From<KeyDoc> for ApiKeyRecord {
    fn from(d: KeyDoc) -> Self {
        Self {
            id: d.id,
            user_id: d.user_id,
            provider: d.provider,
            api_key_enc: d.api_key_enc,
            api_secret_enc: d.api_secret_enc,
            passphrase_enc: d.passphrase_enc,
            masked_key: d.masked_key,
            status: d.status,
            created_at: from_bson(d.created_at),
            updated_at: from_bson(d.updated_at),
            last_tested_at: d.last_tested_at.map(from_bson),
            last_test_error: d.last_test_error,
        }
    }
}

pub(super) struct MongoKeys {
    keys: Collection<KeyDoc>,
}

impl MongoKeys {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            keys: db.collection("api_keys"),
        }
    }
}

#[async_trait]
impl ApiKeyRepo for MongoKeys {
    async fn upsert(&self, r: &ApiKeyRecord) -> StoreResult<ApiKeyRecord> {
        // Insert first; if the (user, provider) row exists, update it in place. Two plain
        // operations instead of an upsert with `$setOnInsert: {_id}` keep our UUID ids on
        // every MongoDB-compatible server.
        let fresh = KeyDoc {
            id: r.id.clone(),
            user_id: r.user_id.clone(),
            provider: r.provider.clone(),
            api_key_enc: r.api_key_enc.clone(),
            api_secret_enc: r.api_secret_enc.clone(),
            passphrase_enc: r.passphrase_enc.clone(),
            masked_key: r.masked_key.clone(),
            status: r.status.clone(),
            created_at: to_bson(r.created_at),
            updated_at: to_bson(r.updated_at),
            last_tested_at: r.last_tested_at.map(to_bson),
            last_test_error: r.last_test_error.clone(),
        };
        match self.keys.insert_one(&fresh).await.map_err(map_err) {
            Ok(_) => return Ok(ApiKeyRecord::from(fresh)),
            Err(StoreError::Duplicate(_)) => {}
            Err(e) => return Err(e),
        }
        let saved = self
            .keys
            .find_one_and_update(
                doc! {"user_id": &r.user_id, "provider": &r.provider},
                doc! {"$set": {
                    "api_key_enc": &r.api_key_enc,
                    "api_secret_enc": &r.api_secret_enc,
                    "passphrase_enc": &r.passphrase_enc,
                    "masked_key": &r.masked_key,
                    "status": &r.status,
                    "updated_at": to_bson(r.updated_at),
                    "last_tested_at": r.last_tested_at.map(to_bson),
                    "last_test_error": &r.last_test_error,
                }},
            )
            .return_document(ReturnDocument::After)
            .await
            .map_err(map_err)?;
        saved
            .map(ApiKeyRecord::from)
            .ok_or_else(|| StoreError::Other("api key row vanished during save".into()))
    }

    async fn find(&self, user_id: &str, provider: &str) -> StoreResult<Option<ApiKeyRecord>> {
        let found = self
            .keys
            .find_one(doc! {"user_id": user_id, "provider": provider})
            .await
            .map_err(map_err)?;
        Ok(found.map(ApiKeyRecord::from))
    }

    async fn list_for_user(&self, user_id: &str) -> StoreResult<Vec<ApiKeyRecord>> {
        let cursor = self
            .keys
            .find(doc! {"user_id": user_id})
            .sort(doc! {"provider": 1})
            .await
            .map_err(map_err)?;
        let docs: Vec<KeyDoc> = cursor.try_collect().await.map_err(map_err)?;
        Ok(docs.into_iter().map(ApiKeyRecord::from).collect())
    }

    async fn delete(&self, user_id: &str, provider: &str) -> StoreResult<bool> {
        let r = self
            .keys
            .delete_one(doc! {"user_id": user_id, "provider": provider})
            .await
            .map_err(map_err)?;
        Ok(r.deleted_count == 1)
    }

    async fn record_test(
        &self,
        user_id: &str,
        provider: &str,
        status: &str,
        at: DateTime<Utc>,
        error: Option<&str>,
    ) -> StoreResult<bool> {
        let r = self
            .keys
            .update_one(
                doc! {"user_id": user_id, "provider": provider},
                doc! {"$set": {"status": status, "last_tested_at": to_bson(at), "last_test_error": error}},
            )
            .await
            .map_err(map_err)?;
        Ok(r.matched_count == 1)
    }

    async fn count_for_user(&self, user_id: &str) -> StoreResult<u64> {
        self.keys
            .count_documents(doc! {"user_id": user_id})
            .await
            .map_err(map_err)
    }

    async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64> {
        let r = self
            .keys
            .delete_many(doc! {"user_id": user_id})
            .await
            .map_err(map_err)?;
        Ok(r.deleted_count)
    }

    async fn page_all(&self, after_id: Option<&str>, limit: u32) -> StoreResult<Vec<ApiKeyRecord>> {
        let cursor = self
            .keys
            .find(doc! {"_id": {"$gt": after_id.unwrap_or("")}})
            .sort(doc! {"_id": 1})
            .limit(i64::from(limit))
            .await
            .map_err(map_err)?;
        let docs: Vec<KeyDoc> = cursor.try_collect().await.map_err(map_err)?;
        Ok(docs.into_iter().map(ApiKeyRecord::from).collect())
    }

    async fn replace_encrypted(
        &self,
        id: &str,
        expected_key_enc: &str,
        api_key_enc: &str,
        api_secret_enc: Option<&str>,
        passphrase_enc: Option<&str>,
    ) -> StoreResult<bool> {
        let r = self
            .keys
            .update_one(
                doc! {"_id": id, "api_key_enc": expected_key_enc},
                doc! {"$set": {"api_key_enc": api_key_enc, "api_secret_enc": api_secret_enc, "passphrase_enc": passphrase_enc}},
            )
            .await
            .map_err(map_err)?;
        Ok(r.matched_count == 1)
    }
}
