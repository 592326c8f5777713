//! Delegation signatures a device has already verified, and delegations it has already
//! read, so that the next version of a policy under the same chain (and the first re-check
//! of each day) reads only its own document and verifies only its own signature, as a
//! policy its root signed directly does.
//!
//! What is remembered is exactly what a signature check decides: the digest of the
//! issuer's key, the signature and the signed payload. A link whose bytes, signature or
//! issuer differ in any way is verified again. Windows, constraints, anchors and
//! revocations are never remembered: they are checked on every use.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::crypto::sha256;
use crate::crypto::signature::ED25519_PUBLIC_KEY_LEN;

use super::{PolicyError, SignedDelegation};

/// How many links are remembered (a device trusts a few chains of at most four links).
const CAPACITY: usize = 64;

/// Delegation signatures verified by this open core, and delegations it has read (by the
/// SHA-256 of their envelope bytes), most recent last.
#[derive(Debug, Default)]
pub struct VerifiedLinks {
    digests: Mutex<VecDeque<[u8; 32]>>,
    read: Mutex<VecDeque<([u8; 32], SignedDelegation)>>,
}

impl VerifiedLinks {
    /// An empty memory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether `link` is signed by `issuer_key`: remembered, or verified now (and then
    /// remembered if it holds).
    pub(crate) fn signed_by(
        &self,
        link: &SignedDelegation,
        issuer_key: &[u8; ED25519_PUBLIC_KEY_LEN],
    ) -> bool {
        let digest = digest(link, issuer_key);
        if let Ok(digests) = self.digests.lock() {
            if digests.contains(&digest) {
                return true;
            }
        }
        if !link.signed_by(issuer_key) {
            return false;
        }
        if let Ok(mut digests) = self.digests.lock() {
            if digests.len() == CAPACITY {
                digests.pop_front();
            }
            digests.push_back(digest);
        }
        true
    }

    /// The delegation whose envelope is `bytes`: as read before from the very same bytes,
    /// or read now (and then remembered if it reads). Reading is a function of the bytes
    /// alone, so nothing is trusted by remembering it; its signature is checked apart.
    pub(crate) fn parsed(&self, bytes: &[u8]) -> Result<SignedDelegation, PolicyError> {
        let digest = sha256(bytes);
        if let Ok(read) = self.read.lock() {
            if let Some((_, link)) = read.iter().find(|(known, _)| *known == digest) {
                return Ok(link.clone());
            }
        }
        let link = SignedDelegation::parse(bytes)?;
        if let Ok(mut read) = self.read.lock() {
            if read.len() == CAPACITY {
                read.pop_front();
            }
            read.push_back((digest, link.clone()));
        }
        Ok(link)
    }

    /// How many links are remembered.
    pub fn len(&self) -> usize {
        self.digests.lock().map_or(0, |digests| digests.len())
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// SHA-256 of the issuer key, the signature and the payload: the whole input of the
/// signature check (its context is fixed for delegations).
fn digest(link: &SignedDelegation, issuer_key: &[u8; ED25519_PUBLIC_KEY_LEN]) -> [u8; 32] {
    let (signature, payload) = link.signed_parts();
    let mut input = Vec::with_capacity(issuer_key.len() + signature.len() + payload.len());
    input.extend_from_slice(issuer_key);
    input.extend_from_slice(signature);
    input.extend_from_slice(payload);
    sha256(&input)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::DELEGATION_SIGNATURE_CONTEXT;
    use crate::policy::signed::envelope_bytes;
    use crate::policy::test_support::{delegation, signed_delegation, test_key};

    #[test]
    fn a_verified_link_is_remembered_and_only_that_exact_link() {
        let (root, office, stranger) = (test_key(), test_key(), test_key());
        let bytes = signed_delegation(&root, &delegation(&office, 0));
        let link = SignedDelegation::parse(&bytes).unwrap();
        let verified = VerifiedLinks::new();
        assert!(verified.signed_by(&link, &root.public_key()));
        assert_eq!(verified.len(), 1);
        // Remembered: the same link again adds nothing.
        assert!(verified.signed_by(&link, &root.public_key()));
        assert_eq!(verified.len(), 1);
        // Another issuer key for the same bytes: checked, and refused.
        assert!(!verified.signed_by(&link, &stranger.public_key()));
        // The same signature over another payload (another subject): checked, refused.
        let mut other = delegation(&stranger, 0);
        other["constraints"]["depth"] = serde_json::json!(0);
        let forged_payload = serde_json::to_vec(&other).unwrap();
        let genuine = serde_json::from_slice::<serde_json::Value>(&bytes).unwrap();
        let mut forged: serde_json::Value = serde_json::from_slice(&envelope_bytes(
            &root,
            DELEGATION_SIGNATURE_CONTEXT,
            &forged_payload,
            &[],
        ))
        .unwrap();
        forged["signature"] = genuine["signature"].clone();
        let forged = SignedDelegation::parse(&serde_json::to_vec(&forged).unwrap()).unwrap();
        assert!(!verified.signed_by(&forged, &root.public_key()));
        assert_eq!(verified.len(), 1);
    }

    #[test]
    fn a_read_link_is_remembered_by_its_exact_bytes_and_refusals_are_not() {
        let (root, office) = (test_key(), test_key());
        let bytes = signed_delegation(&root, &delegation(&office, 0));
        let known = VerifiedLinks::new();
        let first = known.parsed(&bytes).unwrap();
        let again = known.parsed(&bytes).unwrap();
        assert_eq!(first.document(), again.document());
        assert_eq!(known.read.lock().unwrap().len(), 1);
        // One more byte (a trailing space) is other bytes: read again, remembered apart.
        let mut spaced = bytes.clone();
        spaced.push(b' ');
        assert_eq!(known.parsed(&spaced).unwrap().document(), first.document());
        assert_eq!(known.read.lock().unwrap().len(), 2);
        // Bytes that do not read are refused every time and never remembered.
        assert!(known.parsed(b"{}").is_err());
        assert!(known.parsed(b"{}").is_err());
        assert_eq!(known.read.lock().unwrap().len(), 2);
    }

    #[test]
    fn memory_is_bounded() {
        let root = test_key();
        let verified = VerifiedLinks::new();
        for _ in 0..CAPACITY + 5 {
            let link =
                SignedDelegation::parse(&signed_delegation(&root, &delegation(&test_key(), 0)))
                    .unwrap();
            assert!(verified.signed_by(&link, &root.public_key()));
        }
        assert_eq!(verified.len(), CAPACITY);
    }
}
