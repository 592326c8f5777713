//! Logs from the core to the platform (Logcat, os_log) through the app's [`Logger`].
//!
//! Only operation names, counts, policy ids and error codes are logged: never an answer,
//! a profile attribute, a record id or a key.

use std::sync::{Arc, RwLock};

/// How important a log line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LogLevel {
    /// Details useful while developing.
    Debug,
    /// Normal operation.
    Info,
    /// Something failed and was reported to the caller.
    Warn,
}

/// An exception thrown by the app's [`Logger`] or [`crate::SyncListener`]. The core
/// ignores it: a failing log line or progress callback never fails the operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum CallbackError {
    /// The callback threw.
    #[error("the callback failed: {reason}")]
    Failed {
        /// The first line of what it threw.
        reason: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for CallbackError {
    fn from(error: uniffi::UnexpectedUniFFICallbackError) -> Self {
        CallbackError::Failed {
            reason: error.reason.lines().next().unwrap_or_default().to_owned(),
        }
    }
}

/// Receives the core's log lines. Implemented by the app; called from any thread. An
/// exception it throws is ignored (declared so that it cannot crash the core).
#[uniffi::export(with_foreign)]
pub trait Logger: Send + Sync {
    /// One log line. `target` is the component (`"selfreport.sync"`).
    fn log(&self, level: LogLevel, target: String, message: String) -> Result<(), CallbackError>;
}

static LOGGER: RwLock<Option<Arc<dyn Logger>>> = RwLock::new(None);

/// Sets (or, with `None`, removes) the process-wide logger.
#[uniffi::export]
pub fn set_logger(logger: Option<Arc<dyn Logger>>) {
    let mut slot = match LOGGER.write() {
        Ok(slot) => slot,
        Err(poisoned) => poisoned.into_inner(),
    };
    *slot = logger;
}

/// Sends one line to the logger, if one is set. Callers pass only non-personal text.
pub(crate) fn log(level: LogLevel, target: &str, message: impl FnOnce() -> String) {
    let logger = match LOGGER.read() {
        Ok(slot) => slot.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    };
    if let Some(logger) = logger {
        // A logger that throws loses its line; the operation goes on.
        let _ = logger.log(level, target.to_owned(), message());
    }
}
