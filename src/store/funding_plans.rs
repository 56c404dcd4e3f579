//! Funding plans: at most one pending plan per live bot (a unique slot), kept after they finish.

use async_trait::async_trait;

use super::StoreResult;
use crate::domain::wallet::{FundingPlan, PlanStatus};

#[async_trait]
pub trait FundingPlanRepo: Send + Sync {
    /// Stores `plan` (pending) unless the bot already has a pending plan, whose amount and
    /// message are then brought up to date. Returns the bot's pending plan.
    async fn upsert_pending(&self, plan: &FundingPlan) -> StoreResult<FundingPlan>;
    /// The user's plans, newest first, optionally of one status.
    async fn list(
        &self,
        user_id: &str,
        status: Option<PlanStatus>,
    ) -> StoreResult<Vec<FundingPlan>>;
    /// Moves a pending plan to `status`; `None` when the user has no such pending plan.
    async fn finish(
        &self,
        user_id: &str,
        plan_id: &str,
        status: PlanStatus,
        at: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<Option<FundingPlan>>;
    async fn find(&self, user_id: &str, plan_id: &str) -> StoreResult<Option<FundingPlan>>;
    async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64>;
}
