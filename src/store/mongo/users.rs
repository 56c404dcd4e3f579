//! MongoDB implementation of `UserRepo` (collection `users`, `_id` = the user's UUID).

use async_trait::async_trait;
use futures_util::TryStreamExt;
use mongodb::bson::{doc, DateTime as BsonDateTime, Document};
use mongodb::options::ReturnDocument;
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::{from_bson, map_err, to_bson};
use crate::domain::user::{Role, User, UserStatus, UserStatusCounts};
use crate::store::{ProfileChanges, StoreError, StoreResult, UserRepo};

/// The stored document; separate from the domain type and from API DTOs.
#[derive(Debug, Serialize, Deserialize)]
struct UserDoc {
    #[serde(rename = "_id")]
    id: String,
    email: String,
    first_name: String,
    password_hash: String,
    role: String,
    status: String,
    currency: String,
    token_version: i64,
    /// Written as a boolean; read tolerantly (`update_profile` `$set`s it, which some servers
    /// store as 0/1).
    #[serde(default, deserialize_with = "super::dates::flag")]
    must_change_password: bool,
    #[serde(deserialize_with = "super::dates::required")]
    created_at: BsonDateTime,
    #[serde(deserialize_with = "super::dates::required")]
    updated_at: BsonDateTime,
    #[serde(default, deserialize_with = "super::dates::optional")]
    last_seen: Option<BsonDateTime>,
}

impl From<&User> for UserDoc {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.clone(),
            email: u.email.clone(),
            first_name: u.first_name.clone(),
            password_hash: u.password_hash.clone(),
            role: u.role.as_str().into(),
            status: u.status.as_str().into(),
            currency: u.currency.clone(),
            token_version: u.token_version,
            must_change_password: u.must_change_password,
            created_at: to_bson(u.created_at),
            updated_at: to_bson(u.updated_at),
            last_seen: u.last_seen.map(to_bson),
        }
    }
}

impl TryFrom<UserDoc> for User {
    type Error = StoreError;
    fn try_from(d: UserDoc) -> Result<Self, StoreError> {
        Ok(User {
            role: Role::parse(&d.role)
                .ok_or_else(|| StoreError::Other(format!("bad role {}", d.role)))?,
            status: UserStatus::parse(&d.status)
                .ok_or_else(|| StoreError::Other(format!("bad status {}", d.status)))?,
            id: d.id,
            email: d.email,
            first_name: d.first_name,
            password_hash: d.password_hash,
            currency: d.currency,
            token_version: d.token_version,
            must_change_password: d.must_change_password,
            created_at: from_bson(d.created_at),
            updated_at: from_bson(d.updated_at),
            last_seen: d.last_seen.map(from_bson),
        })
    }
}

pub(super) struct MongoUsers {
    users: Collection<UserDoc>,
    /// The revocation list (kept by `MongoTokens`), read here for `find_for_token`.
    revoked: Collection<Document>,
}

impl MongoUsers {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            users: db.collection("users"),
            revoked: db.collection("revoked_tokens"),
        }
    }
}

#[async_trait]
impl UserRepo for MongoUsers {
    async fn create(&self, user: &User) -> StoreResult<()> {
        // Ids are fresh UUIDs, so the only unique key a new user can collide on is the email.
        // (Saying so here also keeps the answer independent of the server's message format.)
        self.users
            .insert_one(UserDoc::from(user))
            .await
            .map_err(|e| match map_err(e) {
                StoreError::Duplicate(_) => StoreError::Duplicate("email".into()),
                other => other,
            })?;
        Ok(())
    }

    async fn find_by_id(&self, id: &str) -> StoreResult<Option<User>> {
        let found = self
            .users
            .find_one(doc! {"_id": id})
            .await
            .map_err(map_err)?;
        found.map(User::try_from).transpose()
    }

    async fn find_for_token(&self, id: &str, jti: &str) -> StoreResult<Option<User>> {
        // Two collections: both reads go out at once.
        let user = async { self.users.find_one(doc! {"_id": id}).await };
        let revoked = async { self.revoked.find_one(doc! {"_id": jti}).await };
        let (user, revoked) = tokio::try_join!(user, revoked).map_err(map_err)?;
        if revoked.is_some() {
            return Ok(None);
        }
        user.map(User::try_from).transpose()
    }

    async fn find_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let found = self
            .users
            .find_one(doc! {"email": email})
            .await
            .map_err(map_err)?;
        found.map(User::try_from).transpose()
    }

    async fn update(&self, user: &User) -> StoreResult<bool> {
        let result = self
            .users
            .replace_one(doc! {"_id": &user.id}, UserDoc::from(user))
            .await
            .map_err(map_err)?;
        Ok(result.matched_count == 1)
    }

    async fn update_profile(
        &self,
        id: &str,
        changes: &ProfileChanges,
        updated_at: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<Option<User>> {
        let mut set = doc! {"updated_at": to_bson(updated_at)};
        let fields = [
            ("first_name", &changes.first_name),
            ("currency", &changes.currency),
            ("email", &changes.email),
            ("password_hash", &changes.password_hash),
        ];
        for (field, value) in fields {
            if let Some(value) = value {
                set.insert(field, value.as_str());
            }
        }
        let mut update = doc! {};
        if changes.password_hash.is_some() {
            set.insert("must_change_password", false);
            update.insert("$inc", doc! {"token_version": 1_i64});
        }
        update.insert("$set", set);
        let updated = self
            .users
            .find_one_and_update(doc! {"_id": id}, update)
            .return_document(ReturnDocument::After)
            .await
            // Only the email is unique among these fields.
            .map_err(|e| match map_err(e) {
                StoreError::Duplicate(_) => StoreError::Duplicate("email".into()),
                other => other,
            })?;
        updated.map(User::try_from).transpose()
    }

    async fn bump_token_version(&self, id: &str) -> StoreResult<Option<i64>> {
        let updated = self
            .users
            .find_one_and_update(doc! {"_id": id}, doc! {"$inc": {"token_version": 1_i64}})
            .return_document(ReturnDocument::After)
            .await
            .map_err(map_err)?;
        Ok(updated.map(|d| d.token_version))
    }

    async fn count_by_status(&self) -> StoreResult<UserStatusCounts> {
        let pipeline = vec![doc! {"$group": {"_id": "$status", "n": {"$sum": 1}}}];
        let mut cursor = self.users.aggregate(pipeline).await.map_err(map_err)?;
        let mut counts = UserStatusCounts::default();
        while let Some(row) = cursor.try_next().await.map_err(map_err)? {
            let n = count_field(&row);
            match row.get_str("_id").ok().and_then(UserStatus::parse) {
                Some(UserStatus::Pending) => counts.pending = n,
                Some(UserStatus::Active) => counts.active = n,
                Some(UserStatus::Blocked) => counts.blocked = n,
                None => {}
            }
        }
        Ok(counts)
    }

    async fn count_active_admins(&self) -> StoreResult<u64> {
        self.users
            .count_documents(doc! {"role": "admin", "status": "active"})
            .await
            .map_err(map_err)
    }

    async fn list(&self, limit: u32, offset: u32) -> StoreResult<Vec<User>> {
        let cursor = self
            .users
            .find(doc! {})
            .sort(doc! {"created_at": 1, "_id": 1})
            .skip(offset as u64)
            .limit(limit as i64)
            .await
            .map_err(map_err)?;
        let docs: Vec<UserDoc> = cursor.try_collect().await.map_err(map_err)?;
        docs.into_iter().map(User::try_from).collect()
    }

    async fn delete(&self, id: &str) -> StoreResult<bool> {
        let result = self
            .users
            .delete_one(doc! {"_id": id})
            .await
            .map_err(map_err)?;
        Ok(result.deleted_count == 1)
    }

    async fn touch_last_seen(
        &self,
        id: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<()> {
        self.users
            .update_one(doc! {"_id": id}, doc! {"$set": {"last_seen": to_bson(at)}})
            .await
            .map_err(map_err)?;
        Ok(())
    }
}

/// `$sum` yields i32 or i64 depending on size; read either.
pub(crate) fn count_field(row: &Document) -> u64 {
    row.get_i64("n")
        .ok()
        .or_else(|| row.get_i32("n").ok().map(i64::from))
        .unwrap_or(0)
        .max(0) as u64
}
