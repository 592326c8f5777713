//! Typed enrollment codes in the drop box's SQLite file (schema version 4): the
//! `enrollment_codes` table, written in the writer thread's transactions. Each change that
//! deletes a row asks the writer to fold the write-ahead log back, so a redeemed order
//! does not linger there.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::enrollment_codes::{CodeRegistered, NewEnrollmentCode};

/// The table.
pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS enrollment_codes (
    code_hash    TEXT PRIMARY KEY NOT NULL,
    order_sha256 TEXT NOT NULL UNIQUE,
    signed_order BLOB NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS enrollment_codes_expires_at ON enrollment_codes (expires_at);
";

/// Registers `code` (see [`super::Storage::register_enrollment_code`]); with whether a
/// row was deleted.
pub(crate) fn register(
    transaction: &Transaction<'_>,
    code: &NewEnrollmentCode,
) -> rusqlite::Result<(CodeRegistered, bool)> {
    let registered: Option<String> = transaction
        .query_row(
            "SELECT order_sha256 FROM enrollment_codes WHERE code_hash = ?1",
            params![code.code_hash],
            |row| row.get(0),
        )
        .optional()?;
    match registered {
        Some(order) if order == code.order_sha256 => return Ok((CodeRegistered::Again, false)),
        Some(_) => return Ok((CodeRegistered::Conflict, false)),
        None => {}
    }
    let replaced = transaction.execute(
        "DELETE FROM enrollment_codes WHERE order_sha256 = ?1",
        params![code.order_sha256],
    )?;
    transaction.execute(
        "INSERT INTO enrollment_codes (code_hash, order_sha256, signed_order, expires_at)
         VALUES (?1, ?2, ?3, ?4)",
        params![
            code.code_hash,
            code.order_sha256,
            code.signed_order,
            code.expires_at
        ],
    )?;
    Ok((CodeRegistered::New, replaced > 0))
}

/// Deletes the row of `code_hash` and returns its order if it had not expired at `now`;
/// with whether a row was deleted.
pub(crate) fn redeem(
    transaction: &Transaction<'_>,
    code_hash: &str,
    now: i64,
) -> rusqlite::Result<(Option<Vec<u8>>, bool)> {
    let row: Option<(Vec<u8>, i64)> = transaction
        .query_row(
            "DELETE FROM enrollment_codes WHERE code_hash = ?1
             RETURNING signed_order, expires_at",
            params![code_hash],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let deleted = row.is_some();
    Ok((
        row.filter(|(_, expires_at)| now < *expires_at)
            .map(|(order, _)| order),
        deleted,
    ))
}

/// Deletes every code expired at `now`; how many.
pub(crate) fn purge_expired(transaction: &Transaction<'_>, now: i64) -> rusqlite::Result<u64> {
    let count = transaction.execute(
        "DELETE FROM enrollment_codes WHERE expires_at <= ?1",
        params![now],
    )?;
    Ok(u64::try_from(count).unwrap_or(u64::MAX))
}

/// Every code registered in the file behind `connection` (opened read-only, to move it;
/// expired ones too, which the retention job deletes where they arrive); none in a file
/// from before typed codes.
pub(crate) fn read_for_move(connection: &Connection) -> rusqlite::Result<Vec<NewEnrollmentCode>> {
    let exists: Option<String> = connection
        .query_row(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'enrollment_codes'",
            [],
            |row| row.get(0),
        )
        .optional()?;
    if exists.is_none() {
        return Ok(Vec::new());
    }
    let mut statement = connection.prepare(
        "SELECT code_hash, order_sha256, signed_order, expires_at FROM enrollment_codes",
    )?;
    statement
        .query_map([], |row| {
            Ok(NewEnrollmentCode {
                code_hash: row.get(0)?,
                order_sha256: row.get(1)?,
                signed_order: row.get(2)?,
                expires_at: row.get(3)?,
            })
        })?
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::sqlite::open;
    use super::*;

    fn code(hash: &str, order: &str, expires_at: i64) -> NewEnrollmentCode {
        NewEnrollmentCode {
            code_hash: hash.to_owned(),
            order_sha256: format!("sha-{order}"),
            signed_order: order.as_bytes().to_vec(),
            expires_at,
        }
    }

    #[test]
    fn a_code_is_registered_once_per_order_and_redeemed_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut connection = open(&dir.path().join("db")).unwrap();
        let tx = connection.transaction().unwrap();
        let registered = |c: &NewEnrollmentCode| register(&tx, c).unwrap().0;
        assert_eq!(registered(&code("a", "one", 100)), CodeRegistered::New);
        assert_eq!(registered(&code("a", "one", 100)), CodeRegistered::Again);
        assert_eq!(registered(&code("a", "two", 100)), CodeRegistered::Conflict);
        // A new code for the same order replaces the old one.
        assert_eq!(
            register(&tx, &code("b", "one", 100)).unwrap(),
            (CodeRegistered::New, true)
        );
        assert_eq!(redeem(&tx, "a", 50).unwrap(), (None, false));
        assert_eq!(redeem(&tx, "b", 50).unwrap(), (Some(b"one".to_vec()), true));
        assert_eq!(redeem(&tx, "b", 50).unwrap(), (None, false));
        // Expired: not given out, and gone.
        assert_eq!(registered(&code("c", "three", 100)), CodeRegistered::New);
        assert_eq!(redeem(&tx, "c", 100).unwrap(), (None, true));
        assert_eq!(registered(&code("d", "four", 100)), CodeRegistered::New);
        assert_eq!(registered(&code("e", "five", 200)), CodeRegistered::New);
        assert_eq!(purge_expired(&tx, 100).unwrap(), 1);
        assert_eq!(redeem(&tx, "d", 0).unwrap(), (None, false));
        assert_eq!(redeem(&tx, "e", 0).unwrap(), (Some(b"five".to_vec()), true));
        tx.commit().unwrap();
    }
}
