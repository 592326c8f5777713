//! Typed enrollment codes, as both backends keep them (issue 14; docs/protocol.md, "Typed
//! enrollment codes"): for each code registered, the SHA-256 of the code (never the code),
//! the signed order it stands for, that order's SHA-256 (unique: one live code per order,
//! a new code replacing the old) and when it expires (Unix seconds). Redeeming deletes the
//! row in the statement that reads it, so a code is given out once; the retention job
//! deletes expired rows. No row names a client or says when it was registered.

use super::{Storage, StoreFailed, sqlite_enrollment_codes};

/// A code to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewEnrollmentCode {
    /// Lowercase hex SHA-256 of the normalized code.
    pub(crate) code_hash: String,
    /// The signed order, as the authority sent it.
    pub(crate) signed_order: Vec<u8>,
    /// Lowercase hex SHA-256 of `signed_order`.
    pub(crate) order_sha256: String,
    /// Unix seconds from which the code is no longer given out.
    pub(crate) expires_at: i64,
}

/// What registering a code did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CodeRegistered {
    /// Registered now (replacing any other code for the same order).
    New,
    /// The same code was registered for the same order before.
    Again,
    /// The code is registered for another order.
    Conflict,
}

impl Storage {
    /// Registers `code` for its order: [`CodeRegistered::Again`] for the same code and
    /// order, [`CodeRegistered::Conflict`] for the same code and another order; otherwise
    /// any code registered for the same order is deleted and this one stored.
    pub(crate) async fn register_enrollment_code(
        &self,
        code: NewEnrollmentCode,
    ) -> Result<CodeRegistered, StoreFailed> {
        match self {
            Storage::Sqlite(writer) => {
                writer
                    .run(move |transaction| sqlite_enrollment_codes::register(transaction, &code))
                    .await
            }
            Storage::Postgres(store) => store.register_enrollment_code(&code).await,
        }
    }

    /// The signed order registered under `code_hash`, if it has not expired at `now`;
    /// its row is deleted either way, in the same transaction, so no code is redeemed
    /// twice.
    pub(crate) async fn redeem_enrollment_code(
        &self,
        code_hash: String,
        now: i64,
    ) -> Result<Option<Vec<u8>>, StoreFailed> {
        match self {
            Storage::Sqlite(writer) => {
                writer
                    .run(move |transaction| {
                        sqlite_enrollment_codes::redeem(transaction, &code_hash, now)
                    })
                    .await
            }
            Storage::Postgres(store) => store.redeem_enrollment_code(&code_hash, now).await,
        }
    }

    /// Deletes every code expired at `now`; returns how many.
    pub(crate) async fn purge_expired_enrollment_codes(
        &self,
        now: i64,
    ) -> Result<u64, StoreFailed> {
        match self {
            Storage::Sqlite(writer) => {
                writer
                    .run(move |transaction| {
                        sqlite_enrollment_codes::purge_expired(transaction, now)
                            .map(|count| (count, count > 0))
                    })
                    .await
            }
            Storage::Postgres(store) => store.purge_expired_enrollment_codes(now).await,
        }
    }
}
