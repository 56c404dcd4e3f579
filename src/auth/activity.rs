//! "Last seen" writes, at most one in flight per user.
//!
//! Authentication records activity when the stored `last_seen` is over a minute old. Under
//! concurrent requests every request that read the old value before the write committed used to
//! spawn its own identical write: with 64 connections, hundreds of `UPDATE`s queued on the
//! single SQLite writer at once, once a minute per busy user (issue 20's `/me` p99 spikes).

use std::collections::HashSet;
use std::sync::Mutex;

/// Users whose `last_seen` write is under way in this process.
#[derive(Default)]
pub struct ActivityWrites {
    in_flight: Mutex<HashSet<String>>,
}

impl ActivityWrites {
    /// Claims the write for `user_id`: `false` when one is already under way.
    pub fn start(&self, user_id: &str) -> bool {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        if in_flight.contains(user_id) {
            return false;
        }
        in_flight.insert(user_id.to_string())
    }

    /// Releases the claim once the write is done (or failed: the next request retries).
    pub fn finish(&self, user_id: &str) {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        in_flight.remove(user_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_write_per_user_at_a_time() {
        let writes = ActivityWrites::default();
        assert!(writes.start("u1"));
        assert!(!writes.start("u1"), "a second write while the first runs");
        assert!(writes.start("u2"), "other users are independent");
        writes.finish("u1");
        assert!(writes.start("u1"), "free again once the first is done");
    }
}
