//! `batch.json`: batch receipts of 1, 2, 3, 7 and 16 leaves with their paths, and
//! invalid variants.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use selfreport_core::sync::receipt_tree::{self, Hash};
use selfreport_core::sync::wire::{
    BatchProof, Receipt, SEALED_FORMAT, SealedPart, SealedSubmission, batch_root_message,
    deletion_hash,
};

use super::deletion::token;
use super::fixtures::{RECEIPT_KEY, RECEIVED_AT, b64, hex, policy, seed, signing_key};
use super::receipt::{key_fields, merge, sent};

/// The sizes of the valid trees.
pub const SIZES: [usize; 5] = [1, 2, 3, 7, 16];

/// The `index`th submission of a batch of `size`: one small part, fixed bytes.
fn submission(size: usize, index: usize) -> SealedSubmission {
    let policy = policy();
    let label = format!("batch {size} item {index}");
    SealedSubmission {
        format: SEALED_FORMAT.to_owned(),
        policy_id: policy.id.clone(),
        policy_version: policy.version,
        submission_id: hex(&seed(&format!("{label} id"))[..16]),
        deletion_hash: deletion_hash(&token(1)),
        parts: vec![SealedPart {
            to: "health".to_owned(),
            enc: b64(&seed(&format!("{label} enc"))),
            ct: b64(&[seed(&format!("{label} ct")), seed(&format!("{label} tag"))].concat()),
        }],
    }
}

/// The submissions and receipts of a batch of `size`, as the drop box signs them. A
/// batch of one is shown with a `batch` proof too (the drop box would send a single
/// receipt instead; both verify).
pub fn batch(size: usize) -> (Vec<SealedSubmission>, Vec<Receipt>) {
    let key = signing_key(RECEIPT_KEY);
    let submissions: Vec<SealedSubmission> = (0..size).map(|i| submission(size, i)).collect();
    let bodies: Vec<Vec<u8>> = submissions.iter().map(SealedSubmission::to_body).collect();
    if size == 1 {
        let mut receipt = Receipt::sign(&key, &submissions[0], &bodies[0], RECEIVED_AT.to_owned());
        let root = receipt_tree::leaf(&receipt.signed_message());
        receipt.batch = Some(BatchProof {
            index: 0,
            size: 1,
            path: Vec::new(),
        });
        receipt.signature = b64(&key.sign(&batch_root_message(&root, 1)));
        return (submissions, vec![receipt]);
    }
    let stored: Vec<(&SealedSubmission, &[u8])> = submissions
        .iter()
        .zip(&bodies)
        .map(|(submission, body)| (submission, body.as_slice()))
        .collect();
    let receipts = Receipt::sign_batch(&key, &stored, RECEIVED_AT);
    (submissions, receipts)
}

fn root_of(receipts: &[Receipt]) -> Hash {
    let leaves: Vec<Hash> = receipts
        .iter()
        .map(|receipt| receipt_tree::leaf(&receipt.signed_message()))
        .collect();
    receipt_tree::root_and_paths(&leaves)
        .map(|(root, _)| root)
        .unwrap_or([0; 32])
}

fn vector(
    name: &str,
    submissions: &[SealedSubmission],
    receipts: &[Receipt],
    root: Hash,
    reason: Option<&str>,
) -> Value {
    let size = submissions.len();
    let message = batch_root_message(&root, size);
    let leaves: Vec<Value> = submissions
        .iter()
        .zip(receipts)
        .enumerate()
        .map(|(index, (submission, receipt))| {
            let leaf_message = receipt.signed_message();
            json!({
                "index": index,
                "sent": sent(submission, &submission.to_body()),
                "receipt": receipt,
                "signed_message": String::from_utf8(leaf_message.clone()).expect("ASCII"),
                "signed_message_hex": hex(&leaf_message),
                "leaf_hex": hex(&receipt_tree::leaf(&leaf_message)),
            })
        })
        .collect();
    let signature = STANDARD.decode(&receipts[0].signature).unwrap_or_default();
    let mut vector = key_fields(&signing_key(RECEIPT_KEY));
    merge(
        &mut vector,
        json!({
            "name": name,
            "size": size,
            "received_at": RECEIVED_AT,
            "leaves": leaves,
            "root_hex": hex(&root),
            "signed_message": String::from_utf8(message.clone()).expect("ASCII"),
            "signed_message_hex": hex(&message),
            "signature": receipts[0].signature,
            "signature_hex": hex(&signature),
            "valid": reason.is_none(),
        }),
    );
    if let Some(reason) = reason {
        vector["reason"] = json!(reason);
    }
    vector
}

/// The vectors: one valid tree of each size, then variants of the 7-leaf tree that
/// every leaf must fail.
pub fn vectors() -> Vec<Value> {
    let mut out: Vec<Value> = SIZES
        .iter()
        .map(|&size| {
            let (submissions, receipts) = batch(size);
            let root = root_of(&receipts);
            vector(
                &format!("tree-of-{size}"),
                &submissions,
                &receipts,
                root,
                None,
            )
        })
        .collect();

    let (submissions, receipts) = batch(7);
    let root = root_of(&receipts);
    let changed = |change: &dyn Fn(&mut Receipt)| -> Vec<Receipt> {
        receipts
            .iter()
            .cloned()
            .map(|mut receipt| {
                change(&mut receipt);
                receipt
            })
            .collect()
    };
    out.push(vector(
        "received-at-changed",
        &submissions,
        &changed(&|receipt| receipt.received_at = "2026-11-28T08:00:01Z".to_owned()),
        root,
        Some("every receipt's received_at differs from what its leaf was built from"),
    ));
    out.push(vector(
        "size-changed",
        &submissions,
        &changed(&|receipt| {
            if let Some(proof) = &mut receipt.batch {
                proof.size = 8;
            }
        }),
        root,
        Some("batch.size is 8, but the signature covers a tree of 7"),
    ));
    out.push(vector(
        "path-emptied",
        &submissions,
        &changed(&|receipt| {
            if let Some(proof) = &mut receipt.batch {
                proof.path.clear();
            }
        }),
        root,
        Some("no receipt carries its path"),
    ));
    let stranger = signing_key("stranger");
    let foreign = b64(&stranger.sign(&batch_root_message(&root, 7)));
    out.push(vector(
        "signed-by-another-key",
        &submissions,
        &changed(&|receipt| receipt.signature = foreign.clone()),
        root,
        Some("the root is signed by a key other than receipt_key"),
    ));
    out
}
