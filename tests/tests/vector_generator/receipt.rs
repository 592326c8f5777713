//! `receipt.json`: a single receipt for a sealed submission, and invalid variants.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use selfreport_core::crypto::SigningKey;
use selfreport_core::sync::wire::{
    Receipt, SEALED_FORMAT, SealedPart, SealedSubmission, deletion_hash,
};

use super::deletion::token;
use super::fixtures::{RECEIPT_KEY, RECEIVED_AT, b64, hex, policy, seed, signing_key};
use super::hpke::sealed_part;

/// The sealed submission 1: the daily report's two parts, each under its recipient's
/// suite in the policy.
pub fn submission() -> SealedSubmission {
    let policy = policy();
    let parts = ["health", "identity"]
        .into_iter()
        .map(|recipient| {
            let suite = &policy.recipients[recipient].suite;
            let part = sealed_part(recipient, suite);
            SealedPart {
                to: recipient.to_owned(),
                enc: part["enc"].as_str().unwrap_or_default().to_owned(),
                ct: part["ct"].as_str().unwrap_or_default().to_owned(),
            }
        })
        .collect();
    SealedSubmission {
        format: SEALED_FORMAT.to_owned(),
        policy_id: policy.id.clone(),
        policy_version: policy.version,
        submission_id: super::fixtures::submission_id(1),
        deletion_hash: deletion_hash(&token(1)),
        parts,
    }
}

/// The drop box's receipt for [`submission`].
pub fn receipt() -> Receipt {
    let submission = submission();
    Receipt::sign(
        &signing_key(RECEIPT_KEY),
        &submission,
        &submission.to_body(),
        RECEIVED_AT.to_owned(),
    )
}

/// What the device sent, as the vectors show it.
pub fn sent(submission: &SealedSubmission, body: &[u8]) -> Value {
    json!({
        "submission_id": submission.submission_id,
        "policy_id": submission.policy_id,
        "policy_version": submission.policy_version,
        "body_hex": hex(body),
    })
}

/// The key fields every receipt vector carries.
pub fn key_fields(key: &SigningKey) -> Value {
    json!({
        "receipt_key_seed_hex": hex(&seed(RECEIPT_KEY)),
        "receipt_key": key.public_key_base64(),
        "receipt_key_hex": hex(&key.public_key()),
    })
}

fn vector(name: &str, receipt: &Receipt, body: &[u8], reason: Option<&str>) -> Value {
    let key = signing_key(RECEIPT_KEY);
    let message = receipt.signed_message();
    let mut vector = key_fields(&key);
    let fields = json!({
        "name": name,
        "sent": sent(&submission(), body),
        "receipt": receipt,
        "signed_message": String::from_utf8(message.clone()).expect("ASCII"),
        "signed_message_hex": hex(&message),
        "signature_hex": hex(&STANDARD.decode(&receipt.signature).unwrap_or_default()),
        "valid": reason.is_none(),
    });
    merge(&mut vector, fields);
    if let Some(reason) = reason {
        vector["reason"] = json!(reason);
    }
    vector
}

/// Adds `extra`'s keys to `into` (both objects).
pub fn merge(into: &mut Value, extra: Value) {
    if let (Some(into), Value::Object(extra)) = (into.as_object_mut(), extra) {
        into.extend(extra);
    }
}

/// The vectors: the valid receipt, then one change each that a verifier must refuse.
pub fn vectors() -> Vec<Value> {
    let body = submission().to_body();
    let valid = receipt();
    let mut out = vec![vector("valid", &valid, &body, None)];

    let mut later = valid.clone();
    later.received_at = "2026-11-28T08:00:01Z".to_owned();
    out.push(vector(
        "received-at-changed",
        &later,
        &body,
        Some("received_at differs from what was signed"),
    ));

    let mut version = valid.clone();
    version.policy_version += 1;
    out.push(vector(
        "policy-version-changed",
        &version,
        &body,
        Some("policy_version differs from the one sent (and from what was signed)"),
    ));

    let mut other_body = submission();
    other_body.deletion_hash = deletion_hash(&token(2));
    out.push(vector(
        "other-body",
        &valid,
        &other_body.to_body(),
        Some("body_sha256 is not the SHA-256 of the body sent"),
    ));

    let mut upper = valid.clone();
    upper.body_sha256 = upper.body_sha256.to_uppercase();
    out.push(vector(
        "body-sha256-uppercase",
        &upper,
        &body,
        Some("body_sha256 must be lowercase hex"),
    ));

    let stranger = signing_key("stranger");
    let mut foreign = valid.clone();
    foreign.signature = b64(&stranger.sign(&valid.signed_message()));
    out.push(vector(
        "signed-by-another-key",
        &foreign,
        &body,
        Some("the signature is by a key other than receipt_key"),
    ));

    let mut short = valid.clone();
    let signature = STANDARD.decode(&valid.signature).unwrap_or_default();
    short.signature = b64(&signature[..signature.len().saturating_sub(1)]);
    out.push(vector(
        "signature-63-bytes",
        &short,
        &body,
        Some("the signature is not 64 bytes"),
    ));
    out
}
