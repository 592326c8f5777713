//! The device side of the bad-input corpus's `batch-replies` class
//! (`tests/tests/corpus.rs`, tests/corpus/README.md "Batch replies"): the fixed batch of
//! three submissions a reply answers, the drop box key (seed `0x07`, as for `replies`),
//! every receipt that key issued for each item, and the `{{NAME}}` placeholders a reply
//! file may use. Deterministic, so corpus files are also fuzz seeds: the fuzz crate
//! compiles this same file (`fuzz/fuzz_targets/batch_reply.rs`), which is why it uses
//! nothing beyond `selfreport-core`, `base64` and `serde_json`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use selfreport_core::crypto::SigningKey;
use selfreport_core::sync::wire::{
    Receipt, SEALED_FORMAT, SealedPart, SealedSubmission, deletion_hash,
};

use crate::reply_fixture::RECEIVED_AT;

/// The submissions of the fixed batch.
pub const ITEMS: usize = 3;

/// The device's side of a batch reply: what it sent, the drop box key, every receipt that
/// key issued for each item, and the placeholders of the `batch-replies` corpus class.
pub struct BatchFixture {
    /// The drop box's receipt-signing public key.
    pub receipt_key: [u8; 32],
    /// Each submission sent and its body, in the request's order.
    pub sent: Vec<(SealedSubmission, Vec<u8>)>,
    /// For each item: its receipts by the fixed key (in the batch of three, signed alone,
    /// and for items 0 and 2 in the batch of two).
    pub issued: Vec<Vec<Receipt>>,
    /// `{{NAME}}` and its value, longest name first where one is a prefix of another.
    pub placeholders: Vec<(String, String)>,
}

impl BatchFixture {
    /// Builds the fixture. Panics only if a fixed seed stops being a key (a broken
    /// harness, not a finding).
    pub fn new() -> Self {
        let seed = |byte: u8| {
            SigningKey::from_seed_base64(&STANDARD.encode([byte; 32])).expect("a fixed seed")
        };
        let (key, other) = (seed(7), seed(8));
        let sent: Vec<(SealedSubmission, Vec<u8>)> = (0..ITEMS)
            .map(|n| {
                let submission = SealedSubmission {
                    format: SEALED_FORMAT.to_owned(),
                    policy_id: "sh-daily-health".to_owned(),
                    policy_version: 1,
                    submission_id: format!("0123456789abcdef0123456789abcd{n:02x}"),
                    deletion_hash: deletion_hash(&format!("corpus-batch-{n}")),
                    parts: vec![SealedPart {
                        to: "health".to_owned(),
                        enc: "AAAA".to_owned(),
                        ct: "BBBB".to_owned(),
                    }],
                };
                let body = submission.to_body();
                (submission, body)
            })
            .collect();
        let sign = |key: &SigningKey, indices: &[usize]| {
            let stored: Vec<(&SealedSubmission, &[u8])> = indices
                .iter()
                .map(|&n| (&sent[n].0, sent[n].1.as_slice()))
                .collect();
            Receipt::sign_batch(key, &stored, RECEIVED_AT)
        };
        let receipts = sign(&key, &[0, 1, 2]);
        let foreign = sign(&other, &[0, 1, 2]);
        // Items 0 and 2 stored together, item 1 refused: a batch of two.
        let pair = sign(&key, &[0, 2]);
        let json = |receipt: &Receipt| serde_json::to_string(receipt).expect("a receipt as JSON");

        let mut placeholders = Vec::new();
        let mut put = |name: String, value: String| {
            placeholders.push((format!("{{{{{name}}}}}"), value));
        };
        let signature = receipts[0].signature.clone();
        put(
            "SIGNATURE_URLSAFE".to_owned(),
            signature.replace('+', "-").replace('/', "_"),
        );
        put("SIGNATURE".to_owned(), signature);
        put(
            "SIGNATURE_OTHER_KEY".to_owned(),
            foreign[0].signature.clone(),
        );
        let mut issued = Vec::new();
        for (n, ((submission, body), receipt)) in sent.iter().zip(&receipts).enumerate() {
            let alone = Receipt::sign(&key, submission, body, RECEIVED_AT.to_owned());
            put(format!("ID_{n}"), submission.submission_id.clone());
            put(format!("SHA_{n}_UPPER"), receipt.body_sha256.to_uppercase());
            put(format!("SHA_{n}"), receipt.body_sha256.clone());
            let path = receipt
                .batch
                .as_ref()
                .map(|proof| proof.path.clone())
                .unwrap_or_default();
            for (level, hash) in path.iter().enumerate() {
                put(format!("PATH_{n}_{level}_UPPER"), hash.to_uppercase());
                put(format!("PATH_{n}_{level}"), hash.clone());
            }
            put(format!("SIGNATURE_ALONE_{n}"), alone.signature.clone());
            put(format!("RECEIPT_ALONE_{n}"), json(&alone));
            put(format!("RECEIPT_OTHER_KEY_{n}"), json(&foreign[n]));
            put(format!("RECEIPT_{n}"), json(receipt));
            issued.push(vec![receipt.clone(), alone]);
        }
        put("RECEIPT_PAIR_0".to_owned(), json(&pair[0]));
        put("RECEIPT_PAIR_2".to_owned(), json(&pair[1]));
        issued[0].push(pair[0].clone());
        issued[2].push(pair[1].clone());
        Self {
            receipt_key: key.public_key(),
            sent,
            issued,
            placeholders,
        }
    }

    /// `bytes` with the placeholders filled in (unchanged if not UTF-8), or the name of a
    /// placeholder the fixture does not have (a misspelt one would otherwise pass for a bad
    /// value).
    pub fn fill(&self, bytes: &[u8]) -> Result<Vec<u8>, String> {
        let Ok(text) = std::str::from_utf8(bytes) else {
            return Ok(bytes.to_vec());
        };
        let filled = self
            .placeholders
            .iter()
            .fold(text.to_owned(), |text, (name, value)| {
                text.replace(name.as_str(), value)
            });
        let mut rest = filled.as_str();
        while let Some(start) = rest.find("{{") {
            let tail = &rest[start + 2..];
            if let Some(end) = tail.find("}}") {
                let name = &tail[..end];
                if !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
                {
                    return Err(name.to_owned());
                }
            }
            rest = tail;
        }
        Ok(filled.into_bytes())
    }
}

impl Default for BatchFixture {
    fn default() -> Self {
        Self::new()
    }
}
