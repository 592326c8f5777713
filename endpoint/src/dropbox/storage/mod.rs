//! Where the drop box keeps submissions: one interface, two backends.
//!
//! [`Storage`] is what the routes and the retention job call: store one submission or a
//! group idempotently by submission id, delete one on its token's hash, purge what is
//! past retention, count. Behind it, either SQLite (one file, one writer thread that
//! groups commits: the embedded default) or PostgreSQL (a pool of connections, shared by
//! any number of drop box processes, submissions partitioned by expiry day). Both keep
//! the same rows: the body as received, its SHA-256, the deletion token's hash, when it
//! was received, when it expires, and the receipt reply returned to every resend. Both
//! hold the disk quota ([`quota`]) in the transaction that stores.

mod database;
pub(crate) mod enrollment_codes;
mod moving;
mod moving_tokens;
pub(crate) mod notices;
pub(crate) mod postgres;
pub(crate) mod quota;
mod reading;
pub(crate) mod sqlite;
mod sqlite_enrollment_codes;
mod sqlite_notices;
mod sqlite_tokens;
mod sqlite_witness;
mod sqlite_writer;
pub(crate) mod tokens;
pub(crate) mod witness;

pub use postgres::tls::client_config as tls_client_config;
pub use postgres::tls::connector as postgres_connector;

use std::thread;

pub use database::{Database, PostgresConfig};
pub use moving::{MoveReport, move_sqlite_to_postgres};
pub use quota::DEFAULT_QUOTA_BYTES;
pub use reading::{StoredSubmission, for_each_stored};

use super::error::DropBoxError;
use notices::{NewNotice, NoticePage, NoticeStored};
use postgres::PostgresStore;
use sqlite_writer::SqliteWriter;
use witness::{CheckpointKept, NewCheckpoint};

/// A submission to store.
#[derive(Debug, Clone)]
pub(crate) struct NewSubmission {
    pub(crate) id: String,
    pub(crate) policy_id: String,
    pub(crate) policy_version: u64,
    pub(crate) body: Vec<u8>,
    pub(crate) body_sha256: String,
    pub(crate) deletion_hash: String,
    pub(crate) received_at: String,
    /// Unix seconds after which the retention job deletes it.
    pub(crate) expires_at: i64,
    /// The receipt reply (JSON) returned now and for every identical retry.
    pub(crate) receipt: Vec<u8>,
}

/// What storing a submission did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum InsertOutcome {
    /// Stored now; the reply is the new receipt.
    Stored(Vec<u8>),
    /// The same body was stored before; the reply is the receipt given then.
    Duplicate(Vec<u8>),
    /// Another body is stored under this id.
    Conflict,
    /// Not stored: it would take the stored bytes past the quota.
    OverQuota,
    /// Not stored: the upload token paying for it paid for another body.
    TokenSpent,
}

/// What a deletion request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeleteOutcome {
    /// Deleted.
    Deleted,
    /// No submission with this id.
    NotFound,
    /// The token does not match.
    Forbidden,
}

/// The database failed; the job was not done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StoreFailed;

/// The drop box's store; cheap to clone.
#[derive(Clone)]
pub(crate) enum Storage {
    /// One SQLite file behind its writer thread.
    Sqlite(SqliteWriter),
    /// A PostgreSQL database through a connection pool.
    Postgres(PostgresStore),
}

/// What must be waited for when the drop box stops: the SQLite writer thread, which
/// folds the write-ahead log back into the file once the last handle is gone.
pub(crate) struct StorageThread(Option<thread::JoinHandle<()>>);

impl std::fmt::Debug for StorageThread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StorageThread")
    }
}

impl StorageThread {
    /// Waits for the thread, if there is one (blocking).
    pub(crate) fn join(self) {
        if let Some(thread) = self.0 {
            let _ = thread.join();
        }
    }
}

impl Storage {
    /// Opens `database`: creates or migrates its schema, and for SQLite starts the
    /// writer thread. `retention_days` lets PostgreSQL create the partitions ahead;
    /// `quota_bytes` caps what new submissions may take the stored bytes to.
    pub(crate) async fn open(
        database: &Database,
        now: i64,
        retention_days: u32,
        quota_bytes: u64,
    ) -> Result<(Storage, StorageThread), DropBoxError> {
        match database {
            Database::Sqlite(path) => {
                let path = path.clone();
                let (writer, thread) =
                    tokio::task::spawn_blocking(move || SqliteWriter::start(&path, quota_bytes))
                        .await
                        .map_err(|error| DropBoxError::Server(std::io::Error::other(error)))??;
                Ok((Storage::Sqlite(writer), StorageThread(Some(thread))))
            }
            Database::Postgres(config) => {
                let store = PostgresStore::connect(config)
                    .await?
                    .with_quota(quota_bytes);
                // Partitions for what arrives today, so the first submissions do not
                // wait for a table to be created.
                let _ = store.prepare_partitions(now, retention_days).await;
                Ok((Storage::Postgres(store), StorageThread(None)))
            }
        }
    }

    /// Deletes submission `id` if `token_hash` (lowercase hex SHA-256 of the presented
    /// token) is its deletion hash, compared in constant time; its bytes go back to the
    /// quota.
    pub(crate) async fn delete(
        &self,
        id: String,
        token_hash: String,
    ) -> Result<DeleteOutcome, StoreFailed> {
        match self {
            Storage::Sqlite(writer) => writer.delete(id, token_hash).await,
            Storage::Postgres(store) => store.delete(&id, &token_hash).await,
        }
    }

    /// Forgets every submission past its retention at `now` (Unix seconds); returns how
    /// many. SQLite deletes rows; PostgreSQL drops whole expiry-day partitions (and
    /// creates those the coming days need). Their bytes go back to the quota.
    pub(crate) async fn purge_expired(
        &self,
        now: i64,
        retention_days: u32,
    ) -> Result<u64, StoreFailed> {
        match self {
            Storage::Sqlite(writer) => writer.purge_expired(now).await,
            Storage::Postgres(store) => {
                let dropped = store.drop_expired_partitions(now).await?;
                store.prepare_partitions(now, retention_days).await?;
                Ok(dropped)
            }
        }
    }
}

/// The access-notice mailbox (see [`notices`]).
impl Storage {
    /// Stores a sealed slot, idempotently by its SHA-256; its sequence number.
    pub(crate) async fn insert_notice(
        &self,
        notice: NewNotice,
    ) -> Result<NoticeStored, StoreFailed> {
        match self {
            Storage::Sqlite(writer) => {
                writer
                    .run(move |transaction| {
                        sqlite_notices::insert(transaction, &notice).map(|stored| (stored, false))
                    })
                    .await
            }
            Storage::Postgres(store) => store.insert_notice(&notice).await,
        }
    }

    /// Up to `limit` stored slots with a sequence number above `after`, oldest first.
    pub(crate) async fn notices_after(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<NoticePage, StoreFailed> {
        match self {
            Storage::Sqlite(writer) => {
                writer
                    .run(move |transaction| {
                        sqlite_notices::after(transaction, after, limit).map(|page| (page, false))
                    })
                    .await
            }
            Storage::Postgres(store) => store.notices_after(after, limit).await,
        }
    }

    /// Deletes every notice past its retention at `now` (Unix seconds); returns how many.
    pub(crate) async fn purge_expired_notices(&self, now: i64) -> Result<u64, StoreFailed> {
        match self {
            Storage::Sqlite(writer) => {
                writer
                    .run(move |transaction| {
                        sqlite_notices::purge_expired(transaction, now)
                            .map(|count| (u64::try_from(count).unwrap_or(u64::MAX), count > 0))
                    })
                    .await
            }
            Storage::Postgres(store) => store.purge_expired_notices(now).await,
        }
    }
}

/// The audit log's witness (see [`witness`]).
impl Storage {
    /// Keeps a checkpoint if it is new and counts more entries than the last one kept.
    pub(crate) async fn insert_checkpoint(
        &self,
        checkpoint: NewCheckpoint,
    ) -> Result<CheckpointKept, StoreFailed> {
        match self {
            Storage::Sqlite(writer) => {
                writer
                    .run(move |transaction| {
                        sqlite_witness::insert(transaction, &checkpoint).map(|kept| (kept, false))
                    })
                    .await
            }
            Storage::Postgres(store) => store.insert_checkpoint(&checkpoint).await,
        }
    }

    /// Every checkpoint kept, in the order accepted.
    pub(crate) async fn checkpoints(&self) -> Result<Vec<Vec<u8>>, StoreFailed> {
        match self {
            Storage::Sqlite(writer) => {
                writer
                    .run(|transaction| sqlite_witness::all(transaction).map(|all| (all, false)))
                    .await
            }
            Storage::Postgres(store) => store.checkpoints().await,
        }
    }
}

/// Creates or migrates the drop box's schema in the PostgreSQL database `config` names,
/// as a drop box starting on it would (for tools and benchmarks that fill it).
pub async fn prepare_postgres(config: &PostgresConfig) -> Result<(), DropBoxError> {
    PostgresStore::connect(config).await.map(drop)
}

/// Whether `a` and `b` are equal, in time that depends only on their lengths.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let difference = a
        .iter()
        .zip(b)
        .fold(0u8, |difference, (x, y)| difference | (x ^ y));
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_comparison_is_equality() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
    }
}
