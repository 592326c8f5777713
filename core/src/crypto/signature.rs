//! Ed25519 signatures: signing keys for authorities, verification for devices.
//!
//! One key type signs policies (authority side) and, later, receipts (drop box side); each
//! use prefixes its own context string (`"selfreport.policy/1\n"`, `"selfreport.receipt/1\n"`)
//! to the message, so a signature made for one purpose never verifies for another.
//!
//! Text forms: key files and policy documents carry keys in standard base64 (with padding),
//! one key per line. Key ids are derived from the public key, never chosen.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use zeroize::Zeroizing;

/// Length of an Ed25519 public key in bytes.
pub const ED25519_PUBLIC_KEY_LEN: usize = 32;

/// Length of an Ed25519 signature in bytes.
pub const ED25519_SIGNATURE_LEN: usize = 64;

/// Length of an Ed25519 private seed in bytes.
pub const ED25519_SEED_LEN: usize = 32;

/// Domain separation for key ids, so a key id can never collide with another hash of the key.
const KEY_ID_CONTEXT: &[u8] = b"selfreport.key-id/1\n";

/// Why a signing key could not be made or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigningKeyError {
    /// The system random generator failed.
    #[error("the system random generator failed")]
    Random,
    /// The key text is not standard base64 of a 32-byte Ed25519 seed.
    #[error("the signing key is not standard base64 of a 32-byte Ed25519 seed")]
    Malformed,
}

impl SigningKeyError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            SigningKeyError::Random => "Crypto",
            SigningKeyError::Malformed => "SigningKeyMalformed",
        }
    }
}

/// An Ed25519 signing key (policy-signing for authorities, receipt-signing for drop boxes).
///
/// The 32-byte seed is held in [`Zeroizing`] and wiped on drop; `Debug` shows only the key
/// id. ring keeps its own expanded copy of the private key inside its key pair type and does
/// not wipe it on drop; keep signing keys short-lived in memory (load, sign, drop).
pub struct SigningKey {
    seed: Zeroizing<[u8; ED25519_SEED_LEN]>,
    key_pair: Ed25519KeyPair,
    public_key: [u8; ED25519_PUBLIC_KEY_LEN],
    key_id: String,
}

/// The key an authority signs collection policies with.
pub type PolicySigningKey = SigningKey;

impl SigningKey {
    /// A new key from the system random generator.
    pub fn generate() -> Result<Self, SigningKeyError> {
        let mut seed = Zeroizing::new([0u8; ED25519_SEED_LEN]);
        SystemRandom::new()
            .fill(seed.as_mut_slice())
            .map_err(|_| SigningKeyError::Random)?;
        Self::from_seed(seed)
    }

    /// The key whose seed is `text`: standard base64 of 32 bytes, surrounding whitespace
    /// (a key file's trailing newline) ignored.
    pub fn from_seed_base64(text: &str) -> Result<Self, SigningKeyError> {
        // Decode into a fixed buffer we wipe, rather than a Vec that could leave copies.
        // Its size is the decoder's estimate for a 44-character input, plus room.
        let mut buffer = Zeroizing::new([0u8; 48]);
        let written = STANDARD
            .decode_slice(text.trim().as_bytes(), buffer.as_mut_slice())
            .map_err(|_| SigningKeyError::Malformed)?;
        if written != ED25519_SEED_LEN {
            return Err(SigningKeyError::Malformed);
        }
        let mut seed = Zeroizing::new([0u8; ED25519_SEED_LEN]);
        seed.copy_from_slice(&buffer[..ED25519_SEED_LEN]);
        Self::from_seed(seed)
    }

    /// The key whose seed is `seed` (32 bytes, as the system random generator gave them).
    pub fn from_seed(seed: Zeroizing<[u8; ED25519_SEED_LEN]>) -> Result<Self, SigningKeyError> {
        let key_pair = Ed25519KeyPair::from_seed_unchecked(seed.as_slice())
            .map_err(|_| SigningKeyError::Malformed)?;
        let mut public_key = [0u8; ED25519_PUBLIC_KEY_LEN];
        public_key.copy_from_slice(key_pair.public_key().as_ref());
        Ok(Self {
            key_id: key_id(&public_key),
            seed,
            key_pair,
            public_key,
        })
    }

    /// The seed in standard base64, the content of a private key file. Wiped on drop.
    pub fn seed_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(self.seed.as_slice()))
    }

    /// The raw public key.
    pub fn public_key(&self) -> [u8; ED25519_PUBLIC_KEY_LEN] {
        self.public_key
    }

    /// The public key in standard base64, the content of a `.pub` file and the form policy
    /// documents use.
    pub fn public_key_base64(&self) -> String {
        STANDARD.encode(self.public_key)
    }

    /// The key id derived from the public key (see [`key_id`]).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The Ed25519 signature of `message`. Callers prefix their own context string.
    pub fn sign(&self, message: &[u8]) -> [u8; ED25519_SIGNATURE_LEN] {
        let mut signature = [0u8; ED25519_SIGNATURE_LEN];
        signature.copy_from_slice(self.key_pair.sign(message).as_ref());
        signature
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// Whether `signature` is a valid Ed25519 signature of `message` by `public_key`.
pub fn verify_ed25519(
    public_key: &[u8; ED25519_PUBLIC_KEY_LEN],
    message: &[u8],
    signature: &[u8],
) -> bool {
    UnparsedPublicKey::new(&ED25519, public_key)
        .verify(message, signature)
        .is_ok()
}

/// The key id of an Ed25519 public key: lowercase hex of the first 8 bytes of
/// SHA-256(`"selfreport.key-id/1\n"` || public key), 16 characters.
pub fn key_id(public_key: &[u8; ED25519_PUBLIC_KEY_LEN]) -> String {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    context.update(KEY_ID_CONTEXT);
    context.update(public_key);
    let digest = context.finish();
    digest.as_ref()[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_with_the_public_key_only() {
        let key = SigningKey::generate().unwrap();
        let signature = key.sign(b"hello");
        assert!(verify_ed25519(&key.public_key(), b"hello", &signature));
        assert!(!verify_ed25519(&key.public_key(), b"hellO", &signature));
        let other = SigningKey::generate().unwrap();
        assert!(!verify_ed25519(&other.public_key(), b"hello", &signature));
        assert!(!verify_ed25519(
            &key.public_key(),
            b"hello",
            &signature[..63]
        ));
    }

    #[test]
    fn seed_round_trips_through_base64() {
        let key = SigningKey::generate().unwrap();
        let text = format!("{}\n", key.seed_base64().as_str());
        let again = SigningKey::from_seed_base64(&text).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        assert_eq!(again.key_id(), key.key_id());
        assert_eq!(again.sign(b"m"), key.sign(b"m"));
    }

    #[test]
    fn malformed_seeds_are_rejected() {
        for text in [
            "",
            "not base64!",
            &STANDARD.encode([1u8; 31]),
            &STANDARD.encode([1u8; 33]),
        ] {
            assert_eq!(
                SigningKey::from_seed_base64(text).unwrap_err(),
                SigningKeyError::Malformed,
                "{text:?}"
            );
        }
        let long = STANDARD.encode([1u8; 400]);
        assert_eq!(
            SigningKey::from_seed_base64(&long).unwrap_err(),
            SigningKeyError::Malformed
        );
    }

    #[test]
    fn rfc8032_test_vector_1() {
        // RFC 8032 section 7.1, TEST 1: empty message.
        let seed = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        let key = SigningKey::from_seed_base64(&STANDARD.encode(&seed)).unwrap();
        assert_eq!(
            key.public_key().to_vec(),
            hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        );
        assert_eq!(
            key.sign(b"").to_vec(),
            hex(concat!(
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155",
                "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
            ))
        );
    }

    #[test]
    fn key_id_is_16_lowercase_hex_and_depends_on_the_key() {
        let a = key_id(&[1u8; 32]);
        let b = key_id(&[2u8; 32]);
        assert_eq!(a.len(), 16);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(a, b);
        assert_eq!(a, key_id(&[1u8; 32]));
    }

    #[test]
    fn debug_never_shows_the_seed() {
        let key = SigningKey::generate().unwrap();
        let shown = format!("{key:?}");
        assert!(shown.contains(key.key_id()));
        assert!(!shown.contains(key.seed_base64().as_str()));
        assert!(!shown.contains(&key.public_key_base64()));
    }

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }
}
