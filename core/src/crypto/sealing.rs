//! Authenticated encryption of stored values, bound to where they are stored.
//!
//! Format of a sealed value: `version (1 byte) || nonce (12 bytes) || ciphertext || tag (16 bytes)`,
//! ChaCha20-Poly1305 with a random 96-bit nonce. The associated data names the domain and
//! the row (`"selfreport.record/1" || table || id || epoch`), so a sealed value moved to
//! another row, table or epoch fails to open.

use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use zeroize::Zeroizing;

use super::keys::DataKey;
use super::random::random_array;
use crate::error::{Error, Result};

/// Version byte of the sealed-value format.
const FORMAT_V1: u8 = 1;
const TAG_LEN: usize = 16;
/// Bytes a sealed value adds to its plaintext.
pub const SEAL_OVERHEAD: usize = 1 + NONCE_LEN + TAG_LEN;

/// Associated data: a domain label and length-prefixed parts, unambiguous by construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssociatedData(Vec<u8>);

impl AssociatedData {
    /// Starts associated data for a domain such as `"selfreport.record/1"`.
    pub fn new(domain: &str) -> Self {
        let mut bytes = Vec::with_capacity(64);
        push_part(&mut bytes, domain.as_bytes());
        Self(bytes)
    }

    /// Appends one length-prefixed part.
    pub fn part(mut self, part: &[u8]) -> Self {
        push_part(&mut self.0, part);
        self
    }

    /// The associated data of a stored row: `"selfreport.record/1" || table || id || epoch`.
    pub fn record(table: &str, id: &str, epoch: i64) -> Self {
        Self::new("selfreport.record/1")
            .part(table.as_bytes())
            .part(id.as_bytes())
            .part(&epoch.to_be_bytes())
    }

    fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

fn push_part(bytes: &mut Vec<u8>, part: &[u8]) {
    // Parts are far below 4 GiB; a u32 length prefix keeps the encoding injective.
    let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
    bytes.extend_from_slice(&len.to_be_bytes());
    bytes.extend_from_slice(part);
}

/// Why a sealed value did not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenError {
    /// Too short or an unknown version byte.
    Malformed,
    /// The tag did not verify: wrong key, wrong associated data, or altered bytes.
    Authentication,
}

fn aead_key(key: &DataKey) -> Result<LessSafeKey> {
    let unbound = UnboundKey::new(&CHACHA20_POLY1305, key.bytes())
        .map_err(|_| Error::Crypto("invalid AEAD key length"))?;
    Ok(LessSafeKey::new(unbound))
}

/// Seals `plaintext` under `key`, bound to `ad`.
pub fn seal(key: &DataKey, ad: &AssociatedData, plaintext: &[u8]) -> Result<Vec<u8>> {
    let nonce_bytes = random_array::<NONCE_LEN>()?;
    let mut out = Vec::with_capacity(plaintext.len() + SEAL_OVERHEAD);
    out.push(FORMAT_V1);
    out.extend_from_slice(&nonce_bytes);
    out.extend_from_slice(plaintext);
    let mut body = out.split_off(1 + NONCE_LEN);
    aead_key(key)?
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce_bytes),
            Aad::from(ad.as_bytes()),
            &mut body,
        )
        .map_err(|_| Error::Crypto("AEAD seal failed"))?;
    out.extend_from_slice(&body);
    Ok(out)
}

/// Opens a value sealed by [`seal`] with the same key and associated data.
pub fn open(
    key: &DataKey,
    ad: &AssociatedData,
    sealed: &[u8],
) -> std::result::Result<Zeroizing<Vec<u8>>, OpenError> {
    if sealed.len() < SEAL_OVERHEAD || sealed[0] != FORMAT_V1 {
        return Err(OpenError::Malformed);
    }
    let nonce_bytes: [u8; NONCE_LEN] = sealed[1..1 + NONCE_LEN]
        .try_into()
        .map_err(|_| OpenError::Malformed)?;
    let mut body = Zeroizing::new(sealed[1 + NONCE_LEN..].to_vec());
    let key = aead_key(key).map_err(|_| OpenError::Malformed)?;
    let plaintext_len = key
        .open_in_place(
            Nonce::assume_unique_for_key(nonce_bytes),
            Aad::from(ad.as_bytes()),
            body.as_mut_slice(),
        )
        .map_err(|_| OpenError::Authentication)?
        .len();
    body.truncate(plaintext_len);
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> DataKey {
        DataKey::generate().unwrap()
    }

    #[test]
    fn round_trip() {
        let key = key();
        let ad = AssociatedData::record("records", "abc", 20_800);
        let sealed = seal(&key, &ad, b"hello").unwrap();
        assert_eq!(sealed.len(), 5 + SEAL_OVERHEAD);
        assert_eq!(open(&key, &ad, &sealed).unwrap().as_slice(), b"hello");
    }

    #[test]
    fn same_plaintext_seals_differently() {
        let key = key();
        let ad = AssociatedData::new("t");
        assert_ne!(
            seal(&key, &ad, b"x").unwrap(),
            seal(&key, &ad, b"x").unwrap()
        );
    }

    #[test]
    fn every_flipped_byte_fails() {
        let key = key();
        let ad = AssociatedData::record("records", "abc", 1);
        let sealed = seal(&key, &ad, b"temperature 37.3").unwrap();
        for i in 0..sealed.len() {
            let mut tampered = sealed.clone();
            tampered[i] ^= 0x01;
            assert!(open(&key, &ad, &tampered).is_err(), "byte {i}");
        }
    }

    #[test]
    fn associated_data_binds_table_id_and_epoch() {
        let key = key();
        let sealed = seal(&key, &AssociatedData::record("records", "a", 1), b"v").unwrap();
        for other in [
            AssociatedData::record("profiles", "a", 1),
            AssociatedData::record("records", "b", 1),
            AssociatedData::record("records", "a", 2),
        ] {
            assert_eq!(open(&key, &other, &sealed), Err(OpenError::Authentication));
        }
        // Length prefixes keep ("ab","c") and ("a","bc") apart.
        let ad1 = AssociatedData::new("d").part(b"ab").part(b"c");
        let ad2 = AssociatedData::new("d").part(b"a").part(b"bc");
        assert_ne!(ad1, ad2);
    }

    #[test]
    fn wrong_key_and_truncation_fail() {
        let ad = AssociatedData::new("t");
        let sealed = seal(&key(), &ad, b"v").unwrap();
        assert_eq!(open(&key(), &ad, &sealed), Err(OpenError::Authentication));
        assert_eq!(open(&key(), &ad, &sealed[..10]), Err(OpenError::Malformed));
        assert_eq!(open(&key(), &ad, &[]), Err(OpenError::Malformed));
    }
}
