//! The schema and its migrations, written by hand and keyed by `PRAGMA user_version`.
//!
//! Each migration takes the database from version `n - 1` to `n` inside one transaction.
//! Tests open a saved fixture of every older version (`core/tests/fixtures/store-v*.sql`)
//! with the current code, so every migration is exercised from every version before it.

use rusqlite::Connection;

use crate::error::{Error, Result};

/// The schema version this build writes.
pub const CURRENT_VERSION: i64 = 5;

/// Version 1. Plaintext columns are limited to random ids, record kind, epoch numbers,
/// outbox state, revision numbers and keyed blind indexes; every value a person typed
/// is inside a `sealed` column.
const V1: &str = "
CREATE TABLE meta (
    name  TEXT PRIMARY KEY NOT NULL,
    value BLOB NOT NULL
) STRICT;

CREATE TABLE epoch_keys (
    epoch   INTEGER PRIMARY KEY NOT NULL,
    wrapped BLOB NOT NULL
) STRICT;

CREATE TABLE policies (
    id     TEXT PRIMARY KEY NOT NULL,
    sealed BLOB NOT NULL
) STRICT;

CREATE TABLE profiles (
    id     TEXT PRIMARY KEY NOT NULL,
    sealed BLOB NOT NULL
) STRICT;

CREATE TABLE monitoring_periods (
    id          TEXT PRIMARY KEY NOT NULL,
    epoch       INTEGER NOT NULL REFERENCES epoch_keys(epoch),
    profile_idx BLOB NOT NULL,
    sealed      BLOB NOT NULL
) STRICT;

CREATE TABLE records (
    id          TEXT PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('day', 'registration')),
    epoch       INTEGER NOT NULL REFERENCES epoch_keys(epoch),
    state       TEXT NOT NULL CHECK (state IN ('saved', 'queued', 'sent')),
    profile_idx BLOB NOT NULL,
    slot_idx    BLOB NOT NULL,
    revision    INTEGER NOT NULL,
    sealed      BLOB NOT NULL,
    UNIQUE (slot_idx, revision)
) STRICT;

CREATE INDEX records_by_profile ON records (profile_idx, epoch);
CREATE INDEX records_by_epoch ON records (epoch);
CREATE INDEX monitoring_by_epoch ON monitoring_periods (epoch);
";

/// Version 2 (upload): consent per policy, pseudonyms per profile and policy, the outbox
/// of sealed submissions, and the hash-chained disclosure ledger. Plaintext columns stay
/// limited to random ids, blind indexes, epochs, states, counters and chain hashes.
const V2: &str = "
CREATE TABLE consents (
    id     TEXT PRIMARY KEY NOT NULL,
    sealed BLOB NOT NULL
) STRICT;

CREATE TABLE pseudonyms (
    id     TEXT PRIMARY KEY NOT NULL,
    sealed BLOB NOT NULL
) STRICT;

CREATE TABLE outbox (
    id              TEXT PRIMARY KEY NOT NULL,
    epoch           INTEGER NOT NULL REFERENCES epoch_keys(epoch),
    policy_idx      BLOB NOT NULL,
    record_id       TEXT,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    sealed          BLOB NOT NULL
) STRICT;

CREATE INDEX outbox_by_state ON outbox (state, next_attempt_at);
CREATE INDEX outbox_by_epoch ON outbox (epoch);

CREATE TABLE ledger (
    seq    INTEGER PRIMARY KEY NOT NULL,
    hash   BLOB NOT NULL,
    sealed BLOB NOT NULL
) STRICT;
";

/// Version 3: epoch keys sealed together in pages of consecutive epochs, kept in `meta`
/// beside the wrapped store key (see `store::epoch_pages`), so that unlocking reads every
/// key with the one statement it already runs. Before this SQL, in the same transaction,
/// the keys of `epoch_keys` move into pages (the store key is needed: [`KEYED_STEP`]).
/// `epoch_keys` then goes, and with it the foreign keys to it: the tables that had one
/// are rebuilt without it (SQLite cannot drop a constraint), indexes included.
const V3: &str = "
CREATE TABLE monitoring_periods_v3 (
    id          TEXT PRIMARY KEY NOT NULL,
    epoch       INTEGER NOT NULL,
    profile_idx BLOB NOT NULL,
    sealed      BLOB NOT NULL
) STRICT;
INSERT INTO monitoring_periods_v3 (id, epoch, profile_idx, sealed)
    SELECT id, epoch, profile_idx, sealed FROM monitoring_periods;
DROP TABLE monitoring_periods;
ALTER TABLE monitoring_periods_v3 RENAME TO monitoring_periods;
CREATE INDEX monitoring_by_epoch ON monitoring_periods (epoch);

CREATE TABLE records_v3 (
    id          TEXT PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('day', 'registration')),
    epoch       INTEGER NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('saved', 'queued', 'sent')),
    profile_idx BLOB NOT NULL,
    slot_idx    BLOB NOT NULL,
    revision    INTEGER NOT NULL,
    sealed      BLOB NOT NULL,
    UNIQUE (slot_idx, revision)
) STRICT;
INSERT INTO records_v3 (id, kind, epoch, state, profile_idx, slot_idx, revision, sealed)
    SELECT id, kind, epoch, state, profile_idx, slot_idx, revision, sealed FROM records;
DROP TABLE records;
ALTER TABLE records_v3 RENAME TO records;
CREATE INDEX records_by_profile ON records (profile_idx, epoch);
CREATE INDEX records_by_epoch ON records (epoch);

CREATE TABLE outbox_v3 (
    id              TEXT PRIMARY KEY NOT NULL,
    epoch           INTEGER NOT NULL,
    policy_idx      BLOB NOT NULL,
    record_id       TEXT,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    sealed          BLOB NOT NULL
) STRICT;
INSERT INTO outbox_v3 (id, epoch, policy_idx, record_id, state, attempts, next_attempt_at,
                       sealed)
    SELECT id, epoch, policy_idx, record_id, state, attempts, next_attempt_at, sealed
    FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v3 RENAME TO outbox;
CREATE INDEX outbox_by_state ON outbox (state, next_attempt_at);
CREATE INDEX outbox_by_epoch ON outbox (epoch);

DROP TABLE epoch_keys;
";

/// Version 4 (revocation): the revocation list held for each root, sealed, found by a
/// blind index of the root's key id.
const V4: &str = "
CREATE TABLE revocation_lists (
    id     TEXT PRIMARY KEY NOT NULL,
    sealed BLOB NOT NULL
) STRICT;
";

/// Version 5: the delegations of installed policies' chains, each stored once, sealed,
/// found by a blind index of its SHA-256; policy rows under a chain name them instead of
/// holding them. Rows written before keep their whole envelope and read as they are.
const V5: &str = "
CREATE TABLE delegations (
    id     TEXT PRIMARY KEY NOT NULL,
    sealed BLOB NOT NULL
) STRICT;
";

/// Migrations in order; entry `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5];

/// The version whose migration also needs the unlocked keys: it moves the wrapped epoch
/// keys into pages (`Keyring::adopt_wrapped_epoch_keys`).
pub(crate) const KEYED_STEP: i64 = 3;

/// The schema version recorded in the file.
pub(crate) fn version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |row| row.get(0))?)
}

/// Brings the schema up to [`CURRENT_VERSION`], one transaction per step. Before each
/// step's SQL, `keyed(tx, version)` runs in the same transaction with the version the
/// step reaches, on the schema it starts from, for the work that needs the store's keys.
pub(crate) fn migrate(
    conn: &mut Connection,
    keyed: &mut dyn FnMut(&Connection, i64) -> Result<()>,
) -> Result<()> {
    let mut found = version(conn)?;
    if found > CURRENT_VERSION {
        return Err(Error::SchemaTooNew {
            found,
            supported: CURRENT_VERSION,
        });
    }
    if found < 0 {
        return Err(Error::corrupt("schema version"));
    }
    while found < CURRENT_VERSION {
        let step = usize::try_from(found).map_err(|_| Error::corrupt("schema version"))?;
        let sql = MIGRATIONS
            .get(step)
            .ok_or_else(|| Error::Storage(format!("no migration from version {found}")))?;
        let tx = conn.transaction()?;
        keyed(&tx, found + 1)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", found + 1)?;
        tx.commit()?;
        found += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_an_empty_file_to_the_current_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, &mut |_, _| Ok(())).unwrap();
        assert_eq!(version(&conn).unwrap(), CURRENT_VERSION);
        // Idempotent: a second run has nothing to do.
        migrate(&mut conn, &mut |_, _| Ok(())).unwrap();
        assert_eq!(version(&conn).unwrap(), CURRENT_VERSION);
    }

    #[test]
    fn every_version_has_a_migration() {
        assert_eq!(MIGRATIONS.len() as i64, CURRENT_VERSION);
    }

    #[test]
    fn refuses_a_newer_schema() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", CURRENT_VERSION + 1)
            .unwrap();
        assert!(matches!(
            migrate(&mut conn, &mut |_, _| Ok(())),
            Err(Error::SchemaTooNew { .. })
        ));
    }
}
