//! Recipient keys: the X25519 key pairs submissions are sealed to (RFC 9180
//! DHKEM(X25519, HKDF-SHA256)), one per recipient named in a policy.
//!
//! The authority side uses the `hpke` crate, an implementation independent of the
//! device's (ring in the core), so every opened submission also proves the two agree.
//! Text form: standard base64 of the 32 raw bytes, private and public alike.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem, Serializable};
use zeroize::Zeroizing;

use crate::error::{AuthorityError, Result};

/// Length of an X25519 private or public key in bytes.
pub const X25519_KEY_LEN: usize = 32;

/// The HPKE private key type of recipient keys.
pub(crate) type HpkePrivateKey = <X25519HkdfSha256 as Kem>::PrivateKey;

/// A recipient's X25519 key pair. The private key is wiped on drop and never shown by
/// `Debug`.
pub struct RecipientKeyPair {
    private_key: Zeroizing<[u8; X25519_KEY_LEN]>,
    public_key: [u8; X25519_KEY_LEN],
}

/// The private key text is not standard base64 of 32 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MalformedRecipientKey;

impl RecipientKeyPair {
    /// A new key pair: RFC 9180 `DeriveKeyPair` from 32 bytes of the operating system's
    /// random generator.
    pub fn generate() -> Result<Self> {
        let seed = Zeroizing::new(
            selfreport_core::crypto::random_array::<32>().map_err(|_| AuthorityError::Random)?,
        );
        let (private_key, _) = X25519HkdfSha256::derive_keypair(seed.as_slice());
        Ok(Self::from_hpke_private_key(&private_key))
    }

    /// The key pair whose private key is `text`: standard base64 of 32 bytes, surrounding
    /// whitespace (a key file's trailing newline) ignored.
    pub fn from_private_key_base64(text: &str) -> Result<Self, MalformedRecipientKey> {
        let mut buffer = Zeroizing::new([0u8; 48]);
        let written = STANDARD
            .decode_slice(text.trim().as_bytes(), buffer.as_mut_slice())
            .map_err(|_| MalformedRecipientKey)?;
        if written != X25519_KEY_LEN {
            return Err(MalformedRecipientKey);
        }
        let private_key = HpkePrivateKey::from_bytes(&buffer[..X25519_KEY_LEN])
            .map_err(|_| MalformedRecipientKey)?;
        Ok(Self::from_hpke_private_key(&private_key))
    }

    fn from_hpke_private_key(private_key: &HpkePrivateKey) -> Self {
        let mut private_bytes = Zeroizing::new([0u8; X25519_KEY_LEN]);
        private_bytes.copy_from_slice(&private_key.to_bytes());
        let mut public_key = [0u8; X25519_KEY_LEN];
        public_key.copy_from_slice(&X25519HkdfSha256::sk_to_pk(private_key).to_bytes());
        Self {
            private_key: private_bytes,
            public_key,
        }
    }

    /// The raw public key.
    pub fn public_key(&self) -> [u8; X25519_KEY_LEN] {
        self.public_key
    }

    /// The public key in standard base64, as policies and `.pub` files carry it.
    pub fn public_key_base64(&self) -> String {
        STANDARD.encode(self.public_key)
    }

    /// The private key in standard base64, the content of a `.key` file. Wiped on drop.
    pub fn private_key_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(self.private_key.as_slice()))
    }

    /// The private key as the `hpke` crate takes it.
    pub(crate) fn hpke_private_key(&self) -> Result<HpkePrivateKey, MalformedRecipientKey> {
        HpkePrivateKey::from_bytes(self.private_key.as_slice()).map_err(|_| MalformedRecipientKey)
    }
}

impl fmt::Debug for RecipientKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecipientKeyPair")
            .field("public_key", &self.public_key_base64())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_private_key_round_trips_and_determines_the_public_key() {
        let key = RecipientKeyPair::generate().unwrap();
        let text = format!("{}\n", key.private_key_base64().as_str());
        let again = RecipientKeyPair::from_private_key_base64(&text).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        assert_eq!(again.public_key_base64().len(), 44);
        assert_ne!(
            RecipientKeyPair::generate().unwrap().public_key(),
            key.public_key()
        );
    }

    #[test]
    fn rfc7748_public_key_of_a_known_private_key() {
        // RFC 7748 section 6.1: Alice's private and public keys.
        let private = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=";
        let key = RecipientKeyPair::from_private_key_base64(private).unwrap();
        assert_eq!(
            key.public_key_base64(),
            STANDARD.encode([
                0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54, 0x74, 0x8b, 0x7d, 0xdc, 0xb4, 0x3e,
                0xf7, 0x5a, 0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38, 0x1a, 0xf4, 0xeb, 0xa4, 0xa9, 0x8e,
                0xaa, 0x9b, 0x4e, 0x6a
            ])
        );
    }

    #[test]
    fn malformed_private_keys_are_refused() {
        for text in [
            "",
            "not base64",
            &STANDARD.encode([1u8; 31]),
            &STANDARD.encode([1u8; 33]),
        ] {
            assert!(
                RecipientKeyPair::from_private_key_base64(text).is_err(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn debug_never_shows_the_private_key() {
        let key = RecipientKeyPair::generate().unwrap();
        let shown = format!("{key:?}");
        assert!(!shown.contains(key.private_key_base64().as_str()));
        assert!(shown.contains(&key.public_key_base64()));
    }
}
