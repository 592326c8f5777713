//! The threads the core owns: every long call runs here, never on the app's thread.
//!
//! uniffi polls an exported future on whichever thread awaits it (Python's event loop, a
//! Kotlin dispatcher, a Swift task's executor). If that future did the work itself, a
//! sync would seal, write SQLite and call the app's listener on that thread, and
//! `viewModelScope.launch { core.sync() }` would do it on Android's main thread. So each
//! exported future only waits: the work is handed to one tokio runtime inside the library,
//! driven by a thread of its own (its async tasks: network, the sync loop), and to that
//! runtime's blocking pool (store reads and writes, key derivation, file deletion). Both
//! are created once, on first use.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use tokio::runtime::Handle;
use tokio::sync::oneshot;
use tokio::task::{JoinError, JoinHandle};

use crate::error::SelfReportError;

/// The name every thread of the core carries; the thread tests and the integration guides
/// refer to it.
pub const THREAD_NAME: &str = "selfreport-core";

/// Blocking threads at most: store work is serialized by the store's one writer anyway,
/// so more threads would only queue on its lock.
const MAX_BLOCKING_THREADS: usize = 8;

/// The runtime's handle, or why it could not be started (no threads left to the process),
/// kept so every later call gets the same typed error instead of retrying forever.
static RUNTIME: OnceLock<Result<Handle, String>> = OnceLock::new();

/// A current-thread runtime driven by one thread of its own (async tasks: the sync loop and
/// its requests), with its blocking pool (store work). Not tokio's multi-thread scheduler:
/// on a phone one thread keeps a few requests in flight just as well, and that scheduler
/// would add about 100 KB to the library apps ship (docs/performance.md).
fn runtime() -> Result<&'static Handle, SelfReportError> {
    let started = RUNTIME.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .max_blocking_threads(MAX_BLOCKING_THREADS)
            .thread_name(THREAD_NAME)
            .enable_all()
            .build()
            .map_err(|error| error.to_string())?;
        let handle = runtime.handle().clone();
        // The driving thread runs the runtime's tasks for the life of the process.
        std::thread::Builder::new()
            .name(THREAD_NAME.to_owned())
            .spawn(move || runtime.block_on(std::future::pending::<()>()))
            .map_err(|error| error.to_string())?;
        Ok(handle)
    });
    started
        .as_ref()
        .map_err(|reason| SelfReportError::Internal {
            code: "Runtime".to_owned(),
            detail: format!("the core's threads could not be started: {reason}"),
        })
}

/// Blocking work as the pool receives it: one type for every call, so tokio's task
/// machinery is compiled once instead of once per closure (each copy is several KB of the
/// library apps ship).
type BlockingJob = Box<dyn FnOnce() + Send>;

/// An async task as the runtime receives it, one type for every call (see [`BlockingJob`]).
type AsyncJob = Pin<Box<dyn Future<Output = ()> + Send>>;

/// What a job answers, its type erased, so the code that waits for it (the channel, the
/// handle, the answer) is compiled once rather than once per method: each copy was a few
/// KB of the library apps ship (docs/performance.md, "Library size").
type Answer = Result<Box<dyn Any + Send>, SelfReportError>;

/// A wait for a job's [`Answer`], one type for every call.
type Wait = Pin<Box<dyn Future<Output = Answer> + Send>>;

/// Runs blocking `work` (store reads and writes, key derivation) on the core's blocking
/// pool; the returned future only waits for it. If that future is dropped (the app
/// cancelled its coroutine or task), `work` still runs to its end, so a write is never
/// cut in half.
pub(crate) async fn blocking<T, W>(work: W) -> Result<T, SelfReportError>
where
    T: Send + 'static,
    W: FnOnce() -> Result<T, SelfReportError> + Send + 'static,
{
    let work: Box<dyn FnOnce() -> Answer + Send> =
        Box::new(move || work().map(|value| Box::new(value) as Box<dyn Any + Send>));
    answered(blocking_wait(work).await)
}

/// [`blocking`] once the work's answer is erased.
fn blocking_wait(work: Box<dyn FnOnce() -> Answer + Send>) -> Wait {
    Box::pin(async move {
        let (sender, receiver) = oneshot::channel();
        let job: BlockingJob = Box::new(move || {
            // Nobody to tell if the caller stopped waiting; the work is done either way.
            let _ = sender.send(work());
        });
        let handle = runtime()?.spawn_blocking(job);
        answer(receiver, handle).await
    })
}

/// Runs `task` (network round trips, the sync loop) on the core's runtime; the returned
/// future only waits for it. Dropping that future (the app cancelled the coroutine or
/// task awaiting it) aborts `task` at its next await point, as dropping `task` itself
/// did when it ran on the caller's thread: a request in flight is dropped, and what is on
/// disk stays consistent (the outbox resends the same bytes).
pub(crate) async fn spawned<T, F>(task: F) -> Result<T, SelfReportError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, SelfReportError>> + Send + 'static,
{
    let task: Wait = Box::pin(async move {
        task.await
            .map(|value| Box::new(value) as Box<dyn Any + Send>)
    });
    answered(spawned_wait(task).await)
}

/// [`spawned`] once the task's answer is erased.
fn spawned_wait(task: Wait) -> Wait {
    Box::pin(async move {
        let (sender, receiver) = oneshot::channel();
        let job: AsyncJob = Box::pin(async move {
            let _ = sender.send(task.await);
        });
        let handle = AbortOnDrop(runtime()?.spawn(job));
        answer(receiver, handle).await
    })
}

/// The answer as the type the job made.
fn answered<T: 'static>(answer: Answer) -> Result<T, SelfReportError> {
    answer?
        .downcast::<T>()
        .map(|value| *value)
        .map_err(|_| task_failed_silently())
}

/// A task's handle that aborts the task when dropped before the task ended.
struct AbortOnDrop(JoinHandle<()>);

impl Future for AbortOnDrop {
    type Output = Result<(), JoinError>;

    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(context)
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        // A no-op once the task ended.
        self.0.abort();
    }
}

/// The job's answer; if it ended without one, why (from its handle). `handle` lives as
/// long as the wait, so dropping the wait drops it (for [`spawned`], aborting the task).
async fn answer(
    receiver: oneshot::Receiver<Answer>,
    handle: impl Future<Output = Result<(), JoinError>>,
) -> Answer {
    match receiver.await {
        Ok(result) => result,
        Err(_) => match handle.await {
            Err(error) => Err(task_failed(&error)),
            Ok(()) => Err(task_failed_silently()),
        },
    }
}

/// A task that panicked (a bug) or was aborted by the runtime's shutdown: a typed error,
/// never a panic across the boundary.
fn task_failed(error: &JoinError) -> SelfReportError {
    let why = if error.is_panic() {
        "panicked"
    } else {
        "was stopped"
    };
    SelfReportError::Internal {
        code: "TaskFailed".to_owned(),
        detail: format!("the core's task {why}"),
    }
}

/// A job that ended without answering and without failing: cannot happen (every job
/// sends before it ends), answered all the same rather than assumed away.
fn task_failed_silently() -> SelfReportError {
    SelfReportError::Internal {
        code: "TaskFailed".to_owned(),
        detail: "the core's task ended without an answer".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use super::*;

    fn block_on<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a test runtime")
            .block_on(future)
    }

    #[test]
    fn blocking_work_runs_on_a_core_thread() {
        let caller = std::thread::current().id();
        let (id, name) = block_on(blocking(|| {
            let thread = std::thread::current();
            Ok((thread.id(), thread.name().map(str::to_owned)))
        }))
        .expect("the work ran");
        assert_ne!(id, caller);
        assert_eq!(name.as_deref(), Some(THREAD_NAME));
    }

    #[test]
    fn async_tasks_run_on_a_core_thread() {
        let caller = std::thread::current().id();
        let (id, name) = block_on(spawned(async {
            let thread = std::thread::current();
            Ok((thread.id(), thread.name().map(str::to_owned)))
        }))
        .expect("the task ran");
        assert_ne!(id, caller);
        assert_eq!(name.as_deref(), Some(THREAD_NAME));
    }

    #[test]
    fn dropping_the_wait_aborts_an_async_task() {
        struct SetOnDrop(Arc<AtomicBool>);
        impl Drop for SetOnDrop {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let dropped = Arc::new(AtomicBool::new(false));
        let guard = SetOnDrop(dropped.clone());
        let task = spawned::<(), _>(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
            Ok(())
        });
        // The timeout drops the wait after 100 ms, as a cancelled coroutine would.
        let waited =
            block_on(async { tokio::time::timeout(Duration::from_millis(100), task).await });
        assert!(waited.is_err(), "the task never ends on its own");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !dropped.load(Ordering::SeqCst) {
            assert!(
                std::time::Instant::now() < deadline,
                "the task was not aborted"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn a_panicking_async_task_is_a_typed_error() {
        let failed = block_on(spawned::<(), _>(async { panic!("a bug in the core") }));
        match failed {
            Err(SelfReportError::Internal { code, detail }) => {
                assert_eq!(code, "TaskFailed");
                assert!(detail.contains("panicked"), "{detail}");
            }
            other => panic!("expected TaskFailed, got {other:?}"),
        }
    }

    #[test]
    fn a_panicking_task_is_a_typed_error() {
        let failed = block_on(blocking::<(), _>(|| panic!("a bug in the core")));
        match failed {
            Err(SelfReportError::Internal { code, .. }) => assert_eq!(code, "TaskFailed"),
            other => panic!("expected TaskFailed, got {other:?}"),
        }
    }
}
