//! Signed policy files as the authority side loads them: the drop box serves one, `open`
//! checks submissions against one.
//!
//! The authority loads its own signed file, so checking the signature is optional here:
//! with trust anchors given (`--trust signing.pub`) the envelope must verify; without, the
//! envelope and document are still parsed and checked in full (format, content rules,
//! sizes), only the signature is not.

use std::fs;
use std::io::Read;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDate;
use selfreport_core::policy::{
    MAX_SIGNED_POLICY_BYTES, PolicyDocument, PolicyError, SignedPolicy, TrustAnchor, TrustAnchors,
    parse_policy_document,
};

use crate::error::{AuthorityError, Result};

/// A signed policy loaded from its file.
#[derive(Debug, Clone)]
pub struct PolicyFile {
    envelope: Vec<u8>,
    document: PolicyDocument,
    /// The public key that signed the policy (the last subject of its chain, or the
    /// root), when its signature was verified.
    signer: Option<[u8; 32]>,
}

impl PolicyFile {
    /// Parses envelope bytes; with `trust`, also verifies the signature against those
    /// anchors.
    ///
    /// The date the signature is verified for is `today` moved into the policy's validity
    /// window, so a policy that has since expired still verifies: submissions collected
    /// under it must stay readable.
    pub fn parse(
        envelope: &[u8],
        trust: Option<&TrustAnchors>,
        today: NaiveDate,
    ) -> Result<Self, PolicyError> {
        let signed = SignedPolicy::parse(envelope)?;
        let document = parse_policy_document(&envelope_payload(envelope)?)?;
        let signer = match trust {
            Some(anchors) => {
                let date = today.clamp(document.valid_from, document.valid_until);
                let verified = signed.verify(anchors, date)?;
                let signer = match verified.chain_subject_keys().last() {
                    Some(subject) => *subject,
                    None => anchors
                        .find(verified.key_id())
                        .map(|anchor| *anchor.public_key())
                        .ok_or_else(|| PolicyError::Malformed {
                            detail: "the policy's signing key is not among the anchors".to_owned(),
                        })?,
                };
                Some(signer)
            }
            None => None,
        };
        Ok(Self {
            envelope: envelope.to_vec(),
            document,
            signer,
        })
    }

    /// Reads and parses the signed policy at `path`; with `trust_path` (a `signing.pub`
    /// file), the signature must verify with that key.
    pub fn read(path: &Path, trust_path: Option<&Path>, today: NaiveDate) -> Result<Self> {
        let envelope = read_bounded(path, MAX_SIGNED_POLICY_BYTES)?;
        let anchors = match trust_path {
            Some(trust_path) => {
                let text = fs::read_to_string(trust_path)
                    .map_err(AuthorityError::io("read", trust_path))?;
                Some(TrustAnchors::from(TrustAnchor::from_public_key_base64(
                    &text,
                )?))
            }
            None => None,
        };
        Ok(Self::parse(&envelope, anchors.as_ref(), today)?)
    }

    /// The envelope bytes exactly as in the file.
    pub fn envelope_bytes(&self) -> &[u8] {
        &self.envelope
    }

    /// The policy document.
    pub fn document(&self) -> &PolicyDocument {
        &self.document
    }

    /// Whether the signature was verified against trust anchors.
    pub fn signature_verified(&self) -> bool {
        self.signer.is_some()
    }

    /// The public key that signed the policy (the last subject of its delegation chain,
    /// or the root), when the signature was verified: the key its enrollment orders and
    /// arrival confirmations are signed with.
    pub fn signer_key(&self) -> Option<&[u8; 32]> {
        self.signer.as_ref()
    }
}

/// The payload bytes of an envelope [`SignedPolicy::parse`] accepted.
fn envelope_payload(envelope: &[u8]) -> Result<Vec<u8>, PolicyError> {
    #[derive(serde::Deserialize)]
    struct Payload {
        payload: String,
    }
    let malformed = || PolicyError::Malformed {
        detail: "the envelope's `payload` is not base64url".to_owned(),
    };
    let parsed: Payload = serde_json::from_slice(envelope).map_err(|_| malformed())?;
    URL_SAFE_NO_PAD
        .decode(parsed.payload.as_bytes())
        .map_err(|_| malformed())
}

/// Reads at most `limit` bytes of `path`, refusing a larger file without reading it all.
fn read_bounded(path: &Path, limit: usize) -> Result<Vec<u8>> {
    let file = fs::File::open(path).map_err(AuthorityError::io("read", path))?;
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(AuthorityError::io("read", path))?;
    if bytes.len() > limit {
        return Err(PolicyError::TooLarge {
            size: bytes.len(),
            limit,
        }
        .into());
    }
    Ok(bytes)
}

/// The policy document in the file at `policy_path`: a signed envelope (its signature
/// verified with the key in `trust_path` when given) or a plain document, as the authority's
/// tools take either.
pub fn policy_document_of(policy_path: &Path, trust_path: Option<&Path>) -> Result<PolicyDocument> {
    let bytes = fs::read(policy_path).map_err(AuthorityError::io("read", policy_path))?;
    let signed = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|value| {
            value
                .get("format")?
                .as_str()
                .map(|format| format == "selfreport.signed/1")
        })
        .unwrap_or(false);
    if signed || trust_path.is_some() || bytes.len() > MAX_SIGNED_POLICY_BYTES {
        let today = chrono::Utc::now().date_naive();
        return Ok(PolicyFile::read(policy_path, trust_path, today)?
            .document()
            .clone());
    }
    Ok(parse_policy_document(&bytes)?)
}

#[cfg(test)]
mod tests {
    use selfreport_core::crypto::signature::SigningKey;
    use selfreport_core::policy::sign_policy;

    use super::*;

    const DAILY: &[u8] = include_bytes!("../../examples/policies/daily-report.json");

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn parses_without_trust_and_verifies_with_it_even_after_expiry() {
        let key = SigningKey::generate().unwrap();
        let envelope = sign_policy(&key, DAILY).unwrap();
        let unverified = PolicyFile::parse(&envelope, None, day(2026, 11, 28)).unwrap();
        assert!(!unverified.signature_verified());
        assert_eq!(unverified.document().id, "sh-daily-health");
        assert_eq!(unverified.envelope_bytes(), envelope.as_slice());

        let anchors = TrustAnchors::from(TrustAnchor::new(key.public_key()));
        let long_after = day(2030, 1, 1);
        let verified = PolicyFile::parse(&envelope, Some(&anchors), long_after).unwrap();
        assert!(verified.signature_verified());

        let stranger = TrustAnchors::from(TrustAnchor::new(
            SigningKey::generate().unwrap().public_key(),
        ));
        assert_eq!(
            PolicyFile::parse(&envelope, Some(&stranger), long_after)
                .unwrap_err()
                .code(),
            "PolicyUnknownKey"
        );
    }

    #[test]
    fn a_tampered_envelope_is_refused_with_or_without_trust() {
        let key = SigningKey::generate().unwrap();
        let envelope = String::from_utf8(sign_policy(&key, DAILY).unwrap()).unwrap();
        let broken = envelope.replace("\"payload\":\"", "\"payload\":\"!");
        assert!(PolicyFile::parse(broken.as_bytes(), None, day(2026, 11, 28)).is_err());
        assert!(PolicyFile::parse(b"{}", None, day(2026, 11, 28)).is_err());
    }
}
