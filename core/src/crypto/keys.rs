//! Key types: raw key material that zeroizes and never prints, and the keys derived from it.

use std::sync::LazyLock;

use ring::hkdf;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::blind_index::BlindIndexKey;
use super::random::random_array;
use crate::error::{Error, Result};

/// 32 bytes of secret key material. Zeroized on drop; `Debug` shows no bytes.
///
/// This is what a [`super::KeySource`] wraps and unwraps: the store key.
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct KeyMaterial([u8; 32]);

impl KeyMaterial {
    /// Fresh random key material.
    pub fn generate() -> Result<Self> {
        Ok(Self(random_array::<32>()?))
    }

    /// Takes ownership of 32 bytes (from a platform key store, say).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Copies key material out of a slice, which must be exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        let array: [u8; 32] = bytes.try_into().ok()?;
        Some(Self(array))
    }

    /// The raw bytes, for a key source to wrap. Keep the borrow short.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyMaterial(<redacted>)")
    }
}

/// A key that seals data with an AEAD (an epoch key, or a key derived from the store key).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct DataKey([u8; 32]);

impl DataKey {
    /// A fresh random data key.
    pub fn generate() -> Result<Self> {
        Ok(Self(random_array::<32>()?))
    }

    pub(crate) fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

/// The store key and the purpose-bound keys derived from it with HKDF-SHA256.
///
/// The store key itself is random and only ever leaves memory wrapped by a key source.
pub struct StoreKey {
    material: KeyMaterial,
    canary_key: DataKey,
    wrapping_key: DataKey,
    blind_index_key: BlindIndexKey,
}

impl StoreKey {
    /// Derives the purpose keys from the store key material.
    pub fn new(material: KeyMaterial) -> Result<Self> {
        // One HKDF extract, one expand per purpose: every open runs this.
        let prk = extract(&material);
        let canary_key = DataKey::from_bytes(expand(&prk, b"selfreport.canary/1")?);
        let wrapping_key = DataKey::from_bytes(expand(&prk, b"selfreport.epoch-wrap/1")?);
        let blind_index_key = BlindIndexKey::new(expand(&prk, b"selfreport.blind-index/1")?);
        Ok(Self {
            material,
            canary_key,
            wrapping_key,
            blind_index_key,
        })
    }

    /// The raw store key, for re-wrapping under a new key source.
    pub fn material(&self) -> &KeyMaterial {
        &self.material
    }

    /// The key that seals the canary.
    pub fn canary_key(&self) -> &DataKey {
        &self.canary_key
    }

    /// The key that wraps epoch keys.
    pub fn wrapping_key(&self) -> &DataKey {
        &self.wrapping_key
    }

    /// The key of the blind indexes.
    pub fn blind_index_key(&self) -> &BlindIndexKey {
        &self.blind_index_key
    }
}

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(<redacted>)")
    }
}

struct Len32;

impl hkdf::KeyType for Len32 {
    fn len(&self) -> usize {
        32
    }
}

/// The HKDF salt `selfreport.store-key/1`, prepared once per process: a public constant,
/// whose HMAC key set-up every open would otherwise repeat.
static STORE_KEY_SALT: LazyLock<hkdf::Salt> =
    LazyLock::new(|| hkdf::Salt::new(hkdf::HKDF_SHA256, b"selfreport.store-key/1"));

/// HKDF-SHA256 extract of the store key material (salt `selfreport.store-key/1`).
fn extract(material: &KeyMaterial) -> hkdf::Prk {
    STORE_KEY_SALT.extract(material.expose())
}

/// HKDF-SHA256 expand of `prk` to a 32-byte key for the purpose `label` (the info).
fn expand(prk: &hkdf::Prk, label: &[u8]) -> Result<[u8; 32]> {
    let info = [label];
    let okm = prk
        .expand(&info, Len32)
        .map_err(|_| Error::Crypto("HKDF expansion failed"))?;
    let mut out = [0u8; 32];
    okm.fill(&mut out)
        .map_err(|_| Error::Crypto("HKDF expansion failed"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_bytes() {
        let material = KeyMaterial::from_bytes([0xAB; 32]);
        let printed = format!("{material:?}");
        assert!(!printed.contains("171") && !printed.to_lowercase().contains("ab"));
        let key = StoreKey::new(material).unwrap();
        assert_eq!(format!("{key:?}"), "StoreKey(<redacted>)");
    }

    #[test]
    fn purpose_keys_are_hkdf_of_the_material_each_with_its_own_label() {
        // Each purpose key computed on its own, from a fresh extract: what every store
        // created so far holds, whatever `StoreKey::new` shares between them.
        let alone = |material: &KeyMaterial, label: &[u8]| -> [u8; 32] {
            let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"selfreport.store-key/1")
                .extract(material.expose());
            let info = [label];
            let mut out = [0u8; 32];
            prk.expand(&info, Len32).unwrap().fill(&mut out).unwrap();
            out
        };
        let material = KeyMaterial::from_bytes([9; 32]);
        let key = StoreKey::new(KeyMaterial::from_bytes([9; 32])).unwrap();
        assert_eq!(
            key.canary_key().bytes(),
            &alone(&material, b"selfreport.canary/1")
        );
        assert_eq!(
            key.wrapping_key().bytes(),
            &alone(&material, b"selfreport.epoch-wrap/1")
        );
        let index =
            crate::crypto::BlindIndexKey::new(alone(&material, b"selfreport.blind-index/1"));
        assert_eq!(
            key.blind_index_key().index("slot", &[b"p1"]),
            index.index("slot", &[b"p1"])
        );
    }

    #[test]
    fn derived_keys_are_distinct_and_deterministic() {
        let a = StoreKey::new(KeyMaterial::from_bytes([7; 32])).unwrap();
        let b = StoreKey::new(KeyMaterial::from_bytes([7; 32])).unwrap();
        assert_eq!(a.canary_key().bytes(), b.canary_key().bytes());
        assert_ne!(a.canary_key().bytes(), a.wrapping_key().bytes());
        assert_ne!(a.canary_key().bytes(), a.material().expose());
    }
}
