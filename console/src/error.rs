//! The console's one error type, with stable codes.

use crate::audit::AuditBreak;
use crate::kek::KekError;
use crate::password::PasswordError;

/// Why a console operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// The database failed or refused.
    #[error("database: {0}")]
    Database(String),
    /// The database's console tables are of a later version than this program.
    #[error("the console's tables are at version {found}; this program knows up to {supported}")]
    SchemaTooNew {
        /// The version found.
        found: i32,
        /// The latest this program writes.
        supported: i32,
    },
    /// A stored value is not one this program writes.
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    /// A user name, role, district or policy id given is not valid.
    #[error("{0}")]
    Invalid(String),
    /// No account has this name.
    #[error("no account is named {0}")]
    UnknownUser(String),
    /// An account with this name exists already.
    #[error("an account named {0} exists already")]
    UserExists(String),
    /// A password could not be set.
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// The key-encryption key is missing or does not open a stored secret.
    #[error(transparent)]
    Kek(#[from] KekError),
    /// The audit log does not verify.
    #[error(transparent)]
    Audit(#[from] AuditBreak),
    /// Ingest refused submissions that do not open or do not conform to their policy
    /// (one line each: the submission and what is wrong).
    #[error("refused:\n{0}")]
    Refused(String),
    /// A checkpoint's confirmation register does not verify (a line edited, added or
    /// signed by another key) or holds a confirmation that is not well formed: nothing of
    /// it was imported.
    #[error("the confirmation register is refused, nothing was imported: {0}")]
    ConfirmationRefused(String),
    /// A file could not be read or written.
    #[error("{0}")]
    Io(String),
}

impl ConsoleError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ConsoleError::Database(_) => "Database",
            ConsoleError::SchemaTooNew { .. } => "SchemaTooNew",
            ConsoleError::Corrupt(_) => "Corrupt",
            ConsoleError::Invalid(_) => "InvalidArgument",
            ConsoleError::UnknownUser(_) => "UnknownUser",
            ConsoleError::UserExists(_) => "UserExists",
            ConsoleError::Password(PasswordError::Length) => "PasswordLength",
            ConsoleError::Password(PasswordError::Hashing(_)) => "PasswordHashing",
            ConsoleError::Kek(KekError::TooOpen(_)) => "KeyFileTooOpen",
            ConsoleError::Kek(KekError::WrongKeyOrAltered) => "WrongKey",
            ConsoleError::Kek(_) => "KeyEncryptionKey",
            ConsoleError::Audit(error) => error.code(),
            ConsoleError::Refused(_) => "SubmissionRefused",
            ConsoleError::ConfirmationRefused(_) => "ConfirmationRefused",
            ConsoleError::Io(_) => "Io",
        }
    }

    /// The process exit status: 3 for invalid input, 5 for a log, store or register that
    /// fails its integrity check, 4 for a key problem, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            ConsoleError::Invalid(_)
            | ConsoleError::UnknownUser(_)
            | ConsoleError::UserExists(_)
            | ConsoleError::Password(PasswordError::Length) => 3,
            ConsoleError::Kek(_) => 4,
            ConsoleError::Audit(_)
            | ConsoleError::Corrupt(_)
            | ConsoleError::Refused(_)
            | ConsoleError::ConfirmationRefused(_) => 5,
            _ => 1,
        }
    }
}

impl From<tokio_postgres::Error> for ConsoleError {
    fn from(error: tokio_postgres::Error) -> Self {
        // The server's own message when it sent one (the full chain otherwise).
        let detail = error
            .as_db_error()
            .map_or_else(|| error.to_string(), |db| db.message().to_owned());
        ConsoleError::Database(detail)
    }
}
