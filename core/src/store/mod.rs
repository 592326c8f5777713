//! The encrypted SQLite store.
//!
//! One connection (the writer, also used for reads) lives behind a mutex together with the
//! unlocked [`keyring::Keyring`]. Every multi-row change runs in one transaction. Rows are
//! sealed under per-epoch keys; [`Store::purge`] deletes expired epochs with their keys and
//! then truncates the WAL and vacuums, so neither ciphertext nor key bytes remain in the files.

mod connection;
mod consent;
mod delegations;
#[cfg(test)]
mod delegations_tests;
mod epoch_key_set;
mod epoch_pages;
mod keyring;
mod ledger;
mod monitoring;
mod notices;
mod outbox;
mod policies;
mod policy_row;
mod profiles;
mod purge;
mod records;
mod revocations;
mod rows;
mod schema;
mod token_pool;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::Connection;

use crate::crypto::{KeySource, Plaintext};
use crate::error::{Error, Result};
use crate::policy::VerifiedPolicy;

pub use connection::{DB_FILE, store_files};
pub use consent::{Consent, ConsentScope};
pub use monitoring::NewMonitoringPeriod;
pub(crate) use monitoring::expiry_epoch;
pub use outbox::{AttemptOutcome, OutboxItem, OutboxItemState, OutboxPayload, Recorded};
pub use profiles::ProfileRemoval;
pub use purge::PurgeReport;
pub use records::{NewRecord, OutboxState, RecordListing, SavedRecord, StoredRecord};
pub use revocations::RevocationsInstalled;
pub use schema::CURRENT_VERSION;
pub use token_pool::{PendingRequest, TokenPool};

pub(crate) use keyring::{Keyring, STANDING_EPOCH};

/// The connection and the keys, guarded together.
pub(crate) struct Inner {
    pub(crate) conn: Connection,
    pub(crate) keys: Keyring,
    /// Installed policies already opened and parsed, by policy id (policies are public,
    /// signed documents; keying by the id itself spares every save the blind index and
    /// hex of the row id): every save needs its policy, and parsing the document again
    /// each time costs more than the save itself. Only `install_policy` writes policies,
    /// and it updates this too.
    pub(crate) policies: HashMap<String, VerifiedPolicy>,
    /// Profile rows already opened, by profile id: their decrypted JSON, zeroed when
    /// dropped (on removal, when the store closes or is erased). Every save reads its
    /// profile, and this spares it the row's read and decryption. Whatever rewrites or
    /// deletes a profile row (`update_profile`, `remove_profile`) removes its entry here.
    /// Cleared when the key changes, and when it holds [`MAX_OPENED_PROFILES`] rows.
    pub(crate) opened_profiles: HashMap<String, Plaintext>,
    /// Delegations known to be stored (by SHA-256), so that installing the next version
    /// under the same chain writes none and looks none up.
    pub(crate) stored_links: std::collections::HashSet<[u8; 32]>,
}

/// A household has a handful of profiles; past this many opened profile rows the memo
/// starts over, so ids passed in from outside cannot grow it without bound.
pub(crate) const MAX_OPENED_PROFILES: usize = 64;

impl Inner {
    fn new(conn: Connection, keys: Keyring) -> Self {
        Self {
            conn,
            keys,
            policies: HashMap::new(),
            opened_profiles: HashMap::new(),
            stored_links: std::collections::HashSet::new(),
        }
    }
}

/// An open, unlocked store.
pub struct Store {
    dir: PathBuf,
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Creates a new store in `dir` (created if missing) with a fresh store key wrapped by
    /// `source`. Refuses if a store already exists there.
    pub fn create(dir: &Path, source: &dyn KeySource) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(DB_FILE);
        if path.exists() {
            // A file left by a creation that crashed before its first commit has no schema
            // and can be replaced; anything else is a store we must not overwrite.
            let conn = connection::open_existing(&path)?;
            if schema::version(&conn)? != 0 {
                return Err(Error::Conflict(format!(
                    "a store already exists at {}",
                    dir.display()
                )));
            }
        }
        let mut conn = connection::create_new(&path)?;
        let mut initialize = || -> Result<Keyring> {
            // A new file: no step has keys to move.
            schema::migrate(&mut conn, &mut |_, _| Ok(()))?;
            let tx = conn.transaction()?;
            let keys = Keyring::create(&tx, source)?;
            tx.commit()?;
            Ok(keys)
        };
        match initialize() {
            Ok(keys) => Ok(Self {
                dir: dir.to_path_buf(),
                inner: Mutex::new(Inner::new(conn, keys)),
            }),
            Err(error) => {
                // The key source refused (or the disk failed) before a store key was
                // written: remove the schema-only file, or `exists` would report a store
                // that every `open` refuses as corrupt.
                drop(conn);
                for file in store_files(dir) {
                    let _ = std::fs::remove_file(file);
                }
                Err(error)
            }
        }
    }

    /// Opens the store in `dir`. The key is checked before anything is written, so a wrong
    /// key (`WrongKey`) leaves the files byte-for-byte unchanged.
    pub fn open(dir: &Path, source: &dyn KeySource) -> Result<Self> {
        let path = dir.join(DB_FILE);
        let mut conn = connection::open_existing(&path)?;
        let version = schema::version(&conn)?;
        if version == 0 {
            return Err(Error::NotInitialized {
                path: dir.display().to_string(),
            });
        }
        if version > CURRENT_VERSION {
            return Err(Error::SchemaTooNew {
                found: version,
                supported: CURRENT_VERSION,
            });
        }
        let mut keys = Keyring::unlock(&conn, source)?;
        if version < CURRENT_VERSION {
            schema::migrate(&mut conn, &mut |tx, reached| {
                if reached == schema::KEYED_STEP {
                    keys.adopt_wrapped_epoch_keys(tx)?;
                }
                Ok(())
            })?;
            // Keys moved into pages leave no copy of their old rows in the WAL.
            checkpoint_truncate(&conn)?;
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            inner: Mutex::new(Inner::new(conn, keys)),
        })
    }

    /// Whether a store exists in `dir`.
    pub fn exists(dir: &Path) -> bool {
        dir.join(DB_FILE).is_file()
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The database file and its companions.
    pub fn files(&self) -> Vec<PathBuf> {
        store_files(&self.dir)
    }

    /// Re-wraps the store key with `source` (a new passphrase, say). Records are not
    /// re-encrypted; the old wrapped key is overwritten and flushed out of the WAL.
    pub fn change_key(&self, source: &dyn KeySource) -> Result<()> {
        let mut inner = self.lock();
        let Inner {
            conn,
            keys,
            opened_profiles,
            ..
        } = &mut *inner;
        opened_profiles.clear();
        let tx = conn.transaction()?;
        keys.rewrap(&tx, source)?;
        tx.commit()?;
        checkpoint_truncate(conn)
    }

    /// Shreds the store key, closes the database and deletes its files. The directory is
    /// removed too when nothing else is left in it.
    pub fn erase(self) -> Result<()> {
        let dir = self.dir.clone();
        let inner = self
            .inner
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        keyring::shred_store_key(&inner.conn)?;
        checkpoint_truncate(&inner.conn)?;
        drop(inner.keys);
        inner
            .conn
            .close()
            .map_err(|(_, error)| Error::from(error))?;
        Self::erase_files(&dir)
    }

    /// Deletes a store's files without opening it (for a store whose key is lost).
    pub fn erase_files(dir: &Path) -> Result<()> {
        for file in store_files(dir) {
            match std::fs::remove_file(&file) {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => return Err(error.into()),
            }
        }
        // Only an empty directory is removed; the caller's other files are theirs.
        if let Ok(mut entries) = std::fs::read_dir(dir) {
            if entries.next().is_none() {
                std::fs::remove_dir(dir)?;
            }
        }
        Ok(())
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        // The guarded state stays consistent across a panic in another thread: every change
        // runs in a transaction that rolls back when dropped.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Moves everything from the WAL into the database and truncates the WAL to zero bytes.
pub(crate) fn checkpoint_truncate(conn: &Connection) -> Result<()> {
    let (busy, _, _): (i64, i64, i64) =
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?;
    if busy != 0 {
        return Err(Error::Storage(
            "the WAL could not be checkpointed: another connection is reading".to_owned(),
        ));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod test_support {
    use crate::crypto::{KeyMaterial, MemoryKeySource};

    /// A fast key source standing in for a platform key store.
    pub(crate) fn key_source(seed: u8) -> MemoryKeySource {
        MemoryKeySource::new(KeyMaterial::from_bytes([seed; 32]))
    }

    /// A new store in a temporary directory, keyed by [`key_source`]`(seed)`.
    pub(crate) fn new_store(seed: u8) -> (tempfile::TempDir, super::Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = super::Store::create(dir.path(), &key_source(seed)).unwrap();
        (dir, store)
    }

    /// Every file of `dir` with its bytes, sorted by name.
    pub(crate) fn snapshot(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| {
                let entry = entry.unwrap();
                (
                    entry.file_name().to_string_lossy().into_owned(),
                    std::fs::read(entry.path()).unwrap(),
                )
            })
            .collect();
        files.sort();
        files
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{key_source, snapshot};
    use super::*;

    fn flip_meta_byte(dir: &Path, name: &str) {
        let conn = Connection::open(dir.join(DB_FILE)).unwrap();
        let mut value: Vec<u8> = conn
            .query_row("SELECT value FROM meta WHERE name = ?1", [name], |row| {
                row.get(0)
            })
            .unwrap();
        let middle = value.len() / 2;
        value[middle] ^= 0x40;
        conn.execute(
            "UPDATE meta SET value = ?1 WHERE name = ?2",
            rusqlite::params![value, name],
        )
        .unwrap();
    }

    #[test]
    fn create_then_open() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::create(dir.path(), &key_source(1)).unwrap());
        assert!(Store::exists(dir.path()));
        Store::open(dir.path(), &key_source(1)).unwrap();
    }

    #[test]
    fn create_refuses_an_existing_store() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::create(dir.path(), &key_source(1)).unwrap());
        assert!(matches!(
            Store::create(dir.path(), &key_source(1)),
            Err(Error::Conflict(_))
        ));
    }

    #[test]
    fn open_missing_store_is_not_initialized() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            Store::open(&dir.path().join("nothing"), &key_source(1)),
            Err(Error::NotInitialized { .. })
        ));
    }

    #[test]
    fn wrong_key_changes_no_byte() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::create(dir.path(), &key_source(1)).unwrap());
        let before = snapshot(dir.path());
        assert!(matches!(
            Store::open(dir.path(), &key_source(2)),
            Err(Error::WrongKey)
        ));
        assert_eq!(snapshot(dir.path()), before);
    }

    /// A key source that cannot unwrap: either the platform lost its key for good, or it
    /// failed for a reason that may pass (an app exception, a locked keystore).
    struct FailingKeySource(crate::crypto::KeySourceError);

    impl crate::crypto::KeySource for FailingKeySource {
        fn wrap(
            &self,
            _key: &crate::crypto::KeyMaterial,
        ) -> Result<Vec<u8>, crate::crypto::KeySourceError> {
            Err(self.0.clone())
        }

        fn unwrap(
            &self,
            _blob: &[u8],
        ) -> Result<crate::crypto::KeyMaterial, crate::crypto::KeySourceError> {
            Err(self.0.clone())
        }
    }

    #[test]
    fn a_key_source_failing_at_create_leaves_no_store_behind() {
        use crate::crypto::KeySourceError;
        let dir = tempfile::tempdir().unwrap();
        let failing = FailingKeySource(KeySourceError::Failed {
            reason: "keystore locked".into(),
        });
        assert!(matches!(
            Store::create(dir.path(), &failing),
            Err(Error::KeySourceFailed { .. })
        ));
        assert!(!Store::exists(dir.path()));
        // The next attempt, with a working key source, creates a store that opens.
        drop(Store::create(dir.path(), &key_source(1)).unwrap());
        Store::open(dir.path(), &key_source(1)).unwrap();
    }

    #[test]
    fn key_source_failures_keep_their_kind_and_change_no_byte() {
        use crate::crypto::KeySourceError;
        let dir = tempfile::tempdir().unwrap();
        drop(Store::create(dir.path(), &key_source(1)).unwrap());
        let before = snapshot(dir.path());
        let lost = FailingKeySource(KeySourceError::Unavailable {
            reason: "keystore reset".into(),
        });
        match Store::open(dir.path(), &lost) {
            Err(Error::KeyUnavailable { reason }) => assert_eq!(reason, "keystore reset"),
            other => panic!("expected KeyUnavailable, got {other:?}"),
        }
        let failing = FailingKeySource(KeySourceError::Failed {
            reason: "user not authenticated".into(),
        });
        match Store::open(dir.path(), &failing) {
            Err(Error::KeySourceFailed { reason }) => {
                assert_eq!(reason, "user not authenticated");
            }
            other => panic!("expected KeySourceFailed, got {other:?}"),
        }
        assert_eq!(snapshot(dir.path()), before);
        assert!(Store::open(dir.path(), &key_source(1)).is_ok());
    }

    #[test]
    fn damaged_wrapped_store_key_is_corrupt_not_wrong_key() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::create(dir.path(), &key_source(1)).unwrap());
        flip_meta_byte(dir.path(), "store_key");
        match Store::open(dir.path(), &key_source(1)) {
            Err(Error::Corrupt { record }) => assert_eq!(record, "store_key"),
            other => panic!("expected Corrupt, got {other:?}"),
        }
    }

    #[test]
    fn damaged_canary_is_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::create(dir.path(), &key_source(1)).unwrap());
        flip_meta_byte(dir.path(), "canary");
        match Store::open(dir.path(), &key_source(1)) {
            Err(Error::Corrupt { record }) => assert_eq!(record, "canary"),
            other => panic!("expected Corrupt, got {other:?}"),
        }
    }

    #[test]
    fn change_key_rewraps_without_touching_rows() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(dir.path(), &key_source(1)).unwrap();
        store.change_key(&key_source(3)).unwrap();
        drop(store);
        assert!(matches!(
            Store::open(dir.path(), &key_source(1)),
            Err(Error::WrongKey)
        ));
        Store::open(dir.path(), &key_source(3)).unwrap();
    }

    #[test]
    fn erase_leaves_no_file() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("store");
        let store = Store::create(&dir, &key_source(1)).unwrap();
        store.erase().unwrap();
        assert!(!dir.exists());
    }
}
