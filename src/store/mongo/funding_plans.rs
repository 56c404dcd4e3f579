//! MongoDB implementation of `FundingPlanRepo` (collection `funding_plans`, unique on
//! user, bot and slot).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, DateTime as BsonDateTime, Document};
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::{map_err, to_bson};
use crate::domain::wallet::{FundingPlan, PlanStatus};
use crate::store::funding_plans::FundingPlanRepo;
use crate::store::{StoreError, StoreResult};

#[derive(Debug, Serialize, Deserialize)]
struct PlanDoc {
    #[serde(rename = "_id")]
    id: String,
    user_id: String,
    bot_id: String,
    slot: String,
    status: String,
    #[serde(deserialize_with = "super::dates::required")]
    created_at: BsonDateTime,
    plan: Document,
}

pub(super) struct MongoFundingPlans {
    plans: Collection<PlanDoc>,
}

impl MongoFundingPlans {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            plans: db.collection("funding_plans"),
        }
    }
}

fn encode(p: &FundingPlan) -> StoreResult<PlanDoc> {
    Ok(PlanDoc {
        id: p.plan_id.clone(),
        user_id: p.user_id.clone(),
        bot_id: p.bot_id.clone(),
        slot: match p.status {
            PlanStatus::Pending => "pending".into(),
            _ => p.plan_id.clone(),
        },
        status: p.status.as_str().into(),
        created_at: to_bson(p.created_at),
        plan: mongodb::bson::to_document(p)
            .map_err(|e| StoreError::Other(format!("encode plan: {e}")))?,
    })
}

fn decode(d: PlanDoc) -> StoreResult<FundingPlan> {
    mongodb::bson::from_document(d.plan)
        .map_err(|e| StoreError::Other(format!("bad plan document: {e}")))
}

#[async_trait]
impl FundingPlanRepo for MongoFundingPlans {
    async fn upsert_pending(&self, plan: &FundingPlan) -> StoreResult<FundingPlan> {
        match self.plans.insert_one(encode(plan)?).await.map_err(map_err) {
            Ok(_) => return Ok(plan.clone()),
            Err(StoreError::Duplicate(_)) => {}
            Err(e) => return Err(e),
        }
        let filter = doc! {"user_id": &plan.user_id, "bot_id": &plan.bot_id, "slot": "pending"};
        let current = self
            .plans
            .find_one(filter.clone())
            .await
            .map_err(map_err)?
            .ok_or_else(|| StoreError::Other("pending plan vanished".into()))?;
        let mut current = decode(current)?;
        if current.amount_required != plan.amount_required || current.message != plan.message {
            current.amount_required = plan.amount_required;
            current.message = plan.message.clone();
            current.updated_at = plan.updated_at;
            self.plans
                .replace_one(filter, encode(&current)?)
                .await
                .map_err(map_err)?;
        }
        Ok(current)
    }

    async fn list(
        &self,
        user_id: &str,
        status: Option<PlanStatus>,
    ) -> StoreResult<Vec<FundingPlan>> {
        let mut filter = doc! {"user_id": user_id};
        if let Some(s) = status {
            filter.insert("status", s.as_str());
        }
        let cursor = self
            .plans
            .find(filter)
            .sort(doc! {"created_at": -1, "_id": -1})
            .limit(500)
            .await
            .map_err(map_err)?;
        let docs: Vec<PlanDoc> = cursor.try_collect().await.map_err(map_err)?;
        docs.into_iter().map(decode).collect()
    }

    async fn finish(
        &self,
        user_id: &str,
        plan_id: &str,
        status: PlanStatus,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<FundingPlan>> {
        let Some(mut plan) = self.find(user_id, plan_id).await? else {
            return Ok(None);
        };
        if plan.status != PlanStatus::Pending {
            return Ok(None);
        }
        plan.status = status;
        plan.updated_at = at;
        let done = self
            .plans
            .replace_one(
                doc! {"_id": plan_id, "user_id": user_id, "slot": "pending"},
                encode(&plan)?,
            )
            .await
            .map_err(map_err)?;
        Ok((done.matched_count == 1).then_some(plan))
    }

    async fn find(&self, user_id: &str, plan_id: &str) -> StoreResult<Option<FundingPlan>> {
        self.plans
            .find_one(doc! {"_id": plan_id, "user_id": user_id})
            .await
            .map_err(map_err)?
            .map(decode)
            .transpose()
    }

    async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64> {
        let done = self
            .plans
            .delete_many(doc! {"user_id": user_id})
            .await
            .map_err(map_err)?;
        Ok(done.deleted_count)
    }
}
