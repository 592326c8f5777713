//! The drop box side of the bad-input corpus's `replies` class (`tests/tests/corpus.rs`):
//! a fixed receipt key (seed `0x07`), submission and body, and the `{{NAME}}`
//! placeholders a reply file may use. Deterministic, so corpus files are also valid fuzz
//! seeds: the fuzz crate compiles this same file (`fuzz/src/lib.rs`), which is why it
//! uses nothing beyond `selfreport-core` and `base64`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use selfreport_core::crypto::SigningKey;
use selfreport_core::sync::wire::{
    Receipt, SEALED_FORMAT, SealedPart, SealedSubmission, deletion_hash,
};

/// When the drop box signed the reference receipt.
pub const RECEIVED_AT: &str = "2026-11-28T08:00:00Z";

/// A fixed drop box key, the submission a reply answers, its body, and the placeholders.
pub struct ReplyFixture {
    /// The drop box's receipt-signing public key.
    pub receipt_key: [u8; 32],
    /// The submission the reply answers.
    pub submission: SealedSubmission,
    /// Its body bytes.
    pub body: Vec<u8>,
    /// `{{NAME}}` placeholders and their values, longest name first where one is a
    /// prefix of another.
    pub placeholders: Vec<(&'static str, String)>,
}

impl ReplyFixture {
    /// Builds the fixture (two Ed25519 signatures). Panics only if the fixed seeds stop
    /// being keys, which is a broken harness.
    pub fn new() -> Self {
        let key = SigningKey::from_seed_base64(&STANDARD.encode([7u8; 32])).expect("seed");
        let other = SigningKey::from_seed_base64(&STANDARD.encode([8u8; 32])).expect("seed");
        let submission = SealedSubmission {
            format: SEALED_FORMAT.to_owned(),
            policy_id: "sh-daily-health".to_owned(),
            policy_version: 1,
            submission_id: "0123456789abcdef0123456789abcdef".to_owned(),
            deletion_hash: deletion_hash("corpus"),
            parts: vec![SealedPart {
                to: "health".to_owned(),
                enc: "AAAA".to_owned(),
                ct: "BBBB".to_owned(),
            }],
        };
        let body = submission.to_body();
        let receipt = Receipt::sign(&key, &submission, &body, RECEIVED_AT.to_owned());
        let forged = Receipt::sign(&other, &submission, &body, RECEIVED_AT.to_owned());
        let url_safe = receipt.signature.replace('+', "-").replace('/', "_");
        let placeholders = vec![
            ("{{SUBMISSION_ID}}", receipt.submission_id.clone()),
            ("{{BODY_SHA256_UPPER}}", receipt.body_sha256.to_uppercase()),
            ("{{BODY_SHA256}}", receipt.body_sha256.clone()),
            ("{{SIGNATURE_OTHER_KEY}}", forged.signature),
            ("{{SIGNATURE_URLSAFE}}", url_safe),
            ("{{SIGNATURE}}", receipt.signature),
        ];
        Self {
            receipt_key: key.public_key(),
            submission,
            body,
            placeholders,
        }
    }

    /// `bytes` with the placeholders filled in (unchanged if not UTF-8).
    pub fn fill(&self, bytes: &[u8]) -> Vec<u8> {
        match std::str::from_utf8(bytes) {
            Ok(text) => self
                .placeholders
                .iter()
                .fold(text.to_owned(), |text, (placeholder, value)| {
                    text.replace(placeholder, value)
                })
                .into_bytes(),
            Err(_) => bytes.to_vec(),
        }
    }
}

impl Default for ReplyFixture {
    fn default() -> Self {
        Self::new()
    }
}
