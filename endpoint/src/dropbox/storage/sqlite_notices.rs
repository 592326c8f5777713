//! The access-notice mailbox in the drop box's SQLite file: the `notices` table (schema
//! version 2), written and read in the writer thread's transactions, so sequence numbers
//! become visible in the order they were given.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::notices::{NewNotice, NoticePage, NoticeStored};

/// The table; `AUTOINCREMENT` so a number is never given again after its row is deleted.
pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS notices (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    slot        BLOB NOT NULL,
    slot_sha256 TEXT NOT NULL UNIQUE,
    posted_day  TEXT NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS notices_expires_at ON notices (expires_at);
";

/// Stores `notice` unless the same slot is stored; either way its sequence number.
pub(crate) fn insert(
    transaction: &Transaction<'_>,
    notice: &NewNotice,
) -> rusqlite::Result<NoticeStored> {
    let stored: Option<i64> = transaction
        .query_row(
            "SELECT seq FROM notices WHERE slot_sha256 = ?1",
            params![notice.slot_sha256],
            |row| row.get(0),
        )
        .optional()?;
    if let Some(seq) = stored {
        return Ok(NoticeStored::Again(seq));
    }
    transaction.execute(
        "INSERT INTO notices (slot, slot_sha256, posted_day, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![
            notice.slot,
            notice.slot_sha256,
            notice.posted_day,
            notice.expires_at
        ],
    )?;
    Ok(NoticeStored::New(transaction.last_insert_rowid()))
}

/// Up to `limit` slots with a sequence number above `after`, oldest first.
pub(crate) fn after(
    transaction: &Transaction<'_>,
    after: i64,
    limit: usize,
) -> rusqlite::Result<NoticePage> {
    let mut statement = transaction
        .prepare_cached("SELECT seq, slot FROM notices WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
    let rows = statement
        .query_map(
            params![after, i64::try_from(limit).unwrap_or(i64::MAX - 1) + 1],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?
        .collect::<rusqlite::Result<Vec<(i64, Vec<u8>)>>>()?;
    Ok(NoticePage::of(rows, limit))
}

/// Deletes every notice whose retention ended at or before `now`; returns how many.
pub(crate) fn purge_expired(transaction: &Transaction<'_>, now: i64) -> rusqlite::Result<usize> {
    transaction.execute("DELETE FROM notices WHERE expires_at <= ?1", params![now])
}

/// The mailbox of the file behind `connection` (opened read-only, to move it): every
/// notice with its number, oldest first, and the highest number ever given (deleted ones
/// included), so the numbers given after the move stay above it. Nothing in a file from
/// before the mailbox.
pub(crate) fn read_for_move(
    connection: &Connection,
) -> rusqlite::Result<(Vec<(i64, NewNotice)>, i64)> {
    let table = |name: &str| -> rusqlite::Result<bool> {
        connection
            .query_row(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                params![name],
                |_| Ok(()),
            )
            .optional()
            .map(|found| found.is_some())
    };
    if !table("notices")? {
        return Ok((Vec::new(), 0));
    }
    let high_water: i64 = if table("sqlite_sequence")? {
        connection
            .query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = 'notices'",
                [],
                |row| row.get(0),
            )
            .optional()?
            .unwrap_or(0)
    } else {
        0
    };
    let mut statement = connection.prepare(
        "SELECT seq, slot, slot_sha256, posted_day, expires_at FROM notices ORDER BY seq",
    )?;
    let rows = statement
        .query_map([], |row| {
            Ok((
                row.get(0)?,
                NewNotice {
                    slot: row.get(1)?,
                    slot_sha256: row.get(2)?,
                    posted_day: row.get(3)?,
                    expires_at: row.get(4)?,
                },
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let highest_row = rows.last().map_or(0, |(seq, _)| *seq);
    Ok((rows, high_water.max(highest_row)))
}

#[cfg(test)]
mod tests {
    use super::super::sqlite::open;
    use super::*;

    fn notice(byte: u8, expires_at: i64) -> NewNotice {
        NewNotice {
            slot: vec![byte; 512],
            slot_sha256: selfreport_core::sync::wire::body_digest(&[byte; 512]),
            posted_day: "2026-12-07".to_owned(),
            expires_at,
        }
    }

    #[test]
    fn numbers_grow_are_kept_for_a_resend_and_never_reused() {
        let dir = tempfile::tempdir().unwrap();
        let mut connection = open(&dir.path().join("db")).unwrap();
        let tx = connection.transaction().unwrap();
        assert_eq!(insert(&tx, &notice(1, 10)).unwrap(), NoticeStored::New(1));
        assert_eq!(insert(&tx, &notice(2, 20)).unwrap(), NoticeStored::New(2));
        assert_eq!(insert(&tx, &notice(1, 99)).unwrap(), NoticeStored::Again(1));
        assert_eq!(purge_expired(&tx, 20).unwrap(), 2);
        // The highest number was deleted; the next one is still higher.
        assert_eq!(insert(&tx, &notice(3, 30)).unwrap(), NoticeStored::New(3));
        tx.commit().unwrap();
    }

    #[test]
    fn pages_are_in_order_and_say_whether_more_follow() {
        let dir = tempfile::tempdir().unwrap();
        let mut connection = open(&dir.path().join("db")).unwrap();
        let tx = connection.transaction().unwrap();
        for byte in 1..=5 {
            insert(&tx, &notice(byte, 10)).unwrap();
        }
        let page = after(&tx, 1, 3).unwrap();
        let seqs: Vec<i64> = page.slots.iter().map(|(seq, _)| *seq).collect();
        assert_eq!(seqs, [2, 3, 4]);
        assert_eq!(page.slots[0].1, vec![2u8; 512]);
        assert!(page.more);
        let last = after(&tx, 4, 3).unwrap();
        assert_eq!(last.slots.len(), 1);
        assert!(!last.more);
        assert_eq!(after(&tx, 5, 3).unwrap(), NoticePage::default());
        tx.commit().unwrap();
    }
}
