//! Revocation lists (`selfreport.revocations/1`): a root withdraws delegations it (or its
//! delegates) granted and policy versions signed under it, before they expire.
//!
//! A list is a document in the signed envelope every format shares, signed by a root (a
//! trust anchor) under its own signature context, so no policy or delegation signature can
//! stand for one. Its `sequence` only grows: a device keeps the highest it has seen for
//! each root and refuses older ones, so a drop box cannot roll a device back to a list
//! from before a revocation. A list is complete, not a delta: each one names everything
//! still revoked. `next_update` says when the root will have published the next list; a
//! list past it is *stale*, which devices report but do not treat as a revocation (a lost
//! relay must not stop every report).
//!
//! [`SignedRevocations::parse`] then [`SignedRevocations::verify`] is the only way to a
//! [`RevocationList`]; [`RevocationList::check`] tells whether a policy may still be used.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::Value;

use crate::crypto::signature::{ED25519_PUBLIC_KEY_LEN, SigningKey, key_id};

use super::error::truncated;
use super::parse::{check_id, json_error};
use super::signed::{Envelope, envelope_bytes};
use super::trust::decode_key_32;
use super::{Labels, PolicyError, TrustAnchors, VerifiedPolicy};

/// The `format` of a revocation list document.
pub const REVOCATIONS_FORMAT: &str = "selfreport.revocations/1";

/// What a root's signature over a revocation list covers before the document's bytes.
pub const REVOCATIONS_SIGNATURE_CONTEXT: &[u8] = b"selfreport.revocations/1\n";

/// Largest signed revocation list envelope: what a device reads of any reply
/// ([`crate::sync::wire::MAX_RESPONSE_BYTES`]).
pub const MAX_SIGNED_REVOCATIONS_BYTES: usize = 64 * 1024;
/// Largest revocation list document (its base64url in the envelope stays within
/// [`MAX_SIGNED_REVOCATIONS_BYTES`]).
pub const MAX_REVOCATIONS_BYTES: usize = 46 * 1024;
/// Most entries of each kind (delegations, policy versions) one list may name: both at
/// their longest fit [`MAX_REVOCATIONS_BYTES`].
pub const MAX_REVOKED_ENTRIES: usize = 200;
/// Largest sequence number: the largest integer every JSON reader holds exactly.
pub const MAX_SEQUENCE: u64 = (1 << 53) - 1;
/// How far `issued_at` may lie ahead of the device's date (time zones and clock skew).
const ISSUE_SKEW_DAYS: u64 = 1;

/// Why a root revoked something: a closed set, each with labels for the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RevocationReason {
    /// The key was lost or stolen.
    KeyCompromise,
    /// Replaced by a newer delegation or version.
    Superseded,
    /// The collector stopped collecting.
    CeasedOperation,
    /// The collector's authorization was withdrawn (collection beyond what was allowed).
    PrivilegeWithdrawn,
}

/// Every reason, in the order documented.
pub const REVOCATION_REASONS: [RevocationReason; 4] = [
    RevocationReason::KeyCompromise,
    RevocationReason::Superseded,
    RevocationReason::CeasedOperation,
    RevocationReason::PrivilegeWithdrawn,
];

impl RevocationReason {
    /// The code written in lists (`"key-compromise"`).
    pub fn code(self) -> &'static str {
        match self {
            RevocationReason::KeyCompromise => "key-compromise",
            RevocationReason::Superseded => "superseded",
            RevocationReason::CeasedOperation => "ceased-operation",
            RevocationReason::PrivilegeWithdrawn => "privilege-withdrawn",
        }
    }

    /// The reason with this code.
    pub fn from_code(code: &str) -> Option<Self> {
        REVOCATION_REASONS
            .into_iter()
            .find(|reason| reason.code() == code)
    }

    /// Words for the person, in Chinese and English.
    pub fn labels(self) -> Labels {
        let (zh, en) = match self {
            RevocationReason::KeyCompromise => (
                "签名密钥已泄露",
                "the collector's signing key was compromised",
            ),
            RevocationReason::Superseded => ("已被新的授权或版本取代", "it was replaced"),
            RevocationReason::CeasedOperation => {
                ("收集单位已停止收集", "the collector stopped collecting")
            }
            RevocationReason::PrivilegeWithdrawn => (
                "收集单位的授权已被撤销",
                "the collector's authorization was withdrawn",
            ),
        };
        Labels::from([
            ("zh".to_owned(), zh.to_owned()),
            ("en".to_owned(), en.to_owned()),
        ])
    }
}

/// What a list says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationDocument {
    /// Grows with every list the root publishes.
    pub sequence: u64,
    /// The day it was issued.
    pub issued_at: NaiveDate,
    /// The day by which the next list will be published.
    pub next_update: NaiveDate,
    /// Revoked delegations, by their subject's public key.
    pub delegations: BTreeMap<[u8; ED25519_PUBLIC_KEY_LEN], RevocationReason>,
    /// Revoked policy versions, by id and version.
    pub policies: BTreeMap<(String, u64), RevocationReason>,
}

/// What a list held for a policy's root says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    /// This version of the policy is revoked.
    Version {
        /// Why.
        reason: RevocationReason,
    },
    /// A delegation of its chain (to this subject key id) is revoked.
    Delegation {
        /// The key id of the revoked delegation's subject.
        subject_key_id: String,
        /// Why.
        reason: RevocationReason,
    },
}

impl Revocation {
    /// The reason given.
    pub fn reason(&self) -> RevocationReason {
        match self {
            Revocation::Version { reason } | Revocation::Delegation { reason, .. } => *reason,
        }
    }
}

/// A signed revocation list as received: envelope and document parsed, nothing verified.
#[derive(Clone)]
pub struct SignedRevocations {
    bytes: Vec<u8>,
    envelope: Envelope,
    document: RevocationDocument,
}

impl SignedRevocations {
    /// Parses envelope bytes and the document in them. The size is checked first.
    pub fn parse(bytes: &[u8]) -> Result<Self, PolicyError> {
        if bytes.len() > MAX_SIGNED_REVOCATIONS_BYTES {
            return Err(PolicyError::TooLarge {
                size: bytes.len(),
                limit: MAX_SIGNED_REVOCATIONS_BYTES,
            });
        }
        let envelope =
            Envelope::parse(bytes, MAX_REVOCATIONS_BYTES).map_err(|error| match error {
                PolicyError::TooLarge { .. } => error,
                other => bad(other.to_string()),
            })?;
        if envelope.chain.is_some() {
            return Err(bad(
                "a revocation list is signed by a root and carries no `chain`",
            ));
        }
        let document = parse_revocation_document(&envelope.payload)?;
        Ok(Self {
            bytes: bytes.to_vec(),
            envelope,
            document,
        })
    }

    /// The key id the envelope names (not yet checked).
    pub fn key_id(&self) -> &str {
        &self.envelope.key_id
    }

    /// What it says (not yet verified).
    pub fn document(&self) -> &RevocationDocument {
        &self.document
    }

    /// Verifies it for use on `today`: signed by a trust anchor valid today, under the
    /// revocation context, and not issued after tomorrow.
    pub fn verify(
        self,
        anchors: &TrustAnchors,
        today: NaiveDate,
    ) -> Result<RevocationList, PolicyError> {
        let root = anchors
            .find(&self.envelope.key_id)
            .ok_or_else(|| PolicyError::UnknownKey {
                key_id: self.envelope.key_id.clone(),
            })?;
        if !root.covers(today) {
            return Err(PolicyError::KeyOutsideWindow {
                key_id: self.envelope.key_id.clone(),
            });
        }
        if !self
            .envelope
            .verifies(REVOCATIONS_SIGNATURE_CONTEXT, root.public_key())
        {
            return Err(PolicyError::BadSignature);
        }
        let latest = today
            .checked_add_days(chrono::Days::new(ISSUE_SKEW_DAYS))
            .unwrap_or(NaiveDate::MAX);
        if self.document.issued_at > latest {
            return Err(bad(format!(
                "it is issued on {}, after today",
                self.document.issued_at
            )));
        }
        Ok(RevocationList { signed: self })
    }
}

impl fmt::Debug for SignedRevocations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedRevocations")
            .field("key_id", &self.envelope.key_id)
            .field("sequence", &self.document.sequence)
            .finish_non_exhaustive()
    }
}

/// A revocation list whose root signature verified (or, inside the crate, reloaded from
/// the encrypted store that kept it after verifying).
#[derive(Clone, Debug)]
pub struct RevocationList {
    signed: SignedRevocations,
}

impl RevocationList {
    /// Reloads a list the store verified when it was installed; the signature and dates
    /// are not checked again (the store's AEAD authenticates the bytes).
    pub(crate) fn from_stored(bytes: &[u8]) -> Result<Self, PolicyError> {
        SignedRevocations::parse(bytes).map(|signed| Self { signed })
    }

    /// The root's key id.
    pub fn root_key_id(&self) -> &str {
        &self.signed.envelope.key_id
    }

    /// What it says.
    pub fn document(&self) -> &RevocationDocument {
        &self.signed.document
    }

    /// The envelope bytes exactly as received.
    pub fn envelope_bytes(&self) -> &[u8] {
        &self.signed.bytes
    }

    /// Whether `today` is past the day the next list was due.
    pub fn is_stale(&self, today: NaiveDate) -> bool {
        today > self.signed.document.next_update
    }

    /// What this list says about `policy_id` at `version` signed through a chain whose
    /// subjects have `chain_keys` (root first); `None` if it revokes nothing of it. The
    /// caller matches the list's root with the policy's.
    pub fn revocation_of(
        &self,
        policy_id: &str,
        version: u64,
        chain_keys: &[[u8; ED25519_PUBLIC_KEY_LEN]],
    ) -> Option<Revocation> {
        let document = &self.signed.document;
        if let Some(reason) = document.policies.get(&(policy_id.to_owned(), version)) {
            return Some(Revocation::Version { reason: *reason });
        }
        chain_keys.iter().find_map(|key| {
            document
                .delegations
                .get(key)
                .map(|reason| Revocation::Delegation {
                    subject_key_id: key_id(key),
                    reason: *reason,
                })
        })
    }

    /// [`RevocationList::revocation_of`] for a verified policy of this list's root, as a
    /// refusal.
    pub fn check(&self, policy: &VerifiedPolicy) -> Result<(), PolicyError> {
        if policy.root_key_id() != self.root_key_id() {
            return Ok(());
        }
        match self.revocation_of(policy.id(), policy.version(), policy.chain_subject_keys()) {
            None => Ok(()),
            Some(Revocation::Version { reason }) => Err(PolicyError::Revoked {
                id: policy.id().to_owned(),
                version: policy.version(),
                reason: reason.code(),
            }),
            Some(Revocation::Delegation {
                subject_key_id,
                reason,
            }) => Err(PolicyError::DelegationRevoked {
                subject_key_id,
                reason: reason.code(),
            }),
        }
    }
}

/// Signs a revocation list document with a root key: checks it is one a device would
/// read, then returns the envelope bytes.
pub fn sign_revocations(key: &SigningKey, payload: &[u8]) -> Result<Vec<u8>, PolicyError> {
    parse_revocation_document(payload)?;
    let envelope = envelope_bytes(key, REVOCATIONS_SIGNATURE_CONTEXT, payload, &[]);
    if envelope.len() > MAX_SIGNED_REVOCATIONS_BYTES {
        return Err(PolicyError::TooLarge {
            size: envelope.len(),
            limit: MAX_SIGNED_REVOCATIONS_BYTES,
        });
    }
    Ok(envelope)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRevocations {
    #[allow(dead_code, reason = "checked before this shape is read")]
    format: String,
    sequence: u64,
    issued_at: NaiveDate,
    next_update: NaiveDate,
    #[serde(default)]
    delegations: Vec<RawRevokedDelegation>,
    #[serde(default)]
    policies: Vec<RawRevokedPolicy>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRevokedDelegation {
    subject_key: String,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRevokedPolicy {
    id: String,
    version: u64,
    reason: String,
}

/// Parses and checks a revocation list document (content only; no signature or trust).
pub fn parse_revocation_document(payload: &[u8]) -> Result<RevocationDocument, PolicyError> {
    if payload.len() > MAX_REVOCATIONS_BYTES {
        return Err(bad(format!(
            "the document is {} bytes, more than the limit of {MAX_REVOCATIONS_BYTES}",
            payload.len()
        )));
    }
    let value: Value =
        serde_json::from_slice(payload).map_err(|e| bad(json_error(e).to_string()))?;
    match value.get("format") {
        Some(Value::String(format)) if format == REVOCATIONS_FORMAT => {}
        Some(Value::String(format)) => {
            return Err(bad(format!("unknown format `{}`", truncated(format, 64))));
        }
        _ => return Err(bad("the document has no `format` string")),
    }
    // Read again from the bytes, not from `value`: the derived reader refuses a key given
    // twice, which `Value` would settle silently (last wins) where another reader might
    // take the first.
    let raw: RawRevocations =
        serde_json::from_slice(payload).map_err(|e| bad(json_error(e).to_string()))?;
    build(raw)
}

fn build(raw: RawRevocations) -> Result<RevocationDocument, PolicyError> {
    if raw.sequence == 0 || raw.sequence > MAX_SEQUENCE {
        return Err(bad(format!("`sequence` must be from 1 to {MAX_SEQUENCE}")));
    }
    if raw.next_update < raw.issued_at {
        return Err(bad(format!(
            "`next_update` ({}) is before `issued_at` ({})",
            raw.next_update, raw.issued_at
        )));
    }
    if raw.delegations.len() > MAX_REVOKED_ENTRIES || raw.policies.len() > MAX_REVOKED_ENTRIES {
        return Err(bad(format!(
            "a list names at most {MAX_REVOKED_ENTRIES} delegations and {MAX_REVOKED_ENTRIES} policy versions"
        )));
    }
    let mut delegations = BTreeMap::new();
    for (n, entry) in raw.delegations.iter().enumerate() {
        let key = decode_key_32(&entry.subject_key).ok_or_else(|| {
            bad(format!(
                "delegations[{n}]: `subject_key` is not standard base64 of 32 bytes"
            ))
        })?;
        let reason = reason(&format!("delegations[{n}]"), &entry.reason)?;
        if delegations.insert(key, reason).is_some() {
            return Err(bad(format!(
                "delegations[{n}]: key {} is listed twice",
                key_id(&key)
            )));
        }
    }
    let mut policies = BTreeMap::new();
    for (n, entry) in raw.policies.into_iter().enumerate() {
        check_id("revoked policy id", &entry.id)
            .map_err(|error| bad(format!("policies[{n}]: {error}")))?;
        if entry.version == 0 || entry.version > MAX_SEQUENCE {
            return Err(bad(format!(
                "policies[{n}]: `version` must be from 1 to {MAX_SEQUENCE}"
            )));
        }
        let reason = reason(&format!("policies[{n}]"), &entry.reason)?;
        let version = entry.version;
        if policies.insert((entry.id, version), reason).is_some() {
            return Err(bad(format!("policies[{n}]: listed twice")));
        }
    }
    Ok(RevocationDocument {
        sequence: raw.sequence,
        issued_at: raw.issued_at,
        next_update: raw.next_update,
        delegations,
        policies,
    })
}

fn reason(what: &str, code: &str) -> Result<RevocationReason, PolicyError> {
    RevocationReason::from_code(code).ok_or_else(|| {
        let known: Vec<&str> = REVOCATION_REASONS.iter().map(|r| r.code()).collect();
        bad(format!(
            "{what}: unknown reason `{}` (one of {})",
            truncated(code, 32),
            known.join(", ")
        ))
    })
}

fn bad(detail: impl Into<String>) -> PolicyError {
    PolicyError::BadRevocations {
        detail: detail.into(),
    }
}

#[cfg(test)]
#[path = "revocation_tests.rs"]
mod tests;
