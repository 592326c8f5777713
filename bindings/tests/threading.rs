//! The threading contract of the facade (issue 17): the work of a long call runs on the
//! core's threads, so the caller's thread (an app's event loop) stays free, and listener
//! callbacks arrive on a core thread; `erase` stops a running sync instead of refusing;
//! a closed object answers every call with `Closed`.

mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use selfreport_ffi::ids::{MonitoringId, ProfileId, SubmissionId};
use selfreport_ffi::types::{SyncEvent, SyncSummary};
use selfreport_ffi::{
    CallbackError, SelfReport, SelfReportError, SyncCancellation, SyncListener, runtime,
};
use support::{Fixture, block_on, files_under, store_with_records};

/// Household members and days of reports: 120 submissions to send.
const PROFILES: usize = 24;
const DAYS: i64 = 5;

/// Records the thread of every callback and, every `HANDSHAKE_EVERY` events, waits until
/// the caller's ticker has advanced: a callback run on the caller's event loop would wait
/// in vain, since the ticker could not run meanwhile.
struct ThreadProbe {
    ticks: Arc<AtomicU64>,
    threads: Mutex<Vec<(ThreadId, Option<String>)>>,
    stalled: AtomicBool,
}

const HANDSHAKE_EVERY: usize = 20;

impl SyncListener for ThreadProbe {
    fn on_event(&self, _event: SyncEvent) -> Result<(), CallbackError> {
        let thread = std::thread::current();
        let seen = {
            let mut threads = self.threads.lock().expect("not poisoned");
            threads.push((thread.id(), thread.name().map(str::to_owned)));
            threads.len()
        };
        if seen % HANDSHAKE_EVERY == 1 {
            let before = self.ticks.load(Ordering::SeqCst);
            let deadline = Instant::now() + Duration::from_secs(10);
            while self.ticks.load(Ordering::SeqCst) <= before + 1 {
                if Instant::now() > deadline {
                    self.stalled.store(true, Ordering::SeqCst);
                    break;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        Ok(())
    }
}

#[test]
fn sync_works_on_core_threads_while_the_callers_loop_keeps_running() {
    let fixture = Fixture::make();
    let _drop_box = fixture.start_drop_box();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let core = store_with_records(dir.path(), &fixture, PROFILES, DAYS);
    let caller = std::thread::current().id();
    let ticks = Arc::new(AtomicU64::new(0));
    let probe = Arc::new(ThreadProbe {
        ticks: ticks.clone(),
        threads: Mutex::new(Vec::new()),
        stalled: AtomicBool::new(false),
    });

    let (summary, ticks_during_sync) = block_on({
        let core = core.clone();
        let probe = probe.clone();
        async move {
            // The app's own work on its event loop, beside the sync.
            let ticker = tokio::spawn(async move {
                loop {
                    ticks.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            });
            tokio::task::yield_now().await;
            let before = probe.ticks.load(Ordering::SeqCst);
            let summary = core.sync(Some(probe.clone()), None).await;
            let during = probe.ticks.load(Ordering::SeqCst) - before;
            ticker.abort();
            (summary, during)
        }
    });

    let summary = summary.expect("the sync ran");
    let expected = u32::try_from(PROFILES).expect("small") * u32::try_from(DAYS).expect("small");
    assert!(summary.queued >= expected, "{summary:?}");
    assert_eq!((summary.delivered, summary.failed), (summary.queued, 0));
    let threads = probe.threads.lock().expect("not poisoned");
    assert_eq!(
        threads.len(),
        2 * summary.queued as usize,
        "queued and delivered events"
    );
    assert!(
        threads.iter().all(|(id, _)| *id != caller),
        "a callback ran on the caller's thread"
    );
    assert!(
        threads
            .iter()
            .all(|(_, name)| name.as_deref() == Some(runtime::THREAD_NAME)),
        "callbacks run on the core's named threads"
    );
    assert!(
        !probe.stalled.load(Ordering::SeqCst),
        "the caller's loop stalled during the sync"
    );
    assert!(ticks_during_sync > 0);
}

#[test]
fn long_calls_never_run_their_work_on_the_callers_thread() {
    // The key source is the app's code the core calls back: it must be called on a core
    // thread during open and key change.
    struct Recording {
        inner: Arc<dyn selfreport_ffi::KeySource>,
        threads: Mutex<Vec<ThreadId>>,
    }
    impl selfreport_ffi::KeySource for Recording {
        fn wrap(&self, key: Vec<u8>) -> Result<Vec<u8>, selfreport_ffi::KeySourceError> {
            self.threads
                .lock()
                .expect("not poisoned")
                .push(std::thread::current().id());
            self.inner.wrap(key)
        }
        fn unwrap(&self, blob: Vec<u8>) -> Result<Vec<u8>, selfreport_ffi::KeySourceError> {
            self.threads
                .lock()
                .expect("not poisoned")
                .push(std::thread::current().id());
            self.inner.unwrap(blob)
        }
    }
    let fixture = Fixture::make();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let key = Arc::new(Recording {
        inner: selfreport_ffi::passphrase_key_source("a passphrase".to_owned(), 1000),
        threads: Mutex::new(Vec::new()),
    });
    let caller = std::thread::current().id();
    let store = support::store_dir(dir.path());
    let core = block_on(SelfReport::open(
        store.clone(),
        key.clone(),
        fixture.options(),
    ))
    .expect("created");
    drop(core);
    let core = block_on(SelfReport::open(store, key.clone(), fixture.options())).expect("opened");
    block_on(core.change_key(key.clone())).expect("key changed");
    let threads = key.threads.lock().expect("not poisoned").clone();
    assert!(
        threads.len() >= 3,
        "wrap at create, unwrap at open, wrap at change: {threads:?}"
    );
    assert!(
        threads.iter().all(|id| *id != caller),
        "the key source ran on the caller's thread"
    );
}

/// Signals its first event, then holds the sync there until the cancellation it was
/// given is cancelled (by `erase`), so the test erases while the sync is surely running.
struct HeldAtFirstEvent {
    started: Mutex<Option<mpsc::Sender<()>>>,
    cancellation: Arc<SyncCancellation>,
}

impl SyncListener for HeldAtFirstEvent {
    fn on_event(&self, _event: SyncEvent) -> Result<(), CallbackError> {
        if let Some(started) = self.started.lock().expect("not poisoned").take() {
            let _ = started.send(());
            let deadline = Instant::now() + Duration::from_secs(20);
            while !self.cancellation.is_cancelled() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        Ok(())
    }
}

#[test]
fn erase_cancels_a_running_sync_then_erases() {
    let fixture = Fixture::make();
    let _drop_box = fixture.start_drop_box();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let core = store_with_records(dir.path(), &fixture, PROFILES, DAYS);
    let (started, first_event) = mpsc::channel();
    let cancellation = Arc::new(SyncCancellation::new());
    let listener = Arc::new(HeldAtFirstEvent {
        started: Mutex::new(Some(started)),
        cancellation: cancellation.clone(),
    });
    let syncing = std::thread::spawn({
        let core = core.clone();
        move || block_on(core.sync(Some(listener), Some(cancellation)))
    });
    first_event
        .recv_timeout(Duration::from_secs(30))
        .expect("the sync started");

    block_on(core.erase()).expect("erase waits for the sync instead of answering Busy");

    let summary: SyncSummary = syncing
        .join()
        .expect("the sync thread ended")
        .expect("the sync ended cleanly");
    assert!(summary.cancelled, "{summary:?}");
    assert!(
        summary.delivered < summary.queued,
        "stopped before the end: {summary:?}"
    );
    let store = dir.path().join("store");
    assert_eq!(files_under(&store), Vec::<std::path::PathBuf>::new());
    assert!(!selfreport_ffi::store_exists(support::store_dir(
        dir.path()
    )));
}

#[test]
fn a_closed_object_answers_every_call_with_closed() {
    let fixture = Fixture::make();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let core = store_with_records(dir.path(), &fixture, 1, 1);
    block_on(core.erase()).expect("erased");

    fn closed<T: std::fmt::Debug>(result: Result<T, SelfReportError>) {
        match result {
            Err(SelfReportError::Closed { code, .. }) => assert_eq!(code, "Closed"),
            other => panic!("expected Closed, got {other:?}"),
        }
    }
    closed(core.today());
    closed(core.install_policy(fixture.signed_policy()));
    closed(core.policies());
    closed(core.profiles());
    closed(core.due(None));
    closed(core.has_consent("daily-report".to_owned()));
    closed(block_on(core.records()));
    closed(block_on(core.ledger()));
    closed(block_on(core.verify_ledger()));
    closed(block_on(core.export()));
    closed(block_on(core.purge(None)));
    closed(block_on(core.sync(None, None)));
    closed(block_on(core.request_deletion(SubmissionId {
        value: "00".repeat(16),
    })));
    closed(core.check_answers(
        ProfileId {
            value: "00".repeat(16),
        },
        "daily-report".to_owned(),
        "daily".to_owned(),
        None,
        HashMap::new(),
    ));
    closed(core.update_profile(
        ProfileId {
            value: "00".repeat(16),
        },
        selfreport_ffi::types::NewProfile {
            display_name: "Mum".to_owned(),
            name: None,
            id_number: None,
            phone: None,
            birth_date: None,
            passport_number: None,
        },
    ));
    closed(core.delete_profile(ProfileId {
        value: "00".repeat(16),
    }));
    closed(core.end_monitoring(
        MonitoringId {
            value: "00".repeat(16),
        },
        None,
    ));
    closed(block_on(core.update_policy("daily-report".to_owned())));
    closed(block_on(core.erase()));
}
