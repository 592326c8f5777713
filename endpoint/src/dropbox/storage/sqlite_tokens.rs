//! The SQLite tables of upload tokens ([`super::tokens`]). Both are `WITHOUT ROWID`: a
//! rowid would number rows in the order they came, a finer clock than the day.
//!
//! `token_issuance.last_day` (schema version 5) is the last day of the order's period;
//! a database of versions 3 and 4 gains it empty (`NULL`) for the rows it holds, which
//! the retention job then forgets once the served policy's `valid_until` has passed (see
//! [`super::Storage::purge_ended_issuance`]).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::sqlite as store;
use super::tokens::{Issuance, IssueOutcome, Spend};
use super::{InsertOutcome, NewSubmission};

/// The tables, created if missing.
pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS token_issuance (
    enrollment_sha256 TEXT NOT NULL,
    blinded_sha256    TEXT NOT NULL,
    day               TEXT NOT NULL,
    last_day          TEXT,
    PRIMARY KEY (enrollment_sha256, blinded_sha256)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS spent_tokens (
    token_sha256 TEXT PRIMARY KEY NOT NULL,
    body_sha256  TEXT NOT NULL,
    day          TEXT NOT NULL,
    expires_at   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS spent_tokens_expires_at ON spent_tokens (expires_at);
";

/// Brings the tables of a database from before schema version 5 up to it: adds
/// `token_issuance.last_day` (empty for the rows there) where it is missing, and its
/// index. Run after [`SCHEMA`].
pub(crate) fn upgrade(connection: &Connection) -> rusqlite::Result<()> {
    if !has_last_day(connection)? {
        connection.execute_batch("ALTER TABLE token_issuance ADD COLUMN last_day TEXT;")?;
    }
    connection.execute_batch(
        "CREATE INDEX IF NOT EXISTS token_issuance_last_day ON token_issuance (last_day);",
    )
}

/// Whether `token_issuance` (which must exist) has its `last_day` column: whether a
/// statement reading it compiles (the schema pragmas, `PRAGMA table_info` among them,
/// are left out of this build of SQLite: .cargo/config.toml).
fn has_last_day(connection: &Connection) -> rusqlite::Result<bool> {
    match connection.prepare("SELECT last_day FROM token_issuance LIMIT 0") {
        Ok(_) => Ok(true),
        // `SqlInputError` or `SqliteFailure`, depending on how SQLite reports it.
        Err(error) if error.to_string().contains("no such column: last_day") => Ok(false),
        Err(error) => Err(error),
    }
}

/// Records `issuance` unless its new messages take the enrollment past its allowance.
pub(crate) fn record_issuance(
    transaction: &Transaction<'_>,
    issuance: &Issuance,
) -> rusqlite::Result<IssueOutcome> {
    let signed: i64 = transaction.query_row(
        "SELECT count(*) FROM token_issuance WHERE enrollment_sha256 = ?1",
        params![issuance.enrollment_sha256],
        |row| row.get(0),
    )?;
    let mut new = BTreeSet::new();
    for blinded in &issuance.blinded_sha256 {
        let known = transaction
            .query_row(
                "SELECT 1 FROM token_issuance WHERE enrollment_sha256 = ?1 AND blinded_sha256 = ?2",
                params![issuance.enrollment_sha256, blinded],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if !known {
            new.insert(blinded.as_str());
        }
    }
    let signed = u64::try_from(signed).unwrap_or(u64::MAX);
    if signed.saturating_add(new.len() as u64) > issuance.allowance {
        return Ok(IssueOutcome::Exhausted);
    }
    for blinded in new {
        transaction.execute(
            "INSERT INTO token_issuance (enrollment_sha256, blinded_sha256, day, last_day)
             VALUES (?1, ?2, ?3, ?4)",
            params![
                issuance.enrollment_sha256,
                blinded,
                issuance.day,
                issuance.last_day
            ],
        )?;
    }
    Ok(IssueOutcome::Recorded)
}

/// Stores `submission` as [`store::insert`] does, paid for by `spend` (see
/// [`super::Storage::insert_paid`]).
pub(crate) fn insert_paid(
    transaction: &Transaction<'_>,
    submission: &NewSubmission,
    spend: Option<&Spend>,
    room: u64,
) -> rusqlite::Result<InsertOutcome> {
    if let Some(spend) = spend {
        // Both statements run for every tokened upload: compiled once per connection
        // (rusqlite's statement cache), not parsed again each time.
        let paid_for: Option<String> = transaction
            .prepare_cached("SELECT body_sha256 FROM spent_tokens WHERE token_sha256 = ?1")?
            .query_row(params![spend.token_sha256], |row| row.get(0))
            .optional()?;
        if paid_for.is_some_and(|body| body != submission.body_sha256) {
            return Ok(InsertOutcome::TokenSpent);
        }
    }
    let outcome = store::insert(transaction, submission, room)?;
    if let (Some(spend), InsertOutcome::Stored(_)) = (spend, &outcome) {
        transaction
            .prepare_cached(
                "INSERT OR IGNORE INTO spent_tokens (token_sha256, body_sha256, day, expires_at)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                spend.token_sha256,
                submission.body_sha256,
                spend.day,
                submission.expires_at
            ])?;
    }
    Ok(outcome)
}

/// Forgets the spent tokens of submissions past retention at `now`, as the submissions
/// themselves are.
pub(crate) fn purge_spent(transaction: &Transaction<'_>, now: i64) -> rusqlite::Result<usize> {
    transaction.execute(
        "DELETE FROM spent_tokens WHERE expires_at <= ?1",
        params![now],
    )
}

/// Forgets the issuance rows of enrollments whose period ended before `before`, and
/// those without a last day when `unknown_ended` (see
/// [`super::Storage::purge_ended_issuance`]); returns how many.
pub(crate) fn purge_ended_issuance(
    transaction: &Transaction<'_>,
    before: NaiveDate,
    unknown_ended: bool,
) -> rusqlite::Result<usize> {
    // `YYYY-MM-DD` text sorts as the days do.
    let mut count = transaction.execute(
        "DELETE FROM token_issuance WHERE last_day < ?1",
        params![before.to_string()],
    )?;
    if unknown_ended {
        count += transaction.execute("DELETE FROM token_issuance WHERE last_day IS NULL", [])?;
    }
    Ok(count)
}

/// An issuance row as moved: `(enrollment_sha256, blinded_sha256, day, last_day)`, the
/// last day `None` for a row kept before the drop box stored it.
pub(crate) type IssuanceRow = (String, String, String, Option<String>);

/// Every token row of a database, for moving it: issuance rows ([`IssuanceRow`]) and
/// spent tokens `(token_sha256, body_sha256, day, expires_at)`.
#[derive(Debug, Default)]
pub(crate) struct TokenRows {
    pub(crate) issuance: Vec<IssuanceRow>,
    pub(crate) spent: Vec<(String, String, String, i64)>,
}

/// Reads every token row (none from a database made before the tables existed).
pub(crate) fn read_for_move(connection: &rusqlite::Connection) -> rusqlite::Result<TokenRows> {
    let mut rows = TokenRows::default();
    let has_tables: i64 = connection.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table'
         AND name IN ('token_issuance', 'spent_tokens')",
        [],
        |row| row.get(0),
    )?;
    if has_tables < 2 {
        return Ok(rows);
    }
    // A database of schema version 3 or 4 (read only, not upgraded) has no last day.
    let last_day = if has_last_day(connection)? {
        "last_day"
    } else {
        "NULL"
    };
    let mut statement = connection.prepare(&format!(
        "SELECT enrollment_sha256, blinded_sha256, day, {last_day} FROM token_issuance"
    ))?;
    rows.issuance = statement
        .query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut statement = connection
        .prepare("SELECT token_sha256, body_sha256, day, expires_at FROM spent_tokens")?;
    rows.spent = statement
        .query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, body: &[u8], expires_at: i64) -> NewSubmission {
        NewSubmission {
            id: id.to_owned(),
            policy_id: "sh".to_owned(),
            policy_version: 1,
            body: body.to_vec(),
            body_sha256: selfreport_core::sync::wire::body_digest(body),
            deletion_hash: "0".repeat(64),
            received_at: "2026-12-07T08:00:00Z".to_owned(),
            expires_at,
            receipt: b"receipt".to_vec(),
        }
    }

    fn spend(token: &str) -> Spend {
        Spend {
            token_sha256: token.repeat(64),
            day: "2026-12-07".to_owned(),
        }
    }

    fn count(transaction: &Transaction<'_>, table: &str) -> i64 {
        transaction
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                row.get(0)
            })
            .unwrap()
    }

    #[test]
    fn a_token_pays_once_and_goes_with_its_submission_at_retention() {
        let dir = tempfile::tempdir().unwrap();
        let mut connection = store::open(&dir.path().join("db")).unwrap();
        let transaction = connection.transaction().unwrap();
        let [a, b] = ["a", "b"].map(|x| x.repeat(32));
        let paid = |submission: &NewSubmission, token: &str| {
            insert_paid(&transaction, submission, Some(&spend(token)), u64::MAX).unwrap()
        };
        assert!(matches!(
            paid(&row(&a, b"one", 100), "1"),
            InsertOutcome::Stored(_)
        ));
        // The same token, the same body: the kept receipt; another body: spent.
        assert!(matches!(
            paid(&row(&a, b"one", 100), "1"),
            InsertOutcome::Duplicate(_)
        ));
        assert_eq!(paid(&row(&b, b"two", 200), "1"), InsertOutcome::TokenSpent);
        assert_eq!(count(&transaction, "submissions"), 1);
        // Over the quota: nothing stored, nothing spent.
        let refused = insert_paid(&transaction, &row(&b, b"two", 200), Some(&spend("2")), 0);
        assert_eq!(refused.unwrap(), InsertOutcome::OverQuota);
        assert_eq!(count(&transaction, "spent_tokens"), 1);
        assert!(matches!(
            paid(&row(&b, b"two", 200), "2"),
            InsertOutcome::Stored(_)
        ));
        // Retention takes the first submission and its spent token, not the second's.
        store::purge_expired(&transaction, 150).unwrap();
        assert_eq!(purge_spent(&transaction, 150).unwrap(), 1);
        assert_eq!(count(&transaction, "spent_tokens"), 1);
        assert_eq!(count(&transaction, "submissions"), 1);
    }

    #[test]
    fn an_issuance_counts_new_messages_once_and_never_past_the_allowance() {
        let dir = tempfile::tempdir().unwrap();
        let mut connection = store::open(&dir.path().join("db")).unwrap();
        let transaction = connection.transaction().unwrap();
        let issuance = |blinded: &[&str], allowance: u64| Issuance {
            enrollment_sha256: "e".repeat(64),
            blinded_sha256: blinded.iter().map(|b| b.repeat(64)).collect(),
            day: "2026-12-07".to_owned(),
            last_day: "2026-12-20".to_owned(),
            allowance,
        };
        let record = |blinded: &[&str], allowance| {
            record_issuance(&transaction, &issuance(blinded, allowance)).unwrap()
        };
        assert_eq!(record(&["1", "2", "2"], 3), IssueOutcome::Recorded);
        assert_eq!(record(&["1", "2"], 3), IssueOutcome::Recorded);
        assert_eq!(record(&["3", "4"], 3), IssueOutcome::Exhausted);
        assert_eq!(count(&transaction, "token_issuance"), 2);
        assert_eq!(record(&["3", "1"], 3), IssueOutcome::Recorded);
        assert_eq!(count(&transaction, "token_issuance"), 3);
    }

    #[test]
    fn a_version_4_database_gains_empty_last_days_and_rows_go_after_their_period() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        {
            // The token tables as schema versions 3 and 4 made them, with one row.
            let old = Connection::open(&path).unwrap();
            old.execute_batch(
                "CREATE TABLE token_issuance (
                     enrollment_sha256 TEXT NOT NULL, blinded_sha256 TEXT NOT NULL,
                     day TEXT NOT NULL, PRIMARY KEY (enrollment_sha256, blinded_sha256)
                 ) WITHOUT ROWID;
                 CREATE TABLE spent_tokens (
                     token_sha256 TEXT PRIMARY KEY NOT NULL, body_sha256 TEXT NOT NULL,
                     day TEXT NOT NULL, expires_at INTEGER NOT NULL
                 ) WITHOUT ROWID;
                 INSERT INTO token_issuance VALUES ('old', 'o', '2026-12-01');
                 PRAGMA user_version = 4;",
            )
            .unwrap();
            // Moved as it is (read only): the row has no last day.
            let rows = read_for_move(&old).unwrap();
            assert_eq!(rows.issuance[0].3, None);
        }
        let mut connection = store::open(&path).unwrap();
        let transaction = connection.transaction().unwrap();
        let issuance = Issuance {
            enrollment_sha256: "new".to_owned(),
            blinded_sha256: vec!["n".to_owned()],
            day: "2026-12-07".to_owned(),
            last_day: "2026-12-20".to_owned(),
            allowance: 5,
        };
        assert_eq!(
            record_issuance(&transaction, &issuance).unwrap(),
            IssueOutcome::Recorded
        );
        let last_days = |transaction: &Transaction<'_>| -> Vec<(String, Option<String>)> {
            transaction
                .prepare("SELECT enrollment_sha256, last_day FROM token_issuance ORDER BY 1")
                .unwrap()
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        };
        assert_eq!(
            last_days(&transaction),
            [
                ("new".to_owned(), Some("2026-12-20".to_owned())),
                ("old".to_owned(), None)
            ]
        );
        let day = |text: &str| text.parse::<NaiveDate>().unwrap();
        // Ended on its last day: kept; ended before the cut: gone; the old row only
        // when its stand-in last day has passed.
        assert_eq!(
            purge_ended_issuance(&transaction, day("2026-12-20"), false).unwrap(),
            0
        );
        assert_eq!(
            purge_ended_issuance(&transaction, day("2026-12-21"), false).unwrap(),
            1
        );
        assert_eq!(last_days(&transaction), [("old".to_owned(), None)]);
        assert_eq!(
            purge_ended_issuance(&transaction, day("2026-12-21"), true).unwrap(),
            1
        );
        assert_eq!(count(&transaction, "token_issuance"), 0);
    }
}
