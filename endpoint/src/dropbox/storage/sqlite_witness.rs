//! The audit log's witness in the drop box's SQLite file (schema version 2): the
//! `audit_checkpoints` table, append-only by trigger, written in the writer thread's
//! transactions.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::witness::{CheckpointKept, NewCheckpoint};

/// The table and the triggers that keep it append-only.
pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS audit_checkpoints (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    count             INTEGER NOT NULL,
    checkpoint        BLOB NOT NULL,
    checkpoint_sha256 TEXT NOT NULL UNIQUE,
    received_at       TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
    BEGIN SELECT RAISE(ABORT, 'the audit checkpoints are append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
    BEGIN SELECT RAISE(ABORT, 'the audit checkpoints are append-only'); END;
";

/// Keeps `checkpoint` if it is new and counts more entries than the last one kept.
pub(crate) fn insert(
    transaction: &Transaction<'_>,
    checkpoint: &NewCheckpoint,
) -> rusqlite::Result<CheckpointKept> {
    let known: Option<i64> = transaction
        .query_row(
            "SELECT seq FROM audit_checkpoints WHERE checkpoint_sha256 = ?1",
            params![checkpoint.checkpoint_sha256],
            |row| row.get(0),
        )
        .optional()?;
    if known.is_some() {
        return Ok(CheckpointKept::Again);
    }
    let last: Option<i64> = transaction
        .query_row(
            "SELECT count FROM audit_checkpoints ORDER BY seq DESC LIMIT 1",
            [],
            |row| row.get(0),
        )
        .optional()?;
    if last.is_some_and(|last| checkpoint.count <= last) {
        return Ok(CheckpointKept::NotAfterLast);
    }
    transaction.execute(
        "INSERT INTO audit_checkpoints (count, checkpoint, checkpoint_sha256, received_at)
         VALUES (?1, ?2, ?3, ?4)",
        params![
            checkpoint.count,
            checkpoint.checkpoint,
            checkpoint.checkpoint_sha256,
            checkpoint.received_at
        ],
    )?;
    Ok(CheckpointKept::New)
}

/// Every checkpoint kept, in the order accepted.
pub(crate) fn all(transaction: &Transaction<'_>) -> rusqlite::Result<Vec<Vec<u8>>> {
    let mut statement =
        transaction.prepare_cached("SELECT checkpoint FROM audit_checkpoints ORDER BY seq")?;
    statement
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<Vec<Vec<u8>>>>()
}

/// Every checkpoint kept in the file behind `connection` (opened read-only, to move it),
/// in the order accepted; none in a file from before the witness.
pub(crate) fn read_for_move(connection: &Connection) -> rusqlite::Result<Vec<NewCheckpoint>> {
    let exists: Option<String> = connection
        .query_row(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'audit_checkpoints'",
            [],
            |row| row.get(0),
        )
        .optional()?;
    if exists.is_none() {
        return Ok(Vec::new());
    }
    let mut statement = connection.prepare(
        "SELECT count, checkpoint, checkpoint_sha256, received_at FROM audit_checkpoints
         ORDER BY seq",
    )?;
    statement
        .query_map([], |row| {
            Ok(NewCheckpoint {
                count: row.get(0)?,
                checkpoint: row.get(1)?,
                checkpoint_sha256: row.get(2)?,
                received_at: row.get(3)?,
            })
        })?
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::sqlite::open;
    use super::*;

    fn checkpoint(count: i64, text: &str) -> NewCheckpoint {
        NewCheckpoint {
            count,
            checkpoint: text.as_bytes().to_vec(),
            checkpoint_sha256: selfreport_core::sync::wire::body_digest(text.as_bytes()),
            received_at: "2026-12-07T10:00:00Z".to_owned(),
        }
    }

    #[test]
    fn counts_only_grow_a_resend_is_found_and_rows_cannot_change() {
        let dir = tempfile::tempdir().unwrap();
        let mut connection = open(&dir.path().join("db")).unwrap();
        let tx = connection.transaction().unwrap();
        assert_eq!(
            insert(&tx, &checkpoint(3, "a")).unwrap(),
            CheckpointKept::New
        );
        assert_eq!(
            insert(&tx, &checkpoint(5, "b")).unwrap(),
            CheckpointKept::New
        );
        assert_eq!(
            insert(&tx, &checkpoint(3, "a")).unwrap(),
            CheckpointKept::Again
        );
        assert_eq!(
            insert(&tx, &checkpoint(5, "c")).unwrap(),
            CheckpointKept::NotAfterLast
        );
        assert_eq!(
            insert(&tx, &checkpoint(4, "d")).unwrap(),
            CheckpointKept::NotAfterLast
        );
        assert_eq!(all(&tx).unwrap(), [b"a".to_vec(), b"b".to_vec()]);
        assert!(tx.execute("DELETE FROM audit_checkpoints", []).is_err());
        assert!(
            tx.execute("UPDATE audit_checkpoints SET count = 9", [])
                .is_err()
        );
        tx.commit().unwrap();
    }
}
