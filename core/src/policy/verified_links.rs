//! Delegations a device has already read, so that the next version of a policy under
//! the same chain (and the first re-check of each day) reads only its own document and
//! verifies only its own signature, as a policy its root signed directly does.
//!
//! A delegation is remembered by its exact bytes, and with it the issuer key its
//! signature verified under, if it has: exactly what a signature check decides, since the
//! bytes decide the signature and the payload it covers. Bytes that differ in any way
//! are read and verified again. Windows, constraints, anchors and revocations are never
//! remembered: they are checked on every use.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::crypto::signature::ED25519_PUBLIC_KEY_LEN;

use super::{PolicyError, SignedDelegation};

/// How many delegations are remembered (a device trusts a few chains of at most four
/// links).
const CAPACITY: usize = 64;

/// Delegations read by this open core, by their envelope bytes, most recent last.
#[derive(Debug, Default)]
pub struct VerifiedLinks {
    read: Mutex<VecDeque<(Box<[u8]>, SignedDelegation)>>,
}

impl VerifiedLinks {
    /// An empty memory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether `link` is signed by `issuer_key`: remembered with the link (when it was
    /// read here, or is that very link again), or verified now (and then remembered).
    pub(crate) fn signed_by(
        &self,
        link: &SignedDelegation,
        issuer_key: &[u8; ED25519_PUBLIC_KEY_LEN],
    ) -> bool {
        link.signed_by_remembering(issuer_key)
    }

    /// The delegation whose envelope is `bytes`: as read before from the very same bytes,
    /// or read now (and then remembered if it reads). Reading is a function of the bytes
    /// alone, so nothing is trusted by remembering it; its signature is checked apart.
    pub(crate) fn parsed(&self, bytes: &[u8]) -> Result<SignedDelegation, PolicyError> {
        if let Ok(read) = self.read.lock() {
            if let Some((_, link)) = read.iter().find(|(known, _)| **known == *bytes) {
                return Ok(link.clone());
            }
        }
        let link = SignedDelegation::parse(bytes)?;
        if let Ok(mut read) = self.read.lock() {
            if read.len() == CAPACITY {
                read.pop_front();
            }
            read.push_back((bytes.into(), link.clone()));
        }
        Ok(link)
    }

    /// How many delegations are remembered.
    pub fn len(&self) -> usize {
        self.read.lock().map_or(0, |read| read.len())
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
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
        let known = VerifiedLinks::new();
        let link = known.parsed(&bytes).unwrap();
        assert!(!link.verified_under(&root.public_key()));
        assert!(known.signed_by(&link, &root.public_key()));
        // Remembered with what was read: the same bytes read again come verified.
        let again = known.parsed(&bytes).unwrap();
        assert!(again.verified_under(&root.public_key()));
        assert!(known.signed_by(&again, &root.public_key()));
        // Another issuer key for the same bytes: checked, and refused.
        assert!(!known.signed_by(&again, &stranger.public_key()));
        assert!(!again.verified_under(&stranger.public_key()));
        // The same signature over another payload (another subject): other bytes, so
        // read and checked again, and refused.
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
        let forged = known.parsed(&serde_json::to_vec(&forged).unwrap()).unwrap();
        assert!(!known.signed_by(&forged, &root.public_key()));
        assert!(!forged.verified_under(&root.public_key()));
        // A link read apart (not through this memory) is checked on its own.
        let apart = SignedDelegation::parse(&bytes).unwrap();
        assert!(!apart.verified_under(&root.public_key()));
        assert!(known.signed_by(&apart, &root.public_key()));
    }

    #[test]
    fn a_read_link_is_remembered_by_its_exact_bytes_and_refusals_are_not() {
        let (root, office) = (test_key(), test_key());
        let bytes = signed_delegation(&root, &delegation(&office, 0));
        let known = VerifiedLinks::new();
        let first = known.parsed(&bytes).unwrap();
        let again = known.parsed(&bytes).unwrap();
        assert_eq!(first.document(), again.document());
        assert_eq!(known.len(), 1);
        // One more byte (a trailing space) is other bytes: read again, remembered apart.
        let mut spaced = bytes.clone();
        spaced.push(b' ');
        assert_eq!(known.parsed(&spaced).unwrap().document(), first.document());
        assert_eq!(known.len(), 2);
        // Bytes that do not read are refused every time and never remembered.
        assert!(known.parsed(b"{}").is_err());
        assert!(known.parsed(b"{}").is_err());
        assert_eq!(known.len(), 2);
    }

    #[test]
    fn memory_is_bounded() {
        let root = test_key();
        let known = VerifiedLinks::new();
        for _ in 0..CAPACITY + 5 {
            let bytes = signed_delegation(&root, &delegation(&test_key(), 0));
            let link = known.parsed(&bytes).unwrap();
            assert!(known.signed_by(&link, &root.public_key()));
        }
        assert_eq!(known.len(), CAPACITY);
    }
}
