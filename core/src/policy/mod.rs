//! Signed collection policies: envelope, trust anchors, delegation chains, document,
//! guardrails, install-time checks.
//!
//! The way in is [`SignedPolicy::parse`] (bytes as received) then [`SignedPolicy::verify`]
//! against the app's [`TrustAnchors`] and today's date, giving a [`VerifiedPolicy`]; an
//! update also passes [`check_update`]. Every refusal is one [`PolicyError`] variant.

pub mod chain;
pub mod constraints;
pub mod delegation;
pub mod disclosure_order;
pub mod disclosure_scope;
mod document;
pub mod enrollment;
mod envelope;
mod error;
pub mod guardrails;
mod install;
pub mod limits;
pub mod padded_size;
mod parse;
pub mod purpose;
pub mod region;
pub mod revocation;
mod signed;
mod trust;
mod verified_links;

#[cfg(test)]
pub(crate) mod test_support;

pub use delegation::{
    DELEGATION_FORMAT, DELEGATION_SIGNATURE_CONTEXT, Delegation, SignedDelegation,
    parse_delegation_document, sign_delegation,
};
pub use document::*;
pub use envelope::{
    POLICY_SIGNATURE_CONTEXT, SIGNED_POLICY_FORMAT, SignedPolicy, VerifiedPolicy, policy_refusals,
    sign_policy, sign_policy_with_chain,
};
pub use error::PolicyError;
pub use install::{MAX_FIRST_VERSION, MAX_VERSION_STEP, check_update};
pub use limits::{MAX_POLICY_BYTES, MAX_SIGNED_POLICY_BYTES};
pub use padded_size::{
    PaddedSizeProblem, declare_minimum_padded_sizes, minimum_padded_sizes, padded_size_refusals,
};
pub use parse::{SUPPORTED_SUITES, parse_policy_document, parse_policy_draft};
pub use revocation::{
    RevocationList, RevocationReason, SignedRevocations, parse_revocation_document,
    sign_revocations,
};
pub use trust::{TrustAnchor, TrustAnchors};
pub use verified_links::VerifiedLinks;
