//! Direct reads: the hottest point lookups (every authenticated request's user-and-token check,
//! the bot list's revision) run on the calling thread through a few `rusqlite` connections to the
//! same WAL file, instead of a round trip to a sqlx connection's worker thread.
//!
//! Why (issue 20, see bench/README.md): each sqlx-sqlite query is a hand-off over a channel to the
//! connection's own thread and a wake-up back, two context switches that cost far more than the
//! indexed lookup itself (about 1 % of `/api/auth/me`'s samples are SQLite; the hand-offs were
//! the largest share). In WAL mode a reader never waits for the writer, so such a lookup takes
//! microseconds and is cheaper done inline than handed off. Only single-row reads by primary key
//! or unique index belong here: anything that scans, or writes, stays on the sqlx pool.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::store::{StoreError, StoreResult};

/// Connections kept; a lookup holds one for a few microseconds, so one per runtime worker
/// plus slack is enough, and a busy set is waited on rather than grown.
const CONNECTIONS: usize = 4;

/// How long a read may wait on a lock. WAL readers only meet one while the file is being
/// recovered or the WAL restarted, both rare and short; this bounds the worst case for the
/// runtime thread it runs on.
const BUSY_TIMEOUT: Duration = Duration::from_millis(250);

pub(crate) struct DirectReader {
    connections: Vec<Mutex<Option<Connection>>>,
    next: AtomicUsize,
    closed: AtomicBool,
}

impl DirectReader {
    /// Opens the connections on the database file the pool already created (WAL mode is a
    /// property of the file, set by the pool). They are query-only: a write through them fails.
    pub(crate) fn open(path: &Path) -> StoreResult<DirectReader> {
        let mut connections = Vec::with_capacity(CONNECTIONS);
        for _ in 0..CONNECTIONS {
            let conn = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(map_err)?;
            conn.busy_timeout(BUSY_TIMEOUT).map_err(map_err)?;
            conn.pragma_update(None, "query_only", true)
                .map_err(map_err)?;
            conn.set_prepared_statement_cache_capacity(16);
            connections.push(Mutex::new(Some(conn)));
        }
        Ok(DirectReader {
            connections,
            next: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
        })
    }

    /// Runs `read` on a free connection (or waits for one). The closure must be a short read.
    pub(crate) fn read<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> StoreResult<T> {
        if self.closed.load(Ordering::Acquire) {
            return Err(closed());
        }
        let guard = self.acquire();
        match guard.as_ref() {
            Some(conn) => read(conn).map_err(map_err),
            None => Err(closed()),
        }
    }

    fn acquire(&self) -> MutexGuard<'_, Option<Connection>> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let n = self.connections.len();
        for i in 0..n {
            if let Ok(guard) = self.connections[(start + i) % n].try_lock() {
                return guard;
            }
        }
        // All busy: wait for the one this call was dealt. A poisoned lock only means a reader
        // panicked mid-read; the connection itself is still sound.
        let slot = &self.connections[start % n];
        slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether `close` was called.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Closes every connection; later reads answer "unavailable" like the closed pool does.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        for slot in &self.connections {
            let mut guard = slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            guard.take();
        }
    }
}

pub(crate) fn closed() -> StoreError {
    StoreError::Unavailable("sqlite store is closed".into())
}

fn map_err(err: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    match err.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked | ErrorCode::CannotOpen) => {
            StoreError::Unavailable(err.to_string())
        }
        _ => StoreError::Other(err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_see_committed_writes_and_refuse_to_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode=WAL; CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER);",
            )
            .unwrap();
        let reader = DirectReader::open(&path).unwrap();
        let get = |r: &DirectReader| {
            r.read(|c| {
                c.prepare_cached("SELECT v FROM t WHERE k = 'a'")?
                    .query_row([], |row| row.get::<_, i64>(0))
                    .map(Some)
                    .or_else(|e| match e {
                        rusqlite::Error::QueryReturnedNoRows => Ok(None),
                        e => Err(e),
                    })
            })
        };
        assert_eq!(get(&reader).unwrap(), None);
        writer.execute("INSERT INTO t VALUES ('a', 1)", []).unwrap();
        assert_eq!(get(&reader).unwrap(), Some(1));
        writer
            .execute("UPDATE t SET v = 2 WHERE k = 'a'", [])
            .unwrap();
        assert_eq!(
            get(&reader).unwrap(),
            Some(2),
            "no stale read after a commit"
        );
        let write = reader.read(|c| c.execute("INSERT INTO t VALUES ('b', 1)", []));
        assert!(write.is_err(), "query-only connections cannot write");
        reader.close();
        assert!(matches!(get(&reader), Err(StoreError::Unavailable(_))));
    }
}
