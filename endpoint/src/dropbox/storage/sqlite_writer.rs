//! SQLite's single writer: one thread owns the database connection and commits work in
//! groups.
//!
//! Request handlers send jobs over a channel and await the outcome. The thread takes
//! every job waiting (up to [`MAX_BATCH`]) and runs them in one transaction, so one
//! synchronous commit covers many submissions: a receipt is only sent once its
//! submission is durably stored, and throughput does not pay one disk flush per request.
//! The jobs of one batch request travel as one message, so they always share a commit.
//!
//! The thread alone writes, so it alone keeps the count of stored bytes the quota is
//! held against: read from the database at start, moved by each transaction's inserts,
//! deletions and purges once it commits (a failed commit leaves it as it was).

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;

use rusqlite::{Connection, Transaction};
use tokio::sync::oneshot;

use super::super::error::DropBoxError;
use super::quota::counted_bytes;
use super::sqlite as store;
use super::sqlite_tokens;
use super::tokens::Spend;
use super::{DeleteOutcome, InsertOutcome, NewSubmission, StoreFailed};

/// The thread takes no more waiting jobs into a transaction once it holds this many
/// (the group of a batch request is never split, so one may hold up to 31 more).
const MAX_BATCH: usize = 256;

/// What travels over the channel: one job, or the jobs of one batch request, which the
/// thread never splits between transactions.
enum Message {
    One(Job),
    Group(Vec<Job>),
}

impl Message {
    fn add_to(self, batch: &mut Vec<Job>) {
        match self {
            Message::One(job) => batch.push(job),
            Message::Group(jobs) => batch.extend(jobs),
        }
    }
}

enum Job {
    Insert {
        submission: Box<NewSubmission>,
        /// The upload token paying for it, if the policy asks for one.
        spend: Option<Spend>,
        reply: oneshot::Sender<Result<InsertOutcome, StoreFailed>>,
    },
    Delete {
        id: String,
        token_hash: String,
        reply: oneshot::Sender<Result<DeleteOutcome, StoreFailed>>,
    },
    Purge {
        now: i64,
        reply: oneshot::Sender<Result<usize, StoreFailed>>,
    },
    /// Other work in the batch's transaction (the notice mailbox).
    Work(Work),
}

/// Work run in a batch's transaction: it says whether it deleted rows, and returns what
/// to do once the transaction committed (`true`) or failed (`false`).
type Work = Box<dyn FnOnce(&Transaction<'_>) -> (bool, Finish) + Send>;

/// What [`Work`] does after the commit: answers its caller.
type Finish = Box<dyn FnOnce(bool) + Send>;

/// A handle to the writer thread; cheap to clone. The thread ends when every handle is
/// dropped.
#[derive(Clone)]
pub(crate) struct SqliteWriter {
    jobs: mpsc::Sender<Message>,
}

impl SqliteWriter {
    /// Opens the database and starts the writer thread, which keeps the stored bytes
    /// within `quota_bytes`.
    pub(crate) fn start(
        path: &Path,
        quota_bytes: u64,
    ) -> Result<(SqliteWriter, thread::JoinHandle<()>), DropBoxError> {
        let database_error = |error: rusqlite::Error| DropBoxError::Database {
            database: path.display().to_string(),
            detail: error.to_string(),
        };
        let connection = store::open(path).map_err(database_error)?;
        let usage = Usage {
            quota: quota_bytes,
            stored: store::stored_bytes(&connection).map_err(database_error)?,
        };
        let (jobs, queue) = mpsc::channel();
        let path: PathBuf = path.to_path_buf();
        let thread = thread::Builder::new()
            .name("dropbox-writer".to_owned())
            .spawn(move || run(connection, queue, usage))
            .map_err(|error| DropBoxError::Database {
                database: path.display().to_string(),
                detail: format!("cannot start the writer thread: {error}"),
            })?;
        Ok((SqliteWriter { jobs }, thread))
    }

    /// Stores a submission (idempotently, see [`store::insert`]).
    #[cfg(test)]
    pub(crate) async fn insert(
        &self,
        submission: NewSubmission,
    ) -> Result<InsertOutcome, StoreFailed> {
        let (reply, outcome) = oneshot::channel();
        self.send(Job::Insert {
            submission: Box::new(submission),
            spend: None,
            reply,
        })?;
        outcome.await.map_err(|_| StoreFailed)?
    }

    /// Stores several submissions in one transaction (each idempotently, in order, so a
    /// later one with an id stored by an earlier one is a duplicate or a conflict); one
    /// outcome per submission, in the same order.
    #[cfg(test)]
    pub(crate) async fn insert_all(
        &self,
        submissions: Vec<NewSubmission>,
    ) -> Vec<Result<InsertOutcome, StoreFailed>> {
        self.insert_all_paid(submissions.into_iter().map(|row| (row, None)).collect())
            .await
    }

    /// Stores several submissions in one transaction (each idempotently, in order), each
    /// paid for by its token (see
    /// [`super::sqlite_tokens::insert_paid`]).
    pub(crate) async fn insert_all_paid(
        &self,
        submissions: Vec<(NewSubmission, Option<Spend>)>,
    ) -> Vec<Result<InsertOutcome, StoreFailed>> {
        let mut jobs = Vec::with_capacity(submissions.len());
        let mut outcomes = Vec::with_capacity(submissions.len());
        for (submission, spend) in submissions {
            let (reply, outcome) = oneshot::channel();
            jobs.push(Job::Insert {
                submission: Box::new(submission),
                spend,
                reply,
            });
            outcomes.push(outcome);
        }
        // If the thread is gone, the jobs are dropped with the message and every
        // outcome below reads as a failure.
        let _ = self.jobs.send(Message::Group(jobs));
        let mut results = Vec::with_capacity(outcomes.len());
        for outcome in outcomes {
            results.push(outcome.await.unwrap_or(Err(StoreFailed)));
        }
        results
    }

    /// Deletes a submission if the token hash matches (see [`store::delete`]).
    pub(crate) async fn delete(
        &self,
        id: String,
        token_hash: String,
    ) -> Result<DeleteOutcome, StoreFailed> {
        let (reply, outcome) = oneshot::channel();
        self.send(Job::Delete {
            id,
            token_hash,
            reply,
        })?;
        outcome.await.map_err(|_| StoreFailed)?
    }

    /// Deletes every submission expired at `now` (Unix seconds); returns how many.
    pub(crate) async fn purge_expired(&self, now: i64) -> Result<u64, StoreFailed> {
        let (reply, outcome) = oneshot::channel();
        self.send(Job::Purge { now, reply })?;
        let count = outcome.await.map_err(|_| StoreFailed)??;
        Ok(u64::try_from(count).unwrap_or(u64::MAX))
    }

    /// Runs `work` in the writer's next transaction and returns its value once that
    /// committed. `work` answers the value and whether it deleted rows (then the
    /// write-ahead log is folded back, as for purges).
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<(T, bool)> + Send + 'static,
    ) -> Result<T, StoreFailed> {
        let (reply, outcome) = oneshot::channel();
        self.send(Job::Work(Box::new(move |transaction| {
            match work(transaction) {
                Ok((value, removed)) => (
                    removed,
                    Box::new(move |committed| {
                        let _ = reply.send(if committed {
                            Ok(value)
                        } else {
                            Err(StoreFailed)
                        });
                    }),
                ),
                Err(_) => (
                    false,
                    Box::new(move |_| {
                        let _ = reply.send(Err(StoreFailed));
                    }),
                ),
            }
        })))?;
        outcome.await.map_err(|_| StoreFailed)?
    }

    fn send(&self, job: Job) -> Result<(), StoreFailed> {
        self.jobs.send(Message::One(job)).map_err(|_| StoreFailed)
    }
}

/// The quota and the bytes stored against it (as of the last commit).
#[derive(Debug, Clone, Copy)]
struct Usage {
    quota: u64,
    stored: u64,
}

impl Usage {
    /// The bytes a new submission may still take.
    fn room(self) -> u64 {
        self.quota.saturating_sub(self.stored)
    }
}

fn run(mut connection: Connection, queue: mpsc::Receiver<Message>, mut usage: Usage) {
    while let Ok(first) = queue.recv() {
        let mut batch = Vec::with_capacity(16);
        first.add_to(&mut batch);
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(message) => message.add_to(&mut batch),
                Err(_) => break,
            }
        }
        run_batch(&mut connection, batch, &mut usage);
    }
    // Every handle is gone: fold the WAL back into the database before closing.
    let _ = connection.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);");
}

/// The outcome of one job, held until the batch commits.
enum Done {
    Insert(
        oneshot::Sender<Result<InsertOutcome, StoreFailed>>,
        InsertOutcome,
    ),
    Delete(
        oneshot::Sender<Result<DeleteOutcome, StoreFailed>>,
        DeleteOutcome,
    ),
    Purge(oneshot::Sender<Result<usize, StoreFailed>>, usize),
    Work(Finish),
}

/// Runs `batch` in one transaction and answers each job once it has committed (or
/// failed). A job whose statement fails gets its error at once; the others still commit.
/// Each insert is held to the room `usage` leaves after the jobs before it; `usage`
/// takes the transaction's changes only once it committed.
fn run_batch(connection: &mut Connection, batch: Vec<Job>, usage: &mut Usage) {
    let transaction = match connection.transaction() {
        Ok(transaction) => transaction,
        Err(_) => {
            batch.into_iter().for_each(fail);
            return;
        }
    };
    let mut done = Vec::with_capacity(batch.len());
    let mut removed = false;
    let mut pending = *usage;
    for job in batch {
        match job {
            Job::Insert {
                submission,
                spend,
                reply,
            } => {
                match sqlite_tokens::insert_paid(
                    &transaction,
                    &submission,
                    spend.as_ref(),
                    pending.room(),
                ) {
                    Ok(outcome) => {
                        if matches!(outcome, InsertOutcome::Stored(_)) {
                            pending.stored = pending.stored.saturating_add(counted_bytes(
                                &submission.body,
                                &submission.receipt,
                            ));
                        }
                        done.push(Done::Insert(reply, outcome));
                    }
                    Err(_) => {
                        let _ = reply.send(Err(StoreFailed));
                    }
                }
            }
            Job::Delete {
                id,
                token_hash,
                reply,
            } => match store::delete(&transaction, &id, &token_hash) {
                Ok((outcome, freed)) => {
                    removed |= outcome == DeleteOutcome::Deleted;
                    pending.stored = pending.stored.saturating_sub(freed);
                    done.push(Done::Delete(reply, outcome));
                }
                Err(_) => {
                    let _ = reply.send(Err(StoreFailed));
                }
            },
            Job::Purge { now, reply } => match store::purge_expired(&transaction, now)
                .and_then(|purged| sqlite_tokens::purge_spent(&transaction, now).map(|_| purged))
            {
                Ok((count, freed)) => {
                    removed |= count > 0;
                    pending.stored = pending.stored.saturating_sub(freed);
                    done.push(Done::Purge(reply, count));
                }
                Err(_) => {
                    let _ = reply.send(Err(StoreFailed));
                }
            },
            Job::Work(work) => {
                let (deleted, finish) = work(&transaction);
                removed |= deleted;
                done.push(Done::Work(finish));
            }
        }
    }
    if transaction.commit().is_err() {
        for job in done {
            match job {
                Done::Insert(reply, _) => {
                    let _ = reply.send(Err(StoreFailed));
                }
                Done::Delete(reply, _) => {
                    let _ = reply.send(Err(StoreFailed));
                }
                Done::Purge(reply, _) => {
                    let _ = reply.send(Err(StoreFailed));
                }
                Done::Work(finish) => finish(false),
            }
        }
        return;
    }
    *usage = pending;
    if removed {
        // Deleted or expired ciphertext must not linger in the write-ahead log either
        // (`secure_delete` already overwrites it in the database pages).
        let _ = connection.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);");
    }
    for job in done {
        match job {
            Done::Insert(reply, outcome) => {
                let _ = reply.send(Ok(outcome));
            }
            Done::Delete(reply, outcome) => {
                let _ = reply.send(Ok(outcome));
            }
            Done::Purge(reply, count) => {
                let _ = reply.send(Ok(count));
            }
            Done::Work(finish) => finish(true),
        }
    }
}

fn fail(job: Job) {
    match job {
        Job::Insert { reply, .. } => {
            let _ = reply.send(Err(StoreFailed));
        }
        Job::Delete { reply, .. } => {
            let _ = reply.send(Err(StoreFailed));
        }
        Job::Purge { reply, .. } => {
            let _ = reply.send(Err(StoreFailed));
        }
        Job::Work(work) => {
            // Never run: the transaction could not start. Its caller hears of the failure
            // through the channel closing.
            drop(work);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, body: &[u8]) -> NewSubmission {
        NewSubmission {
            id: id.to_owned(),
            policy_id: "sh".to_owned(),
            policy_version: 1,
            body: body.to_vec(),
            body_sha256: selfreport_core::sync::wire::body_digest(body),
            deletion_hash: "0".repeat(64),
            received_at: "2026-11-28T08:00:00Z".to_owned(),
            expires_at: i64::MAX,
            receipt: format!("receipt of {id} {}", body.len()).into_bytes(),
        }
    }

    #[tokio::test]
    async fn a_group_is_stored_in_order_with_one_outcome_per_submission() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, thread) = SqliteWriter::start(&dir.path().join("db"), u64::MAX).unwrap();
        let a = "a".repeat(32);
        let b = "b".repeat(32);
        let outcomes = writer
            .insert_all(vec![
                row(&a, b"one"),
                row(&a, b"one"),
                row(&a, b"other"),
                row(&b, b"two"),
            ])
            .await;
        let stored_a = row(&a, b"one").receipt;
        assert_eq!(
            outcomes,
            vec![
                Ok(InsertOutcome::Stored(stored_a.clone())),
                Ok(InsertOutcome::Duplicate(stored_a.clone())),
                Ok(InsertOutcome::Conflict),
                Ok(InsertOutcome::Stored(row(&b, b"two").receipt)),
            ]
        );
        assert_eq!(
            writer.insert(row(&a, b"one")).await,
            Ok(InsertOutcome::Duplicate(stored_a))
        );
        assert!(writer.insert_all(Vec::new()).await.is_empty());
        drop(writer);
        thread.join().unwrap();
    }

    #[tokio::test]
    async fn the_quota_holds_within_a_group_across_restarts_and_deletions_give_room_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let [a, b, c] = ["a", "b", "c"].map(|x| x.repeat(32));
        // Rows of equal size: the quota holds two.
        let counted = counted_bytes(&row(&a, b"one").body, &row(&a, b"one").receipt);
        let quota = 2 * counted;
        let (writer, thread) = SqliteWriter::start(&path, quota).unwrap();
        let outcomes = writer
            .insert_all(vec![row(&a, b"one"), row(&b, b"two"), row(&c, b"six")])
            .await;
        assert_eq!(outcomes[2], Ok(InsertOutcome::OverQuota));
        assert!(matches!(outcomes[1], Ok(InsertOutcome::Stored(_))));
        // Full, a resend still gets its kept receipt.
        assert_eq!(
            writer.insert(row(&a, b"one")).await,
            Ok(InsertOutcome::Duplicate(row(&a, b"one").receipt))
        );
        drop(writer);
        thread.join().unwrap();

        // The stored bytes are read again at start.
        let (writer, thread) = SqliteWriter::start(&path, quota).unwrap();
        assert_eq!(
            writer.insert(row(&c, b"six")).await,
            Ok(InsertOutcome::OverQuota)
        );
        assert_eq!(
            writer.delete(b.clone(), "0".repeat(64)).await,
            Ok(DeleteOutcome::Deleted)
        );
        assert!(matches!(
            writer.insert(row(&c, b"six")).await,
            Ok(InsertOutcome::Stored(_))
        ));
        assert_eq!(
            writer.insert(row(&b, b"two")).await,
            Ok(InsertOutcome::OverQuota)
        );
        // Retention gives room back too.
        assert_eq!(writer.purge_expired(i64::MAX).await, Ok(2));
        assert!(matches!(
            writer.insert(row(&b, b"two")).await,
            Ok(InsertOutcome::Stored(_))
        ));
        drop(writer);
        thread.join().unwrap();
    }
}
