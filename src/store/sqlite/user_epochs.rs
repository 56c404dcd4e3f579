//! Per-user change counters shared by every server process on one SQLite file: a 4 KiB file
//! beside the database (`amarktai.db-users`), mapped into each process, one counter per slot.
//!
//! Why (issue 20): the token check of every authenticated request read the user and the
//! revoked-token table from SQLite, and each read transaction takes and drops SQLite's file and
//! shared-memory locks (system calls). A kept answer may be reused only while nothing it depends
//! on changed, in this process or another one on the same file. Every write that changes a
//! user's row or revokes one of its tokens adds 1 to that user's slot *after* it committed; a
//! reader notes the slot *before* it reads the database and reuses its answer only while the slot
//! still holds that value. A load from shared memory costs nanoseconds and needs no system call.
//!
//! Slots are picked by a fixed hash of the user id (FNV-1a, the same in every process and
//! build), so two users may share one and invalidate each other: harmless, only a re-read.
//! The counters only grow; the file is never truncated while mapped (a truncated mapping would
//! fault), and must not be deleted while servers run, like SQLite's own `-wal` and `-shm`.

use std::fs::OpenOptions;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::store::{StoreError, StoreResult};

/// Words in the file; 512 x 8 bytes is one page. Word 0 names the layout, the rest are counters.
const SLOTS: usize = 512;
const FILE_LEN: usize = SLOTS * std::mem::size_of::<u64>();
/// Word 0 of a file in this layout (512 words, FNV-1a slots): "AMKUSR01". A build that changes
/// the layout must change it, so processes of two layouts never share a file unknowingly.
const LAYOUT: u64 = u64::from_le_bytes(*b"AMKUSR01");

pub(crate) struct UserEpochs {
    slots: NonNull<AtomicU64>,
}

// SAFETY: the mapping is only ever accessed through `AtomicU64`s, which are `Sync`; it lives
// until `drop` unmaps it.
unsafe impl Send for UserEpochs {}
unsafe impl Sync for UserEpochs {}

impl UserEpochs {
    /// Maps `path`, creating it (zeroed, 4 KiB) if needed. Processes that open it at the same
    /// time agree: the length is only ever raised to the same size, which keeps what is there.
    /// Run as root (an operator's `amarktai create-admin`), the file gets the owner of
    /// `database`, as SQLite does for its `-wal` and `-shm`, so the service can still open it.
    pub(crate) fn open(path: &Path, database: &Path) -> StoreResult<UserEpochs> {
        let fail = |what: &str, e: std::io::Error| {
            StoreError::Unavailable(format!("{what} {}: {e}", path.display()))
        };
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| fail("cannot open", e))?;
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            use std::os::unix::fs::MetadataExt as _;
            if let Ok(owner) = std::fs::metadata(database) {
                std::os::unix::fs::fchown(&file, Some(owner.uid()), Some(owner.gid()))
                    .map_err(|e| fail("cannot hand to the database's owner", e))?;
            }
        }
        let len = file.metadata().map_err(|e| fail("cannot stat", e))?.len();
        if len < FILE_LEN as u64 {
            file.set_len(FILE_LEN as u64)
                .map_err(|e| fail("cannot size", e))?;
        }
        // SAFETY: a fresh shared mapping of a file at least FILE_LEN long; the kernel keeps the
        // mapping valid after `file` is closed.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                FILE_LEN,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(fail("cannot map", std::io::Error::last_os_error()));
        }
        // mmap returns page-aligned memory, so every slot is 8-byte aligned.
        let slots = NonNull::new(base.cast::<AtomicU64>())
            .ok_or_else(|| fail("cannot map", std::io::Error::other("null mapping")))?;
        let epochs = UserEpochs { slots };
        // A new (zeroed) file gets the layout word; any other value is a file this build cannot
        // share counters through.
        // SAFETY: word 0 is inside the mapping.
        let layout = unsafe { &*epochs.slots.as_ptr() };
        match layout.compare_exchange(0, LAYOUT, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(_) => {}
            Err(found) if found == LAYOUT => {}
            Err(_) => {
                return Err(fail(
                    "unknown layout in",
                    std::io::Error::other(
                        "made by another build; stop every server on this database and delete it",
                    ),
                ))
            }
        }
        Ok(epochs)
    }

    fn slot(&self, user_id: &str) -> &AtomicU64 {
        // Word 0 is the layout; users hash onto the other 511.
        let index = 1 + (fnv1a(user_id.as_bytes()) % (SLOTS as u64 - 1)) as usize;
        // SAFETY: index < SLOTS and the mapping holds SLOTS counters for as long as `self`.
        unsafe { &*self.slots.as_ptr().add(index) }
    }

    /// The user's counter now. Read it before reading the database, so an answer is tagged with
    /// a value no newer than what it saw.
    pub(crate) fn current(&self, user_id: &str) -> u64 {
        self.slot(user_id).load(Ordering::SeqCst)
    }

    /// Marks the user changed, in every process mapping the file. Call it after the write
    /// committed: a reader that sees the new value then also sees the write.
    pub(crate) fn bump(&self, user_id: &str) {
        self.slot(user_id).fetch_add(1, Ordering::SeqCst);
    }
}

impl Drop for UserEpochs {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `open`, unmapped once; no reference outlives `self`.
        unsafe {
            libc::munmap(self.slots.as_ptr().cast(), FILE_LEN);
        }
    }
}

/// FNV-1a, 64 bits: fixed, so every process and build picks the same slot for a user.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bump_through_one_mapping_is_seen_through_another() {
        // Two mappings of one file behave as two processes do: same physical page.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users");
        let a = UserEpochs::open(&path, &path).unwrap();
        let b = UserEpochs::open(&path, &path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), FILE_LEN as u64);
        let before = b.current("user-1");
        a.bump("user-1");
        assert_eq!(b.current("user-1"), before + 1);
        a.bump("user-1");
        b.bump("user-1");
        assert_eq!(a.current("user-1"), before + 3);
        assert_eq!(b.current("user-1"), before + 3);
    }

    #[test]
    fn counters_survive_reopening_and_a_short_file_is_extended_keeping_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users");
        {
            let a = UserEpochs::open(&path, &path).unwrap();
            a.bump("someone");
            a.bump("someone");
        }
        let again = UserEpochs::open(&path, &path).unwrap();
        assert_eq!(again.current("someone"), 2);
        drop(again);

        // A file cut short by hand is brought back to full size; the bytes present are kept.
        let short = dir.path().join("short");
        let mut bytes = LAYOUT.to_ne_bytes().to_vec();
        bytes.extend(7u64.to_ne_bytes());
        std::fs::write(&short, bytes).unwrap();
        let epochs = UserEpochs::open(&short, &short).unwrap();
        assert_eq!(std::fs::metadata(&short).unwrap().len(), FILE_LEN as u64);
        // SAFETY: word 1 exists; reading it directly checks the existing bytes were kept.
        let first = unsafe { &*epochs.slots.as_ptr().add(1) }.load(Ordering::SeqCst);
        assert_eq!(first, 7);
    }

    #[test]
    fn run_as_root_the_file_belongs_to_the_database_owner() {
        use std::os::unix::fs::MetadataExt as _;
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("amarktai.db");
        std::fs::write(&database, b"").unwrap();
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        if root {
            std::os::unix::fs::chown(&database, Some(4321), Some(4322)).unwrap();
        }
        let path = dir.path().join("amarktai.db-users");
        let _epochs = UserEpochs::open(&path, &database).unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        if root {
            assert_eq!((meta.uid(), meta.gid()), (4321, 4322));
        } else {
            // Not root: the file is ours, like the database we just made.
            assert_eq!(meta.uid(), std::fs::metadata(&database).unwrap().uid());
        }
    }

    #[test]
    fn a_file_of_another_layout_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users");
        std::fs::write(&path, u64::from_le_bytes(*b"AMKUSR99").to_ne_bytes()).unwrap();
        let err = UserEpochs::open(&path, &path).err().expect("refused");
        assert!(err.to_string().contains("unknown layout"), "{err}");
    }

    #[test]
    fn users_spread_over_the_slots_and_the_hash_is_fixed() {
        // The slot must not depend on the process (no random hash keys): pinned values.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        let ids: Vec<String> = (0..200).map(uuid_like).collect();
        let slots: std::collections::HashSet<u64> = ids
            .iter()
            .map(|id| fnv1a(id.as_bytes()) % SLOTS as u64)
            .collect();
        assert!(slots.len() > 150, "200 ids fell into {} slots", slots.len());
    }

    fn uuid_like(i: u32) -> String {
        format!(
            "{:08x}-4b1e-4c2a-9f00-{:012x}",
            i.wrapping_mul(2_654_435_761),
            i
        )
    }

    #[test]
    fn an_unopenable_path_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing").join("users");
        let err = UserEpochs::open(&missing, &missing)
            .err()
            .expect("no such directory");
        assert!(err.to_string().contains("cannot open"), "{err}");
    }
}
