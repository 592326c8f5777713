//! Keys, key sources, record sealing, blind indexes and signatures.
//!
//! This module tree is the only place the core calls cryptographic primitives (ring).
//! Everything above it sees typed keys ([`KeyMaterial`], [`DataKey`]) that zeroize on
//! drop and never print their bytes, and misuse-resistant operations: seal with
//! associated data, open or fail, keyed hash for lookups.

mod blind_index;
mod hpke;
mod key_source;
mod keys;
mod random;
mod sealing;
pub mod signature;

pub use blind_index::{BlindIndex, BlindIndexKey};
/// Test vectors only (the `test-vectors` feature, which no shipped build enables).
#[cfg(feature = "test-vectors")]
pub use hpke::fixed_ephemeral::{VectorSeal, hpke_seal_with_ephemeral_key};
pub use hpke::{HpkeError, HpkeSealed, HpkeSuite, hpke_seal, submission_info};
pub use key_source::{KeySource, KeySourceError, MemoryKeySource, PassphraseKeySource};
pub use keys::{DataKey, KeyMaterial, StoreKey};
pub use random::{random_array, random_id};
pub use sealing::{
    AssociatedData, AssociatedDataTooLong, MAX_ASSOCIATED_DATA_LEN, OpenError, Plaintext, open,
    open_in_place, seal,
};
pub use signature::*;

/// SHA-256 of `bytes`; used for integrity digests of wrapped keys and body digests.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}
