//! Moving a SQLite drop box's upload token rows into PostgreSQL (part of
//! `selfreport-endpoint migrate`): each issuance row and each spent token as it is, so
//! allowances and spent tokens carry over. Idempotent: rows PostgreSQL holds are left.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::super::error::DropBoxError;
use super::postgres::PostgresStore;
use super::sqlite_tokens::{self, TokenRows};

/// Copies the token rows of the SQLite drop box at `from` into `store`; returns how many
/// PostgreSQL did not hold yet.
pub(super) async fn move_tokens(from: &Path, store: &PostgresStore) -> Result<u64, DropBoxError> {
    let source_error = |detail: String| DropBoxError::Database {
        database: from.display().to_string(),
        detail,
    };
    let path = from.to_path_buf();
    let rows: TokenRows = tokio::task::spawn_blocking(move || {
        Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|connection| sqlite_tokens::read_for_move(&connection))
    })
    .await
    .map_err(|error| source_error(error.to_string()))?
    .map_err(|error| source_error(error.to_string()))?;
    store
        .move_tokens_in(&rows)
        .await
        .map_err(|_| source_error("PostgreSQL failed while storing the token rows".to_owned()))
}
