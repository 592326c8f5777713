//! Authenticated encryption of stored values, bound to where they are stored.
//!
//! Format of a sealed value: `version (1 byte) || nonce (12 bytes) || ciphertext || tag (16 bytes)`,
//! ChaCha20-Poly1305 with a random 96-bit nonce. The associated data names the domain and
//! the row (`"selfreport.record/1" || table || id || epoch`), so a sealed value moved to
//! another row, table or epoch fails to open.

use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use zeroize::Zeroize;

use super::keys::DataKey;
use super::random::random_array;
use crate::error::{Error, Result};

/// Version byte of the sealed-value format.
const FORMAT_V1: u8 = 1;
const TAG_LEN: usize = 16;
/// Bytes a sealed value adds to its plaintext.
pub const SEAL_OVERHEAD: usize = 1 + NONCE_LEN + TAG_LEN;

/// Room for associated data. The longest in use, a row of `monitoring_periods` or a
/// consent (64-character id), takes 125 bytes; policy ids are at most 64 characters.
pub const MAX_ASSOCIATED_DATA_LEN: usize = 256;

/// The associated data would be longer than [`MAX_ASSOCIATED_DATA_LEN`] bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssociatedDataTooLong;

impl std::fmt::Display for AssociatedDataTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "associated data longer than {MAX_ASSOCIATED_DATA_LEN} bytes"
        )
    }
}

impl std::error::Error for AssociatedDataTooLong {}

impl From<AssociatedDataTooLong> for Error {
    fn from(_: AssociatedDataTooLong) -> Self {
        Error::Crypto("associated data too long")
    }
}

/// Associated data: a domain label and length-prefixed parts, unambiguous by construction.
///
/// Built in a fixed buffer on the stack (opening a row builds one, so a heap allocation
/// here was a measurable part of a read). Each part is a big-endian `u32` length and then
/// its bytes.
#[derive(Clone)]
pub struct AssociatedData {
    bytes: [u8; MAX_ASSOCIATED_DATA_LEN],
    len: usize,
}

impl AssociatedData {
    /// Starts associated data for a domain such as `"selfreport.record/1"`.
    pub fn new(domain: &str) -> std::result::Result<Self, AssociatedDataTooLong> {
        let mut ad = Self {
            bytes: [0; MAX_ASSOCIATED_DATA_LEN],
            len: 0,
        };
        ad.push_part(domain.as_bytes())?;
        Ok(ad)
    }

    /// Appends one length-prefixed part.
    pub fn part(mut self, part: &[u8]) -> std::result::Result<Self, AssociatedDataTooLong> {
        self.push_part(part)?;
        Ok(self)
    }

    /// The associated data of a stored row: `"selfreport.record/1" || table || id || epoch`.
    pub fn record(
        table: &str,
        id: &str,
        epoch: i64,
    ) -> std::result::Result<Self, AssociatedDataTooLong> {
        let mut ad = Self::new("selfreport.record/1")?;
        ad.push_part(table.as_bytes())?;
        ad.push_part(id.as_bytes())?;
        ad.push_part(&epoch.to_be_bytes())?;
        Ok(ad)
    }

    /// The encoded bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }

    fn push_part(&mut self, part: &[u8]) -> std::result::Result<(), AssociatedDataTooLong> {
        let len = u32::try_from(part.len()).map_err(|_| AssociatedDataTooLong)?;
        let end = self
            .len
            .checked_add(4)
            .and_then(|prefix_end| prefix_end.checked_add(part.len()))
            .ok_or(AssociatedDataTooLong)?;
        let dest = self
            .bytes
            .get_mut(self.len..end)
            .ok_or(AssociatedDataTooLong)?;
        let (prefix, rest) = dest.split_at_mut(4);
        prefix.copy_from_slice(&len.to_be_bytes());
        rest.copy_from_slice(part);
        self.len = end;
        Ok(())
    }
}

impl PartialEq for AssociatedData {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for AssociatedData {}

impl std::fmt::Debug for AssociatedData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("AssociatedData")
            .field(&self.as_bytes())
            .finish()
    }
}

/// Why a sealed value did not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenError {
    /// Too short or an unknown version byte.
    Malformed,
    /// The tag did not verify: wrong key, wrong associated data, or altered bytes.
    Authentication,
}

/// An opened value, in the buffer that held its sealed bytes. The whole buffer is zeroed
/// when it is dropped; `Debug` shows no bytes.
pub struct Plaintext {
    /// Always truncated to the plaintext: what was after it (the tag, and the plaintext's
    /// old place in a failed open) is in the spare capacity, zeroed on drop too.
    buffer: Vec<u8>,
}

impl Plaintext {
    /// The plaintext bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.buffer
    }
}

impl std::ops::Deref for Plaintext {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.buffer
    }
}

impl Drop for Plaintext {
    fn drop(&mut self) {
        // Zeroize on a slice is a bulk fill behind an optimization barrier, where
        // `Zeroizing<Vec<u8>>` writes byte by byte: several hundred instructions a row.
        self.buffer.as_mut_slice().zeroize();
        self.buffer.spare_capacity_mut().zeroize();
    }
}

impl std::fmt::Debug for Plaintext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Plaintext(<{} bytes redacted>)", self.buffer.len())
    }
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
) -> std::result::Result<Plaintext, OpenError> {
    open_in_place(key, ad, sealed.to_vec())
}

/// Opens a value sealed by [`seal`] in its own buffer (no copy): the plaintext is moved to
/// the front of `sealed`, which is zeroed when the [`Plaintext`] is dropped, or at once if
/// the value does not open.
pub fn open_in_place(
    key: &DataKey,
    ad: &AssociatedData,
    sealed: Vec<u8>,
) -> std::result::Result<Plaintext, OpenError> {
    let mut opened = Plaintext { buffer: sealed };
    let buffer = &mut opened.buffer;
    if buffer.len() < SEAL_OVERHEAD || buffer.first() != Some(&FORMAT_V1) {
        return Err(OpenError::Malformed);
    }
    let nonce_bytes: [u8; NONCE_LEN] = buffer
        .get(1..1 + NONCE_LEN)
        .and_then(|nonce| nonce.try_into().ok())
        .ok_or(OpenError::Malformed)?;
    let key = aead_key(key).map_err(|_| OpenError::Malformed)?;
    let result = key.open_within(
        Nonce::assume_unique_for_key(nonce_bytes),
        Aad::from(ad.as_bytes()),
        buffer.as_mut_slice(),
        1 + NONCE_LEN..,
    );
    match result {
        Ok(plaintext) => {
            let plaintext_len = plaintext.len();
            buffer.truncate(plaintext_len);
            Ok(opened)
        }
        Err(_) => Err(OpenError::Authentication),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> DataKey {
        DataKey::generate().unwrap()
    }

    fn record_ad(table: &str, id: &str, epoch: i64) -> AssociatedData {
        AssociatedData::record(table, id, epoch).unwrap()
    }

    fn domain_ad(domain: &str) -> AssociatedData {
        AssociatedData::new(domain).unwrap()
    }

    fn open_err(
        key: &DataKey,
        ad: &AssociatedData,
        sealed: &[u8],
    ) -> std::result::Result<(), OpenError> {
        open(key, ad, sealed).map(|_| ())
    }

    /// The encoding before associated data moved to a stack buffer: what every existing
    /// store's rows are bound to.
    fn heap_encoding(parts: &[&[u8]]) -> Vec<u8> {
        let mut bytes = Vec::new();
        for part in parts {
            let len = u32::try_from(part.len()).unwrap();
            bytes.extend_from_slice(&len.to_be_bytes());
            bytes.extend_from_slice(part);
        }
        bytes
    }

    #[test]
    fn round_trip() {
        let key = key();
        let ad = record_ad("records", "abc", 20_800);
        let sealed = seal(&key, &ad, b"hello").unwrap();
        assert_eq!(sealed.len(), 5 + SEAL_OVERHEAD);
        assert_eq!(open(&key, &ad, &sealed).unwrap().as_slice(), b"hello");
        assert_eq!(&*open_in_place(&key, &ad, sealed).unwrap(), b"hello");
    }

    #[test]
    fn round_trip_of_an_empty_value() {
        let key = key();
        let ad = domain_ad("t");
        let sealed = seal(&key, &ad, b"").unwrap();
        assert_eq!(sealed.len(), SEAL_OVERHEAD);
        assert!(open_in_place(&key, &ad, sealed).unwrap().is_empty());
    }

    #[test]
    fn same_plaintext_seals_differently() {
        let key = key();
        let ad = domain_ad("t");
        assert_ne!(
            seal(&key, &ad, b"x").unwrap(),
            seal(&key, &ad, b"x").unwrap()
        );
    }

    #[test]
    fn every_flipped_byte_fails() {
        let key = key();
        let ad = record_ad("records", "abc", 1);
        let sealed = seal(&key, &ad, b"temperature 37.3").unwrap();
        for i in 0..sealed.len() {
            let mut tampered = sealed.clone();
            tampered[i] ^= 0x01;
            assert!(open(&key, &ad, &tampered).is_err(), "byte {i}");
            assert!(open_in_place(&key, &ad, tampered).is_err(), "byte {i}");
        }
    }

    #[test]
    fn associated_data_binds_table_id_and_epoch() {
        let key = key();
        let sealed = seal(&key, &record_ad("records", "a", 1), b"v").unwrap();
        for other in [
            record_ad("profiles", "a", 1),
            record_ad("records", "b", 1),
            record_ad("records", "a", 2),
        ] {
            assert_eq!(
                open_err(&key, &other, &sealed),
                Err(OpenError::Authentication)
            );
        }
        // Length prefixes keep ("ab","c") and ("a","bc") apart.
        let ad1 = domain_ad("d").part(b"ab").unwrap().part(b"c").unwrap();
        let ad2 = domain_ad("d").part(b"a").unwrap().part(b"bc").unwrap();
        assert_ne!(ad1, ad2);
    }

    #[test]
    fn associated_data_bytes_are_those_of_the_heap_encoding() {
        let epoch = 20_800_i64.to_be_bytes();
        assert_eq!(
            record_ad("records", "0123456789abcdef0123456789abcdef", 20_800).as_bytes(),
            heap_encoding(&[
                b"selfreport.record/1",
                b"records",
                b"0123456789abcdef0123456789abcdef",
                &epoch,
            ])
        );
        // Spelled out once, so that a change to both encodings does not go unnoticed.
        assert_eq!(
            record_ad("records", "ab", 1).as_bytes(),
            b"\0\0\0\x13selfreport.record/1\0\0\0\x07records\0\0\0\x02ab\
              \0\0\0\x08\0\0\0\0\0\0\0\x01"
        );
        assert_eq!(
            domain_ad("selfreport.epoch-key/1")
                .part(&(-5_i64).to_be_bytes())
                .unwrap()
                .as_bytes(),
            heap_encoding(&[b"selfreport.epoch-key/1", &(-5_i64).to_be_bytes()])
        );
        assert_eq!(domain_ad("").as_bytes(), heap_encoding(&[b""]));
        let header = [7_u8; 25];
        assert_eq!(
            domain_ad("selfreport.passphrase-wrap/1")
                .part(&header)
                .unwrap()
                .as_bytes(),
            heap_encoding(&[b"selfreport.passphrase-wrap/1", &header])
        );
    }

    #[test]
    fn associated_data_fills_its_buffer_exactly_and_refuses_more() {
        // 4 + 100 for the domain, then one part of 148 bytes fills 256 exactly.
        let domain = "d".repeat(100);
        let full = domain_ad(&domain).part(&[1; 148]).unwrap();
        assert_eq!(full.as_bytes().len(), MAX_ASSOCIATED_DATA_LEN);
        assert_eq!(
            full.as_bytes(),
            heap_encoding(&[domain.as_bytes(), &[1; 148]])
        );
        assert_eq!(full.clone().part(b""), Err(AssociatedDataTooLong));
        assert_eq!(
            domain_ad(&domain).part(&[1; 149]),
            Err(AssociatedDataTooLong)
        );
        assert_eq!(
            AssociatedData::new(&"d".repeat(253)),
            Err(AssociatedDataTooLong)
        );
        assert_eq!(
            AssociatedData::record("records", &"f".repeat(300), 1),
            Err(AssociatedDataTooLong)
        );
        assert_eq!(
            AssociatedData::record("records", &"f".repeat(1 << 20), 1),
            Err(AssociatedDataTooLong)
        );
        assert_eq!(
            Error::from(AssociatedDataTooLong).to_string(),
            Error::Crypto("associated data too long").to_string()
        );
    }

    #[test]
    fn wrong_key_and_truncation_fail() {
        let ad = domain_ad("t");
        let sealed = seal(&key(), &ad, b"v").unwrap();
        assert_eq!(
            open_err(&key(), &ad, &sealed),
            Err(OpenError::Authentication)
        );
        assert_eq!(
            open_err(&key(), &ad, &sealed[..10]),
            Err(OpenError::Malformed)
        );
        assert_eq!(open_err(&key(), &ad, &[]), Err(OpenError::Malformed));
        let mut other_version = sealed.clone();
        other_version[0] = 2;
        assert_eq!(
            open_in_place(&key(), &ad, other_version).map(|_| ()),
            Err(OpenError::Malformed)
        );
    }

    #[test]
    fn plaintext_debug_shows_no_bytes() {
        let key = key();
        let ad = domain_ad("t");
        let opened = open(&key, &ad, &seal(&key, &ad, b"secret").unwrap()).unwrap();
        let shown = format!("{opened:?}");
        assert!(
            !shown.contains("secret") && !shown.contains("115"),
            "{shown}"
        );
    }
}
