//! The append-only ledger: one hash chain per user, and the check that finds tampering.
//!
//! Each entry stores the hash of the entry before it, and its own hash covers every field
//! (including that previous hash). Editing an entry breaks its own hash; deleting or
//! reordering entries breaks the sequence numbers and the links.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// `prev_hash` of the first entry of every chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LedgerKind {
    Fill,
    Funding,
    Fee,
    Adjustment,
    /// Capital moved between two of the user's bots (autopilot reinvestment): one entry per
    /// bot, the legs of one move share a `ref_id` and sum to zero.
    Transfer,
}

impl LedgerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerKind::Fill => "fill",
            LedgerKind::Funding => "funding",
            LedgerKind::Fee => "fee",
            LedgerKind::Adjustment => "adjustment",
            LedgerKind::Transfer => "transfer",
        }
    }
}

/// An entry before it joins the chain.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLedgerEntry {
    pub user_id: String,
    pub kind: LedgerKind,
    pub amount: f64,
    pub currency: String,
    pub bot_id: Option<String>,
    /// What the entry is about: a trade id, a funding id, ...
    pub ref_id: String,
    pub description: String,
    pub timestamp: DateTime<Utc>,
}

/// A sealed entry, as stored and returned by `/api/ledger/*`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// 1 for a user's first entry, then +1 each time.
    pub seq: u64,
    pub user_id: String,
    pub kind: LedgerKind,
    pub amount: f64,
    pub currency: String,
    pub bot_id: Option<String>,
    pub ref_id: String,
    pub description: String,
    pub timestamp: DateTime<Utc>,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("ledger amount must be a finite number")]
    InvalidAmount,
    #[error("an entry can only follow an entry of the same user")]
    OtherUser,
}

/// Both storage engines keep milliseconds, so hashing finer time would make a stored entry
/// fail verification after a round trip. Timestamps are cut to the millisecond at sealing.
fn to_millis(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

/// Hex SHA-256 of the canonical form of every field except `hash`.
///
/// The canonical form is a JSON array in a fixed field order: JSON escaping keeps text fields
/// from running into each other, the amount uses Rust's shortest round-trip float text, and
/// the time is integer milliseconds since the epoch, so the same entry always hashes the same
/// on every engine.
pub fn compute_hash(entry: &LedgerEntry) -> String {
    hex::encode(Sha256::digest(canonical_form(entry).as_bytes()))
}

/// The exact text that is hashed (see [`compute_hash`]).
pub fn canonical_form(entry: &LedgerEntry) -> String {
    serde_json::json!([
        entry.seq,
        entry.user_id,
        entry.kind.as_str(),
        entry.amount.to_string(),
        entry.currency,
        entry.bot_id,
        entry.ref_id,
        entry.description,
        entry.timestamp.timestamp_millis(),
        entry.prev_hash,
    ])
    .to_string()
}

/// Appends `new` after `prev` (`None` for the user's first entry) and computes its hash.
pub fn seal(new: NewLedgerEntry, prev: Option<&LedgerEntry>) -> Result<LedgerEntry, LedgerError> {
    if !new.amount.is_finite() {
        return Err(LedgerError::InvalidAmount);
    }
    let (seq, prev_hash) = match prev {
        Some(p) if p.user_id != new.user_id => return Err(LedgerError::OtherUser),
        Some(p) => (p.seq + 1, p.hash.clone()),
        None => (1, GENESIS_HASH.to_string()),
    };
    let mut entry = LedgerEntry {
        seq,
        user_id: new.user_id,
        kind: new.kind,
        amount: new.amount,
        currency: new.currency,
        bot_id: new.bot_id,
        ref_id: new.ref_id,
        description: new.description,
        timestamp: to_millis(new.timestamp),
        prev_hash,
        hash: String::new(),
    };
    entry.hash = compute_hash(&entry);
    Ok(entry)
}

/// The result of `/api/ledger/verify-integrity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainReport {
    pub ok: bool,
    /// Entries verified before the first problem (all of them when `ok`).
    pub checked: u64,
    /// The sequence number where the chain breaks: the edited entry, or the first missing or
    /// misplaced position.
    pub first_bad_seq: Option<u64>,
    pub problem: Option<String>,
    /// The last verified entry. Deleting the newest entries leaves a valid shorter chain, so
    /// callers that keep a head counter compare it with this.
    pub head_seq: Option<u64>,
    pub head_hash: Option<String>,
}

/// Verifies a user's whole chain, given in stored order from the first entry.
pub fn verify_chain(entries: &[LedgerEntry]) -> ChainReport {
    verify_chain_from(entries, 1, GENESIS_HASH)
}

/// Verifies a slice of a chain that must start at `first_seq` and link to `prev_hash`
/// (lets a caller verify a long chain page by page, carrying the head forward).
pub fn verify_chain_from(entries: &[LedgerEntry], first_seq: u64, prev_hash: &str) -> ChainReport {
    let mut report = ChainReport {
        ok: true,
        checked: 0,
        first_bad_seq: None,
        problem: None,
        head_seq: None,
        head_hash: None,
    };
    let mut expected_prev = prev_hash.to_string();
    let user = entries.first().map(|e| e.user_id.as_str());
    for (expected_seq, entry) in (first_seq..).zip(entries) {
        let problem = if entry.seq != expected_seq {
            Some(format!(
                "expected entry {expected_seq} but found {}: an entry was deleted or moved",
                entry.seq
            ))
        } else if Some(entry.user_id.as_str()) != user {
            Some(format!("entry {} belongs to another user", entry.seq))
        } else if entry.prev_hash != expected_prev {
            Some(format!(
                "entry {} does not link to the entry before it",
                entry.seq
            ))
        } else if compute_hash(entry) != entry.hash {
            Some(format!(
                "entry {} was modified after it was written",
                entry.seq
            ))
        } else {
            None
        };
        if let Some(problem) = problem {
            report.ok = false;
            report.first_bad_seq = Some(expected_seq);
            report.problem = Some(problem);
            return report;
        }
        report.checked += 1;
        report.head_seq = Some(entry.seq);
        report.head_hash = Some(entry.hash.clone());
        expected_prev.clone_from(&entry.hash);
    }
    report
}

#[cfg(test)]
mod tests;
