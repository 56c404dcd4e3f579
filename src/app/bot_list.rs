//! The caller's bot list as sent by `GET /api/bots`, rendered once per change of the user's bots.
//!
//! Decoding every stored bot document and encoding the answer was most of the route's cost
//! (issue 20). The rendered bytes are kept per user with the store's *list revision*, a number
//! the database changes in the same transaction as any write to that user's bots, whichever
//! process makes it (SQLite triggers, migration 0022). Each request reads the revision (one
//! indexed lookup) and answers from memory only when it is unchanged, so a bot changed by an
//! engine, by another request or by another server process on the same file is never served
//! stale. Engines without a revision (`None`, MongoDB) always render.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;

use super::bots::bot_answer;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Bytes of rendered lists kept at most, over all users: past it, entries are evicted.
const BUDGET_BYTES: usize = 64 * 1024 * 1024;
/// A single list larger than this (thousands of bots) is rendered each time, never kept.
const MAX_ENTRY_BYTES: usize = 1024 * 1024;

struct Entry {
    revision: i64,
    body: Bytes,
}

/// Rendered lists by user id; see the module note for why they can never be stale.
#[derive(Default)]
pub struct BotListCache {
    inner: Mutex<Cached>,
}

#[derive(Default)]
struct Cached {
    entries: HashMap<String, Entry>,
    bytes: usize,
}

impl BotListCache {
    fn get(&self, user_id: &str, revision: i64) -> Option<Bytes> {
        let cached = self.inner.lock().ok()?;
        cached
            .entries
            .get(user_id)
            .filter(|e| e.revision == revision)
            .map(|e| e.body.clone())
    }

    fn put(&self, user_id: &str, revision: i64, body: Bytes) {
        if body.len() > MAX_ENTRY_BYTES {
            return;
        }
        let Ok(mut cached) = self.inner.lock() else {
            return;
        };
        if let Some(old) = cached.entries.remove(user_id) {
            cached.bytes -= old.body.len();
        }
        // Over budget: drop arbitrary entries (a miss only costs one render).
        while cached.bytes + body.len() > BUDGET_BYTES {
            let Some(victim) = cached.entries.keys().next().cloned() else {
                break;
            };
            if let Some(old) = cached.entries.remove(&victim) {
                cached.bytes -= old.body.len();
            }
        }
        cached.bytes += body.len();
        cached
            .entries
            .insert(user_id.to_string(), Entry { revision, body });
    }

    /// Lists kept right now (for tests).
    pub fn len(&self) -> usize {
        self.inner.lock().map(|c| c.entries.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The user's non-deleted bots, oldest first, as the JSON array `GET /api/bots` answers.
pub async fn rendered(state: &AppState, user_id: &str) -> AppResult<Bytes> {
    // The revision is read before the bots: a list read after it is at least that new, so an
    // entry stored under it can only be newer than its revision, never older (and a newer one
    // is replaced at the next request, whose revision differs).
    let revision = state.store.bots.list_revision(user_id).await?;
    if let Some(body) = revision.and_then(|r| state.bot_lists.get(user_id, r)) {
        return Ok(body);
    }
    let bots = state.store.bots.list(user_id, None).await?;
    let views: Vec<_> = bots.iter().map(bot_answer).collect();
    let body = Bytes::from(
        serde_json::to_vec(&views)
            .map_err(|e| AppError::internal(format!("encode bot list: {e}")))?,
    );
    if let Some(revision) = revision {
        state.bot_lists.put(user_id, revision, body.clone());
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_answers_only_its_own_revision() {
        let cache = BotListCache::default();
        cache.put("u1", 3, Bytes::from_static(b"[1]"));
        assert_eq!(cache.get("u1", 3).as_deref(), Some(&b"[1]"[..]));
        assert_eq!(cache.get("u1", 4), None, "a newer revision is a miss");
        assert_eq!(
            cache.get("u2", 3),
            None,
            "another user's list is never answered"
        );
        cache.put("u1", 4, Bytes::from_static(b"[1,2]"));
        assert_eq!(cache.get("u1", 3), None, "the old revision is gone");
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn the_budget_bounds_what_is_kept() {
        let cache = BotListCache::default();
        let big = Bytes::from(vec![b' '; MAX_ENTRY_BYTES]);
        for i in 0..(BUDGET_BYTES / MAX_ENTRY_BYTES + 10) {
            cache.put(&format!("u{i}"), 1, big.clone());
        }
        let cached = cache.inner.lock().unwrap();
        assert!(cached.bytes <= BUDGET_BYTES);
        assert_eq!(cached.bytes, cached.entries.len() * MAX_ENTRY_BYTES);
        drop(cached);
        cache.put("huge", 1, Bytes::from(vec![b' '; MAX_ENTRY_BYTES + 1]));
        assert_eq!(cache.get("huge", 1), None, "an oversized list is not kept");
    }
}
