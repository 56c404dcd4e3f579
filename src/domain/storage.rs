//! Storage accounting for the admin resources page: which collections count, and how
//! per-user rows (counted in the database) fold into breakdowns and platform totals.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

/// The per-user collections whose storage the admin sees (SPEC §10 `storage_breakdown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StoredKind {
    ChatMessages,
    Trades,
    Bots,
    Alerts,
}

impl StoredKind {
    pub const ALL: [StoredKind; 4] = [
        StoredKind::ChatMessages,
        StoredKind::Trades,
        StoredKind::Bots,
        StoredKind::Alerts,
    ];

    /// The SQLite table and MongoDB collection name (also the key in `storage_breakdown`).
    pub fn table(self) -> &'static str {
        match self {
            StoredKind::ChatMessages => "chat_messages",
            StoredKind::Trades => "trades",
            StoredKind::Bots => "bots",
            StoredKind::Alerts => "alerts",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Rows and bytes in one collection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub count: u64,
    pub bytes: u64,
}

/// Usage of each `StoredKind`, indexed in `StoredKind::ALL` order.
pub type Breakdown = [Usage; 4];

/// Bytes to MiB, kept to 6 decimals so a handful of small rows still shows up.
pub fn megabytes(bytes: u64) -> f64 {
    (bytes as f64 / (1024.0 * 1024.0) * 1e6).round() / 1e6
}

/// Per-user usage of every kind plus the platform totals (rows of deleted users included).
#[derive(Debug, Default)]
pub struct StorageTable {
    by_user: HashMap<String, Breakdown>,
    totals: Breakdown,
}

impl StorageTable {
    /// Records one grouped row: `user_id` holds `usage` in `kind`.
    pub fn add(&mut self, kind: StoredKind, user_id: &str, usage: Usage) {
        let i = kind.index();
        let slot = &mut self.by_user.entry(user_id.to_string()).or_default()[i];
        slot.count += usage.count;
        slot.bytes += usage.bytes;
        self.totals[i].count += usage.count;
        self.totals[i].bytes += usage.bytes;
    }

    /// A user's usage (zeros when they own nothing).
    pub fn for_user(&self, user_id: &str) -> Breakdown {
        self.by_user.get(user_id).copied().unwrap_or_default()
    }

    pub fn totals(&self) -> Breakdown {
        self.totals
    }
}

pub fn total_bytes(breakdown: &Breakdown) -> u64 {
    breakdown.iter().map(|u| u.bytes).sum()
}

/// `{chat_messages:{count,size_mb,size_bytes}, trades:{..}, bots:{..}, alerts:{..}}`.
pub fn breakdown_json(breakdown: &Breakdown) -> Value {
    let mut object = Map::new();
    for kind in StoredKind::ALL {
        let usage = breakdown[kind.index()];
        object.insert(
            kind.table().to_string(),
            json!({"count": usage.count, "size_mb": megabytes(usage.bytes), "size_bytes": usage.bytes}),
        );
    }
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_fold_per_user_and_into_the_totals() {
        let mut table = StorageTable::default();
        table.add(
            StoredKind::Bots,
            "a",
            Usage {
                count: 2,
                bytes: 2048,
            },
        );
        table.add(
            StoredKind::ChatMessages,
            "a",
            Usage {
                count: 3,
                bytes: 300,
            },
        );
        table.add(
            StoredKind::Bots,
            "b",
            Usage {
                count: 1,
                bytes: 1024,
            },
        );
        let a = table.for_user("a");
        assert_eq!(
            a[StoredKind::Bots.index()],
            Usage {
                count: 2,
                bytes: 2048
            }
        );
        assert_eq!(total_bytes(&a), 2348);
        assert_eq!(table.for_user("nobody"), Breakdown::default());
        assert_eq!(table.totals()[StoredKind::Bots.index()].count, 3);
        assert_eq!(total_bytes(&table.totals()), 3372);
    }

    #[test]
    fn the_breakdown_names_every_kind_with_megabytes() {
        let mut table = StorageTable::default();
        table.add(
            StoredKind::Alerts,
            "a",
            Usage {
                count: 1,
                bytes: 1024 * 1024,
            },
        );
        let json = breakdown_json(&table.for_user("a"));
        assert_eq!(json["alerts"]["size_mb"], 1.0);
        assert_eq!(json["alerts"]["count"], 1);
        for key in ["chat_messages", "trades", "bots"] {
            assert_eq!(json[key]["count"], 0, "{key}");
        }
    }

    #[test]
    fn megabytes_keep_small_sizes_visible() {
        assert_eq!(megabytes(0), 0.0);
        assert!(megabytes(100) > 0.0);
        assert_eq!(megabytes(1536 * 1024), 1.5);
    }
}
