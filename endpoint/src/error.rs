//! The authority tools' error type, with stable codes and exit statuses.

use std::io;
use std::path::{Path, PathBuf};

use selfreport_core::crypto::signature::SigningKeyError;
use selfreport_core::policy::PolicyError;

/// Result type of the authority tools.
pub type Result<T, E = AuthorityError> = std::result::Result<T, E>;

/// Everything that can go wrong generating keys, signing policies or opening submissions.
///
/// Messages name the file concerned and never include the content of a key file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorityError {
    /// A key file is already there; key files are never overwritten.
    #[error("{} already exists; key files are never overwritten (choose another directory)", path.display())]
    KeyFileExists {
        /// The existing file.
        path: PathBuf,
    },

    /// A signing key file does not hold a signing key.
    #[error(
        "{} is not a selfreport signing key: expected the standard base64 of a 32-byte Ed25519 seed on one line, as written by `keygen`",
        path.display()
    )]
    KeyFileMalformed {
        /// The key file.
        path: PathBuf,
    },

    /// A public key file was given where the private signing key is needed.
    #[error(
        "{} is a public key file; signing needs the private key (`signing.key`)",
        path.display()
    )]
    KeyFileIsPublic {
        /// The file given.
        path: PathBuf,
    },

    /// A signing key file can be read by other users; it is refused, as ssh does.
    #[error(
        "{} is accessible by other users (mode {mode:03o}); run `chmod 600` on it",
        path.display()
    )]
    KeyFileTooOpen {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },

    /// The output file is one of the input files; writing it would destroy that input.
    #[error("the output {} is also the {what}; choose another output file", path.display())]
    OutputIsInput {
        /// The output path.
        path: PathBuf,
        /// Which input it is (`policy document`, `signing key`).
        what: &'static str,
    },

    /// The policy document was refused; an authority cannot sign what every app would refuse.
    #[error(transparent)]
    Policy(#[from] PolicyError),

    /// A file operation failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done (`read`, `create`, `write`...).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },

    /// The system random generator failed.
    #[error("the system random generator failed")]
    Random,

    /// A recipient name given to `keygen` is not a policy identifier, or is repeated.
    #[error(
        "`{name}` is not a usable recipient name: use 1 to 64 characters of a-z 0-9 - _, each name once"
    )]
    InvalidRecipientName {
        /// The name given (truncated).
        name: String,
    },

    /// A recipient key file does not hold an X25519 private key.
    #[error(
        "{} is not a selfreport recipient key: expected the standard base64 of a 32-byte X25519 private key on one line, as written by `keygen`",
        path.display()
    )]
    RecipientKeyMalformed {
        /// The key file.
        path: PathBuf,
    },

    /// A recipient key is not the private half of any recipient of the policy.
    #[error(
        "{} is not the private key of any recipient of policy {policy_id}",
        path.display()
    )]
    RecipientKeyNotInPolicy {
        /// The key file.
        path: PathBuf,
        /// The policy's id.
        policy_id: String,
    },

    /// The drop box database could not be read.
    #[error("cannot read the drop box database {}: {detail}", path.display())]
    Database {
        /// The database: a SQLite file's path, or a PostgreSQL URL without its password.
        path: PathBuf,
        /// What the database reported.
        detail: String,
    },

    /// A `postgres://` URL naming the drop box database could not be read.
    #[error("the PostgreSQL URL could not be read: {detail}")]
    DatabaseUrl {
        /// What was wrong (never the URL itself, which may hold a password).
        detail: String,
    },

    /// A policy or form id too long for a FHIR resource id (64 characters).
    #[error("{id} is longer than the 64 characters of a FHIR id; shorten the policy or form id")]
    FhirIdTooLong {
        /// The id it would be.
        id: String,
    },

    /// A certificate file holds no PEM certificate a drop box could serve.
    #[error("{} holds no PEM certificate", path.display())]
    CertificateMalformed {
        /// The file.
        path: PathBuf,
    },

    /// A certificate could not be made.
    #[error("cannot make the certificate: {detail}")]
    Certificate {
        /// What went wrong.
        detail: String,
    },

    /// A public key file does not hold a public key.
    #[error(
        "{} is not a selfreport public key: expected the standard base64 of 32 bytes on one line, as written by `keygen`",
        path.display()
    )]
    PublicKeyMalformed {
        /// The key file.
        path: PathBuf,
    },

    /// A policy template cannot be filled in.
    #[error("cannot fill in the template {}: {detail}", path.display())]
    TemplateMalformed {
        /// The template.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },

    /// An enrollment order cannot be drawn as a QR code.
    #[error("cannot write the order as a QR code: {detail}")]
    QrCode {
        /// Why.
        detail: String,
    },

    /// A token issuer key file does not hold a usable issuer key.
    #[error(
        "{} is not an upload token issuer key: expected a 2048-bit RSA private key in PKCS#8 PEM, as written by `token-key generate`",
        path.display()
    )]
    TokenKeyMalformed {
        /// The key file.
        path: PathBuf,
    },

    /// A token issuer key could not be made or used.
    #[error("the token issuer key failed: {detail}")]
    TokenKey {
        /// What failed.
        detail: String,
    },

    /// The drop box could not be reached (a refused pin or certificate, a timeout...): no
    /// enrollment code was registered.
    #[error("the drop box: {0}")]
    Transport(#[from] selfreport_core::sync::transport::TransportError),

    /// The drop box did not register the enrollment code.
    #[error("no enrollment code was registered: {detail}")]
    CodeNotRegistered {
        /// Why.
        detail: String,
    },

    /// An arrival pass the checkpoint refused (`ArrivalPassMalformed`, `ArrivalPassBadProof`,
    /// `ArrivalPassStale`, `ArrivalPassWrongPolicy`): no order was issued.
    #[error("{0}")]
    ArrivalPass(#[from] selfreport_core::arrival_pass::ArrivalPassError),

    /// The pre-registration was already confirmed: its confirmation is in the register.
    #[error(
        "pre-registration {pseudonym} under {policy_id} was already confirmed at {confirmed_at}; no second order is issued"
    )]
    AlreadyConfirmed {
        /// The policy.
        policy_id: String,
        /// The registration's pseudonym.
        pseudonym: String,
        /// When.
        confirmed_at: String,
    },

    /// A line of a confirmation register is not a confirmation signed by the policy's
    /// signer, or the register cannot be checked (no trust anchor given).
    #[error("{path}, line {line}: {detail}")]
    ConfirmationRefused {
        /// The register.
        path: PathBuf,
        /// Its 1-based line (0: the register as a whole).
        line: usize,
        /// What is wrong.
        detail: String,
    },

    /// `check-policy` found rules the draft breaks (each printed on its own line).
    #[error("the policy breaks {count} rule(s) a device enforces")]
    PolicyRefused {
        /// How many.
        count: usize,
    },
}

impl AuthorityError {
    /// The stable code of this error (`"KeyFileExists"`, `"PolicyTransformNotApplicable"`...).
    pub fn code(&self) -> &'static str {
        match self {
            AuthorityError::KeyFileExists { .. } => "KeyFileExists",
            AuthorityError::KeyFileMalformed { .. } => "SigningKeyMalformed",
            AuthorityError::KeyFileIsPublic { .. } => "KeyFileIsPublic",
            AuthorityError::KeyFileTooOpen { .. } => "KeyFileTooOpen",
            AuthorityError::OutputIsInput { .. } => "OutputIsInput",
            AuthorityError::Policy(error) => error.code(),
            AuthorityError::Io { .. } => "Io",
            AuthorityError::Random => "Crypto",
            AuthorityError::InvalidRecipientName { .. } => "InvalidRecipientName",
            AuthorityError::RecipientKeyMalformed { .. } => "RecipientKeyMalformed",
            AuthorityError::RecipientKeyNotInPolicy { .. } => "RecipientKeyNotInPolicy",
            AuthorityError::Database { .. } => "Database",
            AuthorityError::DatabaseUrl { .. } => "DatabaseUrl",
            AuthorityError::PolicyRefused { .. } => "PolicyRefused",
            AuthorityError::FhirIdTooLong { .. } => "FhirIdTooLong",
            AuthorityError::CertificateMalformed { .. } => "CertificateMalformed",
            AuthorityError::Certificate { .. } => "Certificate",
            AuthorityError::PublicKeyMalformed { .. } => "PublicKeyMalformed",
            AuthorityError::TemplateMalformed { .. } => "TemplateMalformed",
            AuthorityError::QrCode { .. } => "QrCode",
            AuthorityError::TokenKeyMalformed { .. } => "TokenKeyMalformed",
            AuthorityError::TokenKey { .. } => "TokenKey",
            AuthorityError::Transport(error) => error.code(),
            AuthorityError::CodeNotRegistered { .. } => "CodeNotRegistered",
            AuthorityError::ArrivalPass(error) => error.code(),
            AuthorityError::AlreadyConfirmed { .. } => "AlreadyConfirmed",
            AuthorityError::ConfirmationRefused { .. } => "ConfirmationRefused",
        }
    }

    /// The process exit status for this error: 2 for a usage mistake, 3 for invalid input
    /// (a policy or key file with wrong content), 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            AuthorityError::OutputIsInput { .. }
            | AuthorityError::InvalidRecipientName { .. }
            | AuthorityError::DatabaseUrl { .. } => 2,
            AuthorityError::KeyFileMalformed { .. }
            | AuthorityError::KeyFileIsPublic { .. }
            | AuthorityError::RecipientKeyMalformed { .. }
            | AuthorityError::RecipientKeyNotInPolicy { .. }
            | AuthorityError::Policy(_)
            | AuthorityError::PolicyRefused { .. }
            | AuthorityError::FhirIdTooLong { .. }
            | AuthorityError::CertificateMalformed { .. }
            | AuthorityError::PublicKeyMalformed { .. }
            | AuthorityError::TemplateMalformed { .. }
            | AuthorityError::TokenKeyMalformed { .. }
            | AuthorityError::ArrivalPass(_)
            | AuthorityError::ConfirmationRefused { .. } => 3,
            AuthorityError::KeyFileExists { .. }
            | AuthorityError::KeyFileTooOpen { .. }
            | AuthorityError::Io { .. }
            | AuthorityError::Database { .. }
            | AuthorityError::Certificate { .. }
            | AuthorityError::QrCode { .. }
            | AuthorityError::TokenKey { .. }
            | AuthorityError::Transport(_)
            | AuthorityError::CodeNotRegistered { .. }
            | AuthorityError::AlreadyConfirmed { .. }
            | AuthorityError::Random => 1,
        }
    }

    pub(crate) fn io(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> Self {
        let path = path.to_path_buf();
        move |source| AuthorityError::Io {
            action,
            path,
            source,
        }
    }

    pub(crate) fn from_signing_key(error: SigningKeyError, path: &Path) -> Self {
        match error {
            SigningKeyError::Random => AuthorityError::Random,
            SigningKeyError::Malformed => AuthorityError::KeyFileMalformed {
                path: path.to_path_buf(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_errors_keep_their_code_and_are_invalid_input() {
        let error = AuthorityError::from(PolicyError::BadSignature);
        assert_eq!(error.code(), "PolicyBadSignature");
        assert_eq!(error.exit_code(), 3);
    }

    #[test]
    fn messages_name_the_file() {
        let error = AuthorityError::KeyFileTooOpen {
            path: PathBuf::from("/keys/signing.key"),
            mode: 0o644,
        };
        let message = error.to_string();
        assert!(message.contains("/keys/signing.key"));
        assert!(message.contains("644"));
        assert_eq!(error.exit_code(), 1);
    }
}
