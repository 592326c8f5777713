//! Reading back what a drop box stored, from either backend, for the authority's tools
//! (`selfreport-authority open`): every submission in order of arrival, through the same
//! queries the drop box's own tools use (moving a drop box reads SQLite the same way).

use std::thread;

use rusqlite::{Connection, OpenFlags};

use super::super::error::DropBoxError;
use super::postgres::PostgresStore;
use super::{Database, sqlite};

/// A stored submission as the authority reads it: its id, its body exactly as received,
/// and when it was received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSubmission {
    /// The submission id (32 lowercase hex), as the drop box stored it.
    pub id: String,
    /// The request body exactly as received.
    pub body: Vec<u8>,
    /// When it was received (RFC 3339 UTC).
    pub received_at: String,
}

/// Calls `each` with every submission stored in `database`, in order of arrival
/// (`received_at`, then id). SQLite is opened read-only; PostgreSQL is read in one
/// read-only transaction (its schema neither created nor migrated), from a runtime on a
/// thread of its own, so callers need none. Blocking.
pub fn for_each_stored(
    database: &Database,
    mut each: impl FnMut(StoredSubmission) + Send,
) -> Result<(), DropBoxError> {
    match database {
        Database::Sqlite(path) => {
            let failed = |error: rusqlite::Error| DropBoxError::Database {
                database: path.display().to_string(),
                detail: error.to_string(),
            };
            let connection = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(failed)?;
            sqlite::for_each_submission(&connection, |row| -> Result<(), rusqlite::Error> {
                each(stored(row));
                Ok(())
            })
            .map_err(failed)
        }
        Database::Postgres(config) => {
            let failed = |detail: String| DropBoxError::Database {
                database: config.describe(),
                detail,
            };
            thread::scope(|scope| {
                scope
                    .spawn(|| {
                        let runtime = tokio::runtime::Builder::new_current_thread()
                            .enable_all()
                            .build()
                            .map_err(|error| failed(error.to_string()))?;
                        runtime.block_on(async {
                            let store = PostgresStore::connect_as_is(config)?;
                            store
                                .for_each_in_order(config, |row| each(stored(row)))
                                .await
                        })
                    })
                    .join()
                    .unwrap_or_else(|_| Err(failed("the reading thread failed".to_owned())))
            })
        }
    }
}

fn stored(row: super::NewSubmission) -> StoredSubmission {
    StoredSubmission {
        id: row.id,
        body: row.body,
        received_at: row.received_at,
    }
}
