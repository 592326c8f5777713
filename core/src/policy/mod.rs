//! Signed collection policies: envelope, trust anchors, document, install-time checks.
//!
//! The way in is [`SignedPolicy::parse`] (bytes as received) then [`SignedPolicy::verify`]
//! against the app's [`TrustAnchors`] and today's date, giving a [`VerifiedPolicy`]; an
//! update also passes [`check_update`]. Every refusal is one [`PolicyError`] variant.

mod document;
mod envelope;
mod error;
mod install;
pub mod limits;
mod parse;
mod trust;

#[cfg(test)]
pub(crate) mod test_support;

pub use document::*;
pub use envelope::{
    POLICY_SIGNATURE_CONTEXT, SIGNED_POLICY_FORMAT, SignedPolicy, VerifiedPolicy, sign_policy,
};
pub use error::PolicyError;
pub use install::check_update;
pub use limits::{MAX_POLICY_BYTES, MAX_SIGNED_POLICY_BYTES};
pub use parse::{SUPPORTED_SUITES, parse_policy_document};
pub use trust::{TrustAnchor, TrustAnchors};
