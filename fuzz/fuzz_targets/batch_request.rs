//! Fuzz target `batch_request`: bytes as the body of `POST {url}/submissions/batch`, read
//! by the drop box.
//!
//! The drop box (`store_batch` in `endpoint/src/dropbox/routes.rs`) reads the body as a
//! `BatchRequest`, keeps each submission's exact JSON text, parses each as a
//! `SealedSubmission` (the first step of its per-item check; the rest of that check lives
//! in the endpoint crate) and signs the stored ones with `Receipt::sign_batch`. This
//! target runs those steps, then reads the receipts as the device does, with one
//! `ReceiptChecker`.
//!
//! Invariants: nothing panics; a request that parses holds at most `MAX_BATCH_ITEMS`
//! submissions, each a non-empty slice of the body with no whitespace around it (the bytes
//! the drop box hashes); `batch_body` around those slices reads back to the same slices;
//! every receipt `sign_batch` makes, read back from its JSON, is accepted by the device for its own submission and
//! body, the whole batch for one Ed25519 verification.
#![no_main]

use libfuzzer_sys::fuzz_target;
use selfreport_core::sync::wire::{
    BatchRequest, MAX_BATCH_ITEMS, Receipt, ReceiptChecker, SealedSubmission, SentSubmission,
    batch_body,
};
use selfreport_fuzz::{RECEIVED_AT, anchor_key};

fuzz_target!(|data: &[u8]| {
    let Ok(request) = serde_json::from_slice::<BatchRequest<'_>>(data) else {
        return;
    };
    assert!(request.submissions.len() <= MAX_BATCH_ITEMS);

    let bounds = data.as_ptr_range();
    let items: Vec<&str> = request.submissions.iter().map(|raw| raw.get()).collect();
    for item in &items {
        let span = item.as_bytes().as_ptr_range();
        assert!(
            bounds.start <= span.start && span.end <= bounds.end,
            "an item is not a slice of the body"
        );
        assert!(!item.is_empty());
        let trimmed = item.trim_matches([' ', '\t', '\n', '\r']);
        assert_eq!(
            trimmed.len(),
            item.len(),
            "whitespace around an item: {item:?}"
        );
    }

    let rebuilt = batch_body(items.iter().map(|item| item.as_bytes()));
    let again: BatchRequest<'_> =
        serde_json::from_slice(&rebuilt).expect("batch_body of parsed items parses");
    let again: Vec<&str> = again.submissions.iter().map(|raw| raw.get()).collect();
    assert_eq!(again, items);

    let stored: Vec<(SealedSubmission, &[u8])> = items
        .iter()
        .filter_map(|item| {
            serde_json::from_str::<SealedSubmission>(item)
                .ok()
                .map(|submission| (submission, item.as_bytes()))
        })
        .collect();
    if stored.is_empty() {
        return;
    }
    let refs: Vec<(&SealedSubmission, &[u8])> = stored
        .iter()
        .map(|(submission, body)| (submission, *body))
        .collect();
    // The fuzz anchor key stands in for a drop box's receipt key.
    let key = anchor_key();
    let receipts = Receipt::sign_batch(key, &refs, RECEIVED_AT);
    assert_eq!(receipts.len(), stored.len());
    let mut checker = ReceiptChecker::new(key.public_key());
    for (receipt, (submission, body)) in receipts.iter().zip(&stored) {
        // The device reads the receipt from the JSON the drop box stored and replied.
        let json = serde_json::to_vec(receipt).expect("a receipt serializes");
        let receipt: Receipt = serde_json::from_slice(&json).expect("a receipt reads back");
        let sent = SentSubmission {
            submission_id: &submission.submission_id,
            policy_id: &submission.policy_id,
            policy_version: submission.policy_version,
            body,
        };
        assert!(
            checker.check(&receipt, &sent),
            "the device refuses a receipt the drop box signed: {receipt:?}"
        );
    }
    assert_eq!(checker.signatures_checked(), 1);
});
