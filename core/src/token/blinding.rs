//! The client's half of RSABSSA-SHA384-PSS-Deterministic (RFC 9474 §4.2 Blind and §4.3
//! Finalize): a message is encoded with EMSA-PSS (SHA-384, a random 48-byte salt),
//! multiplied by `r^e` for a random `r`, and the issuer's blind signature is divided by
//! `r` again and verified. The issuer sees only the blinded message, which is uniformly
//! random to it; the finished signature cannot be linked to it.

use ring::digest;
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::{Zeroize, Zeroizing};

use super::TokenError;
use super::issuer_key::{IssuerKey, NK};
use super::modular::Residue;

/// Bytes of SHA-384's output, and of the salt (RFC 9474's `sLen` for the PSS variants).
const HASH_LEN: usize = 48;

/// What the client keeps between blinding and finalizing: the inverse of the blinding
/// factor, as big-endian bytes of the modulus's length. Secret: whoever holds it with the blind signature can
/// link the token to its issuance. Zeroized on drop; never printed.
pub struct BlindingSecret(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for BlindingSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlindingSecret(..)")
    }
}

impl BlindingSecret {
    /// The secret as kept in the store.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// A kept secret read back; `None` unless it is as long as a 2048- to 4096-bit
    /// modulus.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        (NK..=2 * NK)
            .contains(&bytes.len())
            .then(|| Self(Zeroizing::new(bytes.to_vec())))
    }
}

/// A blinded message to send to the issuer, with the secret to finish it.
#[derive(Debug)]
pub struct Blinded {
    /// As long as the modulus (`NK` bytes for a token).
    pub message: Vec<u8>,
    /// Kept on the device until the blind signature comes back.
    pub secret: BlindingSecret,
}

/// Blinds `message` for `key` (RFC 9474 §4.2, with the OS generator for the salt and
/// the blinding factor).
pub fn blind(key: &IssuerKey, message: &[u8]) -> Result<Blinded, TokenError> {
    let rng = SystemRandom::new();
    let mut fill = |bytes: &mut [u8]| rng.fill(bytes).map_err(|_| TokenError::Random);
    let mut salt = [0u8; HASH_LEN];
    fill(&mut salt)?;
    let modulus = key.modulus();
    // Choosing the inverse and deriving r from it gives the same uniform pair (r, r⁻¹).
    let inverse = modulus.random(&mut fill)?;
    let result = blind_with(key, message, &salt, &inverse, &mut fill);
    salt.zeroize();
    result
}

/// Blind with a given salt and blinding inverse (RFC 9474's test vectors give both).
pub(crate) fn blind_with(
    key: &IssuerKey,
    message: &[u8],
    salt: &[u8; HASH_LEN],
    inverse: &Residue,
    fill: &mut dyn FnMut(&mut [u8]) -> Result<(), TokenError>,
) -> Result<Blinded, TokenError> {
    let modulus = key.modulus();
    let encoded = Zeroizing::new(emsa_pss_encode(message, modulus.bits() - 1, salt)?);
    let m = modulus.residue(&encoded).ok_or(TokenError::BadIssuerKey(
        "the encoded message is not below the modulus",
    ))?;
    // m must be invertible (RFC 9474 §4.2 step 3): otherwise it would share a factor with n.
    if modulus.inverse_masked(&m, fill)?.is_none() {
        return Err(TokenError::BadIssuerKey(
            "the encoded message shares a factor with the modulus",
        ));
    }
    let r = modulus
        .inverse_masked(inverse, fill)?
        .ok_or(TokenError::BadIssuerKey(
            "the blinding factor shares a factor with the modulus",
        ))?;
    let x = modulus.power_public(&r, key.exponent());
    let z = modulus.multiply(&m, &x);
    Ok(Blinded {
        message: modulus.to_be_bytes(&z),
        secret: BlindingSecret(Zeroizing::new(modulus.to_be_bytes(inverse))),
    })
}

/// Finishes the issuer's `blind_signature` of `message` (RFC 9474 §4.3): unblinds it and
/// verifies the result under `key`, so a wrong or hostile reply never yields a token.
pub fn finalize(
    key: &IssuerKey,
    message: &[u8],
    blind_signature: &[u8],
    secret: &BlindingSecret,
) -> Result<Vec<u8>, TokenError> {
    let modulus = key.modulus();
    if blind_signature.len() != modulus.byte_len() {
        return Err(TokenError::BadBlindSignature);
    }
    let z = modulus
        .residue(blind_signature)
        .ok_or(TokenError::BadBlindSignature)?;
    let inverse = modulus
        .residue(secret.as_bytes())
        .filter(|_| secret.as_bytes().len() == modulus.byte_len())
        .ok_or(TokenError::BadBlindSignature)?;
    let signature = modulus.to_be_bytes(&modulus.multiply(&z, &inverse));
    if key.verifies(message, &signature) {
        Ok(signature)
    } else {
        Err(TokenError::BadBlindSignature)
    }
}

/// EMSA-PSS-ENCODE (RFC 8017 §9.1.1) with SHA-384 and MGF1-SHA-384.
fn emsa_pss_encode(
    message: &[u8],
    em_bits: usize,
    salt: &[u8; HASH_LEN],
) -> Result<Vec<u8>, TokenError> {
    let em_len = em_bits.div_ceil(8);
    if em_len < 2 * HASH_LEN + 2 {
        return Err(TokenError::BadIssuerKey("the modulus is too short for PSS"));
    }
    let message_hash = digest::digest(&digest::SHA384, message);
    let mut prefixed = digest::Context::new(&digest::SHA384);
    prefixed.update(&[0u8; 8]);
    prefixed.update(message_hash.as_ref());
    prefixed.update(salt);
    let h = prefixed.finish();

    let db_len = em_len - HASH_LEN - 1;
    let mut encoded = vec![0u8; em_len];
    // DB = PS || 0x01 || salt, then masked.
    encoded[db_len - HASH_LEN - 1] = 0x01;
    encoded[db_len - HASH_LEN..db_len].copy_from_slice(salt);
    let mut counter: u32 = 0;
    let mut offset = 0;
    while offset < db_len {
        let mut block = digest::Context::new(&digest::SHA384);
        block.update(h.as_ref());
        block.update(&counter.to_be_bytes());
        for (target, mask) in encoded[offset..db_len]
            .iter_mut()
            .zip(block.finish().as_ref())
        {
            *target ^= mask;
        }
        offset += HASH_LEN;
        counter += 1;
    }
    encoded[0] &= 0xffu8 >> (8 * em_len - em_bits);
    encoded[db_len..em_len - 1].copy_from_slice(h.as_ref());
    encoded[em_len - 1] = 0xbc;
    Ok(encoded)
}
