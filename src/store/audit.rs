//! The audit-log repository contract: append and read only.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::StoreResult;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: String,
    pub admin_id: String,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub details: serde_json::Value,
    pub ip: Option<String>,
    pub timestamp: DateTime<Utc>,
}

#[async_trait]
pub trait AuditRepo: Send + Sync {
    async fn append(&self, entry: &AuditEntry) -> StoreResult<()>;
    /// Newest first.
    async fn list(&self, limit: u32, offset: u32) -> StoreResult<Vec<AuditEntry>>;
    async fn count(&self) -> StoreResult<u64>;
}
