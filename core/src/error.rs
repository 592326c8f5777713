//! The one error type of the core's public API, with stable codes apps can localize.
//!
//! Every failure the core reports maps to exactly one [`Error`] variant. [`Error::code`]
//! is a stable string (`"WrongKey"`, `"PolicyBadSignature"`...) that apps and the CLI
//! show and translate; [`Error::category`] groups codes for exit statuses and UI.

use crate::enrollment_code::EnrollmentCodeError;
use crate::minimize::MinimizeError;
use crate::model::ValidationError;
use crate::policy::PolicyError;
use crate::sync::transport::TransportError;

/// Result type of the core's public API.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An answer or profile attribute failed validation; names the field and the rule.
    #[error(transparent)]
    Invalid(#[from] ValidationError),

    /// A policy was refused at install or update; the installed policy is untouched.
    #[error(transparent)]
    Policy(#[from] PolicyError),

    /// A record could not be reduced under its policy (a record and policy that do not
    /// match, a value the transform cannot take).
    #[error(transparent)]
    Minimize(#[from] MinimizeError),

    /// The endpoint could not be reached or answered outside the protocol (a refused pin,
    /// a timeout, a redirect, an oversized reply); the code says which.
    #[error(transparent)]
    Transport(#[from] TransportError),

    /// A typed enrollment code was refused: malformed (found on the device, nothing
    /// sent), unknown or used up at the drop box, rate limited; the code says which.
    #[error(transparent)]
    EnrollmentCode(#[from] EnrollmentCodeError),

    /// The key source gave a key that does not open this store (wrong passphrase).
    #[error("the passphrase or key does not open this store")]
    WrongKey,

    /// The platform key store could not provide the key (reset keystore, restored
    /// backup, locked device). The store can only be reset; see the integration guide.
    #[error("the store key is unavailable: {reason}")]
    KeyUnavailable {
        /// What the key source reported.
        reason: String,
    },

    /// The key source failed for another reason (an exception in the app's key source, a
    /// keystore that needs the person to authenticate first). Nothing was changed; the
    /// operation may succeed when retried.
    #[error("the key source failed: {reason}")]
    KeySourceFailed {
        /// What the key source reported.
        reason: String,
    },

    /// Stored bytes failed their integrity check; names what was damaged.
    #[error("stored data failed its integrity check: {record}")]
    Corrupt {
        /// The damaged item: a record id, `canary`, `store_key` or `epoch_key:N`.
        record: String,
    },

    /// Nothing with this id exists.
    #[error("no {what} with id {id}")]
    NotFound {
        /// What was looked for (`profile`, `record`, `policy`...).
        what: &'static str,
        /// The id asked for.
        id: String,
    },

    /// The request contradicts the store's state (a registration already filed, a
    /// monitoring period that would overlap, a store that already exists...).
    #[error("{0}")]
    Conflict(String),

    /// No store exists at the path given.
    #[error("no store at {path}")]
    NotInitialized {
        /// The path looked at.
        path: String,
    },

    /// The database was written by a newer version of selfreport.
    #[error("the store has schema version {found}, newer than this build supports ({supported})")]
    SchemaTooNew {
        /// Version found in the file.
        found: i64,
        /// Newest version this build knows.
        supported: i64,
    },

    /// SQLite reported an error.
    #[error("storage error: {0}")]
    Storage(String),

    /// A file operation failed.
    #[error("file error: {0}")]
    Io(String),

    /// The system random generator or a cryptographic primitive failed.
    #[error("cryptographic failure: {0}")]
    Crypto(&'static str),
}

/// Broad classes of errors, for exit statuses and UI decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCategory {
    /// The input was invalid (answers, profile attributes, policy documents).
    InvalidInput,
    /// The key is wrong or missing.
    Key,
    /// Stored data failed an integrity check.
    Integrity,
    /// Anything else.
    Other,
}

impl Error {
    /// The stable code of this error, for logs, UI and localization.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid(error) => error.code(),
            Error::Policy(error) => error.code(),
            Error::Minimize(error) => error.code(),
            Error::Transport(error) => error.code(),
            Error::EnrollmentCode(error) => error.code(),
            Error::WrongKey => "WrongKey",
            Error::KeyUnavailable { .. } => "KeyUnavailable",
            Error::KeySourceFailed { .. } => "KeySourceFailed",
            Error::Corrupt { .. } => "Corrupt",
            Error::NotFound { .. } => "NotFound",
            Error::Conflict(_) => "Conflict",
            Error::NotInitialized { .. } => "NotInitialized",
            Error::SchemaTooNew { .. } => "SchemaTooNew",
            Error::Storage(_) => "Storage",
            Error::Io(_) => "Io",
            Error::Crypto(_) => "Crypto",
        }
    }

    /// The broad class of this error.
    pub fn category(&self) -> ErrorCategory {
        match self {
            Error::Invalid(_)
            | Error::Policy(_)
            | Error::Minimize(_)
            | Error::EnrollmentCode(EnrollmentCodeError::Malformed(_)) => {
                ErrorCategory::InvalidInput
            }
            Error::WrongKey | Error::KeyUnavailable { .. } | Error::KeySourceFailed { .. } => {
                ErrorCategory::Key
            }
            Error::Corrupt { .. } | Error::SchemaTooNew { .. } => ErrorCategory::Integrity,
            Error::NotFound { .. }
            | Error::Transport(_)
            | Error::EnrollmentCode(_)
            | Error::Conflict(_)
            | Error::NotInitialized { .. }
            | Error::Storage(_)
            | Error::Io(_)
            | Error::Crypto(_) => ErrorCategory::Other,
        }
    }

    pub(crate) fn corrupt(record: impl Into<String>) -> Self {
        Error::Corrupt {
            record: record.into(),
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(error: rusqlite::Error) -> Self {
        match &error {
            // A file that is not a database, or a damaged page, is an integrity failure.
            rusqlite::Error::SqliteFailure(failure, _)
                if matches!(
                    failure.code,
                    rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt
                ) =>
            {
                Error::corrupt("database file")
            }
            _ => Error::Storage(error.to_string()),
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(error: std::io::Error) -> Self {
        Error::Io(error.to_string())
    }
}
