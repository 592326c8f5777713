//! The drop box's PostgreSQL store: any number of drop box processes share one database
//! and need no coordination beyond it.
//!
//! - Idempotency by submission id across partitions: each transaction that inserts
//!   first takes a transaction-scoped advisory lock on every id it stores (in one
//!   statement, in ascending key order, so two batches never deadlock), then looks each
//!   id up across partitions. Two processes storing the same id are serialized; the
//!   second sees the first one's row (read committed: each statement sees what committed
//!   before it started) and answers with its kept receipt.
//! - Retention: `DROP TABLE` of each expiry-day partition once its day has begun, so a
//!   submission is never kept past its retention (and at most a day less); never a
//!   delete loop. Partitions for the coming days are created ahead by the retention job,
//!   and on demand when one is missing.
//! - Deletion requests delete one row.
//! - The disk quota holds across processes, in the database: each insert transaction
//!   reserves its new rows' bytes in a slot of the quota as its last step before
//!   committing, and deletes again the rows no slot has room for (see [`quota`]).
//!   Deletions give bytes back in their transaction; dropping a partition gives its
//!   day's bytes back in the same transaction.
//! - Every statement is prepared once per connection (`prepare_cached`).

mod enrollment_codes;
mod notices;
mod partition;
mod quota;
pub(crate) mod schema;
pub(crate) mod tls;
mod tokens;
mod witness;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDate;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::error::SqlState;

use super::super::error::DropBoxError;
use super::quota::counted_bytes;
use super::tokens::Spend;
use super::{
    DeleteOutcome, InsertOutcome, NewSubmission, PostgresConfig, StoreFailed, constant_time_eq,
};

/// Advisory lock key held while creating or dropping partitions.
const PARTITION_LOCK: i64 = 0x5345_4c46_5041_5254;

/// How long a request waits for a pooled connection, or for a new one to be made.
const POOL_TIMEOUT: Duration = Duration::from_secs(10);

/// Rows fetched at a time when reading every stored submission.
const READ_CHUNK: i32 = 500;

/// Every column of a stored submission, as [`submission_of`] reads them.
const SELECT_ALL: &str = "SELECT id, policy_id, policy_version, body, body_sha256,
     deletion_hash, received_at, expires_at, receipt FROM submissions";

const LOCK_IDS: &str = "SELECT pg_advisory_xact_lock(key) FROM unnest($1::bigint[]) AS key";
const FIND: &str = "SELECT body_sha256, receipt FROM submissions WHERE id = $1";
const INSERT: &str = "INSERT INTO submissions
     (id, policy_id, policy_version, body, body_sha256, deletion_hash,
      received_at, expires_at, expiry_day, receipt)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
const FIND_DELETION_HASH: &str =
    "SELECT deletion_hash, expiry_day FROM submissions WHERE id = $1 LIMIT 1";
const DELETE: &str = "DELETE FROM submissions WHERE id = $1 AND expiry_day = $2
     RETURNING (octet_length(body) + octet_length(receipt))::bigint";
const PARTITIONS: &str = "SELECT c.relname::text FROM pg_inherits i
     JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'submissions'::regclass";

/// A pool of connections to the drop box's database; cheap to clone.
#[derive(Clone)]
pub(crate) struct PostgresStore {
    pool: Pool,
    /// The most bytes new rows may bring the stored total to (no limit by default).
    quota_bytes: u64,
    /// Expiry days whose partition this process has seen exist.
    partitions: Arc<Mutex<BTreeSet<NaiveDate>>>,
}

impl PostgresStore {
    /// Connects (TLS as the URL asks), migrates the schema, and keeps a pool.
    pub(crate) async fn connect(config: &PostgresConfig) -> Result<Self, DropBoxError> {
        let store = Self::connect_as_is(config)?;
        let mut client = store
            .pool
            .get()
            .await
            .map_err(|error| failed(config, describe_pool(&error)))?;
        schema::migrate(&mut client)
            .await
            .map_err(|error| failed(config, error.to_string()))?;
        drop(client);
        Ok(store)
    }

    /// A pool for the database as it is, for reading only: nothing is created or
    /// migrated (connections are made at first use).
    pub(crate) fn connect_as_is(config: &PostgresConfig) -> Result<Self, DropBoxError> {
        let connector = tls::connector(&config.ca_files)?;
        let manager = Manager::from_config(
            (*config.config).clone(),
            connector,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(config.pool_size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(POOL_TIMEOUT))
            .create_timeout(Some(POOL_TIMEOUT))
            .recycle_timeout(Some(POOL_TIMEOUT))
            .build()
            .map_err(|error| failed(config, error.to_string()))?;
        Ok(Self {
            pool,
            quota_bytes: u64::MAX,
            partitions: Arc::new(Mutex::new(BTreeSet::new())),
        })
    }

    /// Calls `each` with every stored submission in order of arrival (`received_at`,
    /// then id), read [`READ_CHUNK`] rows at a time in one read-only transaction; stops
    /// at the first error. A database whose schema is newer than this drop box's, or
    /// that has none, is refused.
    pub(crate) async fn for_each_in_order(
        &self,
        config: &PostgresConfig,
        mut each: impl FnMut(NewSubmission),
    ) -> Result<(), DropBoxError> {
        let database_failed = |error: tokio_postgres::Error| failed(config, describe(&error));
        let mut client = self
            .pool
            .get()
            .await
            .map_err(|error| failed(config, describe_pool(&error)))?;
        let transaction = client
            .build_transaction()
            .read_only(true)
            .start()
            .await
            .map_err(database_failed)?;
        let version = schema::current_version(&*transaction).await.map_err(|_| {
            failed(
                config,
                "it holds no drop box (no schema version)".to_owned(),
            )
        })?;
        if !(1..=schema::SCHEMA_VERSION).contains(&version) {
            return Err(failed(
                config,
                format!(
                    "its schema version {version} is not one this drop box reads (1 to {})",
                    schema::SCHEMA_VERSION
                ),
            ));
        }
        let statement = transaction
            .prepare(&format!(
                "{SELECT_ALL} ORDER BY received_at COLLATE \"C\", id COLLATE \"C\""
            ))
            .await
            .map_err(database_failed)?;
        let portal = transaction
            .bind(&statement, &[])
            .await
            .map_err(database_failed)?;
        loop {
            let rows = transaction
                .query_portal(&portal, READ_CHUNK)
                .await
                .map_err(database_failed)?;
            let last = rows.len() < usize::try_from(READ_CHUNK).unwrap_or(usize::MAX);
            for row in rows {
                each(submission_of(&row).map_err(database_failed)?);
            }
            if last {
                break;
            }
        }
        transaction.commit().await.map_err(database_failed)
    }

    /// Holds new rows to `quota_bytes` stored in the whole database (whichever process
    /// stored them).
    pub(crate) fn with_quota(mut self, quota_bytes: u64) -> Self {
        self.quota_bytes = quota_bytes;
        self
    }

    /// Stores `submissions` in one transaction, each idempotently by id, in order.
    pub(crate) async fn insert_all(
        &self,
        submissions: Vec<NewSubmission>,
    ) -> Vec<Result<InsertOutcome, StoreFailed>> {
        self.insert_all_paid(submissions.into_iter().map(|row| (row, None)).collect())
            .await
    }

    /// As [`PostgresStore::insert_all`], each submission paid for by its upload token: one
    /// spent on another body is [`InsertOutcome::TokenSpent`]; one paying for a row stored
    /// now is kept spent in the same transaction.
    pub(crate) async fn insert_all_paid(
        &self,
        paid: Vec<(NewSubmission, Option<Spend>)>,
    ) -> Vec<Result<InsertOutcome, StoreFailed>> {
        let (submissions, spends): (Vec<NewSubmission>, Vec<Option<Spend>>) =
            paid.into_iter().unzip();
        if submissions.is_empty() {
            return Vec::new();
        }
        let failed = || vec![Err(StoreFailed); submissions.len()];
        for attempt in 0..2 {
            for day in expiry_days(&submissions) {
                if self.ensure_partition(day).await.is_err() {
                    return failed();
                }
            }
            match self.try_insert_all(&submissions, &spends).await {
                Ok(outcomes) => return outcomes.into_iter().map(Ok).collect(),
                // The partition was dropped since this process saw it (a retention of
                // zero days): forget what it knew, create it, once.
                Err(error) if attempt == 0 && is_missing_partition(&error) => {
                    self.forget_partitions();
                }
                Err(_) => return failed(),
            }
        }
        failed()
    }

    async fn try_insert_all(
        &self,
        submissions: &[NewSubmission],
        spends: &[Option<Spend>],
    ) -> Result<Vec<InsertOutcome>, Failure> {
        let mut client = self.pool.get().await.map_err(|_| Failure::Pool)?;
        let transaction = client.transaction().await?;
        let mut keys: Vec<i64> = submissions
            .iter()
            .map(|s| lock_key(&s.id))
            .chain(spends.iter().flatten().map(tokens::spend_lock_key))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        // One statement; unnest yields the keys in array order, so every transaction
        // takes its locks in ascending order.
        let lock = transaction.prepare_cached(LOCK_IDS).await?;
        transaction.execute(&lock, &[&keys]).await?;
        let find = transaction.prepare_cached(FIND).await?;
        let insert = transaction.prepare_cached(INSERT).await?;
        let mut outcomes = Vec::with_capacity(submissions.len());
        // Where new rows sit among `outcomes`, in order.
        let mut new_rows = Vec::new();
        for (submission, spend) in submissions.iter().zip(spends) {
            if let Some(spend) = spend {
                let paid_for = tokens::spent_body(&transaction, spend).await?;
                if paid_for.is_some_and(|body| body != submission.body_sha256) {
                    outcomes.push(InsertOutcome::TokenSpent);
                    continue;
                }
            }
            if let Some(row) = transaction.query_opt(&find, &[&submission.id]).await? {
                let body_sha256: String = row.try_get(0)?;
                outcomes.push(if body_sha256 == submission.body_sha256 {
                    InsertOutcome::Duplicate(row.try_get(1)?)
                } else {
                    InsertOutcome::Conflict
                });
                continue;
            }
            let policy_version = i64::try_from(submission.policy_version).unwrap_or(i64::MAX);
            let expiry_day = partition::day_of(submission.expires_at);
            transaction
                .execute(
                    &insert,
                    &[
                        &submission.id,
                        &submission.policy_id,
                        &policy_version,
                        &submission.body,
                        &submission.body_sha256,
                        &submission.deletion_hash,
                        &submission.received_at,
                        &submission.expires_at,
                        &expiry_day,
                        &submission.receipt,
                    ],
                )
                .await?;
            // Spent now, so a later item of this batch with the same token finds it.
            if let Some(spend) = spend {
                tokens::record_spend(&transaction, spend, submission).await?;
            }
            new_rows.push(outcomes.len());
            outcomes.push(InsertOutcome::Stored(submission.receipt.clone()));
        }
        if !new_rows.is_empty() {
            self.hold_to_quota(&transaction, submissions, &new_rows, &mut outcomes)
                .await?;
        }
        // A row the quota refused spent nothing.
        for &index in &new_rows {
            if let (Some(spend), InsertOutcome::OverQuota) = (&spends[index], &outcomes[index]) {
                tokens::unspend(&transaction, spend).await?;
            }
        }
        transaction.commit().await?;
        Ok(outcomes)
    }

    /// The quota step of an insert transaction, its last before the commit: reserves
    /// each new row's bytes (at `new_rows` of `submissions`, in order) in a slot of the
    /// quota; a row no slot has room for is deleted again and made
    /// [`InsertOutcome::OverQuota`]. Until it holds a slot the transaction tries every
    /// slot, from one its first new row's id picks; then only that slot and higher ones
    /// (so transactions holding slots take them in ascending order and never wait for
    /// each other in a cycle).
    async fn hold_to_quota(
        &self,
        transaction: &deadpool_postgres::Transaction<'_>,
        submissions: &[NewSubmission],
        new_rows: &[usize],
        outcomes: &mut [InsertOutcome],
    ) -> Result<(), Failure> {
        let slots = quota::slots_for(self.quota_bytes);
        let first = new_rows
            .first()
            .map_or(0, |&index| slot_of(&submissions[index].id, slots));
        let delete = transaction.prepare_cached(DELETE).await?;
        let mut held: Option<i16> = None;
        for &index in new_rows {
            let submission = &submissions[index];
            let bytes = i64::try_from(counted_bytes(&submission.body, &submission.receipt))
                .unwrap_or(i64::MAX);
            let expiry_day = partition::day_of(submission.expires_at);
            let candidates: Vec<i16> = match held {
                None => (0..slots).map(|n| (first + n) % slots).collect(),
                Some(lowest) => (lowest..slots).collect(),
            };
            let mut reserved = None;
            for slot in candidates {
                if quota::reserve(
                    transaction,
                    slot,
                    bytes,
                    self.quota_bytes,
                    slots,
                    expiry_day,
                )
                .await?
                {
                    reserved = Some(slot);
                    break;
                }
            }
            match reserved {
                Some(slot) => held = Some(held.map_or(slot, |lowest| lowest.max(slot))),
                None => {
                    transaction
                        .execute(&delete, &[&submission.id, &expiry_day])
                        .await?;
                    outcomes[index] = InsertOutcome::OverQuota;
                }
            }
        }
        Ok(())
    }

    /// Deletes submission `id` if `token_hash` is its deletion hash.
    pub(crate) async fn delete(
        &self,
        id: &str,
        token_hash: &str,
    ) -> Result<DeleteOutcome, StoreFailed> {
        let mut client = self.pool.get().await.map_err(|_| StoreFailed)?;
        let find = client
            .prepare_cached(FIND_DELETION_HASH)
            .await
            .map_err(|_| StoreFailed)?;
        let Some(row) = client
            .query_opt(&find, &[&id])
            .await
            .map_err(|_| StoreFailed)?
        else {
            return Ok(DeleteOutcome::NotFound);
        };
        let stored: String = row.try_get(0).map_err(|_| StoreFailed)?;
        let expiry_day: NaiveDate = row.try_get(1).map_err(|_| StoreFailed)?;
        if !constant_time_eq(stored.as_bytes(), token_hash.as_bytes()) {
            return Ok(DeleteOutcome::Forbidden);
        }
        let transaction = client.transaction().await.map_err(|_| StoreFailed)?;
        let delete = transaction
            .prepare_cached(DELETE)
            .await
            .map_err(|_| StoreFailed)?;
        let Some(deleted) = transaction
            .query_opt(&delete, &[&id, &expiry_day])
            .await
            .map_err(|_| StoreFailed)?
        else {
            // Another request deleted it in between.
            return Ok(DeleteOutcome::NotFound);
        };
        let bytes: i64 = deleted.try_get(0).map_err(|_| StoreFailed)?;
        let slot = slot_of(id, quota::slots_for(self.quota_bytes));
        quota::release(&transaction, slot, expiry_day, bytes)
            .await
            .map_err(|_| StoreFailed)?;
        transaction.commit().await.map_err(|_| StoreFailed)?;
        Ok(DeleteOutcome::Deleted)
    }

    /// Drops every partition whose expiry day has begun at `now` (Unix seconds);
    /// returns how many submissions they held.
    pub(crate) async fn drop_expired_partitions(&self, now: i64) -> Result<u64, StoreFailed> {
        let today = partition::day_of(now);
        let mut client = self.pool.get().await.map_err(|_| StoreFailed)?;
        let names: Vec<String> = client
            .query(PARTITIONS, &[])
            .await
            .map_err(|_| StoreFailed)?
            .iter()
            .filter_map(|row| row.try_get::<_, String>(0).ok())
            .collect();
        let mut dropped = 0u64;
        for name in names {
            let Some(day) = partition::day_of_name(&name) else {
                continue;
            };
            if day > today {
                continue;
            }
            // One partition per transaction: the lock on the parent table that DROP
            // takes is held for one drop only.
            let transaction = client.transaction().await.map_err(|_| StoreFailed)?;
            transaction
                .execute("SELECT pg_advisory_xact_lock($1)", &[&PARTITION_LOCK])
                .await
                .map_err(|_| StoreFailed)?;
            let exists = transaction
                .query_one("SELECT to_regclass($1) IS NOT NULL", &[&name])
                .await
                .and_then(|row| row.try_get::<_, bool>(0))
                .map_err(|_| StoreFailed)?;
            if exists {
                // The name comes from the catalog and matched `submissions_dYYYYMMDD`.
                let count: i64 = transaction
                    .query_one(&format!("SELECT count(*) FROM {name}"), &[])
                    .await
                    .and_then(|row| row.try_get(0))
                    .map_err(|_| StoreFailed)?;
                transaction
                    .batch_execute(&format!("DROP TABLE {name}"))
                    .await
                    .map_err(|_| StoreFailed)?;
                // Its bytes go back to the quota with it, and its spent tokens go.
                quota::forget_day(&transaction, day)
                    .await
                    .map_err(|_| StoreFailed)?;
                tokens::forget_spent_day(&transaction, day)
                    .await
                    .map_err(|_| StoreFailed)?;
                dropped = dropped.saturating_add(u64::try_from(count).unwrap_or(0));
            }
            transaction.commit().await.map_err(|_| StoreFailed)?;
            self.partitions
                .lock()
                .map_err(|_| StoreFailed)?
                .remove(&day);
        }
        Ok(dropped)
    }

    /// Creates the partitions for what is received at `now` and the next day (so a day's
    /// first submissions do not wait for one).
    pub(crate) async fn prepare_partitions(
        &self,
        now: i64,
        retention_days: u32,
    ) -> Result<(), StoreFailed> {
        let first = partition::day_of(now) + chrono::Days::new(u64::from(retention_days));
        for offset in 0..2 {
            self.ensure_partition(first + chrono::Days::new(offset))
                .await?;
        }
        Ok(())
    }

    /// Creates the partition for `day` unless this process knows it exists.
    async fn ensure_partition(&self, day: NaiveDate) -> Result<(), StoreFailed> {
        if self
            .partitions
            .lock()
            .map_err(|_| StoreFailed)?
            .contains(&day)
        {
            return Ok(());
        }
        let mut client = self.pool.get().await.map_err(|_| StoreFailed)?;
        let transaction = client.transaction().await.map_err(|_| StoreFailed)?;
        // Concurrent CREATE ... IF NOT EXISTS from two processes can still collide in
        // the catalog; the lock makes them take turns.
        transaction
            .execute("SELECT pg_advisory_xact_lock($1)", &[&PARTITION_LOCK])
            .await
            .map_err(|_| StoreFailed)?;
        transaction
            .batch_execute(&partition::create_statement(day))
            .await
            .map_err(|_| StoreFailed)?;
        transaction.commit().await.map_err(|_| StoreFailed)?;
        self.partitions.lock().map_err(|_| StoreFailed)?.insert(day);
        Ok(())
    }

    fn forget_partitions(&self) {
        if let Ok(mut partitions) = self.partitions.lock() {
            partitions.clear();
        }
    }
}

/// The store's error for `config`'s database.
fn failed(config: &PostgresConfig, detail: String) -> DropBoxError {
    DropBoxError::Database {
        database: config.describe(),
        detail,
    }
}

/// A row of [`SELECT_ALL`] as a submission.
fn submission_of(row: &tokio_postgres::Row) -> Result<NewSubmission, tokio_postgres::Error> {
    let policy_version: i64 = row.try_get(2)?;
    Ok(NewSubmission {
        id: row.try_get(0)?,
        policy_id: row.try_get(1)?,
        policy_version: u64::try_from(policy_version).unwrap_or(0),
        body: row.try_get(3)?,
        body_sha256: row.try_get(4)?,
        deletion_hash: row.try_get(5)?,
        received_at: row.try_get(6)?,
        expires_at: row.try_get(7)?,
        receipt: row.try_get(8)?,
    })
}

/// Why an insert transaction failed.
#[derive(Debug)]
enum Failure {
    Pool,
    Database(tokio_postgres::Error),
}

impl From<tokio_postgres::Error> for Failure {
    fn from(error: tokio_postgres::Error) -> Self {
        Failure::Database(error)
    }
}

/// Whether the row's partition does not exist ("no partition of relation found").
fn is_missing_partition(failure: &Failure) -> bool {
    matches!(failure, Failure::Database(error) if error.code() == Some(&SqlState::CHECK_VIOLATION))
}

/// The distinct expiry days of `submissions`.
fn expiry_days(submissions: &[NewSubmission]) -> BTreeSet<NaiveDate> {
    submissions
        .iter()
        .map(|submission| partition::day_of(submission.expires_at))
        .collect()
}

/// The advisory lock key for submission `id`: FNV-1a over its bytes. Two ids sharing a
/// key only wait for each other.
fn lock_key(id: &str) -> i64 {
    let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    i64::from_ne_bytes(hash.to_ne_bytes())
}

/// The quota slot submission `id` picks first, of `slots`: spread evenly, as ids are
/// random.
fn slot_of(id: &str, slots: i16) -> i16 {
    let slots = i64::from(slots.max(1));
    i16::try_from(lock_key(id).rem_euclid(slots)).unwrap_or(0)
}

/// A database error for an operator: PostgreSQL's own message when there is one (never
/// a value from a row: the drop box's statements carry ids and hashes, no plaintext).
pub(crate) fn describe(error: &tokio_postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        return format!("{} ({})", db.message(), db.code().code());
    }
    // The client's own errors say what failed ("error performing TLS handshake") and
    // keep why in their sources ("invalid peer certificate: UnknownIssuer").
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn describe_pool(error: &deadpool_postgres::PoolError) -> String {
    match error {
        deadpool_postgres::PoolError::Backend(error) => describe(error),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_keys_spread_ids() {
        let a = "a".repeat(32);
        let b = format!("{}b", "a".repeat(31));
        assert_eq!(lock_key(&a), lock_key(&a));
        assert_ne!(lock_key(&a), lock_key(&b));
    }
}
