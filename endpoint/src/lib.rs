//! Authority tools for selfreport: policy-signing keys and signed collection policies.
//!
//! The `selfreport-authority` binary is a thin command-line wrapper over this library, and
//! the CLI's `demo` calls it directly:
//!
//! - [`authority::keygen`] writes a new Ed25519 policy-signing key pair into a directory
//!   (`signing.key`, mode 0600, never overwritten; `signing.pub`, the file apps trust);
//! - [`authority::sign_policy_file`] signs a `selfreport.policy/1` document, byte for byte
//!   as it is in its file, into a `selfreport.signed/1` envelope.
//!
//! Key files are Unix files with Unix permissions; this crate targets Unix hosts.
//! The reference drop box server arrives with the upload issue.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod authority;
pub mod error;
pub mod keyfile;

pub use authority::{KeygenOutput, SignedPolicyOutput, keygen, sign_policy_file};
pub use error::{AuthorityError, Result};
