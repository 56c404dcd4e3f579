//! MongoDB implementation of `LeaseRepo`. Expiry is stored as epoch millis (an integer), so
//! the take-over comparison is exact on every server (see tests/README.md on dates).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mongodb::bson::{doc, Document};
use mongodb::{Collection, Database};

use super::map_err;
use crate::store::leases::LeaseRepo;
use crate::store::{StoreError, StoreResult};

pub(super) struct MongoLeases {
    leases: Collection<Document>,
}

impl MongoLeases {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            leases: db.collection("engine_leases"),
        }
    }
}

#[async_trait]
impl LeaseRepo for MongoLeases {
    async fn try_acquire(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let until_ms = until.timestamp_millis();
        // Renew our own lease or take over an expired one: one atomic conditional update.
        // (`$or` sits inside `$and`: see tests/README.md on update filters.)
        let mine_or_expired =
            doc! {"$or": [{"holder": holder}, {"expires_at_ms": {"$lte": now.timestamp_millis()}}]};
        let renewed = self
            .leases
            .update_one(
                doc! {"$and": [{"_id": name}, mine_or_expired]},
                doc! {"$set": {"holder": holder, "expires_at_ms": until_ms}},
            )
            .await
            .map_err(map_err)?;
        if renewed.matched_count == 1 {
            return Ok(true);
        }
        // No lease yet (or someone else's, still valid): the unique `_id` lets one insert win.
        let fresh = doc! {"_id": name, "holder": holder, "expires_at_ms": until_ms, "acquired_at_ms": now.timestamp_millis()};
        match self.leases.insert_one(fresh).await.map_err(map_err) {
            Ok(_) => Ok(true),
            Err(StoreError::Duplicate(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn release(&self, name: &str, holder: &str) -> StoreResult<()> {
        self.leases
            .delete_one(doc! {"_id": name, "holder": holder})
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn current(&self, name: &str) -> StoreResult<Option<(String, DateTime<Utc>)>> {
        let found = self
            .leases
            .find_one(doc! {"_id": name})
            .await
            .map_err(map_err)?;
        Ok(found.and_then(|d| {
            let holder = d.get_str("holder").ok()?.to_string();
            let ms = d
                .get_i64("expires_at_ms")
                .ok()
                .or_else(|| d.get_i32("expires_at_ms").ok().map(i64::from))?;
            Some((holder, DateTime::from_timestamp_millis(ms)?))
        }))
    }
}
