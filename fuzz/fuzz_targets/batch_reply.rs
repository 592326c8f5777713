//! Fuzz target `batch_reply`: bytes as the drop box's reply to a batch of three
//! submissions (`POST {url}/submissions/batch`).
//!
//! The sync engine's `send_batch` is crate-private; this target runs the same public steps
//! on the same bytes: `BatchReply` from JSON, then every receipt result through one
//! `ReceiptChecker` against the submission at its position, as the device reads a reply.
//! It also checks results past the third (against item `n mod 3`), which the device would
//! refuse as a wrong count, so the checker's cache meets more receipts than three.
//!
//! The fixture is that of the `batch-replies` corpus class (`BatchFixture` in
//! `tests/tests/corpus.rs`, rebuilt here with the same seeds, ids and time) and its
//! `{{PLACEHOLDERS}}` are filled in, so corpus files are seeds that reach the signature
//! checks.
//!
//! Invariants: nothing panics; a reply that parses re-serializes to an equal reply;
//! `signature_message` of a receipt without a batch proof is its `signed_message`, and of
//! one with a proof is a batch root message of the proof's size; the shared checker
//! accepts exactly what a fresh checker accepts (a batch signature verified for one result
//! vouches for no other), runs at most one Ed25519 verification per receipt, and what it
//! accepts is one of the receipts the fixed key issued for that very submission.
#![no_main]

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use libfuzzer_sys::fuzz_target;
use selfreport_core::crypto::SigningKey;
use selfreport_core::sync::wire::{
    BATCH_RECEIPT_CONTEXT, BatchReply, BatchResult, Receipt, ReceiptChecker, SEALED_FORMAT,
    SealedPart, SealedSubmission, SentSubmission, deletion_hash,
};
use selfreport_fuzz::RECEIVED_AT;

/// The submissions of the fixed batch.
const ITEMS: usize = 3;

/// The device's side of a batch reply: what it sent, the drop box key, every receipt that
/// key issued for each item, and the placeholders of the `batch-replies` corpus class.
struct BatchFixture {
    receipt_key: [u8; 32],
    /// Each submission sent and its body, in the request's order.
    sent: Vec<(SealedSubmission, Vec<u8>)>,
    /// For each item: its receipts by the fixed key (in the batch of three, signed alone,
    /// and for items 0 and 2 in the batch of two).
    issued: Vec<Vec<Receipt>>,
    /// `{{NAME}}` and its value, longest name first where one is a prefix of another.
    placeholders: Vec<(String, String)>,
}

impl BatchFixture {
    /// Builds the fixture. Panics only if a fixed seed stops being a key (a broken
    /// harness, not a finding).
    fn new() -> Self {
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

    /// `bytes` with the placeholders filled in (unchanged if not UTF-8 or without any).
    fn fill(&self, bytes: &[u8]) -> Vec<u8> {
        match std::str::from_utf8(bytes) {
            Ok(text) if text.contains("{{") => self
                .placeholders
                .iter()
                .fold(text.to_owned(), |text, (name, value)| {
                    text.replace(name.as_str(), value)
                })
                .into_bytes(),
            _ => bytes.to_vec(),
        }
    }
}

/// The fixture, built once (nine Ed25519 signatures).
fn fixture() -> &'static BatchFixture {
    static FIXTURE: OnceLock<BatchFixture> = OnceLock::new();
    FIXTURE.get_or_init(BatchFixture::new)
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    let filled = fixture.fill(data);
    let Ok(reply) = serde_json::from_slice::<BatchReply>(&filled) else {
        return;
    };

    let again: BatchReply =
        serde_json::from_slice(&serde_json::to_vec(&reply).expect("a batch reply serializes"))
            .expect("a serialized batch reply parses");
    assert_eq!(again, reply);

    let mut checker = ReceiptChecker::new(fixture.receipt_key);
    let mut checked = 0;
    for (n, result) in reply.results.iter().enumerate() {
        let Some(receipt) = &result.receipt else {
            continue;
        };

        match (&receipt.batch, receipt.signature_message()) {
            (None, message) => assert_eq!(message, Some(receipt.signed_message())),
            (Some(proof), Some(message)) => {
                let head = format!("{BATCH_RECEIPT_CONTEXT}\n{}\n", proof.size);
                assert!(message.starts_with(head.as_bytes()));
                // The root, lowercase hex.
                assert_eq!(message.len(), head.len() + 64);
            }
            (Some(_), None) => {}
        }

        let item = n % ITEMS;
        let (submission, body) = &fixture.sent[item];
        let sent = SentSubmission {
            submission_id: &submission.submission_id,
            policy_id: &submission.policy_id,
            policy_version: submission.policy_version,
            body,
        };
        // The device acts on a receipt only in a result without an error.
        let acted_on = matches!(
            result,
            BatchResult {
                receipt: Some(_),
                error: None
            }
        );
        let accepted = checker.check(receipt, &sent);
        checked += 1;
        assert!(checker.signatures_checked() <= checked);
        let alone = ReceiptChecker::new(fixture.receipt_key).check(receipt, &sent);
        assert_eq!(
            accepted, alone,
            "result {n}: the shared checker and a fresh one disagree (acted on: {acted_on})"
        );
        if accepted {
            assert!(receipt.verify(&fixture.receipt_key, submission, body));
            assert!(receipt.verify_signature(&fixture.receipt_key));
            assert!(
                fixture.issued[item].contains(receipt),
                "result {n}: accepted a receipt the key never issued for item {item}: {receipt:?}"
            );
        }
    }
});
