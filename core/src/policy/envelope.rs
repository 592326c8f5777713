//! The signed policy: `SignedPolicy` (bytes as received) → `VerifiedPolicy` (trusted).
//!
//! The envelope is the shared `selfreport.signed/1` envelope ([`super::signed`]); the
//! signature is Ed25519 over `"selfreport.policy/1\n" || payload bytes`, checked on the
//! payload bytes exactly as received: nothing is re-serialized before verification, so the
//! bytes the authority signed are the bytes the app parses and stores. A `/2` policy's
//! envelope may carry `chain`: the delegations, root first, that authorize its signer.

use std::fmt;

use chrono::NaiveDate;

use crate::crypto::signature::{ED25519_PUBLIC_KEY_LEN, SigningKey};

use super::chain::{Authority, check_chain_for_signing, verify_chain};
use super::delegation::{MAX_CHAIN_LINKS, SignedDelegation};
use super::guardrails::{FreeText, check_guardrails, guardrail_refusals};
use super::limits::{MAX_POLICY_BYTES, MAX_SIGNED_POLICY_BYTES};
use super::padded_size::padded_size_refusals;
use super::parse::{check_sealed_size, parse_policy_document, parse_policy_draft};
use super::signed::{Envelope, SIGNED_FORMAT, envelope_bytes as signed_envelope};
use super::verified_links::VerifiedLinks;
use super::{PolicyDocument, PolicyError, TrustAnchor, TrustAnchors};

/// The format string of signed envelopes.
pub const SIGNED_POLICY_FORMAT: &str = SIGNED_FORMAT;

/// Prefixed to the payload before signing, so a policy signature can never be taken for
/// a signature over anything else (a receipt, a delegation, another format).
pub const POLICY_SIGNATURE_CONTEXT: &[u8] = b"selfreport.policy/1\n";

/// A signed policy as received, not yet trusted: the envelope parsed, the payload and
/// signature decoded, the chain's delegations parsed, nothing verified.
/// [`SignedPolicy::verify`] is the only way onward.
#[derive(Clone)]
pub struct SignedPolicy {
    bytes: Vec<u8>,
    envelope: Envelope,
    chain: Vec<SignedDelegation>,
}

impl SignedPolicy {
    /// Parses envelope bytes. The size is checked before anything is parsed.
    pub fn parse(bytes: &[u8]) -> Result<Self, PolicyError> {
        Self::parse_remembering(bytes, &VerifiedLinks::new())
    }

    /// [`SignedPolicy::parse`], taking each delegation of the chain already read by this
    /// open core from `known` (the same bytes read the same way) instead of reading it
    /// again: an update under the same chain reads only its own document.
    pub fn parse_remembering(bytes: &[u8], known: &VerifiedLinks) -> Result<Self, PolicyError> {
        if bytes.len() > MAX_SIGNED_POLICY_BYTES {
            return Err(PolicyError::TooLarge {
                size: bytes.len(),
                limit: MAX_SIGNED_POLICY_BYTES,
            });
        }
        let envelope = Envelope::parse(bytes, MAX_POLICY_BYTES)?;
        let chain = parse_chain(bytes, &envelope, known)?;
        Ok(Self {
            bytes: bytes.to_vec(),
            envelope,
            chain,
        })
    }

    /// The key id the envelope names (not yet checked against anything).
    pub fn key_id(&self) -> &str {
        &self.envelope.key_id
    }

    /// The delegations the envelope carries, root first (not yet verified).
    pub fn chain(&self) -> &[SignedDelegation] {
        &self.chain
    }

    /// Verifies the envelope for use on `today` (the person's local date): the chain
    /// leads from a trust anchor valid today, through delegations valid today and each no
    /// wider than its parent, to the key that signed; the signature verifies over the
    /// payload as received; the document passes every content check, lies within the
    /// last delegation's constraints and keeps every guardrail; and its validity window
    /// covers today.
    pub fn verify(
        &self,
        anchors: &TrustAnchors,
        today: NaiveDate,
    ) -> Result<VerifiedPolicy, PolicyError> {
        self.verify_remembering(anchors, today, &VerifiedLinks::new())
    }

    /// [`SignedPolicy::verify`], taking each delegation's signature from `verified` when
    /// it was checked before (and remembering those checked now): an open core passes
    /// its own, so a policy update under the same chain verifies one signature.
    pub fn verify_remembering(
        &self,
        anchors: &TrustAnchors,
        today: NaiveDate,
        verified: &VerifiedLinks,
    ) -> Result<VerifiedPolicy, PolicyError> {
        let (document, authority) = self.checked(anchors, today, verified)?;
        Ok(self.clone().into_verified(document, &authority))
    }

    /// [`SignedPolicy::verify_remembering`], consuming the envelope rather than copying it
    /// into the verified policy: for an install, which has no further use for it.
    pub(crate) fn into_verified_remembering(
        self,
        anchors: &TrustAnchors,
        today: NaiveDate,
        verified: &VerifiedLinks,
    ) -> Result<VerifiedPolicy, PolicyError> {
        let (document, authority) = self.checked(anchors, today, verified)?;
        Ok(self.into_verified(document, &authority))
    }

    /// Every check of [`SignedPolicy::verify`]: the document and the authority that
    /// signed it, if they all hold.
    fn checked(
        &self,
        anchors: &TrustAnchors,
        today: NaiveDate,
        verified: &VerifiedLinks,
    ) -> Result<(PolicyDocument, Authority), PolicyError> {
        let authority = verify_chain(anchors, &self.chain, &self.envelope.key_id, today, verified)?;
        if !self
            .envelope
            .verifies(POLICY_SIGNATURE_CONTEXT, authority.signer_key())
        {
            return Err(PolicyError::BadSignature);
        }
        let document = parse_policy_document(&self.envelope.payload)?;
        if let Some(refusal) = authority.refusals(&document).into_iter().next() {
            return Err(refusal);
        }
        check_guardrails(&document, authority.free_text())?;
        if today < document.valid_from {
            return Err(PolicyError::NotYetValid {
                valid_from: document.valid_from,
            });
        }
        if today > document.valid_until {
            return Err(PolicyError::Expired {
                valid_until: document.valid_until,
            });
        }
        Ok((document, authority))
    }

    fn into_verified(self, document: PolicyDocument, authority: &Authority) -> VerifiedPolicy {
        VerifiedPolicy {
            parts: std::sync::Arc::new(VerifiedParts {
                chain_subject_keys: subject_keys(&self.chain),
                chain_links: chain_links(&self.chain, self.envelope.chain),
                envelope: self.bytes,
                payload: self.envelope.payload,
                key_id: self.envelope.key_id,
                root_key_id: authority.root_key_id().to_owned(),
                namespace: authority.namespace().map(str::to_owned),
                document,
            }),
        }
    }
}

/// Each delegation's place in the envelope (`spans`, as the envelope was read) and digest.
fn chain_links(
    chain: &[SignedDelegation],
    spans: Option<Vec<std::ops::Range<usize>>>,
) -> Vec<(std::ops::Range<usize>, [u8; 32])> {
    spans
        .unwrap_or_default()
        .into_iter()
        .zip(chain.iter().map(|link| *link.digest()))
        .collect()
}

/// The subject key of each delegation of `chain`, root first.
fn subject_keys(chain: &[SignedDelegation]) -> Vec<[u8; ED25519_PUBLIC_KEY_LEN]> {
    chain
        .iter()
        .map(|link| link.document().subject_key)
        .collect()
}

/// The envelope's chain, each link parsed; a refusal names the link.
fn parse_chain(
    bytes: &[u8],
    envelope: &Envelope,
    known: &VerifiedLinks,
) -> Result<Vec<SignedDelegation>, PolicyError> {
    let Some(links) = &envelope.chain else {
        return Ok(Vec::new());
    };
    if links.is_empty() {
        return Err(PolicyError::ChainBroken {
            link: 0,
            detail: "`chain` is empty; a policy its root signs has none".into(),
        });
    }
    if links.len() > MAX_CHAIN_LINKS {
        return Err(PolicyError::ChainBroken {
            link: links.len(),
            detail: format!("a chain has at most {MAX_CHAIN_LINKS} delegations"),
        });
    }
    links
        .iter()
        .enumerate()
        .map(|(index, span)| {
            known
                .parsed(bytes.get(span.clone()).unwrap_or_default())
                .map_err(|error| match error {
                    PolicyError::BadDelegation { detail } => PolicyError::BadDelegation {
                        detail: format!("link {}: {detail}", index + 1),
                    },
                    other => other,
                })
        })
        .collect()
}

impl fmt::Debug for SignedPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedPolicy")
            .field("key_id", &self.envelope.key_id)
            .field("payload_len", &self.envelope.payload.len())
            .field("chain_len", &self.chain.len())
            .finish_non_exhaustive()
    }
}

/// Signs a policy document that its root signs directly: checks that `payload` is a
/// valid policy that keeps every guardrail (so an authority cannot sign a document every
/// app would refuse), then returns the envelope bytes (compact JSON and a newline).
/// Dates are not checked: a policy may be signed ahead.
pub fn sign_policy(key: &SigningKey, payload: &[u8]) -> Result<Vec<u8>, PolicyError> {
    let document = parse_policy_document(payload)?;
    check_guardrails(&document, FreeText::Refused)?;
    Ok(envelope_bytes(key, payload))
}

/// Signs a policy document under a delegation chain (each element a signed delegation's
/// envelope bytes, root first): checks everything a device would check that needs no
/// trust anchors or date (the links against each other, the first link's signature when
/// `root` is given, `key` as the last subject, the policy within the last link's
/// constraints, every guardrail), then returns the envelope carrying the chain.
pub fn sign_policy_with_chain(
    key: &SigningKey,
    payload: &[u8],
    chain: &[Vec<u8>],
    root: Option<&TrustAnchor>,
) -> Result<Vec<u8>, PolicyError> {
    if let Some(refusal) = policy_refusals(key.key_id(), payload, chain, root)
        .into_iter()
        .next()
    {
        return Err(refusal);
    }
    let links: Vec<&[u8]> = chain.iter().map(Vec::as_slice).collect();
    Ok(signed_envelope(
        key,
        POLICY_SIGNATURE_CONTEXT,
        payload,
        &links,
    ))
}

/// Every rule a draft policy breaks if signed by the key `signer_key_id` under `chain`
/// (root first; may be empty) — content, chain, delegation constraints and guardrails —
/// for an authority's `check-policy`. A draft that does not parse, or a chain that does
/// not hold, gives that one refusal.
pub fn policy_refusals(
    signer_key_id: &str,
    payload: &[u8],
    chain: &[Vec<u8>],
    root: Option<&TrustAnchor>,
) -> Vec<PolicyError> {
    let document = match parse_policy_draft(payload) {
        Ok(document) => document,
        Err(error) => return vec![error],
    };
    let mut refusals = padded_size_refusals(&document);
    if refusals.is_empty()
        && let Err(error) = check_sealed_size(&document)
    {
        refusals.push(error);
    }
    let links = match chain
        .iter()
        .enumerate()
        .map(|(index, bytes)| {
            SignedDelegation::parse(bytes).map_err(|error| match error {
                PolicyError::BadDelegation { detail } => PolicyError::BadDelegation {
                    detail: format!("link {}: {detail}", index + 1),
                },
                other => other,
            })
        })
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(links) => links,
        Err(error) => {
            refusals.push(error);
            return refusals;
        }
    };
    let authority = match check_chain_for_signing(root, &links, signer_key_id) {
        Ok(authority) => authority,
        Err(error) => {
            refusals.push(error);
            return refusals;
        }
    };
    refusals.extend(authority.refusals(&document));
    refusals.extend(guardrail_refusals(&document, authority.free_text()));
    refusals
}

/// The envelope for `payload` without checking it; for tests of what verifiers refuse.
pub(crate) fn envelope_bytes(key: &SigningKey, payload: &[u8]) -> Vec<u8> {
    signed_envelope(key, POLICY_SIGNATURE_CONTEXT, payload, &[])
}

/// A policy whose signature, trust anchor, content and validity have been verified.
///
/// It keeps the payload and envelope bytes exactly as received, to store them and show
/// them. It is built only by [`SignedPolicy::verify`] (and, inside the crate, by reloading
/// bytes the encrypted store already verified).
///
/// Cloning is cheap (the parts are shared): the store hands out its cached copy.
#[derive(Clone)]
pub struct VerifiedPolicy {
    parts: std::sync::Arc<VerifiedParts>,
}

struct VerifiedParts {
    envelope: Vec<u8>,
    payload: Vec<u8>,
    key_id: String,
    root_key_id: String,
    namespace: Option<String>,
    chain_subject_keys: Vec<[u8; ED25519_PUBLIC_KEY_LEN]>,
    /// Where each delegation of the chain stands in `envelope`, and its SHA-256.
    chain_links: Vec<(std::ops::Range<usize>, [u8; 32])>,
    document: PolicyDocument,
}

impl VerifiedPolicy {
    /// Reloads a policy from envelope bytes the store verified at install.
    ///
    /// The envelope, chain and document are parsed and checked again, but the signatures,
    /// trust anchors and dates are not: the bytes come from the encrypted store, whose
    /// AEAD authenticates them, and records collected under a policy must stay readable,
    /// exportable and purgeable after the policy or its signing key has expired.
    /// Callers decide separately whether the policy is still usable today
    /// ([`VerifiedPolicy::is_valid_on`]).
    pub(crate) fn from_stored(envelope_bytes: &[u8]) -> Result<Self, PolicyError> {
        let signed = SignedPolicy::parse(envelope_bytes)?;
        let document = parse_policy_document(&signed.envelope.payload)?;
        let root_key_id = signed
            .chain
            .first()
            .map_or(signed.envelope.key_id.as_str(), |first| {
                first.issuer_key_id()
            })
            .to_owned();
        let namespace = signed
            .chain
            .last()
            .map(|last| last.document().constraints.namespace.clone());
        Ok(VerifiedPolicy {
            parts: std::sync::Arc::new(VerifiedParts {
                chain_subject_keys: subject_keys(&signed.chain),
                chain_links: chain_links(&signed.chain, signed.envelope.chain),
                envelope: signed.bytes,
                payload: signed.envelope.payload,
                key_id: signed.envelope.key_id,
                root_key_id,
                namespace,
                document,
            }),
        })
    }

    /// The policy document.
    pub fn document(&self) -> &PolicyDocument {
        &self.parts.document
    }

    /// The policy id.
    pub fn id(&self) -> &str {
        &self.parts.document.id
    }

    /// The policy version.
    pub fn version(&self) -> u64 {
        self.parts.document.version
    }

    /// The document bytes exactly as signed.
    pub fn payload_bytes(&self) -> &[u8] {
        &self.parts.payload
    }

    /// The envelope bytes exactly as received; what the store keeps.
    pub fn envelope_bytes(&self) -> &[u8] {
        &self.parts.envelope
    }

    /// The id of the key that signed it.
    pub fn key_id(&self) -> &str {
        &self.parts.key_id
    }

    /// The id of the root (trust anchor) its chain starts from; the signer's own key id
    /// for a policy its root signed directly.
    pub fn root_key_id(&self) -> &str {
        &self.parts.root_key_id
    }

    /// The subject key of each delegation of its chain, root first (empty for a policy
    /// its root signed directly): what a revocation list may revoke it by.
    pub fn chain_subject_keys(&self) -> &[[u8; ED25519_PUBLIC_KEY_LEN]] {
        &self.parts.chain_subject_keys
    }

    /// Where each delegation of its chain stands in [`VerifiedPolicy::envelope_bytes`],
    /// with the SHA-256 of its bytes, root first (none for a policy its root signed
    /// directly): the store keeps them apart.
    pub(crate) fn chain_links(&self) -> &[(std::ops::Range<usize>, [u8; 32])] {
        &self.parts.chain_links
    }

    /// The namespace of the delegation that authorized its signer; `None` for a policy
    /// its root signed directly.
    pub fn namespace(&self) -> Option<&str> {
        self.parts.namespace.as_deref()
    }

    /// Whether the policy's validity window covers `date`.
    pub fn is_valid_on(&self, date: NaiveDate) -> bool {
        self.parts.document.valid_from <= date && date <= self.parts.document.valid_until
    }
}

impl fmt::Debug for VerifiedPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedPolicy")
            .field("id", &self.parts.document.id)
            .field("version", &self.parts.document.version)
            .field("key_id", &self.parts.key_id)
            .field("root_key_id", &self.parts.root_key_id)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
#[path = "envelope_tests.rs"]
mod tests;
