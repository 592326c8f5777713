//! The access-notice mailbox's wire format, shared by the drop box that keeps it and the
//! console that posts to it (docs/protocol.md, "Access notices").
//!
//! `POST {url}/notices` carries one sealed slot and the console's Ed25519 signature over
//! [`NOTICE_POST_CONTEXT`] and the slot; `GET {url}/notices?after=SEQ` answers a
//! [`NoticeBatch`] of exactly [`NOTICE_BATCH_SLOTS`] slots, padded with spaces to
//! [`NOTICE_BATCH_REPLY_BYTES`] so its size never tells whether any notice is stored.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use selfreport_core::crypto::signature::{SigningKey, verify_ed25519};
use selfreport_core::notice::NOTICE_SLOT_BYTES;
use serde::{Deserialize, Serialize};

/// The context the console's signature over a posted slot starts with.
pub const NOTICE_POST_CONTEXT: &[u8] = b"selfreport.notice-post/1\n";

/// Slots in every batch the mailbox answers.
pub const NOTICE_BATCH_SLOTS: usize = 32;

/// Characters of one slot in standard base64 (512 bytes).
const SLOT_BASE64_CHARS: usize = NOTICE_SLOT_BYTES.div_ceil(3) * 4;

/// Digits of the largest sequence number (`i64::MAX`).
const MAX_SEQ_DIGITS: usize = 19;

/// Bytes of every `GET {url}/notices` reply body: the JSON of a batch with the longest
/// `next` and `"more":false`, every shorter one padded with spaces to it.
pub const NOTICE_BATCH_REPLY_BYTES: usize = r#"{"batch":[],"more":false,"next":}"#.len()
    + NOTICE_BATCH_SLOTS * (SLOT_BASE64_CHARS + 2)
    + (NOTICE_BATCH_SLOTS - 1)
    + MAX_SEQ_DIGITS;

/// The message the console signs to post `slot`: [`NOTICE_POST_CONTEXT`] then the slot.
pub fn notice_post_message(slot: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(NOTICE_POST_CONTEXT.len() + slot.len());
    message.extend_from_slice(NOTICE_POST_CONTEXT);
    message.extend_from_slice(slot);
    message
}

/// The body of `POST {url}/notices`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticePost {
    /// The sealed slot, standard base64.
    pub notice: String,
    /// Ed25519 over [`notice_post_message`] of the slot, standard base64.
    pub signature: String,
}

/// Why a posted notice was refused, before any signature check or after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticePostRefusal {
    /// Not the JSON of a [`NoticePost`], base64 that does not decode, or a slot that is
    /// not [`NOTICE_SLOT_BYTES`] bytes.
    Malformed,
    /// The signature does not verify with the console key.
    Forbidden,
}

impl NoticePost {
    /// The post of `slot`, signed with the console's key.
    pub fn sign(key: &SigningKey, slot: &[u8]) -> Self {
        Self {
            notice: STANDARD.encode(slot),
            signature: STANDARD.encode(key.sign(&notice_post_message(slot))),
        }
    }

    /// The slot of a post `body`, if it is well formed and signed by `console_key`.
    pub fn verified_slot(
        body: &[u8],
        console_key: &[u8; 32],
    ) -> Result<Vec<u8>, NoticePostRefusal> {
        let post: NoticePost =
            serde_json::from_slice(body).map_err(|_| NoticePostRefusal::Malformed)?;
        let slot = STANDARD
            .decode(&post.notice)
            .map_err(|_| NoticePostRefusal::Malformed)?;
        if slot.len() != NOTICE_SLOT_BYTES {
            return Err(NoticePostRefusal::Malformed);
        }
        let signature = STANDARD
            .decode(&post.signature)
            .map_err(|_| NoticePostRefusal::Malformed)?;
        if verify_ed25519(console_key, &notice_post_message(&slot), &signature) {
            Ok(slot)
        } else {
            Err(NoticePostRefusal::Forbidden)
        }
    }
}

/// The reply to `POST {url}/notices`: the slot's sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticePosted {
    /// The sequence number the slot has in the mailbox.
    pub seq: i64,
}

/// The reply to `GET {url}/notices?after=SEQ`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeBatch {
    /// Exactly [`NOTICE_BATCH_SLOTS`] slots, standard base64: the stored ones after
    /// `after`, oldest first, then random filler.
    pub batch: Vec<String>,
    /// Whether stored notices follow `next`.
    pub more: bool,
    /// The sequence number of the last stored notice in the batch (`after` when none).
    pub next: i64,
}

impl NoticeBatch {
    /// The reply body: the JSON, then spaces up to [`NOTICE_BATCH_REPLY_BYTES`].
    pub fn to_padded_body(&self) -> Vec<u8> {
        let mut body = serde_json::to_vec(self).unwrap_or_default();
        if body.len() < NOTICE_BATCH_REPLY_BYTES {
            body.resize(NOTICE_BATCH_REPLY_BYTES, b' ');
        }
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_post_verifies_with_its_key_only_and_needs_a_whole_slot() {
        let key = SigningKey::generate().unwrap();
        let other = SigningKey::generate().unwrap();
        let slot = [7u8; NOTICE_SLOT_BYTES];
        let body = serde_json::to_vec(&NoticePost::sign(&key, &slot)).unwrap();
        assert_eq!(
            NoticePost::verified_slot(&body, &key.public_key()),
            Ok(slot.to_vec())
        );
        assert_eq!(
            NoticePost::verified_slot(&body, &other.public_key()),
            Err(NoticePostRefusal::Forbidden)
        );
        let short = serde_json::to_vec(&NoticePost::sign(&key, &slot[..511])).unwrap();
        assert_eq!(
            NoticePost::verified_slot(&short, &key.public_key()),
            Err(NoticePostRefusal::Malformed)
        );
        for bad in [
            &b"{}"[..],
            br#"{"notice":"!","signature":""}"#,
            br#"{"notice":"","signature":"","x":1}"#,
        ] {
            assert_eq!(
                NoticePost::verified_slot(bad, &key.public_key()),
                Err(NoticePostRefusal::Malformed)
            );
        }
    }

    #[test]
    fn every_batch_reply_has_the_same_size() {
        let slot = STANDARD.encode([0u8; NOTICE_SLOT_BYTES]);
        assert_eq!(slot.len(), SLOT_BASE64_CHARS);
        for (more, next) in [(false, 0), (true, 1), (false, i64::MAX), (true, i64::MAX)] {
            let batch = NoticeBatch {
                batch: vec![slot.clone(); NOTICE_BATCH_SLOTS],
                more,
                next,
            };
            let body = batch.to_padded_body();
            assert_eq!(body.len(), NOTICE_BATCH_REPLY_BYTES, "{more} {next}");
            let parsed: NoticeBatch = serde_json::from_slice(&body).unwrap();
            assert_eq!(parsed, batch);
        }
        // The size the documents state.
        assert_eq!(NOTICE_BATCH_REPLY_BYTES, 22_035);
        assert!(include_str!("../../docs/openapi.yaml").contains("22,035 bytes"));
        assert!(include_str!("../../docs/protocol.md").contains("22,035"));
    }
}
