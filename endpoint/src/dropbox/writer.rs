//! The single writer: one thread owns the database connection and commits work in
//! groups.
//!
//! Request handlers send jobs over a channel and await the outcome. The thread takes
//! every job waiting (up to [`MAX_BATCH`]) and runs them in one transaction, so one
//! synchronous commit covers many submissions: a receipt is only sent once its
//! submission is durably stored, and throughput does not pay one disk flush per request.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::error::DropBoxError;
use super::store::{self, DeleteOutcome, InsertOutcome, NewSubmission};

/// Most jobs committed together.
const MAX_BATCH: usize = 256;

/// The database failed; the job was not done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StoreFailed;

enum Job {
    Insert {
        submission: Box<NewSubmission>,
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
}

/// A handle to the writer thread; cheap to clone. The thread ends when every handle is
/// dropped.
#[derive(Clone)]
pub(crate) struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Opens the database and starts the writer thread.
    pub(crate) fn start(path: &Path) -> Result<(Writer, thread::JoinHandle<()>), DropBoxError> {
        let database_error = |error: rusqlite::Error| DropBoxError::Database {
            path: path.to_path_buf(),
            detail: error.to_string(),
        };
        let connection = store::open(path).map_err(database_error)?;
        let (jobs, queue) = mpsc::channel();
        let path: PathBuf = path.to_path_buf();
        let thread = thread::Builder::new()
            .name("dropbox-writer".to_owned())
            .spawn(move || run(connection, queue))
            .map_err(|error| DropBoxError::Database {
                path,
                detail: format!("cannot start the writer thread: {error}"),
            })?;
        Ok((Writer { jobs }, thread))
    }

    /// Stores a submission (idempotently, see [`store::insert`]).
    pub(crate) async fn insert(
        &self,
        submission: NewSubmission,
    ) -> Result<InsertOutcome, StoreFailed> {
        let (reply, outcome) = oneshot::channel();
        self.send(Job::Insert {
            submission: Box::new(submission),
            reply,
        })?;
        outcome.await.map_err(|_| StoreFailed)?
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
    pub(crate) async fn purge_expired(&self, now: i64) -> Result<usize, StoreFailed> {
        let (reply, outcome) = oneshot::channel();
        self.send(Job::Purge { now, reply })?;
        outcome.await.map_err(|_| StoreFailed)?
    }

    fn send(&self, job: Job) -> Result<(), StoreFailed> {
        self.jobs.send(job).map_err(|_| StoreFailed)
    }
}

fn run(mut connection: Connection, queue: mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut batch = Vec::with_capacity(16);
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(&mut connection, batch);
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
}

/// Runs `batch` in one transaction and answers each job once it has committed (or
/// failed). A job whose statement fails gets its error at once; the others still commit.
fn run_batch(connection: &mut Connection, batch: Vec<Job>) {
    let transaction = match connection.transaction() {
        Ok(transaction) => transaction,
        Err(_) => {
            batch.into_iter().for_each(fail);
            return;
        }
    };
    let mut done = Vec::with_capacity(batch.len());
    let mut removed = false;
    for job in batch {
        match job {
            Job::Insert { submission, reply } => match store::insert(&transaction, &submission) {
                Ok(outcome) => done.push(Done::Insert(reply, outcome)),
                Err(_) => {
                    let _ = reply.send(Err(StoreFailed));
                }
            },
            Job::Delete {
                id,
                token_hash,
                reply,
            } => match store::delete(&transaction, &id, &token_hash) {
                Ok(outcome) => {
                    removed |= outcome == DeleteOutcome::Deleted;
                    done.push(Done::Delete(reply, outcome));
                }
                Err(_) => {
                    let _ = reply.send(Err(StoreFailed));
                }
            },
            Job::Purge { now, reply } => match store::purge_expired(&transaction, now) {
                Ok(count) => {
                    removed |= count > 0;
                    done.push(Done::Purge(reply, count));
                }
                Err(_) => {
                    let _ = reply.send(Err(StoreFailed));
                }
            },
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
            }
        }
        return;
    }
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
    }
}
