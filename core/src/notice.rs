//! Access notices (`selfreport.notice/1`): what the authority tells a person when an officer
//! revealed their identity in the case console — which office, which officer number, which
//! reason, when, and which submission was opened.
//!
//! The device makes a random 256-bit [`NoticeKey`] per (person, policy) and sends it inside
//! the identity part of its submissions (policy-format.md, `access_notices`), so only the
//! holder of the identity recipient's private key can address a notice to that person. A
//! notice is sealed with ChaCha20-Poly1305 under a key derived from the notice key (HKDF-SHA256,
//! salt `selfreport.notice/1`, info `chacha20poly1305 key`), a random 96-bit nonce and the
//! associated data `selfreport.notice/1`, and its plaintext is padded with spaces to a fixed
//! size: every notice slot is exactly [`NOTICE_SLOT_BYTES`] bytes
//! (`nonce (12) || ciphertext (484) || tag (16)`), indistinguishable from random bytes. The
//! drop box's mailbox serves slots in fixed-size batches to every device alike, and each
//! device tries its own keys on every slot ([`open_notice`]): polling tells the drop box
//! nothing about who has a notice. docs/protocol.md, "Access notices", is the wire format.

use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hkdf::{HKDF_SHA256, Salt};
use serde::Serialize;
use serde_json::Value;
use zeroize::Zeroizing;

use crate::crypto::random_array;

/// The format name, the HKDF salt and the associated data of every notice.
pub const NOTICE_FORMAT: &str = "selfreport.notice/1";

/// Size of one sealed notice, the mailbox's slot: nonce, ciphertext and tag.
pub const NOTICE_SLOT_BYTES: usize = 512;

/// AEAD tag length of ChaCha20-Poly1305.
const TAG_LEN: usize = 16;

/// Size of a notice's padded plaintext.
pub const NOTICE_PLAINTEXT_BYTES: usize = NOTICE_SLOT_BYTES - NONCE_LEN - TAG_LEN;

/// HKDF info of the AEAD key.
const KEY_INFO: &[u8] = b"chacha20poly1305 key";

/// Longest office name and officer number a notice carries, in bytes.
pub const MAX_NOTICE_TEXT_BYTES: usize = 96;

/// Why a notice could not be sealed or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoticeError {
    /// A value is empty, too long or holds a control character.
    #[error("the notice's {field} is not a short line of text")]
    InvalidField {
        /// The field's name.
        field: &'static str,
    },
    /// The notice key is not 64 hex characters.
    #[error("a notice key is 64 hex characters")]
    InvalidKey,
    /// The slot opened under the key, but its plaintext is not a notice.
    #[error("an authenticated notice is not a selfreport.notice/1 document")]
    Malformed,
    /// The random generator failed.
    #[error("the system random generator failed")]
    Random,
}

impl NoticeError {
    /// A stable code apps and logs can match.
    pub fn code(&self) -> &'static str {
        match self {
            NoticeError::InvalidField { .. } => "NoticeInvalidField",
            NoticeError::InvalidKey => "NoticeInvalidKey",
            NoticeError::Malformed => "NoticeMalformed",
            NoticeError::Random => "NoticeRandom",
        }
    }
}

/// A device's secret for the notices addressed to one person under one policy. Zeroized on
/// drop; its `Debug` prints no byte.
#[derive(Clone, PartialEq, Eq)]
pub struct NoticeKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for NoticeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NoticeKey(..)")
    }
}

impl NoticeKey {
    /// A fresh random key.
    pub fn generate() -> Result<Self, NoticeError> {
        Ok(Self(Zeroizing::new(
            random_array::<32>().map_err(|_| NoticeError::Random)?,
        )))
    }

    /// The key written as 64 lowercase hex characters (as the identity part carries it).
    pub fn from_hex(text: &str) -> Result<Self, NoticeError> {
        let mut key = Zeroizing::new([0u8; 32]);
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return Err(NoticeError::InvalidKey);
        }
        for (index, pair) in bytes.chunks_exact(2).enumerate() {
            let high = lowercase_hex_digit(pair[0]).ok_or(NoticeError::InvalidKey)?;
            let low = lowercase_hex_digit(pair[1]).ok_or(NoticeError::InvalidKey)?;
            key[index] = (high << 4) | low;
        }
        Ok(Self(key))
    }

    /// The key as 64 lowercase hex characters.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(crate::hex::hex(self.0.as_slice()))
    }

    fn aead_key(&self) -> LessSafeKey {
        let prk = Salt::new(HKDF_SHA256, NOTICE_FORMAT.as_bytes()).extract(self.0.as_slice());
        // `expand` fails only for an output longer than 255 hashes; 32 bytes is not.
        let okm = match prk.expand(&[KEY_INFO], &CHACHA20_POLY1305) {
            Ok(okm) => okm,
            Err(_) => unreachable!("a 32-byte HKDF output is always available"),
        };
        LessSafeKey::new(UnboundKey::from(okm))
    }
}

fn lowercase_hex_digit(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        _ => None,
    }
}

/// What a notice tells: an officer saw the identity sent with a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessNotice {
    /// When the identity was shown, RFC 3339 in UTC (`2026-12-07T09:30:00Z`).
    pub at: String,
    /// Always [`NOTICE_FORMAT`].
    pub format: String,
    /// The office whose console showed it (its configured name).
    pub office: String,
    /// The officer's number in that office (never their name).
    pub officer: String,
    /// The policy the submission was sent under.
    pub policy_id: String,
    /// The reason the officer gave, a code of the console's closed list
    /// (`follow-up-symptoms`, `missed-reports`, `arrange-care`, `confirm-intake`).
    pub reason: String,
    /// The submission whose identity part was opened, 32 lowercase hex.
    pub submission_id: String,
}

impl AccessNotice {
    /// A notice with the format filled in; [`seal_notice`] checks the values.
    pub fn new(
        at: String,
        office: String,
        officer: String,
        policy_id: String,
        reason: String,
        submission_id: String,
    ) -> Self {
        Self {
            at,
            format: NOTICE_FORMAT.to_owned(),
            office,
            officer,
            policy_id,
            reason,
            submission_id,
        }
    }

    fn check(&self) -> Result<(), NoticeError> {
        let short_line = |field: &'static str, value: &str, max: usize| {
            if value.is_empty() || value.len() > max || value.chars().any(char::is_control) {
                Err(NoticeError::InvalidField { field })
            } else {
                Ok(())
            }
        };
        short_line("at", &self.at, 32)?;
        if chrono::DateTime::parse_from_rfc3339(&self.at).is_err() {
            return Err(NoticeError::InvalidField { field: "at" });
        }
        if self.format != NOTICE_FORMAT {
            return Err(NoticeError::InvalidField { field: "format" });
        }
        short_line("office", &self.office, MAX_NOTICE_TEXT_BYTES)?;
        short_line("officer", &self.officer, MAX_NOTICE_TEXT_BYTES)?;
        short_line("policy_id", &self.policy_id, 64)?;
        if !REASONS.contains(&self.reason.as_str()) {
            return Err(NoticeError::InvalidField { field: "reason" });
        }
        if self.submission_id.len() != 32
            || !self
                .submission_id
                .bytes()
                .all(|byte| lowercase_hex_digit(byte).is_some())
        {
            return Err(NoticeError::InvalidField {
                field: "submission_id",
            });
        }
        Ok(())
    }
}

/// The reasons a console may give, as codes (docs/console.md, "Reveal").
pub const REASONS: [&str; 4] = [
    "follow-up-symptoms",
    "missed-reports",
    "arrange-care",
    "confirm-intake",
];

/// Seals `notice` to `key`: a slot of exactly [`NOTICE_SLOT_BYTES`] bytes, under a fresh
/// random nonce.
pub fn seal_notice(
    key: &NoticeKey,
    notice: &AccessNotice,
) -> Result<[u8; NOTICE_SLOT_BYTES], NoticeError> {
    let nonce = random_array::<NONCE_LEN>().map_err(|_| NoticeError::Random)?;
    seal_with_nonce(key, notice, nonce)
}

/// [`seal_notice`] under a given nonce, for test vectors (docs/vectors/notice.json). Only the
/// core's `test-vectors` feature builds it: no shipped build can seal two notices under one
/// nonce.
#[cfg(feature = "test-vectors")]
pub fn seal_notice_with_nonce(
    key: &NoticeKey,
    notice: &AccessNotice,
    nonce: [u8; NONCE_LEN],
) -> Result<[u8; NOTICE_SLOT_BYTES], NoticeError> {
    seal_with_nonce(key, notice, nonce)
}

fn seal_with_nonce(
    key: &NoticeKey,
    notice: &AccessNotice,
    nonce: [u8; NONCE_LEN],
) -> Result<[u8; NOTICE_SLOT_BYTES], NoticeError> {
    notice.check()?;
    // Sorted keys (serde_json's map order for a struct is its field order, declared sorted
    // above), no whitespace: the plaintext's length depends only on the values.
    let json = serde_json::to_vec(notice).map_err(|_| NoticeError::Malformed)?;
    // Each text value is at most 96 bytes of UTF-8 (escapes of `"` or `\` at most double
    // it), so the JSON stays far below the padded size; checked all the same.
    if json.len() > NOTICE_PLAINTEXT_BYTES {
        return Err(NoticeError::InvalidField { field: "office" });
    }
    let mut slot = [b' '; NOTICE_SLOT_BYTES];
    slot[..NONCE_LEN].copy_from_slice(&nonce);
    slot[NONCE_LEN..NONCE_LEN + json.len()].copy_from_slice(&json);
    let rest = &mut slot[NONCE_LEN..];
    let (plaintext, tag_out) = rest.split_at_mut(NOTICE_PLAINTEXT_BYTES);
    let tag = key
        .aead_key()
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(NOTICE_FORMAT.as_bytes()),
            plaintext,
        )
        .map_err(|_| NoticeError::Random)?;
    tag_out.copy_from_slice(tag.as_ref());
    Ok(slot)
}

/// Opens a mailbox slot with `key`: `Ok(None)` when it is not sealed to this key (another
/// person's notice, or filler), the notice when it is.
///
/// A slot that opens but does not hold a well-formed notice is [`NoticeError::Malformed`]:
/// only the authority could have sealed it, so it is reported rather than passed over.
pub fn open_notice(key: &NoticeKey, slot: &[u8]) -> Result<Option<AccessNotice>, NoticeError> {
    if slot.len() != NOTICE_SLOT_BYTES {
        return Ok(None);
    }
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&slot[..NONCE_LEN]);
    let mut sealed = Zeroizing::new(slot[NONCE_LEN..].to_vec());
    let Ok(plaintext) = key.aead_key().open_in_place(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(NOTICE_FORMAT.as_bytes()),
        &mut sealed,
    ) else {
        return Ok(None);
    };
    let end = plaintext
        .iter()
        .rposition(|byte| *byte != b' ')
        .map_or(0, |last| last + 1);
    let notice = read_notice(&plaintext[..end]).ok_or(NoticeError::Malformed)?;
    notice.check().map_err(|_| NoticeError::Malformed)?;
    Ok(Some(notice))
}

/// The notice in `json`: an object with exactly the seven keys, each a string. (Read through
/// `serde_json::Value`, which the core already links, rather than a derived reader: the
/// library apps ship stays under its size bar.)
fn read_notice(json: &[u8]) -> Option<AccessNotice> {
    let Ok(Value::Object(mut object)) = serde_json::from_slice::<Value>(json) else {
        return None;
    };
    if object.len() != 7 {
        return None;
    }
    let mut take = |key: &str| match object.remove(key) {
        Some(Value::String(text)) => Some(text),
        _ => None,
    };
    Some(AccessNotice {
        at: take("at")?,
        format: take("format")?,
        office: take("office")?,
        officer: take("officer")?,
        policy_id: take("policy_id")?,
        reason: take("reason")?,
        submission_id: take("submission_id")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice() -> AccessNotice {
        AccessNotice::new(
            "2026-12-07T09:30:00Z".to_owned(),
            "武昌区疾控中心 Wuchang CDC".to_owned(),
            "0042".to_owned(),
            "sh-daily-health".to_owned(),
            "follow-up-symptoms".to_owned(),
            "2b202736515017a3b36933612d96fae8".to_owned(),
        )
    }

    #[test]
    fn a_sealed_notice_opens_with_its_key_only() {
        let key = NoticeKey::generate().unwrap();
        let other = NoticeKey::generate().unwrap();
        let slot = seal_notice(&key, &notice()).unwrap();
        assert_eq!(slot.len(), NOTICE_SLOT_BYTES);
        assert_eq!(open_notice(&key, &slot).unwrap(), Some(notice()));
        assert_eq!(open_notice(&other, &slot).unwrap(), None);
        // Random filler and a slot of another size are nobody's notice.
        let filler = random_array::<NOTICE_SLOT_BYTES>().unwrap();
        assert_eq!(open_notice(&key, &filler).unwrap(), None);
        assert_eq!(open_notice(&key, &slot[..500]).unwrap(), None);
    }

    #[test]
    fn any_changed_byte_fails_to_open() {
        let key = NoticeKey::generate().unwrap();
        let slot = seal_notice(&key, &notice()).unwrap();
        for index in [0, 11, 12, 300, NOTICE_SLOT_BYTES - 1] {
            let mut changed = slot;
            changed[index] ^= 1;
            assert_eq!(open_notice(&key, &changed).unwrap(), None, "byte {index}");
        }
    }

    #[test]
    fn every_slot_has_the_same_size_and_nonces_differ() {
        let key = NoticeKey::generate().unwrap();
        let mut long = notice();
        long.office = "x".repeat(MAX_NOTICE_TEXT_BYTES);
        let a = seal_notice(&key, &notice()).unwrap();
        let b = seal_notice(&key, &long).unwrap();
        assert_eq!(a.len(), b.len());
        assert_ne!(a[..NONCE_LEN], b[..NONCE_LEN]);
    }

    #[test]
    fn values_that_do_not_fit_or_are_not_allowed_are_refused() {
        let key = NoticeKey::generate().unwrap();
        type Change = fn(&mut AccessNotice);
        let cases: [(&str, Change); 6] = [
            ("office", |n| {
                n.office = "x".repeat(MAX_NOTICE_TEXT_BYTES + 1)
            }),
            ("office", |n| n.office = "line\nbreak".to_owned()),
            ("officer", |n| n.officer.clear()),
            ("reason", |n| n.reason = "curiosity".to_owned()),
            ("at", |n| n.at = "yesterday".to_owned()),
            ("submission_id", |n| n.submission_id = "XYZ".to_owned()),
        ];
        for (field, change) in cases {
            let mut bad = notice();
            change(&mut bad);
            assert_eq!(
                seal_notice(&key, &bad),
                Err(NoticeError::InvalidField { field }),
                "{field}"
            );
        }
    }

    #[test]
    fn a_notice_sealed_under_the_key_but_malformed_is_reported() {
        let key = NoticeKey::generate().unwrap();
        let mut slot = [b' '; NOTICE_SLOT_BYTES];
        let nonce = [7u8; NONCE_LEN];
        slot[..NONCE_LEN].copy_from_slice(&nonce);
        slot[NONCE_LEN..NONCE_LEN + 2].copy_from_slice(b"{}");
        let tag = key
            .aead_key()
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(NOTICE_FORMAT.as_bytes()),
                &mut slot[NONCE_LEN..NONCE_LEN + NOTICE_PLAINTEXT_BYTES],
            )
            .unwrap();
        slot[NOTICE_SLOT_BYTES - TAG_LEN..].copy_from_slice(tag.as_ref());
        assert_eq!(open_notice(&key, &slot), Err(NoticeError::Malformed));
    }

    #[test]
    fn keys_read_only_lowercase_hex_and_print_nothing() {
        let key = NoticeKey::generate().unwrap();
        let hex = key.to_hex();
        assert_eq!(NoticeKey::from_hex(&hex).unwrap(), key);
        assert_eq!(
            NoticeKey::from_hex(&hex.to_uppercase()),
            Err(NoticeError::InvalidKey)
        );
        assert_eq!(NoticeKey::from_hex("00"), Err(NoticeError::InvalidKey));
        assert_eq!(format!("{key:?}"), "NoticeKey(..)");
    }
}
