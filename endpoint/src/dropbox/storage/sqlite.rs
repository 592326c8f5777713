//! The drop box's SQLite store: one row per submission, ciphertext only (the embedded
//! default).
//!
//! A row holds the request body exactly as received (ids, the deletion token's hash and
//! the HPKE-sealed parts: nothing the drop box could read), its SHA-256, the receipt
//! reply, and when it expires. Plain SQL, one connection, owned by the writer thread.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::quota::counted_bytes;
use super::{DeleteOutcome, InsertOutcome, NewSubmission, constant_time_eq};

/// Schema version in `PRAGMA user_version`: 1, submissions; 2, also the access-notice
/// mailbox ([`super::sqlite_notices`]) and the audit log's witness
/// ([`super::sqlite_witness`]); 3, also upload token issuance and spent tokens
/// ([`super::sqlite_tokens`]); 4, also typed enrollment codes
/// ([`super::sqlite_enrollment_codes`]); 5, also the last day of each issuance row's
/// order ([`super::sqlite_tokens::upgrade`]). Every table is created if missing and every
/// column added if missing, so opening a database of an earlier version upgrades it.
const SCHEMA_VERSION: i64 = 5;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS submissions (
    id             TEXT PRIMARY KEY NOT NULL,
    policy_id      TEXT NOT NULL,
    policy_version INTEGER NOT NULL,
    body           BLOB NOT NULL,
    body_sha256    TEXT NOT NULL,
    deletion_hash  TEXT NOT NULL,
    received_at    TEXT NOT NULL,
    expires_at     INTEGER NOT NULL,
    receipt        BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS submissions_expires_at ON submissions (expires_at);
";

/// Opens (creating if needed) the database at `path`: WAL, full synchronous commits (a
/// receipt promises the submission is stored), deleted content overwritten.
pub(crate) fn open(path: &Path) -> rusqlite::Result<Connection> {
    let connection = Connection::open(path)?;
    connection.busy_timeout(std::time::Duration::from_secs(5))?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.pragma_update(None, "secure_delete", "ON")?;
    connection.pragma_update(None, "temp_store", "MEMORY")?;
    let version: i64 = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_MISMATCH),
            Some(format!(
                "the database has schema version {version}, newer than this drop box ({SCHEMA_VERSION})"
            )),
        ));
    }
    connection.execute_batch(SCHEMA)?;
    connection.execute_batch(super::sqlite_notices::SCHEMA)?;
    connection.execute_batch(super::sqlite_witness::SCHEMA)?;
    connection.execute_batch(super::sqlite_tokens::SCHEMA)?;
    super::sqlite_tokens::upgrade(&connection)?;
    connection.execute_batch(super::sqlite_enrollment_codes::SCHEMA)?;
    connection.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    Ok(connection)
}

/// What a row counts for against the quota, in SQL (both columns are BLOBs, whose
/// `length` is in bytes): the same as [`counted_bytes`] before storing.
const COUNTED_BYTES: &str = "length(body) + length(receipt)";

/// The bytes every stored submission counts for against the quota.
pub(crate) fn stored_bytes(connection: &Connection) -> rusqlite::Result<u64> {
    let total: i64 = connection.query_row(
        &format!("SELECT coalesce(sum({COUNTED_BYTES}), 0) FROM submissions"),
        [],
        |row| row.get(0),
    )?;
    Ok(u64::try_from(total).unwrap_or(0))
}

/// Stores `submission` unless its id is taken; an identical body under the same id is a
/// duplicate and gets the receipt stored with it, whatever the quota. A new submission
/// counting for more than `room` bytes ([`counted_bytes`]) is not stored:
/// [`InsertOutcome::OverQuota`].
pub(crate) fn insert(
    transaction: &Transaction<'_>,
    submission: &NewSubmission,
    room: u64,
) -> rusqlite::Result<InsertOutcome> {
    let stored: Option<(String, Vec<u8>)> = transaction
        .query_row(
            "SELECT body_sha256, receipt FROM submissions WHERE id = ?1",
            params![submission.id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    if let Some((body_sha256, receipt)) = stored {
        return Ok(if body_sha256 == submission.body_sha256 {
            InsertOutcome::Duplicate(receipt)
        } else {
            InsertOutcome::Conflict
        });
    }
    if counted_bytes(&submission.body, &submission.receipt) > room {
        return Ok(InsertOutcome::OverQuota);
    }
    transaction.execute(
        "INSERT INTO submissions
             (id, policy_id, policy_version, body, body_sha256, deletion_hash,
              received_at, expires_at, receipt)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            submission.id,
            submission.policy_id,
            i64::try_from(submission.policy_version).unwrap_or(i64::MAX),
            submission.body,
            submission.body_sha256,
            submission.deletion_hash,
            submission.received_at,
            submission.expires_at,
            submission.receipt,
        ],
    )?;
    Ok(InsertOutcome::Stored(submission.receipt.clone()))
}

/// Deletes submission `id` if `token_hash` (lowercase hex SHA-256 of the presented token)
/// matches the stored deletion hash, compared in constant time; with the outcome, the
/// bytes it counted for (0 unless deleted).
pub(crate) fn delete(
    transaction: &Transaction<'_>,
    id: &str,
    token_hash: &str,
) -> rusqlite::Result<(DeleteOutcome, u64)> {
    let stored: Option<(String, i64)> = transaction
        .query_row(
            &format!("SELECT deletion_hash, {COUNTED_BYTES} FROM submissions WHERE id = ?1"),
            params![id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let Some((stored, bytes)) = stored else {
        return Ok((DeleteOutcome::NotFound, 0));
    };
    if !constant_time_eq(stored.as_bytes(), token_hash.as_bytes()) {
        return Ok((DeleteOutcome::Forbidden, 0));
    }
    transaction.execute("DELETE FROM submissions WHERE id = ?1", params![id])?;
    Ok((DeleteOutcome::Deleted, u64::try_from(bytes).unwrap_or(0)))
}

/// Deletes every submission whose retention ended at or before `now` (Unix seconds);
/// returns how many, and the bytes they counted for.
pub(crate) fn purge_expired(
    transaction: &Transaction<'_>,
    now: i64,
) -> rusqlite::Result<(usize, u64)> {
    let bytes: i64 = transaction.query_row(
        &format!(
            "SELECT coalesce(sum({COUNTED_BYTES}), 0) FROM submissions WHERE expires_at <= ?1"
        ),
        params![now],
        |row| row.get(0),
    )?;
    let count = transaction.execute(
        "DELETE FROM submissions WHERE expires_at <= ?1",
        params![now],
    )?;
    Ok((count, u64::try_from(bytes).unwrap_or(0)))
}

/// Calls `each` with every stored submission in order of arrival (`received_at`, then
/// id: what `open` lists; moving a drop box ignores it); stops at the first error `each`
/// returns.
pub(crate) fn for_each_submission<E: From<rusqlite::Error>>(
    connection: &Connection,
    mut each: impl FnMut(NewSubmission) -> Result<(), E>,
) -> Result<(), E> {
    let mut statement = connection.prepare(
        "SELECT id, policy_id, policy_version, body, body_sha256, deletion_hash,
                received_at, expires_at, receipt
         FROM submissions ORDER BY received_at, id",
    )?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let policy_version: i64 = row.get(2)?;
        each(NewSubmission {
            id: row.get(0)?,
            policy_id: row.get(1)?,
            policy_version: u64::try_from(policy_version).unwrap_or(0),
            body: row.get(3)?,
            body_sha256: row.get(4)?,
            deletion_hash: row.get(5)?,
            received_at: row.get(6)?,
            expires_at: row.get(7)?,
            receipt: row.get(8)?,
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submission(id: &str, body: &[u8], expires_at: i64) -> NewSubmission {
        NewSubmission {
            id: id.to_owned(),
            policy_id: "p".to_owned(),
            policy_version: 1,
            body: body.to_vec(),
            body_sha256: selfreport_core::sync::wire::body_digest(body),
            deletion_hash: selfreport_core::sync::wire::deletion_hash("token"),
            received_at: "2026-11-28T08:00:00Z".to_owned(),
            expires_at,
            receipt: format!("receipt for {}", String::from_utf8_lossy(body)).into_bytes(),
        }
    }

    fn count(connection: &Connection) -> i64 {
        connection
            .query_row("SELECT count(*) FROM submissions", [], |row| row.get(0))
            .unwrap()
    }

    #[test]
    fn inserts_are_idempotent_by_id_and_body() {
        let dir = tempfile::tempdir().unwrap();
        let mut connection = open(&dir.path().join("db")).unwrap();
        let tx = connection.transaction().unwrap();
        let first = submission("a", b"one", 10);
        assert_eq!(
            insert(&tx, &first, u64::MAX).unwrap(),
            InsertOutcome::Stored(first.receipt.clone())
        );
        let mut again = submission("a", b"one", 99);
        again.receipt = b"a newer receipt".to_vec();
        // A resend gets its kept receipt even with no room left.
        assert_eq!(
            insert(&tx, &again, 0).unwrap(),
            InsertOutcome::Duplicate(first.receipt.clone())
        );
        assert_eq!(
            insert(&tx, &submission("a", b"two", 10), u64::MAX).unwrap(),
            InsertOutcome::Conflict
        );
        tx.commit().unwrap();
        assert_eq!(count(&connection), 1);
    }

    #[test]
    fn a_new_submission_larger_than_the_room_left_is_not_stored() {
        let dir = tempfile::tempdir().unwrap();
        let mut connection = open(&dir.path().join("db")).unwrap();
        let tx = connection.transaction().unwrap();
        let row = submission("a", b"one", 10);
        let counted = counted_bytes(&row.body, &row.receipt);
        assert_eq!(
            insert(&tx, &row, counted - 1).unwrap(),
            InsertOutcome::OverQuota
        );
        assert_eq!(
            insert(&tx, &row, counted).unwrap(),
            InsertOutcome::Stored(row.receipt.clone())
        );
        tx.commit().unwrap();
        assert_eq!(count(&connection), 1);
        assert_eq!(stored_bytes(&connection).unwrap(), counted);
    }

    #[test]
    fn deletion_needs_the_matching_token_hash() {
        let dir = tempfile::tempdir().unwrap();
        let mut connection = open(&dir.path().join("db")).unwrap();
        let tx = connection.transaction().unwrap();
        insert(&tx, &submission("a", b"one", 10), u64::MAX).unwrap();
        let right = selfreport_core::sync::wire::deletion_hash("token");
        let wrong = selfreport_core::sync::wire::deletion_hash("other");
        let counted = {
            let row = submission("a", b"one", 10);
            counted_bytes(&row.body, &row.receipt)
        };
        assert_eq!(
            delete(&tx, "b", &right).unwrap(),
            (DeleteOutcome::NotFound, 0)
        );
        assert_eq!(
            delete(&tx, "a", &wrong).unwrap(),
            (DeleteOutcome::Forbidden, 0)
        );
        assert_eq!(delete(&tx, "a", "").unwrap(), (DeleteOutcome::Forbidden, 0));
        assert_eq!(
            delete(&tx, "a", &right).unwrap(),
            (DeleteOutcome::Deleted, counted)
        );
        assert_eq!(
            delete(&tx, "a", &right).unwrap(),
            (DeleteOutcome::NotFound, 0)
        );
        tx.commit().unwrap();
        assert_eq!(count(&connection), 0);
    }

    #[test]
    fn purge_deletes_exactly_the_expired_rows() {
        let dir = tempfile::tempdir().unwrap();
        let mut connection = open(&dir.path().join("db")).unwrap();
        let tx = connection.transaction().unwrap();
        let mut total = 0;
        for (id, expires_at) in [("a", 100), ("b", 200), ("c", 201)] {
            let row = submission(id, id.as_bytes(), expires_at);
            total += counted_bytes(&row.body, &row.receipt);
            insert(&tx, &row, u64::MAX).unwrap();
        }
        let c = submission("c", b"c", 201);
        let c_bytes = counted_bytes(&c.body, &c.receipt);
        assert_eq!(purge_expired(&tx, 99).unwrap(), (0, 0));
        assert_eq!(purge_expired(&tx, 200).unwrap(), (2, total - c_bytes));
        tx.commit().unwrap();
        assert_eq!(count(&connection), 1);
        assert_eq!(stored_bytes(&connection).unwrap(), c_bytes);
    }

    #[test]
    fn reopening_keeps_rows_and_a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let mut connection = open(&path).unwrap();
        let tx = connection.transaction().unwrap();
        insert(&tx, &submission("a", b"one", 10), u64::MAX).unwrap();
        tx.commit().unwrap();
        drop(connection);
        let connection = open(&path).unwrap();
        assert_eq!(count(&connection), 1);
        connection
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(connection);
        assert!(open(&path).is_err());
    }

    #[test]
    fn a_version_1_database_gains_the_later_tables_and_keeps_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        {
            let connection = Connection::open(&path).unwrap();
            connection.execute_batch(SCHEMA).unwrap();
            connection.pragma_update(None, "user_version", 1).unwrap();
            connection
                .execute(
                    "INSERT INTO submissions VALUES ('a', 'p', 1, x'00', 'h', 'd', 't', 5, x'01')",
                    [],
                )
                .unwrap();
        }
        let connection = open(&path).unwrap();
        assert_eq!(count(&connection), 1);
        let version: i64 = connection
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap();
        assert_eq!(version, 5);
        let notices: i64 = connection
            .query_row("SELECT count(*) FROM notices", [], |row| row.get(0))
            .unwrap();
        assert_eq!(notices, 0);
        for table in ["token_issuance", "spent_tokens", "enrollment_codes"] {
            let rows: i64 = connection
                .query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                    row.get(0)
                })
                .unwrap();
            assert_eq!(rows, 0, "{table}");
        }
    }
}
