//! A token issuer's public key (RFC 9578 §6.5): an RSA key of 2048 bits in a
//! SubjectPublicKeyInfo whose algorithm is RSASSA-PSS with SHA-384, MGF1 with SHA-384 and
//! a 48-byte salt, the encoding its `token_key_id` is the SHA-256 of.

use ring::digest;
use ring::signature::{self, RsaPublicKeyComponents};

use super::TokenError;
use super::modular::Modulus;

/// Bytes of an authenticator, a blinded message and a blind signature for token type
/// 0x0002: the modulus length of a 2048-bit key (RFC 9578 §6: `Nk = 256`).
pub const NK: usize = 256;

/// Largest SubjectPublicKeyInfo accepted, in bytes (a 2048-bit key's is 342 with
/// `e = 65537`, a 4096-bit key's 598).
pub const MAX_SPKI_BYTES: usize = 640;

/// The AlgorithmIdentifier RFC 9578 §6.5 requires, as DER: id-RSASSA-PSS with
/// RSASSA-PSS-params { sha384, mgf1SHA384, saltLength 48 } (trailerField left at its
/// default).
const PSS_SHA384_ALGORITHM: [u8; 63] = [
    0x30, 0x3d, // AlgorithmIdentifier
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, // id-RSASSA-PSS
    0x30, 0x30, // RSASSA-PSS-params
    0xa0, 0x0d, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
    0x02, // [0] hashAlgorithm: id-sha384
    0xa1, 0x1a, 0x30, 0x18, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
    0x08, // [1] maskGenAlgorithm: id-mgf1
    0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
    0x02, // with id-sha384
    0xa2, 0x03, 0x02, 0x01, 0x30, // [2] saltLength: 48
];

/// A verified-shape issuer key: its modulus ready for blinding, its exponent, and its
/// `token_key_id`.
pub struct IssuerKey {
    modulus: Modulus,
    n: Vec<u8>,
    e: Vec<u8>,
    exponent: u64,
    key_id: [u8; 32],
}

impl std::fmt::Debug for IssuerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerKey")
            .field("token_key_id", &crate::hex::hex(&self.key_id))
            .finish()
    }
}

impl IssuerKey {
    /// Reads the DER SubjectPublicKeyInfo `spki`, strictly: the algorithm identifier of
    /// RFC 9578 §6.5 byte for byte, minimal DER, a 2048-bit odd modulus and an odd
    /// public exponent from 3 to 2³³ − 1, nothing after the structure.
    pub fn from_spki(spki: &[u8]) -> Result<Self, TokenError> {
        let key = Self::from_spki_of_any_size(spki)?;
        if key.modulus.bits() != 8 * NK {
            return Err(TokenError::BadIssuerKey("the modulus is not 2048 bits"));
        }
        Ok(key)
    }

    /// As [`IssuerKey::from_spki`] for a modulus of 2048 to 4096 bits: RFC 9474's test
    /// vectors use a 4096-bit key.
    pub(crate) fn from_spki_of_any_size(spki: &[u8]) -> Result<Self, TokenError> {
        if spki.len() > MAX_SPKI_BYTES {
            return Err(TokenError::BadIssuerKey("the key is too long"));
        }
        let mut outer = Der::new(spki);
        let mut info = outer.element(SEQUENCE)?;
        outer.end()?;
        let algorithm = info.take(PSS_SHA384_ALGORITHM.len())?;
        if algorithm != PSS_SHA384_ALGORITHM {
            return Err(TokenError::BadIssuerKey(
                "the algorithm is not RSASSA-PSS with SHA-384 and a 48-byte salt",
            ));
        }
        let bits = info.element(BIT_STRING)?;
        info.end()?;
        let (unused, key) = bits
            .rest()
            .split_first()
            .ok_or(TokenError::BadIssuerKey("the key's bit string is empty"))?;
        if *unused != 0 {
            return Err(TokenError::BadIssuerKey(
                "the key's bit string is not whole bytes",
            ));
        }
        let mut key = Der::new(key);
        let mut rsa = key.element(SEQUENCE)?;
        key.end()?;
        let n = rsa.positive_integer()?.to_vec();
        let e = rsa.positive_integer()?.to_vec();
        rsa.end()?;

        let modulus = Modulus::from_be_bytes(&n)?;
        if !(2048..=4096).contains(&modulus.bits()) {
            return Err(TokenError::BadIssuerKey(
                "the modulus is not 2048 to 4096 bits",
            ));
        }
        if e.len() > 8 {
            return Err(TokenError::BadIssuerKey("the public exponent is too large"));
        }
        let exponent = e
            .iter()
            .fold(0u64, |value, &byte| value << 8 | u64::from(byte));
        if !(3..1 << 33).contains(&exponent) || exponent & 1 == 0 {
            return Err(TokenError::BadIssuerKey(
                "the public exponent is not an odd number from 3 to 2^33 - 1",
            ));
        }
        let mut key_id = [0u8; 32];
        key_id.copy_from_slice(digest::digest(&digest::SHA256, spki).as_ref());
        Ok(Self {
            modulus,
            n,
            e,
            exponent,
            key_id,
        })
    }

    /// `token_key_id`: the SHA-256 of the SubjectPublicKeyInfo (RFC 9578 §6.5).
    pub fn key_id(&self) -> &[u8; 32] {
        &self.key_id
    }

    /// The last byte of `token_key_id`, which a token request names the key by.
    pub fn truncated_key_id(&self) -> u8 {
        self.key_id[31]
    }

    /// Whether `signature` is this key's RSASSA-PSS (SHA-384, 48-byte salt) signature of
    /// `message`.
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        RsaPublicKeyComponents {
            n: self.n.as_slice(),
            e: self.e.as_slice(),
        }
        .verify(&signature::RSA_PSS_2048_8192_SHA384, message, signature)
        .is_ok()
    }

    pub(crate) fn modulus(&self) -> &Modulus {
        &self.modulus
    }

    pub(crate) fn exponent(&self) -> u64 {
        self.exponent
    }
}

const SEQUENCE: u8 = 0x30;
const BIT_STRING: u8 = 0x03;
const INTEGER: u8 = 0x02;

/// A strict reader of the few DER shapes a SubjectPublicKeyInfo holds.
struct Der<'a> {
    bytes: &'a [u8],
}

impl<'a> Der<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    /// The next `count` raw bytes.
    fn take(&mut self, count: usize) -> Result<&'a [u8], TokenError> {
        if self.bytes.len() < count {
            return Err(TokenError::BadIssuerKey("the key is cut short"));
        }
        let (taken, rest) = self.bytes.split_at(count);
        self.bytes = rest;
        Ok(taken)
    }

    /// The contents of the next element, which must carry `tag`, with a minimal length.
    fn element(&mut self, tag: u8) -> Result<Der<'a>, TokenError> {
        let header = self.take(2)?;
        if header[0] != tag {
            return Err(TokenError::BadIssuerKey("the key is not the expected DER"));
        }
        let length = match header[1] {
            short @ 0..=0x7f => usize::from(short),
            0x81 => {
                let long = usize::from(self.take(1)?[0]);
                if long < 0x80 {
                    return Err(TokenError::BadIssuerKey("a DER length is not minimal"));
                }
                long
            }
            0x82 => {
                let bytes = self.take(2)?;
                let long = usize::from(bytes[0]) << 8 | usize::from(bytes[1]);
                if long < 0x100 {
                    return Err(TokenError::BadIssuerKey("a DER length is not minimal"));
                }
                long
            }
            _ => return Err(TokenError::BadIssuerKey("a DER length is too long")),
        };
        Ok(Der::new(self.take(length)?))
    }

    /// The magnitude of the next INTEGER, which must be positive and minimally encoded.
    fn positive_integer(&mut self) -> Result<&'a [u8], TokenError> {
        let contents = self.element(INTEGER)?.bytes;
        match contents {
            [] => Err(TokenError::BadIssuerKey("an integer is empty")),
            [first, ..] if first & 0x80 != 0 => {
                Err(TokenError::BadIssuerKey("an integer is negative"))
            }
            [0, second, ..] if second & 0x80 == 0 => {
                Err(TokenError::BadIssuerKey("an integer is not minimal"))
            }
            [0, rest @ ..] if !rest.is_empty() => Ok(rest),
            [0] => Err(TokenError::BadIssuerKey("an integer is zero")),
            all => Ok(all),
        }
    }

    /// What is left.
    fn rest(self) -> &'a [u8] {
        self.bytes
    }

    /// Refuses bytes left over.
    fn end(self) -> Result<(), TokenError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(TokenError::BadIssuerKey("bytes follow the key"))
        }
    }
}
