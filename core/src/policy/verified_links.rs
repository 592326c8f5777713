//! Delegation signatures a device has already verified, so that the next version of a
//! policy under the same chain (and the first re-check of each day) verifies only the
//! policy's own signature, as a policy its root signed directly does.
//!
//! What is remembered is exactly what a signature check decides: the digest of the
//! issuer's key, the signature and the signed payload. A link whose bytes, signature or
//! issuer differ in any way is verified again. Windows, constraints, anchors and
//! revocations are never remembered: they are checked on every use.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::crypto::sha256;
use crate::crypto::signature::ED25519_PUBLIC_KEY_LEN;

use super::SignedDelegation;

/// How many links are remembered (a device trusts a few chains of at most four links).
const CAPACITY: usize = 64;

/// Delegation signatures verified by this open core, most recent last.
#[derive(Debug, Default)]
pub struct VerifiedLinks {
    digests: Mutex<VecDeque<[u8; 32]>>,
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
