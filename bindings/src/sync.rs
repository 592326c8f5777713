//! Progress and cancellation of [`crate::SelfReport::sync`].

use selfreport_core::sync::CancelToken;

use crate::logger::CallbackError;
use crate::types::SyncEvent;

/// Receives each submission's progress during a sync. Called from a background thread;
/// hop to the main thread before touching UI. An exception it throws is ignored: the
/// sync goes on and the outbox stays the source of truth.
#[uniffi::export(with_foreign)]
pub trait SyncListener: Send + Sync {
    /// One submission was queued, delivered, rescheduled or refused.
    fn on_event(&self, event: SyncEvent) -> Result<(), CallbackError>;
}

/// Stops a running sync between submissions. Cancelling the coroutine or task that awaits
/// the sync also stops it; queued submissions stay queued either way.
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
