//! Engine leases: with several server instances on one database, only the holder of an
//! engine's lease runs that engine's ticks (SPEC §9).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;

#[async_trait]
pub trait LeaseRepo: Send + Sync {
    /// Takes `name` for `holder` until `until` when it is free, expired at `now`, or already
    /// held by `holder` (a renewal). Atomic in the database: of two contenders one wins.
    async fn try_acquire(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Gives the lease up (shutdown) so another instance can take over at once.
    async fn release(&self, name: &str, holder: &str) -> StoreResult<()>;
    /// The current holder and expiry, if any (expired leases included).
    async fn current(&self, name: &str) -> StoreResult<Option<(String, DateTime<Utc>)>>;
}
