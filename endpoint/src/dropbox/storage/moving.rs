//! Moving a SQLite drop box into PostgreSQL (`selfreport-endpoint migrate`): every row
//! as it is, kept receipts included, so a device resending to the new drop box gets the
//! receipt it got from the old one; the access-notice mailbox with each notice's number
//! (later numbers above every number the old drop box gave, so a device keeping its place
//! misses none); the audit checkpoints it witnessed, in order; its upload token rows
//! ([`super::moving_tokens`]); and the typed enrollment codes registered and not yet
//! redeemed.

use std::path::Path;
use std::thread;

use rusqlite::{Connection, OpenFlags};
use tokio::sync::mpsc;

use super::super::error::DropBoxError;
use super::enrollment_codes::CodeRegistered;
use super::postgres::PostgresStore;
use super::witness::CheckpointKept;
use super::{
    InsertOutcome, NewSubmission, PostgresConfig, sqlite, sqlite_enrollment_codes, sqlite_notices,
    sqlite_witness,
};

/// Rows stored per transaction while moving.
const ROWS_PER_TRANSACTION: usize = 256;

/// What a move did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MoveReport {
    /// Rows stored in PostgreSQL now.
    pub moved: u64,
    /// Rows PostgreSQL already held, identical (a move run again).
    pub already_there: u64,
    /// Access notices stored in PostgreSQL now, with their numbers.
    pub notices_moved: u64,
    /// Access notices PostgreSQL already held.
    pub notices_already_there: u64,
    /// Audit checkpoints the SQLite drop box witnessed, kept by PostgreSQL now.
    pub checkpoints_moved: u64,
    /// Audit checkpoints PostgreSQL already kept.
    pub checkpoints_already_there: u64,
    /// Upload token rows (issuance and spent tokens) stored in PostgreSQL now.
    pub token_rows_moved: u64,
    /// Typed enrollment codes not yet redeemed, registered in PostgreSQL now.
    pub codes_moved: u64,
    /// Typed enrollment codes PostgreSQL already held.
    pub codes_already_there: u64,
}

/// Copies every submission of the SQLite drop box at `from` into the PostgreSQL
/// database `to` (its schema created or migrated first). Idempotent: running it again
/// stores nothing twice. The SQLite file is opened read-only and left as it was.
///
/// Refuses (and stops at) a row whose id PostgreSQL holds with another body.
pub async fn move_sqlite_to_postgres(
    from: &Path,
    to: &PostgresConfig,
) -> Result<MoveReport, DropBoxError> {
    let source_error = |detail: String| DropBoxError::Database {
        database: from.display().to_string(),
        detail,
    };
    // Refuse a missing file now rather than create an empty database.
    let connection = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|error| source_error(error.to_string()))?;
    let store = PostgresStore::connect(to).await?;

    // SQLite is read on a thread of its own, a transaction's worth at a time.
    let (chunks, mut received) = mpsc::channel::<Vec<NewSubmission>>(2);
    let reader = thread::Builder::new()
        .name("dropbox-move".to_owned())
        .spawn(move || -> Result<(), String> {
            let mut chunk = Vec::with_capacity(ROWS_PER_TRANSACTION);
            let read = sqlite::for_each_submission(&connection, |row| -> Result<(), ReadError> {
                chunk.push(row);
                if chunk.len() == ROWS_PER_TRANSACTION {
                    let full =
                        std::mem::replace(&mut chunk, Vec::with_capacity(ROWS_PER_TRANSACTION));
                    chunks.blocking_send(full).map_err(|_| ReadError::Stopped)?;
                }
                Ok(())
            });
            match read {
                Ok(()) if chunk.is_empty() => Ok(()),
                Ok(()) => chunks
                    .blocking_send(chunk)
                    .map_err(|_| "stopped".to_owned()),
                Err(ReadError::Sqlite(error)) => Err(error.to_string()),
                Err(ReadError::Stopped) => Err("stopped".to_owned()),
            }
        })
        .map_err(|error| source_error(format!("cannot start the reading thread: {error}")))?;

    let mut report = MoveReport::default();
    let mut failure = None;
    while let Some(chunk) = received.recv().await {
        for outcome in store.insert_all(chunk).await {
            match outcome {
                Ok(InsertOutcome::Stored(_)) => report.moved += 1,
                Ok(InsertOutcome::Duplicate(_)) => report.already_there += 1,
                Ok(InsertOutcome::Conflict) => {
                    failure.get_or_insert_with(|| {
                        "PostgreSQL holds another body under a submission id of this drop box"
                            .to_owned()
                    });
                }
                // Moving holds no quota (the rows were accepted under the old one), so
                // this cannot happen; never count it as moved.
                Ok(InsertOutcome::OverQuota) => {
                    failure.get_or_insert_with(|| "the storage quota refused a row".to_owned());
                }
                // Rows move without tokens; their spent tokens move below.
                Ok(InsertOutcome::TokenSpent) => {
                    failure.get_or_insert_with(|| "a spent token refused a row".to_owned());
                }
                Err(_) => {
                    failure.get_or_insert_with(|| "PostgreSQL failed while storing".to_owned());
                }
            }
        }
        if failure.is_some() {
            break;
        }
    }
    // Dropping the receiver stops the reader if it is still going.
    drop(received);
    let read = tokio::task::spawn_blocking(move || reader.join())
        .await
        .map_err(|error| source_error(error.to_string()))?;
    if let Some(detail) = failure {
        return Err(DropBoxError::Database {
            database: to.describe(),
            detail,
        });
    }
    match read {
        Ok(Ok(())) => {}
        Ok(Err(detail)) => return Err(source_error(detail)),
        Err(_) => return Err(source_error("the reading thread panicked".to_owned())),
    }
    move_mailbox(from, &store, &mut report).await?;
    move_witness(from, &store, &mut report).await?;
    report.token_rows_moved = super::moving_tokens::move_tokens(from, &store).await?;
    move_enrollment_codes(from, &store, &mut report).await?;
    Ok(report)
}

/// The error for `detail` while moving the SQLite drop box at `from`.
pub(super) fn move_error(from: &Path, detail: impl Into<String>) -> DropBoxError {
    DropBoxError::Database {
        database: from.display().to_string(),
        detail: detail.into(),
    }
}

/// What `read` reads from the SQLite drop box at `from`, opened read-only, on a blocking
/// thread.
pub(super) async fn read_sqlite<T: Send + 'static>(
    from: &Path,
    read: fn(&Connection) -> rusqlite::Result<T>,
) -> Result<T, DropBoxError> {
    let path = from.to_path_buf();
    tokio::task::spawn_blocking(move || {
        Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|connection| read(&connection))
    })
    .await
    .map_err(|error| move_error(from, error.to_string()))?
    .map_err(|error| move_error(from, error.to_string()))
}

/// Copies the SQLite drop box's access notices into `store` with their numbers, and
/// makes PostgreSQL's next numbers higher than any the old drop box gave.
async fn move_mailbox(
    from: &Path,
    store: &PostgresStore,
    report: &mut MoveReport,
) -> Result<(), DropBoxError> {
    let source_error = |detail: String| move_error(from, detail);
    let (notices, high_water) = read_sqlite(from, sqlite_notices::read_for_move).await?;
    let (moved, there) = store
        .move_notices_in(&notices, high_water)
        .await
        .map_err(|_| source_error("PostgreSQL failed while storing the notices".to_owned()))?;
    report.notices_moved = moved;
    report.notices_already_there = there;
    Ok(())
}

/// Copies the audit checkpoints the SQLite drop box at `from` witnessed into `store`, in
/// the order it accepted them. Refuses when PostgreSQL keeps checkpoints past one of
/// them (another witness history): the two cannot be merged in order.
async fn move_witness(
    from: &Path,
    store: &PostgresStore,
    report: &mut MoveReport,
) -> Result<(), DropBoxError> {
    let source_error = |detail: String| move_error(from, detail);
    let checkpoints = read_sqlite(from, sqlite_witness::read_for_move).await?;
    for checkpoint in checkpoints {
        match store.insert_checkpoint(&checkpoint).await {
            Ok(CheckpointKept::New) => report.checkpoints_moved += 1,
            Ok(CheckpointKept::Again) => report.checkpoints_already_there += 1,
            Ok(CheckpointKept::NotAfterLast) => {
                return Err(source_error(
                    "PostgreSQL keeps audit checkpoints past this drop box's: the witness histories differ"
                        .to_owned(),
                ));
            }
            Err(_) => {
                return Err(source_error(
                    "PostgreSQL failed while keeping an audit checkpoint".to_owned(),
                ));
            }
        }
    }
    Ok(())
}

/// Registers the SQLite drop box's typed enrollment codes not yet redeemed in `store`.
/// Refuses when PostgreSQL holds one of them for another order.
async fn move_enrollment_codes(
    from: &Path,
    store: &PostgresStore,
    report: &mut MoveReport,
) -> Result<(), DropBoxError> {
    let source_error = |detail: String| move_error(from, detail);
    let codes = read_sqlite(from, sqlite_enrollment_codes::read_for_move).await?;
    for code in codes {
        match store.register_enrollment_code(&code).await {
            Ok(CodeRegistered::New) => report.codes_moved += 1,
            Ok(CodeRegistered::Again) => report.codes_already_there += 1,
            Ok(CodeRegistered::Conflict) => {
                return Err(source_error(
                    "PostgreSQL holds an enrollment code of this drop box for another order"
                        .to_owned(),
                ));
            }
            Err(_) => {
                return Err(source_error(
                    "PostgreSQL failed while registering an enrollment code".to_owned(),
                ));
            }
        }
    }
    Ok(())
}

enum ReadError {
    Sqlite(rusqlite::Error),
    Stopped,
}

impl From<rusqlite::Error> for ReadError {
    fn from(error: rusqlite::Error) -> Self {
        ReadError::Sqlite(error)
    }
}
