//! SQLite implementation of `FundingPlanRepo`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

use super::{map_err, to_millis};
use crate::domain::wallet::{FundingPlan, PlanStatus};
use crate::store::funding_plans::FundingPlanRepo;
use crate::store::{StoreError, StoreResult};

pub(super) struct SqliteFundingPlans {
    pub(super) pool: SqlitePool,
}

fn encode(plan: &FundingPlan) -> StoreResult<String> {
    serde_json::to_string(plan).map_err(|e| StoreError::Other(format!("encode plan: {e}")))
}

fn decode(doc: &str) -> StoreResult<FundingPlan> {
    serde_json::from_str(doc).map_err(|e| StoreError::Other(format!("bad plan document: {e}")))
}

fn slot(plan: &FundingPlan) -> String {
    match plan.status {
        PlanStatus::Pending => "pending".into(),
        _ => plan.plan_id.clone(),
    }
}

impl SqliteFundingPlans {
    async fn pending_for_bot(
        &self,
        user_id: &str,
        bot_id: &str,
    ) -> StoreResult<Option<FundingPlan>> {
        let doc: Option<String> = sqlx::query_scalar(
            "SELECT doc FROM funding_plans WHERE user_id = ? AND bot_id = ? AND slot = 'pending'",
        )
        .bind(user_id)
        .bind(bot_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        doc.as_deref().map(decode).transpose()
    }

    async fn write(&self, plan: &FundingPlan) -> StoreResult<()> {
        sqlx::query(
            "UPDATE funding_plans SET slot = ?, status = ?, doc = ? WHERE id = ? AND user_id = ?",
        )
        .bind(slot(plan))
        .bind(plan.status.as_str())
        .bind(encode(plan)?)
        .bind(&plan.plan_id)
        .bind(&plan.user_id)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }
}

#[async_trait]
impl FundingPlanRepo for SqliteFundingPlans {
    async fn upsert_pending(&self, plan: &FundingPlan) -> StoreResult<FundingPlan> {
        let inserted = sqlx::query(
            "INSERT INTO funding_plans (id, user_id, bot_id, slot, status, created_at, doc) \
             VALUES (?, ?, ?, 'pending', 'pending', ?, ?) ON CONFLICT (user_id, bot_id, slot) DO NOTHING",
        )
        .bind(&plan.plan_id)
        .bind(&plan.user_id)
        .bind(&plan.bot_id)
        .bind(to_millis(plan.created_at))
        .bind(encode(plan)?)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        if inserted.rows_affected() == 1 {
            return Ok(plan.clone());
        }
        let mut current = self
            .pending_for_bot(&plan.user_id, &plan.bot_id)
            .await?
            .ok_or_else(|| StoreError::Other("pending plan vanished".into()))?;
        if current.amount_required != plan.amount_required || current.message != plan.message {
            current.amount_required = plan.amount_required;
            current.message = plan.message.clone();
            current.updated_at = plan.updated_at;
            self.write(&current).await?;
        }
        Ok(current)
    }

    async fn list(
        &self,
        user_id: &str,
        status: Option<PlanStatus>,
    ) -> StoreResult<Vec<FundingPlan>> {
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM funding_plans WHERE user_id = ? AND (? IS NULL OR status = ?) \
             ORDER BY created_at DESC, id DESC LIMIT 500",
        )
        .bind(user_id)
        .bind(status.map(PlanStatus::as_str))
        .bind(status.map(PlanStatus::as_str))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        docs.iter().map(|d| decode(d)).collect()
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
        let done = sqlx::query(
            "UPDATE funding_plans SET slot = ?, status = ?, doc = ? \
             WHERE id = ? AND user_id = ? AND slot = 'pending'",
        )
        .bind(slot(&plan))
        .bind(plan.status.as_str())
        .bind(encode(&plan)?)
        .bind(plan_id)
        .bind(user_id)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok((done.rows_affected() == 1).then_some(plan))
    }

    async fn find(&self, user_id: &str, plan_id: &str) -> StoreResult<Option<FundingPlan>> {
        let doc: Option<String> =
            sqlx::query_scalar("SELECT doc FROM funding_plans WHERE id = ? AND user_id = ?")
                .bind(plan_id)
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
        doc.as_deref().map(decode).transpose()
    }

    async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM funding_plans WHERE user_id = ?")
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected())
    }
}
