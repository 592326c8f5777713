//! Keyed hashes for lookups over encrypted data ("blind indexes").
//!
//! A blind index lets the store enforce "one daily record per profile per day" or find a
//! profile's records without any plaintext on disk: the column holds
//! HMAC-SHA256(blind-index key, domain || parts), which reveals equality only to a
//! holder of the store key.

use ring::hmac;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The key of blind indexes, derived from the store key.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct BlindIndexKey([u8; 32]);

/// A blind index value: 32 bytes stored in a plaintext column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlindIndex(pub [u8; 32]);

impl BlindIndexKey {
    pub(crate) fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The blind index of `parts` in `domain`; parts are length-prefixed.
    pub fn index(&self, domain: &str, parts: &[&[u8]]) -> BlindIndex {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.0);
        let mut context = hmac::Context::with_key(&key);
        for part in std::iter::once(domain.as_bytes()).chain(parts.iter().copied()) {
            let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
            context.update(&len.to_be_bytes());
            context.update(part);
        }
        let tag = context.sign();
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        BlindIndex(out)
    }
}

impl std::fmt::Debug for BlindIndexKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlindIndexKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_depend_on_key_domain_and_parts() {
        let a = BlindIndexKey::new([1; 32]);
        let b = BlindIndexKey::new([2; 32]);
        let x = a.index("slot", &[b"p1", b"2026-11-28"]);
        assert_eq!(x, a.index("slot", &[b"p1", b"2026-11-28"]));
        assert_ne!(x, b.index("slot", &[b"p1", b"2026-11-28"]));
        assert_ne!(x, a.index("profile", &[b"p1", b"2026-11-28"]));
        assert_ne!(x, a.index("slot", &[b"p12", b"026-11-28"]));
    }
}
