//! Revocation lists: parsing refusals, signature and root checks, and what a list revokes
//! of a policy signed directly by its root or through a delegation chain.

use chrono::Days;
use serde_json::{Value, json};

use super::*;
use crate::crypto::signature::SigningKey;
use crate::policy::signed::envelope_bytes;
use crate::policy::test_support::{
    anchor_for, delegation, policy_v2, signed_delegation, signed_under, test_key, today,
};
use crate::policy::{SignedPolicy, TrustAnchors};

fn list(sequence: u64) -> Value {
    json!({
        "format": REVOCATIONS_FORMAT,
        "sequence": sequence,
        "issued_at": today().to_string(),
        "next_update": (today() + Days::new(7)).to_string(),
        "delegations": [],
        "policies": []
    })
}

fn sign(key: &SigningKey, document: &Value) -> Vec<u8> {
    sign_revocations(key, &serde_json::to_vec(document).unwrap()).unwrap()
}

fn verified(key: &SigningKey, document: &Value) -> RevocationList {
    SignedRevocations::parse(&sign(key, document))
        .unwrap()
        .verify(&anchor_for(key), today())
        .unwrap()
}

fn parse_error(document: &Value) -> String {
    match parse_revocation_document(&serde_json::to_vec(document).unwrap()) {
        Err(PolicyError::BadRevocations { detail }) => detail,
        other => panic!("expected BadRevocations, got {other:?}"),
    }
}

/// A root, and an office it delegates to that signs the example /2 policy.
struct Delegated {
    root: SigningKey,
    office: SigningKey,
    anchors: TrustAnchors,
    policy: crate::policy::VerifiedPolicy,
}

fn delegated() -> Delegated {
    let root = SigningKey::generate().unwrap();
    let office = SigningKey::generate().unwrap();
    let link = signed_delegation(&root, &delegation(&office, 0));
    let anchors = anchor_for(&root);
    let policy = SignedPolicy::parse(&signed_under(&office, &policy_v2(), &[link]))
        .unwrap()
        .verify(&anchors, today())
        .unwrap();
    Delegated {
        root,
        office,
        anchors,
        policy,
    }
}

#[test]
fn a_list_signed_by_a_root_verifies_and_reads_back() {
    let root = test_key();
    let mut document = list(3);
    document["policies"] = json!([{"id": "sh-arrivals", "version": 2, "reason": "superseded"}]);
    let verified = verified(&root, &document);
    assert_eq!(verified.root_key_id(), root.key_id());
    assert_eq!(verified.document().sequence, 3);
    assert_eq!(
        verified
            .document()
            .policies
            .get(&("sh-arrivals".to_owned(), 2)),
        Some(&RevocationReason::Superseded)
    );
    let reloaded = RevocationList::from_stored(verified.envelope_bytes()).unwrap();
    assert_eq!(reloaded.document(), verified.document());
}

#[test]
fn a_list_must_come_from_a_trusted_root_under_its_own_context() {
    let root = test_key();
    let stranger = SigningKey::generate().unwrap();
    let bytes = sign(&stranger, &list(1));
    assert!(matches!(
        SignedRevocations::parse(&bytes)
            .unwrap()
            .verify(&anchor_for(&root), today()),
        Err(PolicyError::UnknownKey { .. })
    ));
    // The root's signature made for a policy or a delegation does not stand for a list.
    let payload = serde_json::to_vec(&list(1)).unwrap();
    for context in [
        crate::policy::POLICY_SIGNATURE_CONTEXT,
        crate::policy::DELEGATION_SIGNATURE_CONTEXT,
    ] {
        let bytes = envelope_bytes(&root, context, &payload, &[]);
        assert_eq!(
            SignedRevocations::parse(&bytes)
                .unwrap()
                .verify(&anchor_for(&root), today())
                .unwrap_err(),
            PolicyError::BadSignature
        );
    }
    // A root outside its window.
    let anchors: TrustAnchors = crate::policy::TrustAnchor::new(root.public_key())
        .with_window(None, Some(today() - Days::new(1)))
        .unwrap()
        .into();
    assert!(matches!(
        SignedRevocations::parse(&sign(&root, &list(1)))
            .unwrap()
            .verify(&anchors, today()),
        Err(PolicyError::KeyOutsideWindow { .. })
    ));
}

#[test]
fn a_list_issued_after_tomorrow_is_refused() {
    let root = test_key();
    let mut document = list(1);
    document["issued_at"] = json!((today() + Days::new(2)).to_string());
    document["next_update"] = json!((today() + Days::new(9)).to_string());
    let error = SignedRevocations::parse(&sign(&root, &document))
        .unwrap()
        .verify(&anchor_for(&root), today())
        .unwrap_err();
    assert_eq!(error.code(), "PolicyBadRevocations");
}

#[test]
fn malformed_documents_are_refused_with_what_is_wrong() {
    let mut cases: Vec<(Value, &str)> = Vec::new();
    let mut v = list(0);
    cases.push((v.clone(), "sequence"));
    v = list(1);
    v["sequence"] = json!(1u64 << 53);
    cases.push((v, "sequence"));
    v = list(1);
    v["format"] = json!("selfreport.revocations/2");
    cases.push((v, "unknown format"));
    v = list(1);
    v["next_update"] = json!((today() - Days::new(1)).to_string());
    cases.push((v, "next_update"));
    v = list(1);
    v["extra"] = json!(true);
    cases.push((v, "extra"));
    v = list(1);
    v["delegations"] = json!([{"subject_key": "AAAA", "reason": "key-compromise"}]);
    cases.push((v, "subject_key"));
    v = list(1);
    v["delegations"] = json!([{"subject_key": test_key().public_key_base64(), "reason": "bored"}]);
    cases.push((v, "unknown reason"));
    v = list(1);
    let key = test_key().public_key_base64();
    v["delegations"] = json!([{"subject_key": key, "reason": "superseded"},
                               {"subject_key": key, "reason": "key-compromise"}]);
    cases.push((v, "twice"));
    v = list(1);
    v["policies"] = json!([{"id": "SH ARRIVALS", "version": 1, "reason": "superseded"}]);
    cases.push((v, "policies[0]"));
    v = list(1);
    v["policies"] = json!([{"id": "sh", "version": 0, "reason": "superseded"}]);
    cases.push((v, "version"));
    v = list(1);
    v["policies"] = json!([{"id": "sh", "version": 1, "reason": "superseded"},
                            {"id": "sh", "version": 1, "reason": "superseded"}]);
    cases.push((v, "twice"));
    v = list(1);
    let many: Vec<Value> = (1..=MAX_REVOKED_ENTRIES as u64 + 1)
        .map(|n| json!({"id": "sh", "version": n, "reason": "superseded"}))
        .collect();
    v["policies"] = Value::Array(many);
    cases.push((v, "at most"));
    for (document, expected) in cases {
        let detail = parse_error(&document);
        assert!(detail.contains(expected), "{expected:?} not in {detail:?}");
    }
    assert!(matches!(
        SignedRevocations::parse(&vec![b' '; MAX_SIGNED_REVOCATIONS_BYTES + 1]),
        Err(PolicyError::TooLarge { .. })
    ));
    assert_eq!(
        SignedRevocations::parse(b"{}").unwrap_err().code(),
        "PolicyBadRevocations"
    );
}

#[test]
fn a_revoked_version_stops_that_version_only() {
    let d = delegated();
    let mut document = list(1);
    document["policies"] =
        json!([{"id": "sh-arrivals", "version": 3, "reason": "privilege-withdrawn"}]);
    let revoking = verified(&d.root, &document);
    assert_eq!(
        revoking.check(&d.policy).unwrap_err(),
        PolicyError::Revoked {
            id: "sh-arrivals".into(),
            version: 3,
            reason: "privilege-withdrawn"
        }
    );
    document["policies"] = json!([{"id": "sh-arrivals", "version": 2, "reason": "superseded"}]);
    assert_eq!(verified(&d.root, &document).check(&d.policy), Ok(()));
    assert!(d.anchors.find(d.root.key_id()).is_some());
}

#[test]
fn a_revoked_delegation_stops_every_policy_signed_under_it() {
    let d = delegated();
    let mut document = list(2);
    document["delegations"] =
        json!([{"subject_key": d.office.public_key_base64(), "reason": "key-compromise"}]);
    let error = verified(&d.root, &document).check(&d.policy).unwrap_err();
    assert_eq!(error.code(), "PolicyDelegationRevoked");
    assert_eq!(
        error,
        PolicyError::DelegationRevoked {
            subject_key_id: d.office.key_id().to_owned(),
            reason: "key-compromise"
        }
    );
}

#[test]
fn another_roots_list_revokes_nothing_of_this_root() {
    let d = delegated();
    let other_root = SigningKey::generate().unwrap();
    let mut document = list(9);
    document["delegations"] =
        json!([{"subject_key": d.office.public_key_base64(), "reason": "key-compromise"}]);
    document["policies"] = json!([{"id": "sh-arrivals", "version": 3, "reason": "superseded"}]);
    assert_eq!(verified(&other_root, &document).check(&d.policy), Ok(()));
}

#[test]
fn staleness_is_past_next_update() {
    let root = test_key();
    let list = verified(&root, &list(1));
    assert!(!list.is_stale(today() + Days::new(7)));
    assert!(list.is_stale(today() + Days::new(8)));
}

#[test]
fn every_reason_has_a_code_that_reads_back_and_both_labels() {
    for reason in REVOCATION_REASONS {
        assert_eq!(RevocationReason::from_code(reason.code()), Some(reason));
        let labels = reason.labels();
        assert!(labels.get("zh").is_some_and(|l| !l.is_empty()));
        assert!(labels.get("en").is_some_and(|l| !l.is_empty()));
    }
}

#[test]
fn the_longest_list_allowed_fits_what_a_device_reads_of_a_reply() {
    let root = test_key();
    let mut document = list(MAX_SEQUENCE);
    let longest_id = "s".repeat(crate::policy::limits::MAX_ID_LEN);
    document["delegations"] = Value::Array(
        (0..MAX_REVOKED_ENTRIES)
            .map(|n| {
                let mut key = [0u8; 32];
                key[..8].copy_from_slice(&(n as u64).to_be_bytes());
                json!({"subject_key": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, key),
                       "reason": "privilege-withdrawn"})
            })
            .collect(),
    );
    document["policies"] = Value::Array(
        (0..MAX_REVOKED_ENTRIES as u64)
            .map(|n| json!({"id": longest_id, "version": MAX_SEQUENCE - n, "reason": "privilege-withdrawn"}))
            .collect(),
    );
    let signed = sign(&root, &document);
    assert!(
        signed.len() <= crate::sync::wire::MAX_RESPONSE_BYTES,
        "{}",
        signed.len()
    );
    assert_eq!(
        verified(&root, &document).document().policies.len(),
        MAX_REVOKED_ENTRIES
    );
}
