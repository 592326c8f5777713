//! Fuzz target `batch_reply`: bytes as the drop box's reply to a batch of three
//! submissions (`POST {url}/submissions/batch`).
//!
//! The sync engine's `send_batch` is crate-private; this target runs the same public steps
//! on the same bytes: `BatchReply` from JSON, then every receipt result through one
//! `ReceiptChecker` against the submission at its position, as the device reads a reply.
//! It also checks results past the third (against item `n mod 3`), which the device would
//! refuse as a wrong count, so the checker's cache meets more receipts than three.
//!
//! The fixture is that of the `batch-replies` corpus class (`tests/src/batch_fixture.rs`,
//! the same file, compiled into `selfreport-fuzz`) and its `{{PLACEHOLDERS}}` are filled
//! in, so corpus files are seeds that reach the signature checks.
//!
//! Invariants: nothing panics; a reply that parses re-serializes to an equal reply;
//! `signature_message` of a receipt without a batch proof is its `signed_message`, and of
//! one with a proof is a batch root message of the proof's size; the shared checker
//! accepts exactly what a fresh checker accepts (a batch signature verified for one result
//! vouches for no other), runs at most one Ed25519 verification per receipt, and what it
//! accepts is one of the receipts the fixed key issued for that very submission.
#![no_main]

use libfuzzer_sys::fuzz_target;
use selfreport_core::sync::wire::{
    BATCH_RECEIPT_CONTEXT, BatchReply, BatchResult, ReceiptChecker, SentSubmission,
};
use selfreport_fuzz::{BATCH_ITEMS, batch_fixture};

fuzz_target!(|data: &[u8]| {
    let fixture = batch_fixture();
    // A name the fixture lacks is left as it is: the bytes go in unfilled.
    let filled = fixture.fill(data).unwrap_or_else(|_| data.to_vec());
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

        let item = n % BATCH_ITEMS;
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
