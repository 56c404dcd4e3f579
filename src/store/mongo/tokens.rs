//! MongoDB implementation of `TokenRepo` (TTL indexes expire rows by themselves).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mongodb::bson::{doc, DateTime as BsonDateTime};
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::{from_bson, map_err, to_bson};
use crate::store::tokens::{RefreshToken, TokenRepo};
use crate::store::StoreResult;

#[derive(Debug, Serialize, Deserialize)]
struct RevokedDoc {
    #[serde(rename = "_id")]
    jti: String,
    user_id: String,
    #[serde(deserialize_with = "super::dates::required")]
    expires_at: BsonDateTime,
}

#[derive(Debug, Serialize, Deserialize)]
struct RefreshDoc {
    #[serde(rename = "_id")]
    token_hash: String,
    user_id: String,
    family_id: String,
    token_version: i64,
    #[serde(deserialize_with = "super::dates::required")]
    created_at: BsonDateTime,
    #[serde(deserialize_with = "super::dates::required")]
    expires_at: BsonDateTime,
    #[serde(default, deserialize_with = "super::dates::optional")]
    used_at: Option<BsonDateTime>,
    #[serde(default, deserialize_with = "super::dates::optional")]
    revoked_at: Option<BsonDateTime>,
}

pub(super) struct MongoTokens {
    revoked: Collection<RevokedDoc>,
    refresh: Collection<RefreshDoc>,
}

impl MongoTokens {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            revoked: db.collection("revoked_tokens"),
            refresh: db.collection("refresh_tokens"),
        }
    }
}

#[async_trait]
impl TokenRepo for MongoTokens {
    async fn revoke_jti(
        &self,
        jti: &str,
        user_id: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.revoked
            .update_one(
                doc! {"_id": jti},
                doc! {"$setOnInsert": {"user_id": user_id, "expires_at": to_bson(expires_at)}},
            )
            .upsert(true)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn is_jti_revoked(&self, jti: &str) -> StoreResult<bool> {
        Ok(self
            .revoked
            .find_one(doc! {"_id": jti})
            .await
            .map_err(map_err)?
            .is_some())
    }

    async fn insert_refresh(&self, t: &RefreshToken) -> StoreResult<()> {
        let d = RefreshDoc {
            token_hash: t.token_hash.clone(),
            user_id: t.user_id.clone(),
            family_id: t.family_id.clone(),
            token_version: t.token_version,
            created_at: to_bson(t.created_at),
            expires_at: to_bson(t.expires_at),
            used_at: t.used_at.map(to_bson),
            revoked_at: t.revoked_at.map(to_bson),
        };
        self.refresh.insert_one(d).await.map_err(map_err)?;
        Ok(())
    }

    async fn find_refresh(&self, token_hash: &str) -> StoreResult<Option<RefreshToken>> {
        let found = self
            .refresh
            .find_one(doc! {"_id": token_hash})
            .await
            .map_err(map_err)?;
        Ok(found.map(|d| RefreshToken {
            token_hash: d.token_hash,
            user_id: d.user_id,
            family_id: d.family_id,
            token_version: d.token_version,
            created_at: from_bson(d.created_at),
            expires_at: from_bson(d.expires_at),
            used_at: d.used_at.map(from_bson),
            revoked_at: d.revoked_at.map(from_bson),
        }))
    }

    async fn mark_refresh_used(&self, token_hash: &str, at: DateTime<Utc>) -> StoreResult<bool> {
        // One conditional update: only the first concurrent caller matches.
        let result = self
            .refresh
            .update_one(
                doc! {"_id": token_hash, "used_at": null, "revoked_at": null},
                doc! {"$set": {"used_at": to_bson(at)}},
            )
            .await
            .map_err(map_err)?;
        Ok(result.modified_count == 1)
    }

    async fn revoke_family(&self, family_id: &str, at: DateTime<Utc>) -> StoreResult<u64> {
        let result = self
            .refresh
            .update_many(
                doc! {"family_id": family_id, "revoked_at": null},
                doc! {"$set": {"revoked_at": to_bson(at)}},
            )
            .await
            .map_err(map_err)?;
        Ok(result.modified_count)
    }

    async fn revoke_refresh(
        &self,
        token_hash: &str,
        user_id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let result = self
            .refresh
            .update_one(
                doc! {"_id": token_hash, "user_id": user_id, "revoked_at": null},
                doc! {"$set": {"revoked_at": to_bson(at)}},
            )
            .await
            .map_err(map_err)?;
        Ok(result.modified_count == 1)
    }

    async fn purge_expired(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        let now = to_bson(now);
        let a = self
            .revoked
            .delete_many(doc! {"expires_at": {"$lt": now}})
            .await
            .map_err(map_err)?;
        let b = self
            .refresh
            .delete_many(doc! {"expires_at": {"$lt": now}})
            .await
            .map_err(map_err)?;
        Ok(a.deleted_count + b.deleted_count)
    }

    async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64> {
        let a = self
            .revoked
            .delete_many(doc! {"user_id": user_id})
            .await
            .map_err(map_err)?;
        let b = self
            .refresh
            .delete_many(doc! {"user_id": user_id})
            .await
            .map_err(map_err)?;
        Ok(a.deleted_count + b.deleted_count)
    }
}
