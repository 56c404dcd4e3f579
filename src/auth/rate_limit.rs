//! In-memory rate limiters: token buckets for requests, a failure counter for logins.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The answer of a bucket check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until one token is available again (only meaningful when refused).
    pub retry_after: u64,
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Keyed token buckets: `burst` capacity, refilled at `per_min` per minute.
pub struct TokenBuckets {
    burst: f64,
    per_sec: f64,
    limit: u32,
    buckets: Mutex<HashMap<String, Bucket>>,
}

/// Past this many keys, full (idle) buckets are forgotten to bound memory.
const MAX_KEYS: usize = 100_000;

impl TokenBuckets {
    pub fn new(per_min: u32, burst: u32) -> Self {
        Self {
            burst: f64::from(burst.max(1)),
            per_sec: f64::from(per_min.max(1)) / 60.0,
            limit: per_min.max(1),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn check(&self, key: &str) -> Decision {
        self.check_at(key, Instant::now())
    }

    pub fn check_at(&self, key: &str, now: Instant) -> Decision {
        let Ok(mut map) = self.buckets.lock() else {
            return Decision {
                allowed: true,
                limit: self.limit,
                remaining: self.limit,
                retry_after: 0,
            };
        };
        if map.len() >= MAX_KEYS && !map.contains_key(key) {
            let (burst, per_sec) = (self.burst, self.per_sec);
            map.retain(|_, b| {
                b.tokens + now.duration_since(b.last).as_secs_f64() * per_sec < burst
            });
        }
        let bucket = map.entry(key.to_string()).or_insert(Bucket {
            tokens: self.burst,
            last: now,
        });
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_sec).min(self.burst);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Decision {
                allowed: true,
                limit: self.limit,
                remaining: bucket.tokens as u32,
                retry_after: 0,
            }
        } else {
            let wait = ((1.0 - bucket.tokens) / self.per_sec).ceil().max(1.0) as u64;
            Decision {
                allowed: false,
                limit: self.limit,
                remaining: 0,
                retry_after: wait,
            }
        }
    }
}

struct LoginEntry {
    failures: u32,
    window_start: Instant,
    blocked_until: Option<Instant>,
}

/// Failed logins per key (IP + email): after `attempts` failures inside `window`, the key is
/// blocked for `block`. A success clears the key.
pub struct LoginLimiter {
    attempts: u32,
    window: Duration,
    block: Duration,
    entries: Mutex<HashMap<String, LoginEntry>>,
}

impl LoginLimiter {
    pub fn new(attempts: u32, window_seconds: u64, block_seconds: u64) -> Self {
        Self {
            attempts: attempts.max(1),
            window: Duration::from_secs(window_seconds),
            block: Duration::from_secs(block_seconds),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds)` while the key is blocked.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        let Ok(mut map) = self.entries.lock() else {
            return Ok(());
        };
        match map.get(key).and_then(|e| e.blocked_until) {
            Some(until) if until > now => Err(until.duration_since(now).as_secs().max(1)),
            Some(_) => {
                map.remove(key);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Counts a failure; returns `Some(seconds)` when this failure triggered a block.
    pub fn record_failure(&self, key: &str) -> Option<u64> {
        let now = Instant::now();
        let Ok(mut map) = self.entries.lock() else {
            return None;
        };
        if map.len() >= MAX_KEYS && !map.contains_key(key) {
            let (window, block) = (self.window, self.block);
            map.retain(|_, e| now.duration_since(e.window_start) < window.max(block));
        }
        let entry = map.entry(key.to_string()).or_insert(LoginEntry {
            failures: 0,
            window_start: now,
            blocked_until: None,
        });
        if now.duration_since(entry.window_start) > self.window {
            entry.failures = 0;
            entry.window_start = now;
        }
        entry.failures += 1;
        if entry.failures >= self.attempts {
            entry.blocked_until = Some(now + self.block);
            return Some(self.block.as_secs());
        }
        None
    }

    pub fn record_success(&self, key: &str) {
        if let Ok(mut map) = self.entries.lock() {
            map.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_the_burst_then_refuses_then_refills() {
        let buckets = TokenBuckets::new(60, 3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(buckets.check_at("k", t0).allowed);
        }
        let refused = buckets.check_at("k", t0);
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after, 1);
        assert!(
            buckets
                .check_at("k", t0 + Duration::from_millis(1100))
                .allowed
        );
        assert!(
            buckets.check_at("other", t0).allowed,
            "keys are independent"
        );
    }

    #[test]
    fn login_limiter_blocks_after_the_configured_failures_and_success_clears() {
        let limiter = LoginLimiter::new(3, 60, 300);
        assert!(limiter.check("ip|a").is_ok());
        assert_eq!(limiter.record_failure("ip|a"), None);
        assert_eq!(limiter.record_failure("ip|a"), None);
        assert_eq!(limiter.record_failure("ip|a"), Some(300));
        let retry = limiter.check("ip|a").unwrap_err();
        assert!(retry > 290 && retry <= 300);
        assert!(limiter.check("ip|b").is_ok());
        limiter.record_success("ip|a");
        assert!(limiter.check("ip|a").is_ok());
    }
}
