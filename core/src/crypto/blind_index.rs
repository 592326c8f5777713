//! Keyed hashes for lookups over encrypted data ("blind indexes").
//!
//! A blind index lets the store enforce "one daily record per profile per day" or find a
//! profile's records without any plaintext on disk: the column holds
//! HMAC-SHA256(blind-index key, domain || parts), which reveals equality only to a
//! holder of the store key.

use std::sync::LazyLock;

use ring::hmac;
use zeroize::Zeroize;

/// The key of blind indexes, derived from the store key.
///
/// Held as ring's prepared HMAC key (the SHA-256 states after the key's inner and outer
/// pads), set up once for the store's life: a save computes a slot index, and setting the
/// key up again each time cost about a third of the index. ring's key type cannot be
/// zeroized, so on drop it is overwritten in place by the key prepared from 32 zero bytes,
/// kept from being optimized away by `std::hint::black_box` (best effort: unlike
/// zeroize's volatile writes, Rust does not guarantee it); the raw bytes are zeroized at
/// once.
pub struct BlindIndexKey(Box<hmac::Key>);

/// A blind index value: 32 bytes stored in a plaintext column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlindIndex(pub [u8; 32]);

impl BlindIndexKey {
    pub(crate) fn new(mut bytes: [u8; 32]) -> Self {
        let key = Box::new(hmac::Key::new(hmac::HMAC_SHA256, &bytes));
        bytes.zeroize();
        Self(key)
    }

    /// The blind index of `parts` in `domain`; parts are length-prefixed.
    pub fn index(&self, domain: &str, parts: &[&[u8]]) -> BlindIndex {
        let mut context = hmac::Context::with_key(&self.0);
        // The message is gathered first and hashed with one update: each update of ring's
        // HMAC costs a few hundred instructions of buffering, and an index has up to ten
        // pieces. Same bytes either way; a message too long for the buffer (never one of
        // ours) is hashed piece by piece.
        let mut message = MessageBuffer::new();
        if for_each_piece(domain, parts, |piece| message.push(piece)) {
            context.update(message.as_slice());
        } else {
            for_each_piece(domain, parts, |piece| {
                context.update(piece);
                true
            });
        }
        let tag = context.sign();
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        BlindIndex(out)
    }
}

/// Feeds the message of an index to `take`, piece by piece: each of `domain` and `parts`
/// after its length (4 bytes, big-endian). Stops, returning `false`, when `take` does.
fn for_each_piece(domain: &str, parts: &[&[u8]], mut take: impl FnMut(&[u8]) -> bool) -> bool {
    std::iter::once(domain.as_bytes())
        .chain(parts.iter().copied())
        .all(|part| {
            let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
            take(&len.to_be_bytes()) && take(part)
        })
}

/// A blind index's message, on the stack: ids, dates and domains, never more than a few
/// hundred bytes. It holds plaintext (profile ids, dates), so it is zeroed on drop.
struct MessageBuffer {
    bytes: [u8; 256],
    len: usize,
}

impl MessageBuffer {
    fn new() -> Self {
        Self {
            bytes: [0; 256],
            len: 0,
        }
    }

    /// Appends `piece`; `false` (and nothing appended) if it does not fit.
    fn push(&mut self, piece: &[u8]) -> bool {
        let Some(end) = self.len.checked_add(piece.len()) else {
            return false;
        };
        match self.bytes.get_mut(self.len..end) {
            Some(slot) => {
                slot.copy_from_slice(piece);
                self.len = end;
                true
            }
            None => false,
        }
    }

    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl Drop for MessageBuffer {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

/// The key prepared from 32 zero bytes, once per process: what a dropped key's state is
/// overwritten with (a copy, instead of two SHA-256 blocks at every close).
static ZERO_KEY: LazyLock<hmac::Key> =
    LazyLock::new(|| hmac::Key::new(hmac::HMAC_SHA256, &[0; 32]));

impl Drop for BlindIndexKey {
    fn drop(&mut self) {
        *self.0 = ZERO_KEY.clone();
        // The overwritten box is observed before it is freed, so the store above is not a
        // dead store the optimizer may drop (black_box is a hint, the best safe Rust offers).
        std::hint::black_box(&*self.0);
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

    /// The reference: HMAC-SHA256 over length-prefixed pieces, fed one at a time.
    fn piecewise(key: &[u8; 32], domain: &str, parts: &[&[u8]]) -> BlindIndex {
        let key = hmac::Key::new(hmac::HMAC_SHA256, key);
        let mut context = hmac::Context::with_key(&key);
        for part in std::iter::once(domain.as_bytes()).chain(parts.iter().copied()) {
            context.update(&u32::try_from(part.len()).unwrap().to_be_bytes());
            context.update(part);
        }
        let mut out = [0u8; 32];
        out.copy_from_slice(context.sign().as_ref());
        BlindIndex(out)
    }

    #[test]
    fn gathered_and_piecewise_messages_give_the_same_index() {
        // Indexes are on disk: gathering the message must not change one byte of them,
        // whether it fits the buffer or not.
        let key = BlindIndexKey::new([7; 32]);
        let long = vec![b'x'; 300];
        let cases: [(&str, Vec<&[u8]>); 4] = [
            ("profile", vec![b"0123456789abcdef0123456789abcdef"]),
            (
                "slot",
                vec![b"p1", b"daily-policy", b"daily", b"day:2026-11-28"],
            ),
            ("slot", vec![&long[..200], &long[..40]]),
            ("slot", vec![&long, b"tail"]),
        ];
        for (domain, parts) in cases {
            assert_eq!(
                key.index(domain, &parts),
                piecewise(&[7; 32], domain, &parts)
            );
        }
    }
}
