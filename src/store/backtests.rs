//! Backtest jobs (whole documents: request, status, result).

use async_trait::async_trait;

use super::StoreResult;
use crate::domain::backtest_job::BacktestJob;

#[async_trait]
pub trait BacktestRepo: Send + Sync {
    async fn insert(&self, job: &BacktestJob) -> StoreResult<()>;
    /// Replaces the stored job; false when it is gone (deleted meanwhile).
    async fn save(&self, job: &BacktestJob) -> StoreResult<bool>;
    async fn find(&self, user_id: &str, id: &str) -> StoreResult<Option<BacktestJob>>;
    /// The user's jobs, newest first.
    async fn list(&self, user_id: &str, limit: u32) -> StoreResult<Vec<BacktestJob>>;
    /// The user's training runs (jobs with a `training` tag), newest first, filtered in the
    /// database.
    async fn list_training(&self, user_id: &str, limit: u32) -> StoreResult<Vec<BacktestJob>>;
    async fn delete(&self, user_id: &str, id: &str) -> StoreResult<bool>;
    /// The user's queued or running jobs.
    async fn count_active(&self, user_id: &str) -> StoreResult<u64>;
    /// Marks every queued or running job failed with `reason` (at boot: their worker is gone).
    async fn fail_unfinished(&self, reason: &str) -> StoreResult<u64>;
}
