//! Arrival passes: the pseudonym commits to the key, the signature covers policy,
//! pseudonym and time, and the checkpoint refuses every pass that does not hold.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::*;

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn key(byte: u8) -> SigningKey {
    SigningKey::from_seed(Zeroizing::new([byte; 32])).unwrap()
}

/// A pass of key `byte`'s pseudonym under `sh-arrivals`, shown at 09:30 UTC.
fn pass(byte: u8) -> String {
    let key = key(byte);
    let pseudonym = pseudonym_of_key(&key.public_key());
    pass_text(&key, "sh-arrivals", &pseudonym, at("2026-12-08T09:30:00Z"))
}

fn verify(text: &str, now: &str) -> Result<ArrivalPass, ArrivalPassError> {
    ArrivalPass::verify(text.as_bytes(), "sh-arrivals", at(now))
}

fn edited(text: &str, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let Value::Object(mut members) = serde_json::from_str(text).unwrap() else {
        panic!("a pass is an object")
    };
    edit(&mut members);
    Value::Object(members).to_string()
}

#[test]
fn the_pseudonym_is_the_documented_hash_of_the_key() {
    // Python: hashlib.sha256(b"selfreport.pseudonym/1\n" + bytes(range(32))).hexdigest()[:32]
    let key: [u8; 32] = std::array::from_fn(|index| index as u8);
    assert_eq!(pseudonym_of_key(&key), "95ebb45db5883a3ac32268d2cdce9b62");
}

#[test]
fn a_pass_is_canonical_json_and_verifies_within_its_window() {
    let text = pass(7);
    let members: Value = serde_json::from_str(&text).unwrap();
    let keys: Vec<&str> = members
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "format",
            "key",
            "policy_id",
            "pseudonym",
            "shown_at",
            "signature"
        ]
    );
    assert_eq!(members["shown_at"], json!("2026-12-08T09:30:00Z"));
    let verified = verify(&text, "2026-12-08T09:35:00Z").unwrap();
    assert_eq!(verified.pseudonym, pseudonym_of_key(&key(7).public_key()));
    assert_eq!(verified.policy_id, "sh-arrivals");
    // The window: ten minutes back, two ahead.
    assert!(verify(&text, "2026-12-08T09:40:00Z").is_ok());
    assert!(verify(&text, "2026-12-08T09:28:00Z").is_ok());
    for now in ["2026-12-08T09:40:01Z", "2026-12-08T09:27:59Z"] {
        assert!(
            matches!(verify(&text, now), Err(ArrivalPassError::Stale { .. })),
            "at {now}"
        );
    }
    assert_eq!(MAX_PASS_AGE, Duration::minutes(10));
}

#[test]
fn a_pass_that_proves_nothing_is_refused_as_bad_proof() {
    let now = "2026-12-08T09:31:00Z";
    let original = pass(7);
    let other = pass(8);
    let other_members: Value = serde_json::from_str(&other).unwrap();
    let cases = [
        // Someone else's key, with its own valid signature, under this pseudonym.
        edited(&original, |m| {
            m.insert("key".into(), other_members["key"].clone());
            m.insert("signature".into(), other_members["signature"].clone());
        }),
        // Another pseudonym than the key commits to.
        edited(&original, |m| {
            m.insert("pseudonym".into(), other_members["pseudonym"].clone());
        }),
        // The time moved after signing.
        edited(&original, |m| {
            m.insert("shown_at".into(), json!("2026-12-08T09:30:30Z"));
        }),
        // Another pass's signature.
        edited(&original, |m| {
            m.insert("signature".into(), other_members["signature"].clone());
        }),
    ];
    for (index, case) in cases.iter().enumerate() {
        let refused = verify(case, now).unwrap_err();
        assert_eq!(
            refused.code(),
            "ArrivalPassBadProof",
            "case {index}: {refused}"
        );
    }
    // A signature for another policy does not carry over.
    let key = key(7);
    let pseudonym = pseudonym_of_key(&key.public_key());
    let elsewhere = pass_text(
        &key,
        "sh-daily-health",
        &pseudonym,
        at("2026-12-08T09:30:00Z"),
    );
    let moved = edited(&elsewhere, |m| {
        m.insert("policy_id".into(), json!("sh-arrivals"));
    });
    assert_eq!(
        verify(&moved, now).unwrap_err().code(),
        "ArrivalPassBadProof"
    );
    assert_eq!(
        verify(&elsewhere, now).unwrap_err().code(),
        "ArrivalPassWrongPolicy"
    );
}

#[test]
fn a_malformed_pass_gets_a_typed_refusal() {
    let now = "2026-12-08T09:31:00Z";
    let original = pass(7);
    let mut cases: Vec<String> = vec![
        String::new(),
        "[]".into(),
        "not json".into(),
        "x".repeat(MAX_PASS_BYTES + 1),
        edited(&original, |m| {
            m.remove("signature");
        }),
        edited(&original, |m| {
            m.insert("extra".into(), json!(1));
        }),
        edited(&original, |m| {
            m.insert("key".into(), json!(7));
        }),
        edited(&original, |m| {
            m.insert("format".into(), json!("selfreport.arrival-pass/2"));
        }),
        edited(&original, |m| {
            m.insert("key".into(), json!("AAAA"));
        }),
        edited(&original, |m| {
            m.insert("signature".into(), json!("not base64!"));
        }),
        edited(&original, |m| {
            m.insert(
                "pseudonym".into(),
                json!("95EBB45DB5883A3AC32268D2CDCE9B62"),
            );
        }),
        edited(&original, |m| {
            m.insert("shown_at".into(), json!("2026-12-08T17:30:00+08:00"));
        }),
        edited(&original, |m| {
            m.insert("shown_at".into(), json!("2026-12-08T09:30:00.000Z"));
        }),
    ];
    cases.push(original.replacen('{', "{\"format\":\"x\",", 1));
    for (index, case) in cases.iter().enumerate() {
        let refused = verify(case, now).unwrap_err();
        assert_eq!(
            refused.code(),
            "ArrivalPassMalformed",
            "case {index}: {refused}"
        );
    }
}
