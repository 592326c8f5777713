//! Progress and cancellation of [`crate::SelfReport::sync`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use selfreport_core::sync::CancelToken;

use crate::logger::CallbackError;
use crate::types::SyncEvent;

/// Receives each submission's progress during a sync. Always called on one of the core's
/// own threads (named `selfreport-core`), never on the thread that awaits the sync: hop
/// to the main thread before touching UI, and never block it waiting for another call on
/// the same object (`erase` waits for the sync, which waits for the listener). An
/// exception it throws is ignored: the sync goes on and the outbox stays the source of
/// truth.
#[uniffi::export(with_foreign)]
pub trait SyncListener: Send + Sync {
    /// One submission was queued, delivered, rescheduled or refused.
    fn on_event(&self, event: SyncEvent) -> Result<(), CallbackError>;
}

/// Stops a running sync between submissions; erasing the store does too (and marks this
/// cancellation cancelled, so use a new one for each sync). Cancelling the coroutine or
/// task that awaits the sync stops it at once, dropping a request in flight. Queued
/// submissions stay queued either way.
#[derive(Debug, Default, uniffi::Object)]
pub struct SyncCancellation {
    token: CancelToken,
}

#[uniffi::export]
impl SyncCancellation {
    /// A cancellation not yet requested.
    #[uniffi::constructor]
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the sync to stop after the submissions in flight.
    pub fn cancel(&self) {
        self.token.cancel();
    }

    /// Whether cancellation was asked for.
    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }
}

impl SyncCancellation {
    pub(crate) fn token(&self) -> &CancelToken {
        &self.token
    }
}

/// The cancel tokens of the syncs running on one [`crate::SelfReport`], so `erase` can
/// stop them before it erases.
#[derive(Debug, Default)]
pub(crate) struct RunningSyncs {
    next: AtomicU64,
    tokens: Mutex<HashMap<u64, CancelToken>>,
}

impl RunningSyncs {
    /// Registers a sync's token until the returned guard is dropped.
    pub(crate) fn start(self: &Arc<Self>, token: CancelToken) -> SyncRun {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.tokens().insert(id, token);
        SyncRun {
            syncs: Arc::clone(self),
            id,
        }
    }

    /// Cancels every running sync; each stops after the submissions in flight.
    pub(crate) fn cancel_all(&self) {
        for token in self.tokens().values() {
            token.cancel();
        }
    }

    fn tokens(&self) -> MutexGuard<'_, HashMap<u64, CancelToken>> {
        // A panic while holding the lock cannot leave the map half-changed (insert and
        // remove are single calls), so a poisoned lock is still good.
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// One running sync, registered in [`RunningSyncs`] while it lives.
#[derive(Debug)]
pub(crate) struct SyncRun {
    syncs: Arc<RunningSyncs>,
    id: u64,
}

impl Drop for SyncRun {
    fn drop(&mut self) {
        self.syncs.tokens().remove(&self.id);
    }
}
