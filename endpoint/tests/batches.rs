//! The drop box's batch route over loopback HTTPS: one signature for many receipts,
//! per-item refusals as the single route's (a batch holding an item the format forbids
//! refused whole), resends byte for byte, and the rule that a
//! reply's tree holds only what the database stored with it: no receipt can be rebuilt
//! from a reply for a body the drop box refused, or with a time it did not record.

#[allow(dead_code)]
#[macro_use]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use common::{
    Backend, Sealed, TestDropBox, error_code, random_hex_id, seal, sealed, sealed_with_id,
};
use selfreport_core::FixedClock;
use selfreport_core::crypto::signature::verify_ed25519;
use selfreport_core::sync::receipt_tree::{self, Hash};
use selfreport_core::sync::wire::{
    BATCH_FORMAT, BatchError, BatchReply, ErrorReply, MAX_BATCH_BYTES, MAX_BATCH_ITEMS,
    MAX_RESPONSE_BYTES, MAX_SUBMISSION_BYTES, Receipt, ReceiptChecker, ReceiptReply,
    SealedSubmission, SentSubmission, batch_body, batch_root_message, body_digest,
};
use serde_json::value::RawValue;

async fn post_batch(drop_box: &TestDropBox, body: &[u8]) -> reqwest::Response {
    drop_box
        .client
        .post(format!("{}/submissions/batch", drop_box.url))
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

/// Posts `items` as one batch; the reply must be 200 JSON. Returns its bytes.
async fn batch_reply(drop_box: &TestDropBox, items: &[&[u8]]) -> Vec<u8> {
    let response = post_batch(drop_box, &batch_body(items.iter().copied())).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    response.bytes().await.unwrap().to_vec()
}

/// Each result of a batch reply as the exact bytes the drop box sent.
fn raw_results(reply: &[u8]) -> Vec<String> {
    let reply: BTreeMap<String, Vec<Box<RawValue>>> = serde_json::from_slice(reply).unwrap();
    assert_eq!(reply.len(), 1);
    reply["results"]
        .iter()
        .map(|raw| raw.get().to_owned())
        .collect()
}

fn parse_batch(reply: &[u8]) -> BatchReply {
    serde_json::from_slice(reply).unwrap()
}

fn sent(sealed: &Sealed) -> SentSubmission<'_> {
    SentSubmission {
        submission_id: &sealed.submission.submission_id,
        policy_id: &sealed.submission.policy_id,
        policy_version: sealed.submission.policy_version,
        body: &sealed.body,
    }
}

/// The receipts of `reply`, which must all be receipts, checked against `batch` with
/// one checker; returns them and how many signatures the checker verified.
fn checked_receipts(
    drop_box: &TestDropBox,
    reply: &BatchReply,
    batch: &[&Sealed],
) -> (Vec<Receipt>, usize) {
    let key = drop_box.authority.receipt_public_key();
    let mut checker = ReceiptChecker::new(key);
    assert_eq!(reply.results.len(), batch.len());
    let receipts: Vec<Receipt> = reply
        .results
        .iter()
        .zip(batch)
        .map(|(result, sealed)| {
            assert_eq!(result.error, None);
            let receipt = result.receipt.clone().unwrap();
            assert!(checker.check(&receipt, &sent(sealed)));
            // Alone, as the ledger re-checks a stored receipt.
            assert!(receipt.verify_signature(&key));
            assert!(receipt.verify(&key, &sealed.submission, &sealed.body));
            receipt
        })
        .collect();
    (receipts, checker.signatures_checked())
}

async fn stored_body(drop_box: &TestDropBox, id: &str) -> Vec<u8> {
    drop_box.stored(id).await.unwrap().body
}

/// The receipt the drop box keeps for a submission (what a resend gets back).
async fn stored_receipt(drop_box: &TestDropBox, id: &str) -> Receipt {
    let reply = drop_box.stored(id).await.unwrap().receipt;
    serde_json::from_slice::<ReceiptReply>(&reply)
        .unwrap()
        .receipt
}

/// A batch's reply carries receipts under one signature; what the drop box keeps, and
/// what a resend gets, is each submission's receipt signed alone: its database does not
/// link the submissions of a batch (a household's reports, sent together).
async fn a_batch_gets_receipts_under_one_signature_and_resends_get_the_same_ones(backend: Backend) {
    let drop_box = TestDropBox::start(backend, |d| d).await;
    let batch: Vec<Sealed> = (0..5).map(|_| sealed(&drop_box)).collect();
    let bodies: Vec<&[u8]> = batch.iter().map(|sealed| sealed.body.as_slice()).collect();
    let first = batch_reply(&drop_box, &bodies).await;
    let reply = parse_batch(&first);
    let (receipts, signatures) =
        checked_receipts(&drop_box, &reply, &batch.iter().collect::<Vec<_>>());
    assert_eq!(signatures, 1);
    for (index, receipt) in receipts.iter().enumerate() {
        let proof = receipt.batch.as_ref().unwrap();
        assert_eq!((proof.index as usize, proof.size), (index, 5));
        assert_eq!(receipt.signature, receipts[0].signature);
        assert_eq!(receipt.received_at, receipts[0].received_at);
    }
    assert_eq!(drop_box.stored_count().await, 5);
    for sealed in &batch {
        assert_eq!(stored_body(&drop_box, sealed.id()).await, sealed.body);
    }

    // Kept: each one's receipt signed alone, same fields, no batch proof, no shared
    // signature.
    let mut kept: Vec<Receipt> = Vec::new();
    for sealed in &batch {
        kept.push(stored_receipt(&drop_box, sealed.id()).await);
    }
    for (kept, receipt) in kept.iter().zip(&receipts) {
        assert_eq!(kept.batch, None);
        assert_eq!(
            (&kept.submission_id, &kept.body_sha256, &kept.received_at),
            (
                &receipt.submission_id,
                &receipt.body_sha256,
                &receipt.received_at
            )
        );
        assert!(kept.verify_signature(&drop_box.authority.receipt_public_key()));
    }
    let signatures: BTreeSet<&str> = kept.iter().map(|kept| kept.signature.as_str()).collect();
    assert_eq!(signatures.len(), 5);

    // The same batch again (a retry after a lost reply): nothing new, and each gets the
    // receipt kept for it, which verifies for its own submission; again, the same bytes.
    let resent = batch_reply(&drop_box, &bodies).await;
    let (resent_receipts, _) = checked_receipts(
        &drop_box,
        &parse_batch(&resent),
        &batch.iter().collect::<Vec<_>>(),
    );
    assert_eq!(resent_receipts, kept);
    assert_eq!(batch_reply(&drop_box, &bodies).await, resent);
    assert_eq!(drop_box.stored_count().await, 5);
    // One of them alone: the same receipt, byte for byte.
    let raw = raw_results(&resent);
    let alone = drop_box.post(&batch[2].body).await;
    assert_eq!(alone.status(), 200);
    assert_eq!(alone.bytes().await.unwrap(), raw[2].as_bytes());
    // One of them in another batch, beside a new one: its kept receipt, at its new place.
    let fresh = sealed(&drop_box);
    let mixed = batch_reply(&drop_box, &[&fresh.body, &batch[3].body]).await;
    assert_eq!(raw_results(&mixed)[1], raw[3]);
    let (fresh_receipts, _) =
        checked_receipts(&drop_box, &parse_batch(&mixed), &[&fresh, &batch[3]]);
    assert_ne!(fresh_receipts[0].signature, receipts[0].signature);
    assert_eq!(drop_box.stored_count().await, 6);

    // A batch of one gets a receipt signed alone, and the single route returns it again.
    let lone = sealed(&drop_box);
    let reply = batch_reply(&drop_box, &[&lone.body]).await;
    let (lone_receipts, _) = checked_receipts(&drop_box, &parse_batch(&reply), &[&lone]);
    assert_eq!(lone_receipts[0].batch, None);
    let again = drop_box.post(&lone.body).await;
    assert_eq!(again.status(), 200);
    assert_eq!(
        again.bytes().await.unwrap(),
        raw_results(&reply)[0].as_bytes()
    );

    // The access log names the route, never what the batch carried.
    let lines = drop_box.log_lines();
    assert!(
        lines[0].contains(" POST /v1/submissions/batch 200 "),
        "{}",
        lines[0]
    );
    let log = lines.join("\n");
    for sealed in &batch {
        assert!(!log.contains(sealed.id()), "{log}");
        assert!(!log.contains(&sealed.submission.deletion_hash), "{log}");
    }
}

async fn batch_items_are_refused_one_by_one_as_the_single_route_would(backend: Backend) {
    let drop_box = TestDropBox::start(backend, |d| d).await;
    let earlier = sealed(&drop_box);
    assert_eq!(drop_box.post(&earlier.body).await.status(), 201);
    let changed = sealed_with_id(&drop_box, earlier.id());
    let conflicting = changed.body.clone();
    let mut other_policy = sealed(&drop_box).submission;
    other_policy.policy_id = "another-policy".to_owned();
    let mut future_version = sealed(&drop_box).submission;
    future_version.policy_version = 99;
    // Well-formed, but larger than a request of its own may be.
    let oversized = seal(
        &drop_box.policy,
        &random_hex_id(),
        &BTreeMap::from([
            ("health".to_owned(), vec![b' '; 100_000]),
            ("identity".to_owned(), vec![b' '; 100_000]),
        ]),
    );
    assert!(oversized.body.len() > MAX_SUBMISSION_BYTES);
    // Well-formed, but for the identity recipient alone: no form of the policy sends so.
    let mut no_form = sealed(&drop_box).submission;
    no_form.parts.remove(0);
    // Fits the schema, but its parts are not sorted by recipient (a rule in words).
    let mut unsorted = sealed(&drop_box).submission;
    unsorted.parts.reverse();
    let first = sealed(&drop_box);
    let second = sealed(&drop_box);

    let items: Vec<Vec<u8>> = vec![
        first.body.clone(),
        no_form.to_body(),
        other_policy.to_body(),
        conflicting.clone(),
        second.body.clone(),
        no_form.to_body(),
        future_version.to_body(),
        oversized.body.clone(),
        unsorted.to_body(),
    ];
    let refused: [(usize, u16, &str); 7] = [
        (1, 400, "Malformed"),
        (2, 400, "Malformed"),
        (3, 409, "Conflict"),
        (5, 400, "Malformed"),
        (6, 400, "Malformed"),
        (7, 413, "TooLarge"),
        (8, 400, "Malformed"),
    ];
    let reply = batch_reply(
        &drop_box,
        &items.iter().map(Vec::as_slice).collect::<Vec<_>>(),
    )
    .await;
    let reply = parse_batch(&reply);
    assert_eq!(reply.results.len(), items.len());

    // The valid ones are stored, their receipts verify under one signature.
    let valid = BatchReply {
        results: vec![reply.results[0].clone(), reply.results[4].clone()],
    };
    let (_, signatures) = checked_receipts(&drop_box, &valid, &[&first, &second]);
    assert_eq!(signatures, 1);
    assert_eq!(drop_box.stored_count().await, 3);
    assert_eq!(stored_body(&drop_box, earlier.id()).await, earlier.body);

    // Each refused one says what a request of its own gets.
    for (index, status, code) in refused {
        let result = &reply.results[index];
        assert_eq!(result.receipt, None, "item {index}");
        let error = result.error.clone().unwrap();
        assert_eq!(
            (error.status, error.code.as_str()),
            (status, code),
            "item {index}"
        );
        let alone = drop_box.post(&items[index]).await;
        let alone_status = alone.status().as_u16();
        let alone: ErrorReply = serde_json::from_slice(&alone.bytes().await.unwrap()).unwrap();
        assert_eq!(
            error,
            BatchError {
                status: alone_status,
                code: alone.error.code,
                message: alone.error.message,
            },
            "item {index}"
        );
    }
    assert_eq!(drop_box.stored_count().await, 3);
}

/// An item that does not fit the schema of `selfreport.sealed/1` (what the OpenAPI
/// document's `SealedSubmission` forbids) makes the request no batch of the format: it is
/// refused whole and nothing of it is stored, as the document says. Alone, each such item
/// gets 400 too.
async fn a_batch_with_an_item_the_format_forbids_is_refused_whole(backend: Backend) {
    let drop_box = TestDropBox::start(backend, |d| d).await;
    let valid = sealed(&drop_box);
    let template: serde_json::Value = serde_json::from_slice(&sealed(&drop_box).body).unwrap();
    let with = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut body = template.clone();
        change(&mut body);
        serde_json::to_vec(&body).unwrap()
    };
    let forbidden: Vec<Vec<u8>> = vec![
        with(&|b| b["parts"][0]["ct"] = serde_json::json!({})),
        with(&|b| b["parts"][0]["ct"] = "AAAA".into()),
        with(&|b| b["parts"][1]["enc"] = "AAAA".into()),
        with(&|b| b["submission_id"] = "XYZ".into()),
        with(&|b| b["extra"] = 1.into()),
        br#"{"not":"a submission"}"#.to_vec(),
        br#""a string""#.to_vec(),
    ];
    for item in &forbidden {
        let shown = String::from_utf8_lossy(item).into_owned();
        let response = post_batch(&drop_box, &batch_body([valid.body.as_slice(), item])).await;
        assert_eq!(response.status(), 400, "{shown}");
        assert_eq!(error_code(response).await, "Malformed", "{shown}");
        let alone = drop_box.post(item).await;
        assert_eq!(alone.status(), 400, "{shown}");
    }
    // A `ct` longer than any request of its own can carry (`maxLength`): alone, the body
    // is over the limit (413); in a batch, the item breaks the format.
    let too_long = with(&|b| b["parts"][0]["ct"] = "A".repeat(261_864).into());
    let response = post_batch(&drop_box, &batch_body([valid.body.as_slice(), &too_long])).await;
    assert_eq!(response.status(), 400);
    assert_eq!(error_code(response).await, "Malformed");
    assert_eq!(drop_box.post(&too_long).await.status(), 413);
    assert_eq!(drop_box.stored_count().await, 0);
    // The valid item alone in a batch is stored: it was the other item that was refused.
    let reply = parse_batch(&batch_reply(&drop_box, &[&valid.body]).await);
    assert!(reply.results[0].receipt.is_some());
    assert_eq!(drop_box.stored_count().await, 1);
}

async fn requests_that_are_not_batches_are_refused_whole(backend: Backend) {
    let drop_box = TestDropBox::start(backend, |d| d).await;
    let one = sealed(&drop_box);
    let many: Vec<Sealed> = (0..=MAX_BATCH_ITEMS).map(|_| sealed(&drop_box)).collect();
    let body = String::from_utf8(one.body.clone()).unwrap();
    let cases: Vec<Vec<u8>> = vec![
        batch_body(many.iter().map(|sealed| sealed.body.as_slice())),
        batch_body(std::iter::empty()),
        batch_body([one.body.as_slice()]).replace_bytes(BATCH_FORMAT, "FORMAT-CANARY"),
        batch_body([one.body.as_slice()]).replace_bytes(BATCH_FORMAT, "selfreport.batch/2"),
        b"BODY-CANARY is not json".to_vec(),
        one.body.clone(),
        format!("[{body}]").into_bytes(),
        format!(r#"{{"format":"{BATCH_FORMAT}","submissions":[{body}],"extra":"FIELD-CANARY"}}"#)
            .into_bytes(),
        format!(r#"{{"format":"{BATCH_FORMAT}","submissions":"ARRAY-CANARY"}}"#).into_bytes(),
        format!(r#"{{"format":"{BATCH_FORMAT}"}}"#).into_bytes(),
        format!(r#"{{"format":"{BATCH_FORMAT}","submissions":[{body}]}} TRAILING-CANARY"#)
            .into_bytes(),
    ];
    for case in cases {
        let shown = String::from_utf8_lossy(&case[..60.min(case.len())]).into_owned();
        let response = post_batch(&drop_box, &case).await;
        assert_eq!(response.status(), 400, "{shown}");
        let reply: ErrorReply = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert_eq!(reply.error.code, "Malformed", "{shown}");
        for sent in ["CANARY", one.id(), &one.submission.deletion_hash] {
            assert!(!reply.error.message.contains(sent), "{shown}");
        }
    }
    // Over the batch limit: 413, as the single route over its own.
    let response = post_batch(&drop_box, &vec![b' '; MAX_BATCH_BYTES + 1]).await;
    assert_eq!(response.status(), 413);
    assert_eq!(error_code(response).await, "TooLarge");
    // A body exactly at the limit is read (and refused for what it is, not its size).
    let response = post_batch(&drop_box, &vec![b' '; MAX_BATCH_BYTES]).await;
    assert_eq!(response.status(), 400);
    assert_eq!(error_code(response).await, "Malformed");
    assert_eq!(drop_box.stored_count().await, 0);
}

/// `replace` for the bytes of a batch body.
trait ReplaceBytes {
    fn replace_bytes(self, from: &str, to: &str) -> Vec<u8>;
}

impl ReplaceBytes for Vec<u8> {
    fn replace_bytes(self, from: &str, to: &str) -> Vec<u8> {
        let text = String::from_utf8(self).unwrap();
        assert!(text.contains(from));
        text.replace(from, to).into_bytes()
    }
}

async fn the_same_id_twice_in_one_batch_is_stored_once(backend: Backend) {
    let drop_box = TestDropBox::start(backend, |d| d).await;
    // The same bytes twice: one row. Only the first is stored now, so the tree is of one:
    // it gets a receipt signed alone, the second the receipt kept for it (the same).
    let twice = sealed(&drop_box);
    let reply = batch_reply(&drop_box, &[&twice.body, &twice.body]).await;
    let (receipts, _) = checked_receipts(&drop_box, &parse_batch(&reply), &[&twice, &twice]);
    assert_eq!(receipts[0].batch, None);
    assert_eq!(receipts[0], stored_receipt(&drop_box, twice.id()).await);
    assert_eq!(receipts[1], stored_receipt(&drop_box, twice.id()).await);
    assert_eq!(drop_box.stored_count().await, 1);

    // Another body under the same id: the first is stored, the second conflicts.
    let first = sealed(&drop_box);
    let changed = sealed_with_id(&drop_box, first.id());
    let reply = batch_reply(&drop_box, &[&first.body, &changed.body]).await;
    let reply = parse_batch(&reply);
    let (_, _) = checked_receipts(
        &drop_box,
        &BatchReply {
            results: vec![reply.results[0].clone()],
        },
        &[&first],
    );
    let error = reply.results[1].error.clone().unwrap();
    assert_eq!((error.status, error.code.as_str()), (409, "Conflict"));
    assert_eq!(reply.results[1].receipt, None);
    assert_eq!(drop_box.stored_count().await, 2);
    assert_eq!(stored_body(&drop_box, first.id()).await, first.body);
}

async fn a_full_batch_reply_is_well_within_what_the_device_reads(backend: Backend) {
    let drop_box = TestDropBox::start(backend, |d| d).await;
    let batch: Vec<Sealed> = (0..MAX_BATCH_ITEMS).map(|_| sealed(&drop_box)).collect();
    let bodies: Vec<&[u8]> = batch.iter().map(|sealed| sealed.body.as_slice()).collect();
    let reply = batch_reply(&drop_box, &bodies).await;
    let (receipts, signatures) = checked_receipts(
        &drop_box,
        &parse_batch(&reply),
        &batch.iter().collect::<Vec<_>>(),
    );
    assert_eq!(signatures, 1);
    // A full tree: every receipt carries the longest path.
    assert!(
        receipts
            .iter()
            .all(|receipt| receipt.batch.as_ref().unwrap().path.len() == 5)
    );
    assert!(
        reply.len() < MAX_RESPONSE_BYTES / 2,
        "a reply of {MAX_BATCH_ITEMS} receipts takes {} bytes",
        reply.len()
    );
    // A full batch of refusals too (well-formed, for another policy).
    let mut other_policy = sealed(&drop_box).submission;
    other_policy.policy_id = "another-policy".to_owned();
    let other_policy = other_policy.to_body();
    let refusals = vec![other_policy.as_slice(); MAX_BATCH_ITEMS];
    let reply = batch_reply(&drop_box, &refusals).await;
    assert_eq!(parse_batch(&reply).results.len(), MAX_BATCH_ITEMS);
    assert!(
        reply.len() < MAX_RESPONSE_BYTES / 2,
        "{} bytes",
        reply.len()
    );
}

async fn a_batch_takes_one_rate_limit_token_whatever_its_size(backend: Backend) {
    let drop_box = TestDropBox::start(backend, |d| d.with_rate_limit(Some(2)).unwrap()).await;
    let batch: Vec<Sealed> = (0..5).map(|_| sealed(&drop_box)).collect();
    let bodies: Vec<&[u8]> = batch.iter().map(|sealed| sealed.body.as_slice()).collect();
    // Five submissions in one request: within a limit of two requests a second.
    let reply = batch_reply(&drop_box, &bodies).await;
    assert_eq!(parse_batch(&reply).results.len(), 5);
    let mut limited = None;
    for _ in 0..6 {
        let response = post_batch(&drop_box, &batch_body(bodies.iter().copied())).await;
        if response.status() == 429 {
            limited = Some(response);
            break;
        }
        assert_eq!(response.status(), 200);
    }
    let response = limited.expect("no batch was rate limited");
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(error_code(response).await, "RateLimited");
}

fn at(text: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(text).unwrap()
}

/// What the database holds under `id`: the body's digest and the time it recorded.
async fn stored_row(drop_box: &TestDropBox, id: &str) -> Option<(String, String)> {
    drop_box
        .stored(id)
        .await
        .map(|row| (row.body_sha256, row.received_at))
}

/// The receipt message a sender can write for `body` at `received_at`, if `body` has the
/// shape of a submission (whether or not the drop box took it).
fn candidate_receipt(body: &[u8], received_at: &str) -> Option<Receipt> {
    let submission: SealedSubmission = serde_json::from_slice(body).ok()?;
    Some(Receipt {
        submission_id: submission.submission_id,
        policy_id: submission.policy_id,
        policy_version: submission.policy_version,
        body_sha256: body_digest(body),
        received_at: received_at.to_owned(),
        batch: None,
        signature: String::new(),
    })
}

/// Every choice of `size` positions out of `0..n`, in order.
fn choices(n: usize, size: usize) -> Vec<Vec<usize>> {
    fn extend(
        from: usize,
        n: usize,
        size: usize,
        chosen: &mut Vec<usize>,
        out: &mut Vec<Vec<usize>>,
    ) {
        if chosen.len() == size {
            out.push(chosen.clone());
            return;
        }
        for next in from..n {
            chosen.push(next);
            extend(next + 1, n, size, chosen, out);
            chosen.pop();
        }
    }
    let mut out = Vec::new();
    extend(0, n, size, &mut Vec::new(), &mut out);
    out
}

/// Every receipt a sender can build from a batch reply: for each signature in it, every
/// tree of the right size over the receipts the sender can write for what it sent (each
/// item that has a submission's shape, at each time the reply names), in the order sent,
/// whose root the signature covers; each leaf of such a tree, with its path, is a receipt
/// that verifies. Also every receipt of the reply as it is.
fn receipts_a_reply_allows(key: &[u8; 32], reply: &BatchReply, sent: &[&[u8]]) -> Vec<Receipt> {
    let mut allowed: Vec<Receipt> = reply
        .results
        .iter()
        .filter_map(|result| result.receipt.clone())
        .filter(|receipt| receipt.verify_signature(key))
        .collect();
    let times: BTreeSet<String> = allowed
        .iter()
        .map(|receipt| receipt.received_at.clone())
        .collect();
    let signatures: BTreeMap<(String, u32), ()> = allowed
        .iter()
        .filter_map(|receipt| {
            let size = receipt.batch.as_ref()?.size;
            Some(((receipt.signature.clone(), size), ()))
        })
        .collect();
    for time in &times {
        let candidates: Vec<Receipt> = sent
            .iter()
            .filter_map(|body| candidate_receipt(body, time))
            .collect();
        for (signature, size) in signatures.keys() {
            let signature_bytes = base64_decode(signature);
            let size = *size as usize;
            for chosen in choices(candidates.len(), size) {
                let leaves: Vec<Hash> = chosen
                    .iter()
                    .map(|&i| receipt_tree::leaf(&candidates[i].signed_message()))
                    .collect();
                let Some((root, paths)) = receipt_tree::root_and_paths(&leaves) else {
                    continue;
                };
                if !verify_ed25519(key, &batch_root_message(&root, size), &signature_bytes) {
                    continue;
                }
                for (index, (&i, path)) in chosen.iter().zip(paths).enumerate() {
                    let mut receipt = candidates[i].clone();
                    receipt.batch = Some(selfreport_core::sync::wire::BatchProof {
                        index: index as u32,
                        size: size as u32,
                        path: path.iter().map(hex).collect(),
                    });
                    receipt.signature = signature.clone();
                    assert!(receipt.verify_signature(key));
                    allowed.push(receipt);
                }
            }
        }
    }
    allowed
}

fn hex(hash: &Hash) -> String {
    hash.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

/// A batch of ten: six new items, a resend of one stored an hour before, a malformed
/// item, another body under a stored id, and one of the new items twice. Every receipt
/// that can be rebuilt from the reply names a body the database holds under that id, at
/// the time the database recorded for it: none for the refused body, no second time for
/// the resend.
async fn no_receipt_can_be_built_from_a_reply_for_what_was_not_stored(backend: Backend) {
    let clock = Arc::new(FixedClock::new(at("2026-11-28T08:00:00Z")));
    let drop_box = TestDropBox::start(backend, |d| d.with_clock(clock.clone())).await;
    let earlier = sealed(&drop_box);
    assert_eq!(drop_box.post(&earlier.body).await.status(), 201);
    let held = sealed(&drop_box);
    assert_eq!(drop_box.post(&held.body).await.status(), 201);
    let changed = sealed_with_id(&drop_box, held.id());
    let conflicting = changed.body.clone();
    clock.set(at("2026-11-28T09:00:00Z"));

    // Well-formed, but refused: no form of the policy sends to identity alone.
    let mut no_form = sealed(&drop_box).submission;
    no_form.parts.remove(0);
    let for_no_form = no_form.to_body();

    let new: Vec<Sealed> = (0..6).map(|_| sealed(&drop_box)).collect();
    let mut items: Vec<&[u8]> = new.iter().map(|sealed| sealed.body.as_slice()).collect();
    items.insert(2, &earlier.body);
    items.insert(4, &for_no_form);
    items.insert(6, &conflicting);
    items.push(&new[1].body);
    assert_eq!(items.len(), 10);
    let reply = parse_batch(&batch_reply(&drop_box, &items).await);
    assert_eq!(drop_box.stored_count().await, 8);

    // What the reply says of each.
    let codes: Vec<&str> = reply
        .results
        .iter()
        .map(|result| match (&result.receipt, &result.error) {
            (Some(receipt), None) if receipt.batch.is_some() => "tree",
            (Some(_), None) => "alone",
            (None, Some(error)) => error.code.as_str(),
            _ => "broken",
        })
        .collect();
    assert_eq!(
        codes,
        [
            "tree",
            "tree",
            "alone",
            "tree",
            "Malformed",
            "tree",
            "Conflict",
            "tree",
            "tree",
            "alone"
        ]
    );
    // One tree, of the six stored now.
    assert!(
        reply
            .results
            .iter()
            .filter_map(|result| result.receipt.as_ref()?.batch.as_ref())
            .all(|proof| proof.size == 6)
    );
    // The resend and the in-batch duplicate get what the database keeps for them.
    assert_eq!(
        reply.results[2].receipt.as_ref(),
        Some(&stored_receipt(&drop_box, earlier.id()).await)
    );
    assert_eq!(
        reply.results[9].receipt.as_ref(),
        Some(&stored_receipt(&drop_box, new[1].id()).await)
    );

    let key = drop_box.authority.receipt_public_key();
    let allowed = receipts_a_reply_allows(&key, &reply, &items);
    // The search finds at least the reply's own six tree receipts.
    assert!(allowed.len() >= 8, "{}", allowed.len());
    for receipt in &allowed {
        assert_eq!(
            stored_row(&drop_box, &receipt.submission_id).await,
            Some((receipt.body_sha256.clone(), receipt.received_at.clone())),
            "a valid receipt for what the database does not hold: {receipt:?}"
        );
    }
}

on_both_backends!(
    a_batch_gets_receipts_under_one_signature_and_resends_get_the_same_ones,
    batch_items_are_refused_one_by_one_as_the_single_route_would,
    a_batch_with_an_item_the_format_forbids_is_refused_whole,
    requests_that_are_not_batches_are_refused_whole,
    the_same_id_twice_in_one_batch_is_stored_once,
    a_full_batch_reply_is_well_within_what_the_device_reads,
    a_batch_takes_one_rate_limit_token_whatever_its_size,
    no_receipt_can_be_built_from_a_reply_for_what_was_not_stored,
);
