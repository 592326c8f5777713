//! `ledger.json`: a hash chain of entries of several events, one of them in the old
//! format, exactly as `selfreport ledger --json` prints it; and broken variants.

use serde_json::{Value, json};

use selfreport_core::crypto::sha256;
use selfreport_core::ledger::{
    DisclosedFieldEntry, LedgerEntry, LedgerEvent, LedgerRow, chain_hash, chained_entries,
};

use super::fixtures::{RECEIPT_KEY, hex, policy, signing_key};
use super::receipt::{receipt, submission};

fn entry(at: &str, event: LedgerEvent) -> LedgerEntry {
    LedgerEntry {
        at: at.to_owned(),
        event,
    }
}

/// The entries and how each is encoded: `true` for the old rule.
fn entries() -> Vec<(LedgerEntry, bool)> {
    let policy = policy();
    let submission = submission();
    let fields = [
        ("name", "keep", "identity"),
        ("phone", "keep", "identity"),
        ("temperature", "threshold", "health"),
        ("symptoms", "keep", "health"),
        ("district", "generalize", "health"),
        ("contact_with_case", "keep", "health"),
    ];
    vec![
        (
            entry(
                "2026-11-20T09:00:00+08:00",
                LedgerEvent::ConsentGranted {
                    policy_id: "sh-daily-health".to_owned(),
                    purpose: "epidemic-control".to_owned(),
                    version: None,
                    disclosure_sha256: None,
                },
            ),
            true,
        ),
        (
            // Written in the writer's field order (`policy_id` before `from_version`):
            // its bytes are not sorted, and only ever hashed as stored.
            entry(
                "2026-11-24T07:30:00+08:00",
                LedgerEvent::ConsentCarriedOver {
                    policy_id: "sh-daily-health".to_owned(),
                    from_version: 1,
                    to_version: 1,
                    disclosure_sha256: hex(&sha256(b"selfreport vectors: scope")),
                    rotated: vec!["receipt key".to_owned()],
                },
            ),
            true,
        ),
        (
            entry(
                "2026-11-27T20:15:00+08:00",
                LedgerEvent::ConsentGranted {
                    policy_id: policy.id.clone(),
                    purpose: policy.purpose.code.clone(),
                    version: Some(policy.version),
                    disclosure_sha256: Some(hex(&sha256(b"selfreport vectors: scope"))),
                },
            ),
            false,
        ),
        (
            entry(
                "2026-11-28T16:00:00+08:00",
                LedgerEvent::Disclosure {
                    policy_id: policy.id.clone(),
                    policy_version: policy.version,
                    purpose: policy.purpose.code.clone(),
                    endpoint: policy.endpoint.url.clone(),
                    form: "daily".to_owned(),
                    submission_id: submission.submission_id.clone(),
                    record_id: "22222222222222222222222222222222".to_owned(),
                    fields: fields
                        .into_iter()
                        .map(|(field, transform, recipient)| DisclosedFieldEntry {
                            field: field.to_owned(),
                            transform: transform.to_owned(),
                            recipient: recipient.to_owned(),
                        })
                        .collect(),
                    body_sha256: receipt().body_sha256,
                    receipt_key: signing_key(RECEIPT_KEY).public_key_base64(),
                    receipt: Box::new(receipt()),
                    cover: false,
                },
            ),
            false,
        ),
        (
            entry(
                "2026-11-29T10:00:00+08:00",
                LedgerEvent::DeletionRequested {
                    policy_id: policy.id.clone(),
                    submission_id: submission.submission_id.clone(),
                    endpoint: policy.endpoint.url.clone(),
                    outcome: "deleted".to_owned(),
                },
            ),
            false,
        ),
        (
            entry(
                "2026-11-29T10:05:00+08:00",
                LedgerEvent::ConsentWithdrawn {
                    policy_id: policy.id.clone(),
                    purpose: policy.purpose.code.clone(),
                    dropped: 1,
                },
            ),
            false,
        ),
    ]
}

/// Stored rows for entry bytes, hashes chained from 32 zero bytes.
pub fn rows(bytes: Vec<Vec<u8>>) -> Vec<LedgerRow> {
    let mut previous = [0u8; 32];
    bytes
        .into_iter()
        .enumerate()
        .map(|(index, bytes)| {
            previous = chain_hash(&previous, &bytes);
            (index as u64 + 1, previous, bytes)
        })
        .collect()
}

/// The entries' bytes: the old rule (the writer's field order, no format) or the
/// current one.
fn entry_bytes() -> Vec<Vec<u8>> {
    entries()
        .into_iter()
        .map(|(entry, old)| {
            if old {
                serde_json::to_vec(&entry).expect("an entry serializes")
            } else {
                entry.to_bytes()
            }
        })
        .collect()
}

/// The printed form of `rows`.
fn printed(rows: &[LedgerRow]) -> Value {
    let view = chained_entries(rows).expect("readable entries");
    Value::Array(view.iter().map(|entry| entry.to_json()).collect())
}

fn vector(name: &str, entries: Value, reason: Option<&str>) -> Value {
    let mut vector = json!({"name": name, "entries": entries, "valid": reason.is_none()});
    if let Some(reason) = reason {
        vector["reason"] = json!(reason);
    }
    vector
}

/// The vectors: the chain, then variants a verifier must refuse.
pub fn vectors() -> Vec<Value> {
    let bytes = entry_bytes();
    let mut out = vec![vector("chain", printed(&rows(bytes.clone())), None)];

    // An entry's bytes changed after it was chained: its stored hash no longer follows.
    let good = rows(bytes.clone());
    let mut altered = good.clone();
    altered[4].2 = String::from_utf8(altered[4].2.clone())
        .expect("UTF-8")
        .replace("\"deleted\"", "\"not_found\"")
        .into_bytes();
    out.push(vector(
        "entry-altered",
        printed(&altered),
        Some("entry 5's bytes were changed after hashing: its hash is not SHA-256(prev_hash || bytes)"),
    ));

    // A selfreport.ledger/2 entry rewritten with spaces, the chain rehashed to match.
    let mut spaced = bytes.clone();
    spaced[2] = String::from_utf8(spaced[2].clone())
        .expect("UTF-8")
        .replacen(',', ", ", 1)
        .into_bytes();
    out.push(vector(
        "not-canonical",
        printed(&rows(spaced)),
        Some("entry 3 says selfreport.ledger/2 but its bytes are not canonical JSON"),
    ));

    // Entries 5 and 6 swapped, each keeping its stored hash.
    let mut swapped = good.clone();
    swapped.swap(4, 5);
    swapped[4].0 = 5;
    swapped[5].0 = 6;
    out.push(vector(
        "entries-swapped",
        printed(&swapped),
        Some("entries 5 and 6 are swapped: entry 5's hash does not follow from entry 4's"),
    ));

    // The disclosure's receipt signed by another key, the chain rehashed to match.
    let mut forged = entries();
    if let LedgerEvent::Disclosure { receipt, .. } = &mut forged[3].0.event {
        receipt.signature =
            super::fixtures::b64(&signing_key("stranger").sign(&receipt.signed_message()));
    }
    let forged_bytes: Vec<Vec<u8>> = forged
        .into_iter()
        .map(|(entry, old)| {
            if old {
                serde_json::to_vec(&entry).expect("an entry serializes")
            } else {
                entry.to_bytes()
            }
        })
        .collect();
    out.push(vector(
        "receipt-forged",
        printed(&rows(forged_bytes)),
        Some("entry 4's receipt is not signed by its receipt_key (the chain itself holds)"),
    ));
    out
}
