//! Why the drop box could not start or stopped, and what a refused request answers.

use std::io;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use selfreport_core::policy::PolicyError;
use selfreport_core::sync::wire::{BatchError, ErrorBody, ErrorReply};

use crate::error::AuthorityError;

/// The drop box could not start (or failed while running).
///
/// Messages name files and settings, never key material or submission contents.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DropBoxError {
    /// The served policy was refused.
    #[error(transparent)]
    Policy(#[from] PolicyError),

    /// A key or policy file could not be used.
    #[error(transparent)]
    Authority(#[from] AuthorityError),

    /// The receipt key is not the one the policy names; devices would reject every
    /// receipt.
    #[error(
        "the receipt key does not match the policy's endpoint.receipt_key; receipts signed with it would not verify"
    )]
    ReceiptKeyMismatch,

    /// The path of the policy's endpoint URL cannot be served.
    #[error("the endpoint URL path `{path}` cannot be served: use segments of A-Z a-z 0-9 - . _ ~")]
    EndpointPath {
        /// The path (truncated).
        path: String,
    },

    /// A retention longer than the policy allows was asked for.
    #[error(
        "a retention of {requested} days is longer than the {allowed} days the policy promises (retention.server_days)"
    )]
    RetentionTooLong {
        /// Days asked for.
        requested: u32,
        /// The policy's `retention.server_days`.
        allowed: u32,
    },

    /// The revocation list file to relay cannot be used.
    #[error("the revocation list {} cannot be relayed: {detail}", path.display())]
    Revocations {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong.
        detail: String,
    },

    /// A rate limit of zero would refuse everything.
    #[error("the rate limit must be at least one request per second")]
    RateLimitZero,

    /// A quota of zero bytes would refuse every submission.
    #[error("the storage quota must be at least one byte")]
    QuotaZero,

    /// Notices kept zero days would be deleted before any device polled.
    #[error("notices must be kept at least one day (--notice-days)")]
    NoticeDaysZero,

    /// The TLS certificate or key could not be used.
    #[error("TLS setup failed: {detail}")]
    Tls {
        /// What was wrong.
        detail: String,
    },

    /// The database could not be opened or written.
    #[error("the drop box database {database} failed: {detail}")]
    Database {
        /// The database: a file's path, or a PostgreSQL URL without its password.
        database: String,
        /// What the database reported.
        detail: String,
    },

    /// A `postgres://` URL could not be read.
    #[error("the PostgreSQL URL could not be read: {detail}")]
    DatabaseUrl {
        /// What was wrong (never the URL itself, which may hold a password).
        detail: String,
    },

    /// An upload token key given to the drop box is not in the served policy's schedule.
    #[error(
        "the token key {spki_sha256} is not in the served policy's endpoint.token_keys; give only the keys the policy lists"
    )]
    TokenKeyNotInPolicy {
        /// The SHA-256 of the key's SPKI, hex (its `token_key_id`).
        spki_sha256: String,
    },

    /// A key of the served policy's schedule that issues today or later was not given.
    #[error(
        "the policy's {usage} token key for {from} to {until} was not given (--token-key FILE): the drop box could not issue on those days"
    )]
    TokenKeyMissing {
        /// `enrolled` or `open`.
        usage: &'static str,
        /// Its first day.
        from: chrono::NaiveDate,
        /// Its last day.
        until: chrono::NaiveDate,
    },

    /// The policy has `enrolled` token keys but the drop box was not given the policy's
    /// root key, without which it cannot verify enrollment orders.
    #[error(
        "the policy issues tokens against enrollment orders: give its root's public key (--trust signing.pub) so orders can be verified"
    )]
    TokenTrustMissing,

    /// The listening socket could not be set up.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// The operating system's error.
        source: io::Error,
    },

    /// The server stopped with an error.
    #[error("the server failed: {0}")]
    Server(io::Error),
}

impl DropBoxError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            DropBoxError::Policy(error) => error.code(),
            DropBoxError::Authority(error) => error.code(),
            DropBoxError::ReceiptKeyMismatch => "ReceiptKeyMismatch",
            DropBoxError::EndpointPath { .. } => "EndpointPath",
            DropBoxError::RetentionTooLong { .. } => "RetentionTooLong",
            DropBoxError::RateLimitZero => "RateLimitZero",
            DropBoxError::QuotaZero => "QuotaZero",
            DropBoxError::NoticeDaysZero => "NoticeDaysZero",
            DropBoxError::Revocations { .. } => "Revocations",
            DropBoxError::Tls { .. } => "Tls",
            DropBoxError::Database { .. } => "Database",
            DropBoxError::DatabaseUrl { .. } => "DatabaseUrl",
            DropBoxError::TokenKeyNotInPolicy { .. } => "TokenKeyNotInPolicy",
            DropBoxError::TokenKeyMissing { .. } => "TokenKeyMissing",
            DropBoxError::TokenTrustMissing => "TokenTrustMissing",
            DropBoxError::Listen { .. } => "Listen",
            DropBoxError::Server(_) => "Server",
        }
    }

    /// The process exit status: 2 for a usage mistake, 3 for invalid input files, 1
    /// otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            DropBoxError::Authority(error) => error.exit_code(),
            DropBoxError::RetentionTooLong { .. }
            | DropBoxError::RateLimitZero
            | DropBoxError::QuotaZero
            | DropBoxError::NoticeDaysZero
            | DropBoxError::DatabaseUrl { .. } => 2,
            DropBoxError::Policy(_)
            | DropBoxError::ReceiptKeyMismatch
            | DropBoxError::EndpointPath { .. }
            | DropBoxError::Revocations { .. }
            | DropBoxError::Tls { .. }
            | DropBoxError::TokenKeyNotInPolicy { .. }
            | DropBoxError::TokenKeyMissing { .. }
            | DropBoxError::TokenTrustMissing => 3,
            DropBoxError::Database { .. }
            | DropBoxError::Listen { .. }
            | DropBoxError::Server(_) => 1,
        }
    }

    pub(crate) fn listen(addr: impl ToString) -> impl FnOnce(io::Error) -> Self {
        let addr = addr.to_string();
        move |source| DropBoxError::Listen { addr, source }
    }
}

/// A refused request: its status, stable code and message. The message never includes
/// anything the client sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: &'static str,
    retry_after_seconds: Option<u64>,
    /// The `WWW-Authenticate` challenge a 401 must carry (RFC 9110 §15.5.2).
    challenge: Option<&'static str>,
}

impl ApiError {
    pub(crate) fn malformed(message: &'static str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Malformed", message)
    }

    pub(crate) fn too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "TooLarge",
            "the request body is larger than 262144 bytes",
        )
    }

    /// A token issuance request over its limit (the same status and code).
    pub(crate) fn tokens_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "TooLarge",
            "the request body is larger than 65536 bytes",
        )
    }

    /// A batch request over its own limit: the same status and code as
    /// [`ApiError::too_large`], with the batch route's limit in the message.
    pub(crate) fn batch_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "TooLarge",
            "the batch request body is larger than 1048576 bytes",
        )
    }

    pub(crate) fn conflict() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "Conflict",
            "a different submission with this id is already stored",
        )
    }

    pub(crate) fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            "no such submission or resource",
        )
    }

    /// A request to a route with a body whose `Content-Type` is not `application/json`.
    pub(crate) fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            "the request body must be sent as Content-Type: application/json",
        )
    }

    /// A deletion without a deletion token: no `Authorization: Bearer` credentials at all
    /// (a token that is there but wrong is [`ApiError::forbidden`]).
    pub(crate) fn unauthorized() -> Self {
        Self {
            challenge: Some("Bearer"),
            ..Self::new(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "a deletion needs the header Authorization: Bearer <deletion token>",
            )
        }
    }

    /// An upload without `Authorization: PrivateToken` under a policy with token keys.
    pub(crate) fn token_missing() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "TokenMissing",
            "an upload under this policy needs the header Authorization: PrivateToken token=\"...\"",
        )
    }

    /// A token that does not pay for this upload.
    pub(crate) fn token_invalid() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "TokenInvalid",
            "the upload token is not a valid token of this policy's schedule for this submission",
        )
    }

    /// A token that paid for another body.
    pub(crate) fn token_spent() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "TokenSpent",
            "the upload token was already spent on another submission",
        )
    }

    /// An enrollment past its token allowance.
    pub(crate) fn allowance_exhausted() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "AllowanceExhausted",
            "the enrollment order's token allowance is used up; nothing was signed",
        )
    }

    /// An enrollment order that does not verify against the served policy today.
    pub(crate) fn order_refused() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "the enrollment order does not verify for the served policy today",
        )
    }

    pub(crate) fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "the deletion token is malformed or does not match",
        )
    }

    /// A posted notice whose signature does not verify with the console key.
    pub(crate) fn notice_signature_invalid() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "the notice's signature does not verify with the console key",
        )
    }

    /// A notice that could not be stored (the database failed).
    pub(crate) fn notice_unavailable() -> Self {
        Self {
            retry_after_seconds: Some(5),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Unavailable",
                "the notice could not be stored; retry later",
            )
        }
    }

    /// An audit checkpoint whose signature does not verify with the console key.
    pub(crate) fn checkpoint_signature_invalid() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "the checkpoint's signature does not verify with the console key",
        )
    }

    /// An audit checkpoint counting no more entries than the last one kept.
    pub(crate) fn checkpoint_not_after_last() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "Conflict",
            "the checkpoint counts no more entries than the last one kept",
        )
    }

    /// The witness's database failed.
    pub(crate) fn checkpoint_unavailable() -> Self {
        Self {
            retry_after_seconds: Some(5),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Unavailable",
                "the audit checkpoints could not be stored or read; retry later",
            )
        }
    }

    /// The mailbox could not be read (the database failed).
    pub(crate) fn mailbox_unavailable() -> Self {
        Self {
            retry_after_seconds: Some(5),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Unavailable",
                "the notices could not be read; retry later",
            )
        }
    }

    pub(crate) fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "this method is not allowed on this resource",
        )
    }

    pub(crate) fn rate_limited(retry_after_seconds: u64) -> Self {
        Self {
            retry_after_seconds: Some(retry_after_seconds),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "RateLimited",
                "too many requests; retry after the delay in Retry-After",
            )
        }
    }

    pub(crate) fn timeout() -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "Timeout",
            "the request took too long",
        )
    }

    /// A new submission that would take the stored bytes past the disk quota; nothing of
    /// it was stored. Retried later by devices (a 5xx), by when retention or deletions
    /// may have made room.
    pub(crate) fn insufficient_storage() -> Self {
        Self::new(
            StatusCode::INSUFFICIENT_STORAGE,
            "InsufficientStorage",
            "the drop box is at its storage quota; nothing was stored; retry later",
        )
    }

    /// A registered order larger than a signed order may be.
    pub(crate) fn order_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "TooLarge",
            "the signed order is larger than 4096 bytes",
        )
    }

    /// A registered order the served policy does not accept, as a device would refuse it
    /// (not an order, another signer, another policy, outside its regions or forms), or
    /// past its period: only the policy's signer registers codes.
    pub(crate) fn code_order_refused() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "OrderRefused",
            "the order is not one the policy this drop box serves accepts, or its period is over",
        )
    }

    /// A code registered for another order.
    pub(crate) fn code_conflict() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "Conflict",
            "this code is registered for another order",
        )
    }

    /// A code the drop box does not give out: never registered, redeemed or expired (one
    /// answer for all three).
    pub(crate) fn code_unknown() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            "no order for this code: unknown, already used or expired",
        )
    }

    /// The codes' database failed.
    pub(crate) fn codes_unavailable() -> Self {
        Self {
            retry_after_seconds: Some(5),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Unavailable",
                "the enrollment codes could not be stored or read; retry later",
            )
        }
    }

    pub(crate) fn unavailable() -> Self {
        Self {
            retry_after_seconds: Some(5),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Unavailable",
                "the submission could not be stored; retry later",
            )
        }
    }

    /// The stable code (`"Malformed"`).
    #[cfg(test)]
    pub(crate) fn code(&self) -> &'static str {
        self.code
    }

    /// The HTTP status.
    #[cfg(test)]
    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    /// This refusal as one item of a batch reply: the status, code and message a request
    /// of its own would have had (a `Retry-After` has no place there).
    pub(crate) fn to_batch_error(&self) -> BatchError {
        BatchError {
            status: self.status.as_u16(),
            code: self.code.to_owned(),
            message: self.message.to_owned(),
        }
    }

    fn new(status: StatusCode, code: &'static str, message: &'static str) -> Self {
        Self {
            status,
            code,
            message,
            retry_after_seconds: None,
            challenge: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorReply {
            error: ErrorBody {
                code: self.code.to_owned(),
                message: self.message.to_owned(),
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after_seconds {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(challenge) = self.challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use selfreport_core::sync::wire::{MAX_BATCH_BYTES, MAX_SUBMISSION_BYTES};

    use super::*;

    #[test]
    fn the_size_refusals_name_their_routes_limits() {
        let single = ApiError::too_large();
        let batch = ApiError::batch_too_large();
        assert!(
            single
                .message
                .ends_with(&format!(" {MAX_SUBMISSION_BYTES} bytes"))
        );
        assert!(
            batch
                .message
                .ends_with(&format!(" {MAX_BATCH_BYTES} bytes"))
        );
        assert_eq!((single.status, single.code), (batch.status, batch.code));
        let item = single.to_batch_error();
        assert_eq!(
            (item.status, item.code.as_str(), item.message.as_str()),
            (413, "TooLarge", single.message)
        );
    }

    #[test]
    fn the_quota_refusal_is_507_and_documented_for_both_routes() {
        let error = ApiError::insufficient_storage();
        assert_eq!(error.status.as_u16(), 507);
        let item = error.to_batch_error();
        assert_eq!(
            (item.status, item.code.as_str()),
            (507, "InsufficientStorage")
        );
        let document = include_str!("../../../docs/openapi.yaml");
        assert!(document.contains("        \"507\":\n"));
        assert!(document.contains("enum: [400, 401, 409, 413, 503, 507]"));
        assert!(document.contains("Unavailable, InsufficientStorage]"));
        assert!(document.contains("                - InsufficientStorage\n"));
    }
}
