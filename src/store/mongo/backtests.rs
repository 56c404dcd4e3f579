//! MongoDB implementation of `BacktestRepo` (collection `backtests`): lookup fields at the top,
//! the job as a sub-document.

use async_trait::async_trait;
use futures_util::TryStreamExt;
use mongodb::bson::{doc, DateTime as BsonDateTime, Document};
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::{map_err, to_bson};
use crate::domain::backtest_job::BacktestJob;
use crate::store::backtests::BacktestRepo;
use crate::store::{StoreError, StoreResult};

#[derive(Debug, Serialize, Deserialize)]
struct JobDoc {
    #[serde(rename = "_id")]
    id: String,
    user_id: String,
    status: String,
    #[serde(deserialize_with = "super::dates::required")]
    created_at: BsonDateTime,
    job: Document,
}

pub(super) struct MongoBacktests {
    jobs: Collection<JobDoc>,
}

impl MongoBacktests {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            jobs: db.collection("backtests"),
        }
    }
}

fn encode(job: &BacktestJob) -> StoreResult<JobDoc> {
    Ok(JobDoc {
        id: job.id.clone(),
        user_id: job.user_id.clone(),
        status: job.status.as_str().to_string(),
        created_at: to_bson(job.created_at),
        job: mongodb::bson::to_document(job)
            .map_err(|e| StoreError::Other(format!("encode backtest: {e}")))?,
    })
}

fn decode(d: JobDoc) -> StoreResult<BacktestJob> {
    mongodb::bson::from_document(d.job)
        .map_err(|e| StoreError::Other(format!("bad backtest document: {e}")))
}

#[async_trait]
impl BacktestRepo for MongoBacktests {
    async fn insert(&self, job: &BacktestJob) -> StoreResult<()> {
        self.jobs.insert_one(encode(job)?).await.map_err(map_err)?;
        Ok(())
    }

    async fn save(&self, job: &BacktestJob) -> StoreResult<bool> {
        let done = self
            .jobs
            .replace_one(doc! {"_id": &job.id, "user_id": &job.user_id}, encode(job)?)
            .await
            .map_err(map_err)?;
        Ok(done.matched_count == 1)
    }

    async fn find(&self, user_id: &str, id: &str) -> StoreResult<Option<BacktestJob>> {
        self.jobs
            .find_one(doc! {"_id": id, "user_id": user_id})
            .await
            .map_err(map_err)?
            .map(decode)
            .transpose()
    }

    async fn list(&self, user_id: &str, limit: u32) -> StoreResult<Vec<BacktestJob>> {
        let cursor = self
            .jobs
            .find(doc! {"user_id": user_id})
            .sort(doc! {"created_at": -1, "_id": -1})
            .limit(i64::from(limit))
            .await
            .map_err(map_err)?;
        let docs: Vec<JobDoc> = cursor.try_collect().await.map_err(map_err)?;
        docs.into_iter().map(decode).collect()
    }

    async fn list_training(&self, user_id: &str, limit: u32) -> StoreResult<Vec<BacktestJob>> {
        let cursor = self
            .jobs
            .find(doc! {"user_id": user_id, "job.training.bot_id": {"$exists": true}})
            .sort(doc! {"created_at": -1, "_id": -1})
            .limit(i64::from(limit))
            .await
            .map_err(map_err)?;
        let docs: Vec<JobDoc> = cursor.try_collect().await.map_err(map_err)?;
        docs.into_iter().map(decode).collect()
    }

    async fn delete(&self, user_id: &str, id: &str) -> StoreResult<bool> {
        let done = self
            .jobs
            .delete_one(doc! {"_id": id, "user_id": user_id})
            .await
            .map_err(map_err)?;
        Ok(done.deleted_count == 1)
    }

    async fn count_active(&self, user_id: &str) -> StoreResult<u64> {
        self.jobs
            .count_documents(doc! {"user_id": user_id, "status": {"$in": ["queued", "running"]}})
            .await
            .map_err(map_err)
    }

    async fn fail_unfinished(&self, reason: &str) -> StoreResult<u64> {
        let done = self
            .jobs
            .update_many(
                doc! {"status": {"$in": ["queued", "running"]}},
                doc! {"$set": {"status": "failed", "job.status": "failed", "job.error": reason}},
            )
            .await
            .map_err(map_err)?;
        Ok(done.modified_count)
    }
}
