//! Moving a SQLite drop box's upload token rows into PostgreSQL (part of
//! `selfreport-endpoint migrate`): each issuance row and each spent token as it is, so
//! allowances and spent tokens carry over. Idempotent: rows PostgreSQL holds are left.

use std::path::Path;

use super::super::error::DropBoxError;
use super::moving::{move_error, read_sqlite};
use super::postgres::PostgresStore;
use super::sqlite_tokens::{self, TokenRows};

/// Copies the token rows of the SQLite drop box at `from` into `store`; returns how many
/// PostgreSQL did not hold yet.
pub(super) async fn move_tokens(from: &Path, store: &PostgresStore) -> Result<u64, DropBoxError> {
    let source_error = |detail: String| move_error(from, detail);
    let rows: TokenRows = read_sqlite(from, sqlite_tokens::read_for_move).await?;
    store
        .move_tokens_in(&rows)
        .await
        .map_err(|_| source_error("PostgreSQL failed while storing the token rows".to_owned()))
}
