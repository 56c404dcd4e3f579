//! Admin hooks into other aggregates (bots, chat, ...) used by user management.

use crate::error::AppResult;
use crate::state::AppState;

/// Number of (non-deleted) bots a user owns, counted in the database.
pub async fn bots_count(state: &AppState, user_id: &str) -> AppResult<u64> {
    Ok(state.store.bots.summary(user_id).await?.total)
}

/// Pauses every active bot of a user; returns how many were paused.
pub async fn pause_all_bots(state: &AppState, user_id: &str, reason: &str) -> AppResult<u64> {
    Ok(crate::app::bots::pause_all(state, user_id, reason)
        .await?
        .len() as u64)
}
