//! The bad-input corpus: every case under `tests/corpus/<class>/` is fed to the parser of
//! its class and must produce exactly the stable error code in its `.expect` sidecar,
//! without panicking. All mismatches are reported together; see `tests/corpus/README.md`.

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use selfreport_core::crypto::signature::SigningKey;
use selfreport_core::model::{FieldKind, parse_answer};
use selfreport_core::policy::enrollment::SignedEnrollment;
use selfreport_core::policy::{
    SignedPolicy, SignedRevocations, TrustAnchor, TrustAnchors, VerifiedPolicy,
    parse_delegation_document, parse_policy_document,
};
use selfreport_core::sync::wire::{
    BatchReply, BatchResult, Receipt, ReceiptChecker, ReceiptReply, SentSubmission,
};
use selfreport_core::token::{IssuerKey, PendingToken, Token, TokenError, read_token_response};
use selfreport_tests::batch_fixture::BatchFixture;
use selfreport_tests::reply_fixture::ReplyFixture;

/// The code a case produces when its input is accepted.
const ACCEPTED: &str = "Ok";

/// The least number of cases the corpus must hold, over all classes.
const MIN_CASES: usize = 200;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// The input files of one class, sorted; each is paired with its `.expect` sidecar.
fn inputs(class: &str) -> Vec<PathBuf> {
    let dir = corpus_dir().join(class);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_none_or(|ext| ext != "expect"))
        .collect();
    files.sort();
    files
}

/// Runs every case of `class` through `produce`, recording each mismatch, panic or
/// missing sidecar in `failures`. Returns the number of cases.
fn run_class(class: &str, produce: impl Fn(&[u8]) -> String, failures: &mut Vec<String>) -> usize {
    let files = inputs(class);
    for input in &files {
        let name = input
            .strip_prefix(corpus_dir())
            .unwrap_or(input)
            .display()
            .to_string();
        let sidecar = input.with_extension("expect");
        let expected = match fs::read_to_string(&sidecar) {
            Ok(text) => text.trim().to_owned(),
            Err(error) => {
                failures.push(format!("{name}: no readable .expect sidecar ({error})"));
                continue;
            }
        };
        let bytes = fs::read(input).expect("read a corpus case");
        match catch_unwind(AssertUnwindSafe(|| produce(&bytes))) {
            Ok(produced) if produced == expected => {}
            Ok(produced) => {
                failures.push(format!("{name}: expected {expected}, got {produced}"));
            }
            Err(_) => failures.push(format!("{name}: PANICKED (expected {expected})")),
        }
    }
    // A sidecar without its case is a case that silently stopped running.
    let dir = corpus_dir().join(class);
    for entry in fs::read_dir(&dir).expect("read the class directory") {
        let path = entry.expect("directory entry").path();
        if path.extension().is_some_and(|ext| ext == "expect")
            && !files
                .iter()
                .any(|input| input.with_extension("expect") == path)
        {
            let name = path.strip_prefix(corpus_dir()).unwrap_or(&path).display();
            failures.push(format!("{name}: .expect without a case"));
        }
    }
    files.len()
}

fn policy_code(bytes: &[u8]) -> String {
    match parse_policy_document(bytes) {
        Ok(_) => ACCEPTED.to_owned(),
        Err(error) => error.code().to_owned(),
    }
}

fn envelope_code(bytes: &[u8]) -> String {
    match SignedPolicy::parse(bytes) {
        Ok(_) => ACCEPTED.to_owned(),
        Err(error) => error.code().to_owned(),
    }
}

/// A `delegations` case: a delegation document (raw bytes), content checks only.
fn delegation_code(bytes: &[u8]) -> String {
    match parse_delegation_document(bytes) {
        Ok(_) => ACCEPTED.to_owned(),
        Err(error) => error.code().to_owned(),
    }
}

/// The day `chains` cases are verified on.
fn chain_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 28).expect("a real date")
}

/// The root `chains` cases are signed from: seed 32 bytes of 0x11 (see
/// `tests/corpus/generate-chain-cases.py`).
fn chain_anchors() -> TrustAnchors {
    use base64::Engine as _;
    let seed = base64::engine::general_purpose::STANDARD.encode([0x11u8; 32]);
    let root = SigningKey::from_seed_base64(&seed).expect("a seed");
    TrustAnchor::new(root.public_key()).into()
}

/// A `chains` case: a signed policy envelope, parsed and verified as a device installs
/// it (trusting only the corpus root) on [`chain_day`].
fn chain_code(anchors: &TrustAnchors, bytes: &[u8]) -> String {
    match SignedPolicy::parse(bytes).and_then(|signed| signed.verify(anchors, chain_day())) {
        Ok(_) => ACCEPTED.to_owned(),
        Err(error) => error.code().to_owned(),
    }
}

/// A `revocations` case: a signed revocation list, parsed and verified as a device
/// installs it (trusting only the corpus root) on [`chain_day`].
fn revocation_code(anchors: &TrustAnchors, bytes: &[u8]) -> String {
    match SignedRevocations::parse(bytes).and_then(|signed| signed.verify(anchors, chain_day())) {
        Ok(_) => ACCEPTED.to_owned(),
        Err(error) => error.code().to_owned(),
    }
}

/// A `passes` case: an arrival pass as the checkpoint scans it, verified for
/// `sh-arrivals` at 2026-12-08T09:31:00Z.
fn pass_code(bytes: &[u8]) -> String {
    let now = "2026-12-08T09:31:00Z"
        .parse()
        .expect("the corpus time parses");
    match selfreport_core::arrival_pass::ArrivalPass::verify(bytes, "sh-arrivals", now) {
        Ok(_) => ACCEPTED.to_owned(),
        Err(error) => error.code().to_owned(),
    }
}

/// The policy `orders` cases are verified against: signed by the corpus root (see
/// `tests/corpus/generate-token-cases.py`), verified on [`chain_day`].
fn order_policy(anchors: &TrustAnchors) -> VerifiedPolicy {
    let bytes = fs::read(corpus_dir().join("order-policy.signed.json")).expect("the order policy");
    SignedPolicy::parse(&bytes)
        .and_then(|signed| signed.verify(anchors, chain_day()))
        .expect("the order policy verifies")
}

/// An `orders` case: a signed enrollment order, read and verified as a device enrolls
/// with it, against [`order_policy`] on [`chain_day`].
/// An order for another policy gets the store's `NotFound`: the device looks the policy
/// up by the order's id, and none is installed.
fn order_code(policy: &VerifiedPolicy, anchors: &TrustAnchors, bytes: &[u8]) -> String {
    let order = match SignedEnrollment::parse(bytes) {
        Ok(order) => order,
        Err(error) => return error.code().to_owned(),
    };
    if order.order().policy_id != policy.id() {
        return "NotFound".to_owned();
    }
    match order.verify(policy, anchors, chain_day()) {
        Ok(_) => ACCEPTED.to_owned(),
        Err(error) => error.code().to_owned(),
    }
}

/// What `tokens` and `token-replies` cases are read with: RFC 9578's first Blind RSA test
/// vector (`tests/corpus/token-fixture.json`).
struct TokenFixture {
    key: IssuerKey,
    challenge_digest: [u8; 32],
    pending: PendingToken,
}

impl TokenFixture {
    fn load() -> Self {
        let text = fs::read_to_string(corpus_dir().join("token-fixture.json")).expect("fixture");
        let fixture: serde_json::Value = serde_json::from_str(&text).expect("fixture JSON");
        let hex = |name: &str| -> Vec<u8> {
            let text = fixture[name].as_str().expect("a hex field");
            (0..text.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
                .collect()
        };
        Self {
            key: IssuerKey::from_spki(&hex("spki")).expect("the vector's key"),
            challenge_digest: hex("challenge_digest").try_into().expect("32 bytes"),
            pending: PendingToken::from_bytes(&hex("pending")).expect("the pending token"),
        }
    }
}

/// A `tokens` case: an `Authorization` header value, read as the drop box reads it and
/// verified under the fixture's key and challenge (`TokenUnverified` when it does not).
fn token_code(fixture: &TokenFixture, bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    match Token::from_authorization(&text) {
        Ok(token) if token.verifies(&fixture.key, &fixture.challenge_digest) => ACCEPTED.to_owned(),
        Ok(_) => "TokenUnverified".to_owned(),
        Err(error) => error.code().to_owned(),
    }
}

/// A `token-replies` case: the issuer's reply to the fixture's one request, read and
/// finished as the device does.
fn token_reply_code(fixture: &TokenFixture, bytes: &[u8]) -> String {
    let finished = read_token_response(bytes, 1).and_then(|signatures| {
        let signature = signatures.first().ok_or(TokenError::MalformedResponse)?;
        fixture.pending.finish(&fixture.key, signature)
    });
    match finished {
        Ok(_) => ACCEPTED.to_owned(),
        Err(error) => error.code().to_owned(),
    }
}

/// An `answers` case: `{"kind": <FieldKind>, "text": "...", "today": "YYYY-MM-DD"}`. A
/// case that is not of this shape produces `CorpusCaseInvalid`, which no sidecar expects.
fn answer_code(bytes: &[u8]) -> String {
    let invalid = |why: &str| format!("CorpusCaseInvalid({why})");
    let case: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(case) => case,
        Err(error) => return invalid(&error.to_string()),
    };
    let kind: FieldKind = match serde_json::from_value(case["kind"].clone()) {
        Ok(kind) => kind,
        Err(error) => return invalid(&format!("kind: {error}")),
    };
    let Some(text) = case["text"].as_str() else {
        return invalid("text is not a string");
    };
    let Some(today) = case["today"]
        .as_str()
        .and_then(|today| today.parse::<NaiveDate>().ok())
    else {
        return invalid("today is not a YYYY-MM-DD date");
    };
    match parse_answer("field", &kind, text, today) {
        Ok(_) => ACCEPTED.to_owned(),
        Err(error) => error.rule.code().to_owned(),
    }
}

/// The `replies` class: `Malformed` when the reply does not parse, `BadReceipt` when its
/// receipt does not verify for the fixture's key, submission and body.
fn reply_code(fixture: &ReplyFixture, bytes: &[u8]) -> String {
    match serde_json::from_slice::<ReceiptReply>(&fixture.fill(bytes)) {
        Err(_) => "Malformed".to_owned(),
        Ok(reply) => {
            if reply
                .receipt
                .verify(&fixture.receipt_key, &fixture.submission, &fixture.body)
            {
                ACCEPTED.to_owned()
            } else {
                "BadReceipt".to_owned()
            }
        }
    }
}

/// The `batch-replies` class, as the device reads a batch reply: `Malformed` when the
/// reply does not parse, `WrongCount` when it does not hold one result per submission
/// sent; otherwise one code per result, joined by commas: `Ok` (a receipt that
/// acknowledges its own submission under the fixed key), `BadReceipt` (a receipt that does
/// not), `ItemError` (an error object), `Malformed` (neither or both). One checker reads
/// the whole reply, as the device's does, so a batch signature verified for one result
/// must not vouch for a tampered other.
fn batch_reply_code(fixture: &BatchFixture, bytes: &[u8]) -> String {
    let filled = match fixture.fill(bytes) {
        Ok(filled) => filled,
        Err(name) => return format!("CorpusCaseInvalid(unknown placeholder {name})"),
    };
    let Ok(reply) = serde_json::from_slice::<BatchReply>(&filled) else {
        return "Malformed".to_owned();
    };
    if reply.results.len() != fixture.sent.len() {
        return "WrongCount".to_owned();
    }
    let mut checker = ReceiptChecker::new(fixture.receipt_key);
    let codes: Vec<&str> = reply
        .results
        .iter()
        .zip(&fixture.sent)
        .map(|(result, (submission, body))| match result {
            BatchResult {
                receipt: Some(receipt),
                error: None,
            } => {
                let sent = SentSubmission {
                    submission_id: &submission.submission_id,
                    policy_id: &submission.policy_id,
                    policy_version: submission.policy_version,
                    body,
                };
                if checker.check(receipt, &sent) {
                    ACCEPTED
                } else {
                    "BadReceipt"
                }
            }
            BatchResult {
                receipt: None,
                error: Some(_),
            } => "ItemError",
            _ => "Malformed",
        })
        .collect();
    codes.join(",")
}

#[test]
fn every_corpus_case_produces_its_expected_error() {
    let mut failures = Vec::new();
    let replies = ReplyFixture::new();
    let batches = BatchFixture::new();
    let anchors = chain_anchors();
    let order_policy = order_policy(&anchors);
    let tokens = TokenFixture::load();
    let counts = [
        (
            "policies",
            run_class("policies", policy_code, &mut failures),
        ),
        (
            "envelopes",
            run_class("envelopes", envelope_code, &mut failures),
        ),
        ("answers", run_class("answers", answer_code, &mut failures)),
        (
            "replies",
            run_class(
                "replies",
                |bytes| reply_code(&replies, bytes),
                &mut failures,
            ),
        ),
        (
            "batch-replies",
            run_class(
                "batch-replies",
                |bytes| batch_reply_code(&batches, bytes),
                &mut failures,
            ),
        ),
        (
            "delegations",
            run_class("delegations", delegation_code, &mut failures),
        ),
        (
            "chains",
            run_class("chains", |bytes| chain_code(&anchors, bytes), &mut failures),
        ),
        (
            "revocations",
            run_class(
                "revocations",
                |bytes| revocation_code(&anchors, bytes),
                &mut failures,
            ),
        ),
        (
            "orders",
            run_class(
                "orders",
                |bytes| order_code(&order_policy, &anchors, bytes),
                &mut failures,
            ),
        ),
        (
            "tokens",
            run_class("tokens", |bytes| token_code(&tokens, bytes), &mut failures),
        ),
        (
            "token-replies",
            run_class(
                "token-replies",
                |bytes| token_reply_code(&tokens, bytes),
                &mut failures,
            ),
        ),
        ("passes", run_class("passes", pass_code, &mut failures)),
    ];
    let total: usize = counts.iter().map(|(_, count)| count).sum();
    println!("corpus cases: {counts:?}, {total} in all");
    assert!(
        failures.is_empty(),
        "{} of {total} corpus cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        total >= MIN_CASES,
        "the corpus has {total} cases, fewer than {MIN_CASES}"
    );
}

/// The `batch-replies` cases name path hashes by position and count on a URL-safe
/// signature that differs from the standard one: the fixture must have that shape, or
/// those cases would test something other than their names say.
#[test]
fn the_batch_fixture_has_the_shape_its_cases_assume() {
    let fixture = BatchFixture::new();
    let value = |name: &str| {
        fixture
            .placeholders
            .iter()
            .find(|(placeholder, _)| placeholder == &format!("{{{{{name}}}}}"))
            .map(|(_, value)| value.clone())
    };
    // A tree of three: items 0 and 1 have two siblings, item 2 (lifted) one.
    for (item, levels) in [(0, 2), (1, 2), (2, 1)] {
        for level in 0..levels {
            assert!(value(&format!("PATH_{item}_{level}")).is_some());
        }
        assert!(value(&format!("PATH_{item}_{levels}")).is_none());
        let receipt: Receipt =
            serde_json::from_str(&value(&format!("RECEIPT_{item}")).expect("a receipt"))
                .expect("a receipt parses");
        let proof = receipt.batch.expect("a batch receipt");
        assert_eq!((proof.index, proof.size), (item, 3));
    }
    assert_ne!(value("SIGNATURE_URLSAFE"), value("SIGNATURE"));
    assert_ne!(value("SIGNATURE_OTHER_KEY"), value("SIGNATURE"));
    for name in ["RECEIPT_PAIR_0", "RECEIPT_PAIR_2"] {
        let receipt: Receipt =
            serde_json::from_str(&value(name).expect("a receipt")).expect("a receipt parses");
        assert_eq!(receipt.batch.map(|proof| proof.size), Some(2));
    }
    // A misspelt placeholder is refused rather than read as a bad value.
    assert_eq!(fixture.fill(b"{{RECEIPT_3}}"), Err("RECEIPT_3".to_owned()));
}
