//! Delegations (`selfreport.delegation/1`): a root (a health commission, a trust anchor)
//! or an earlier delegation's subject authorizes a subject key, within constraints, to
//! sign policies or delegate further. Signed in the shared envelope under its own
//! context, so a delegation's signature can never be taken for a policy's.
//!
//! ```json
//! {"format": "selfreport.delegation/1",
//!  "subject": {"public_key": "<ed25519, standard base64>", "name": {"zh": "...", "en": "..."}},
//!  "valid_from": "2026-11-01", "valid_until": "2027-05-01",
//!  "constraints": {"namespace": "sh-", "purposes": ["epidemic-control"], "regions": ["310000"],
//!    "max_device_days": 28, "max_server_days": 28, "endpoint_hosts": ["report.example.org"],
//!    "kinds": {"temperature_c": "threshold", "district": "generalize:city"}, "depth": 0}}
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{Arc, OnceLock};

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::Value;

use crate::crypto::sha256;
use crate::crypto::signature::{ED25519_PUBLIC_KEY_LEN, SigningKey, key_id};

use super::constraints::Constraints;
use super::disclosure_order::{Step, at_most_named};
use super::error::truncated;
use super::guardrails::{CORE_MAX_DEVICE_DAYS, CORE_MAX_SERVER_DAYS};
use super::limits::{MAX_LABEL_CHARS, MAX_REGIONS};
use super::parse::{UniqueMap, check_count, check_id, check_labels, json_error};
use super::purpose::purpose;
use super::region::RegionCode;
use super::signed::{Envelope, envelope_bytes};
use super::trust::decode_key_32;
use super::{Labels, PolicyError};

/// The format string of delegation documents.
pub const DELEGATION_FORMAT: &str = "selfreport.delegation/1";

/// Prefixed to a delegation's payload before signing.
pub const DELEGATION_SIGNATURE_CONTEXT: &[u8] = b"selfreport.delegation/1\n";

/// Largest signed delegation envelope.
pub const MAX_SIGNED_DELEGATION_BYTES: usize = 16 * 1024;
/// Largest delegation document.
pub const MAX_DELEGATION_BYTES: usize = 8 * 1024;
/// Most delegations in a policy's chain; a delegation's `depth` is below this.
pub const MAX_CHAIN_LINKS: usize = 4;
/// Most hosts in `endpoint_hosts`.
pub const MAX_ENDPOINT_HOSTS: usize = 16;

/// What a delegation says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delegation {
    /// The subject's Ed25519 public key.
    pub subject_key: [u8; ED25519_PUBLIC_KEY_LEN],
    /// Its key id, derived from the key.
    pub subject_key_id: String,
    /// The subject's name in several languages (a district office).
    pub subject_name: Labels,
    /// First day the delegation may be used.
    pub valid_from: NaiveDate,
    /// Last day the delegation may be used.
    pub valid_until: NaiveDate,
    /// What the subject may sign.
    pub constraints: Constraints,
}

impl Delegation {
    /// Whether its window covers `date`.
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.valid_from <= date && date <= self.valid_until
    }
}

/// A signed delegation as received: envelope decoded, document parsed and checked, the
/// signature not yet verified (that needs the issuer's key, which the chain supplies).
/// Cloning it shares what was read.
#[derive(Clone)]
pub struct SignedDelegation {
    read: Arc<ReadDelegation>,
}

/// What [`SignedDelegation::parse`] read.
struct ReadDelegation {
    envelope: Envelope,
    document: Delegation,
    /// SHA-256 of its envelope's bytes as received: how the store names it.
    digest: [u8; 32],
    /// The issuer key its signature verified under, once it has: the check is a function
    /// of its bytes and that key alone, so its answer is kept with what was read.
    verified_by: OnceLock<[u8; ED25519_PUBLIC_KEY_LEN]>,
}

impl SignedDelegation {
    /// Parses a delegation envelope and its document.
    pub fn parse(bytes: &[u8]) -> Result<Self, PolicyError> {
        if bytes.len() > MAX_SIGNED_DELEGATION_BYTES {
            return Err(bad(format!(
                "the signed delegation is {} bytes, more than the limit of {MAX_SIGNED_DELEGATION_BYTES}",
                bytes.len()
            )));
        }
        let envelope =
            Envelope::parse(bytes, MAX_DELEGATION_BYTES).map_err(|error| match error {
                PolicyError::BadDelegation { .. } => error,
                other => bad(other.to_string()),
            })?;
        if envelope.chain.is_some() {
            return Err(bad("a delegation's envelope carries no `chain`"));
        }
        let document = parse_delegation_document(&envelope.payload)?;
        Ok(Self {
            read: Arc::new(ReadDelegation {
                envelope,
                document,
                digest: sha256(bytes),
                verified_by: OnceLock::new(),
            }),
        })
    }

    /// The id of the key that signed it (the issuer: a root or the previous subject).
    pub fn issuer_key_id(&self) -> &str {
        &self.read.envelope.key_id
    }

    /// What it says.
    pub fn document(&self) -> &Delegation {
        &self.read.document
    }

    /// SHA-256 of its envelope's bytes as received.
    pub(crate) fn digest(&self) -> &[u8; 32] {
        &self.read.digest
    }

    /// Whether it is signed by `issuer_key`.
    pub(crate) fn signed_by(&self, issuer_key: &[u8; ED25519_PUBLIC_KEY_LEN]) -> bool {
        self.read
            .envelope
            .verifies(DELEGATION_SIGNATURE_CONTEXT, issuer_key)
    }

    /// [`SignedDelegation::signed_by`], answered without a signature check when this
    /// delegation (or a clone of it) verified under `issuer_key` before.
    pub(crate) fn signed_by_remembering(&self, issuer_key: &[u8; ED25519_PUBLIC_KEY_LEN]) -> bool {
        if self.read.verified_by.get() == Some(issuer_key) {
            return true;
        }
        if !self.signed_by(issuer_key) {
            return false;
        }
        // A first key it verified under is kept; a link verifies under one key only.
        let _ = self.read.verified_by.set(*issuer_key);
        true
    }

    /// Whether its signature has verified under `issuer_key` already.
    #[cfg(test)]
    pub(crate) fn verified_under(&self, issuer_key: &[u8; ED25519_PUBLIC_KEY_LEN]) -> bool {
        self.read.verified_by.get() == Some(issuer_key)
    }
}

impl fmt::Debug for SignedDelegation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedDelegation")
            .field("issuer_key_id", &self.read.envelope.key_id)
            .field("subject_key_id", &self.read.document.subject_key_id)
            .finish_non_exhaustive()
    }
}

/// Signs a delegation document: checks it is one a device would read, then returns the
/// envelope bytes.
pub fn sign_delegation(key: &SigningKey, payload: &[u8]) -> Result<Vec<u8>, PolicyError> {
    parse_delegation_document(payload)?;
    Ok(envelope_bytes(
        key,
        DELEGATION_SIGNATURE_CONTEXT,
        payload,
        &[],
    ))
}

/// Parses and checks a delegation document (content only; no signature or trust).
pub fn parse_delegation_document(payload: &[u8]) -> Result<Delegation, PolicyError> {
    if payload.len() > MAX_DELEGATION_BYTES {
        return Err(bad(format!(
            "the delegation document is {} bytes, more than the limit of {MAX_DELEGATION_BYTES}",
            payload.len()
        )));
    }
    let value: Value =
        serde_json::from_slice(payload).map_err(|e| bad(json_error(e).to_string()))?;
    match value.get("format") {
        Some(Value::String(format)) if format == DELEGATION_FORMAT => {}
        Some(Value::String(format)) => {
            return Err(bad(format!("unknown format `{}`", truncated(format, 64))));
        }
        _ => return Err(bad("the document has no `format` string")),
    }
    let raw: RawDelegation =
        serde_json::from_slice(payload).map_err(|e| bad(json_error(e).to_string()))?;
    build(raw).map_err(|error| match error {
        PolicyError::BadDelegation { .. } => error,
        other => bad(other.to_string()),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDelegation {
    #[allow(dead_code, reason = "checked before this shape is read")]
    format: String,
    subject: RawSubject,
    valid_from: NaiveDate,
    valid_until: NaiveDate,
    constraints: RawConstraints,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubject {
    public_key: String,
    #[serde(default)]
    name: UniqueMap<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConstraints {
    namespace: String,
    purposes: Vec<String>,
    regions: Vec<String>,
    max_device_days: u32,
    max_server_days: u32,
    endpoint_hosts: Vec<String>,
    kinds: UniqueMap<String>,
    depth: u32,
}

fn build(raw: RawDelegation) -> Result<Delegation, PolicyError> {
    let subject_key = decode_key_32(&raw.subject.public_key)
        .ok_or_else(|| bad("`subject.public_key` is not standard base64 of 32 bytes"))?;
    let subject_name = check_labels("the subject's name", raw.subject.name, MAX_LABEL_CHARS)?;
    if raw.valid_until < raw.valid_from {
        return Err(bad(format!(
            "the window ends ({}) before it starts ({})",
            raw.valid_until, raw.valid_from
        )));
    }
    let c = raw.constraints;
    // A namespace is the start of a policy id: the id's characters, at least one.
    check_id("namespace", &c.namespace).map_err(|_| {
        bad(format!(
            "namespace `{}` must be 1 to 64 characters of a-z, 0-9, `-` and `_`",
            truncated(&c.namespace, 64)
        ))
    })?;
    if c.purposes.is_empty() {
        return Err(bad("`purposes` names at least one purpose"));
    }
    let mut seen = BTreeSet::new();
    for code in &c.purposes {
        if purpose(code).is_none() {
            return Err(bad(format!(
                "purpose `{}` is not one the core accepts",
                truncated(code, 64)
            )));
        }
        if !seen.insert(code.as_str()) {
            return Err(bad(format!("purpose `{code}` is listed twice")));
        }
    }
    if c.regions.is_empty() {
        return Err(bad("`regions` names at least one region"));
    }
    check_count("region codes", c.regions.len(), MAX_REGIONS)?;
    let mut seen = BTreeSet::new();
    for code in &c.regions {
        if RegionCode::parse(code).is_none() {
            return Err(bad(format!(
                "region `{}` is not a GB/T 2260 code",
                truncated(code, 64)
            )));
        }
        if !seen.insert(code.as_str()) {
            return Err(bad(format!("region `{code}` is listed twice")));
        }
    }
    if !(1..=CORE_MAX_DEVICE_DAYS).contains(&c.max_device_days) {
        return Err(bad(format!(
            "`max_device_days` must be from 1 to {CORE_MAX_DEVICE_DAYS}"
        )));
    }
    if !(1..=CORE_MAX_SERVER_DAYS).contains(&c.max_server_days) {
        return Err(bad(format!(
            "`max_server_days` must be from 1 to {CORE_MAX_SERVER_DAYS}"
        )));
    }
    if c.endpoint_hosts.is_empty() {
        return Err(bad("`endpoint_hosts` names at least one host"));
    }
    check_count("endpoint hosts", c.endpoint_hosts.len(), MAX_ENDPOINT_HOSTS)?;
    let mut seen = BTreeSet::new();
    for host in &c.endpoint_hosts {
        if !is_host_pattern(host) {
            return Err(bad(format!(
                "`{}` is not a lowercase host name (or `.suffix`)",
                truncated(host, 64)
            )));
        }
        if !seen.insert(host.as_str()) {
            return Err(bad(format!("host `{host}` is listed twice")));
        }
    }
    let mut kinds = BTreeMap::new();
    for (kind, step) in c.kinds.0 {
        let Some(step) = Step::from_name(&step) else {
            return Err(bad(format!(
                "kind `{}`: `{}` is not a transform step",
                truncated(&kind, 64),
                truncated(&step, 64)
            )));
        };
        if !at_most_named(&kind, step, Step::Keep) {
            return Err(bad(format!(
                "kind `{}` does not exist or cannot use `{}`",
                truncated(&kind, 64),
                step.name()
            )));
        }
        kinds.insert(kind, step);
    }
    if c.depth >= MAX_CHAIN_LINKS as u32 {
        return Err(bad(format!("`depth` must be below {MAX_CHAIN_LINKS}")));
    }
    Ok(Delegation {
        subject_key_id: key_id(&subject_key),
        subject_key,
        subject_name,
        valid_from: raw.valid_from,
        valid_until: raw.valid_until,
        constraints: Constraints {
            namespace: c.namespace,
            purposes: c.purposes,
            regions: c.regions,
            max_device_days: c.max_device_days,
            max_server_days: c.max_server_days,
            endpoint_hosts: c.endpoint_hosts,
            kinds,
            depth: c.depth,
        },
    })
}

/// A host name of lowercase letters, digits, `-` and `.` (at most 253 characters), or
/// the same after a leading `.` meaning "any host under it".
fn is_host_pattern(host: &str) -> bool {
    let name = host.strip_prefix('.').unwrap_or(host);
    !name.is_empty()
        && name.len() <= 253
        && !name.starts_with('.')
        && !name.ends_with('.')
        && !name.contains("..")
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.' || b == b':'
        })
}

fn bad(detail: impl Into<String>) -> PolicyError {
    PolicyError::BadDelegation {
        detail: detail.into(),
    }
}
