//! Admin hooks into other aggregates (bots, trades, chat) used by user management.
//! The bots and trades aggregates are wired here as they land.

use serde_json::Value;

use crate::error::AppResult;
use crate::state::AppState;

/// Number of (non-deleted) bots a user owns.
pub async fn bots_count(_state: &AppState, _user_id: &str) -> AppResult<u64> {
    Ok(0)
}

/// Pauses every active bot of a user; returns how many were paused.
pub async fn pause_all_bots(_state: &AppState, _user_id: &str, _reason: &str) -> AppResult<u64> {
    Ok(0)
}

/// Removes the user's rows in aggregates outside the core cascade; extends the report.
pub async fn with_owned_data_removed(
    _state: &AppState,
    _user_id: &str,
    removed: Value,
) -> AppResult<Value> {
    Ok(removed)
}
