//! The ledger repository contract: an append-only hash chain per user (`domain::ledger`).
//!
//! `append` never forks a chain: (user, seq) is unique, and a writer that loses the race
//! re-reads the head and seals again. Each user's head (seq, hash) is also stored apart from
//! the entries, so `verify` notices when the newest entries are deleted (which leaves a valid
//! but shorter chain).

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::StoreResult;
use crate::domain::ledger::{
    verify_chain_from, ChainReport, LedgerEntry, LedgerKind, NewLedgerEntry, GENESIS_HASH,
};

/// How often `append` re-reads the head after losing a race before giving up.
pub const APPEND_ATTEMPTS: usize = 50;
/// Entries verified per database round trip.
pub const VERIFY_PAGE: u32 = 1000;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LedgerFilter {
    pub kind: Option<LedgerKind>,
    pub bot_id: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub limit: u32,
}

/// Sums per (kind, bot) computed in the database.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LedgerTotals {
    pub entries: u64,
    /// kind -> sum of amounts.
    pub by_kind: BTreeMap<String, f64>,
    /// bot id -> sum of its `fill` amounts.
    pub fills_by_bot: BTreeMap<String, f64>,
    /// bot id -> sum of its `transfer` amounts (capital moved in minus moved out).
    pub transfers_by_bot: BTreeMap<String, f64>,
}

/// The head kept apart from the entries.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerHead {
    pub seq: u64,
    pub hash: String,
}

/// Adds the stored head to a chain report: a head beyond the verified chain means the newest
/// entries were deleted. A head behind it only means a crash between the two writes.
pub fn check_head(mut report: ChainReport, head: Option<LedgerHead>) -> ChainReport {
    if !report.ok {
        return report;
    }
    let chain_seq = report.head_seq.unwrap_or(0);
    match head {
        Some(h) if h.seq > chain_seq => {
            report.ok = false;
            report.first_bad_seq = Some(chain_seq + 1);
            report.problem = Some(format!(
                "the ledger head is entry {} but the chain ends at {chain_seq}: newest entries were deleted",
                h.seq
            ));
        }
        Some(h) if h.seq == chain_seq && report.head_hash.as_deref() != Some(h.hash.as_str()) => {
            report.ok = false;
            report.first_bad_seq = Some(chain_seq);
            report.problem = Some(format!(
                "entry {chain_seq} does not match the recorded head"
            ));
        }
        _ => {}
    }
    report
}

/// Verifies a chain page by page (`VERIFY_PAGE` entries in seq order from `next_seq`).
pub struct ChainWalk {
    pub next_seq: u64,
    prev_hash: String,
    checked: u64,
    head: Option<(u64, String)>,
}

impl ChainWalk {
    pub fn new() -> Self {
        Self {
            next_seq: 1,
            prev_hash: GENESIS_HASH.to_string(),
            checked: 0,
            head: None,
        }
    }

    /// Checks the next page; `Some(report)` once the walk is over (a problem, or the end).
    pub fn step(&mut self, page: &[LedgerEntry]) -> Option<ChainReport> {
        let report = verify_chain_from(page, self.next_seq, &self.prev_hash);
        self.checked += report.checked;
        if let (Some(seq), Some(hash)) = (report.head_seq, report.head_hash.clone()) {
            self.head = Some((seq, hash.clone()));
            self.next_seq = seq + 1;
            self.prev_hash = hash;
        }
        if report.ok && page.len() >= VERIFY_PAGE as usize {
            return None;
        }
        Some(ChainReport {
            checked: self.checked,
            head_seq: self.head.as_ref().map(|h| h.0),
            head_hash: self.head.as_ref().map(|h| h.1.clone()),
            ..report
        })
    }
}

impl Default for ChainWalk {
    fn default() -> Self {
        Self::new()
    }
}

/// The entry to seal after: the newer of the stored head and the newest entry (the head can
/// lag after a crash; entries can be missing after tampering, and then the gap must stay).
pub fn prev_for_append(
    user_id: &str,
    head: Option<LedgerHead>,
    newest: Option<LedgerEntry>,
) -> Option<LedgerEntry> {
    match (head, newest) {
        (Some(h), Some(e)) if h.seq > e.seq => Some(head_entry(user_id, h)),
        (_, Some(e)) => Some(e),
        (Some(h), None) => Some(head_entry(user_id, h)),
        (None, None) => None,
    }
}

fn head_entry(user_id: &str, head: LedgerHead) -> LedgerEntry {
    LedgerEntry {
        seq: head.seq,
        user_id: user_id.to_string(),
        kind: LedgerKind::Adjustment,
        amount: 0.0,
        currency: String::new(),
        bot_id: None,
        ref_id: String::new(),
        description: String::new(),
        timestamp: DateTime::<Utc>::UNIX_EPOCH,
        prev_hash: String::new(),
        hash: head.hash,
    }
}

#[async_trait]
pub trait LedgerRepo: Send + Sync {
    /// Seals `entry` after the user's head and stores it.
    async fn append(&self, entry: NewLedgerEntry) -> StoreResult<LedgerEntry>;
    /// Newest first.
    async fn list(&self, user_id: &str, filter: &LedgerFilter) -> StoreResult<Vec<LedgerEntry>>;
    /// Walks the whole chain page by page, then compares the stored head.
    async fn verify(&self, user_id: &str) -> StoreResult<ChainReport>;
    async fn totals(&self, user_id: &str) -> StoreResult<LedgerTotals>;
    async fn delete_for_user(&self, user_id: &str) -> StoreResult<u64>;
}
