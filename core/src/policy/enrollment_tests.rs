//! Enrollment orders: read strictly, verified only under the key that signed their policy
//! and only inside what that policy (and so its delegation) allows.

use chrono::Days;
use serde_json::{Value, json};

use super::*;
use crate::crypto::signature::SigningKey;
use crate::policy::SignedPolicy;
use crate::policy::test_support::{
    anchor_for, delegation, policy_v2, signed_delegation, signed_under, test_key, today,
};

/// `sh-arrivals` as `/2` with its daily form open only to enrolled people.
fn policy_with_required_daily() -> Value {
    let mut policy = policy_v2();
    policy["forms"][0]["enrollment"] = json!("required");
    policy["forms"][1]["enrollment"] = json!("open");
    // Its health parts now carry the order's district.
    crate::policy::declare_minimum_padded_sizes(&mut policy).unwrap();
    policy
}

fn verified_root_signed(root: &SigningKey) -> VerifiedPolicy {
    let envelope = signed_under(root, &policy_with_required_daily(), &[]);
    SignedPolicy::parse(&envelope)
        .and_then(|signed| signed.verify(&anchor_for(root), today()))
        .expect("the policy verifies")
}

fn order(district: &str) -> Value {
    json!({
        "format": "selfreport.enrollment/1",
        "policy_id": "sh-arrivals",
        "monitoring": {"start": (today() - Days::new(2)).to_string(), "days": 14},
        "reason": "close_contact",
        "district": district,
        "forms": {"daily": {"per_day": 2}},
        "secret": "AAECAwQFBgcICQoLDA0ODw",
        "issued_at": "2026-11-26T08:00:00+08:00"
    })
}

fn signed_order(key: &SigningKey, order: &Value) -> Vec<u8> {
    sign_enrollment(key, &serde_json::to_vec(order).unwrap()).expect("a valid order")
}

fn verify(
    bytes: &[u8],
    policy: &VerifiedPolicy,
    anchors: &TrustAnchors,
) -> Result<EnrollmentOrder, PolicyError> {
    SignedEnrollment::parse(bytes)?.verify(policy, anchors, today())
}

#[test]
fn an_order_signed_by_the_policys_signer_verifies_and_names_no_person() {
    let root = test_key();
    let policy = verified_root_signed(&root);
    let order = verify(
        &signed_order(&root, &order("310101")),
        &policy,
        &anchor_for(&root),
    )
    .expect("the order verifies");
    assert_eq!(order.policy_id, "sh-arrivals");
    assert_eq!((order.days, order.reason), (14, OrderReason::CloseContact));
    assert_eq!(order.district, "310101");
    assert_eq!(order.forms.get("daily"), Some(&2));
    assert_eq!(order.secret.len(), 16);
    assert_eq!(order.last_day(), today() + Days::new(11));
    // The secret is never printed.
    assert!(!format!("{order:?}").contains("AAECAw"), "{order:?}");
}

#[test]
fn an_order_under_a_chain_is_signed_by_the_collector_and_stays_in_its_regions() {
    let root = test_key();
    let collector = test_key();
    let chain = vec![signed_delegation(&root, &delegation(&collector, 0))];
    let envelope = signed_under(&collector, &policy_with_required_daily(), &chain);
    let policy = SignedPolicy::parse(&envelope)
        .and_then(|signed| signed.verify(&anchor_for(&root), today()))
        .expect("the chained policy verifies");
    let anchors = anchor_for(&root);
    assert!(
        verify(
            &signed_order(&collector, &order("310101")),
            &policy,
            &anchors
        )
        .is_ok()
    );
    // The root did not sign this policy: its order is not the collector's word.
    let by_root = verify(&signed_order(&root, &order("310101")), &policy, &anchors);
    assert_eq!(by_root.unwrap_err().code(), "EnrollmentBadSignature");
    // Wuhan is outside the policy's (and the delegation's) Shanghai.
    let elsewhere = verify(
        &signed_order(&collector, &order("420106")),
        &policy,
        &anchors,
    );
    assert_eq!(elsewhere.unwrap_err().code(), "EnrollmentOutsidePolicy");
}

#[test]
fn orders_that_reach_beyond_their_policy_are_refused() {
    let root = test_key();
    let policy = verified_root_signed(&root);
    let anchors = anchor_for(&root);
    let refused = |change: &dyn Fn(&mut Value)| {
        let mut document = order("310101");
        change(&mut document);
        verify(&signed_order(&root, &document), &policy, &anchors)
            .unwrap_err()
            .code()
    };
    assert_eq!(
        refused(&|o| o["policy_id"] = json!("sh-other")),
        "EnrollmentOutsidePolicy"
    );
    assert_eq!(
        refused(&|o| o["forms"] = json!({"arrival": {"per_day": 1}})),
        "EnrollmentOutsidePolicy",
        "an open form needs no order"
    );
    assert_eq!(
        refused(&|o| o["forms"] = json!({"weekly": {"per_day": 1}})),
        "EnrollmentOutsidePolicy"
    );
    assert_eq!(
        refused(&|o| o["monitoring"]["days"] = json!(15)),
        "EnrollmentOutsidePolicy"
    );
    assert_eq!(
        refused(&|o| o["monitoring"]["start"] = json!((today() + Days::new(200)).to_string())),
        "EnrollmentOutsidePolicy"
    );
    assert_eq!(
        refused(&|o| o["issued_at"] = json!("2027-01-01T00:00:00Z")),
        "EnrollmentMalformed"
    );
}

#[test]
fn malformed_orders_are_refused_before_any_signature_check() {
    let root = test_key();
    let code = |change: &dyn Fn(&mut Value)| {
        let mut document = order("310101");
        change(&mut document);
        parse_enrollment_document(&serde_json::to_vec(&document).unwrap())
            .unwrap_err()
            .code()
    };
    assert_eq!(
        code(&|o| o["district"] = json!("310100")),
        "EnrollmentMalformed",
        "a city, not a county"
    );
    assert_eq!(
        code(&|o| o["secret"] = json!("AAECAwQFBgc")),
        "EnrollmentMalformed",
        "64 bits"
    );
    assert_eq!(
        code(&|o| o["reason"] = json!("curiosity")),
        "EnrollmentMalformed"
    );
    assert_eq!(code(&|o| o["forms"] = json!({})), "EnrollmentMalformed");
    assert_eq!(
        code(&|o| o["forms"]["daily"]["per_day"] = json!(0)),
        "EnrollmentMalformed"
    );
    assert_eq!(
        code(&|o| o["monitoring"]["days"] = json!(0)),
        "EnrollmentMalformed"
    );
    assert_eq!(
        code(&|o| o["name"] = json!("林晓雯")),
        "EnrollmentMalformed",
        "no room for a person"
    );
    assert_eq!(
        code(&|o| o["format"] = json!("selfreport.delegation/1")),
        "EnrollmentMalformed"
    );
    // A tampered payload no longer verifies; a policy's envelope is not an order.
    let policy = verified_root_signed(&root);
    let mut bytes = signed_order(&root, &order("310101"));
    let text = String::from_utf8(bytes.clone()).unwrap();
    let at = text.find("\"signature\":\"").unwrap() + 13;
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    assert_eq!(
        verify(&bytes, &policy, &anchor_for(&root))
            .unwrap_err()
            .code(),
        "EnrollmentBadSignature"
    );
    let policy_envelope = signed_under(&root, &policy_with_required_daily(), &[]);
    assert_eq!(
        SignedEnrollment::parse(&policy_envelope)
            .unwrap_err()
            .code(),
        "EnrollmentMalformed"
    );
    assert_eq!(
        SignedEnrollment::parse(b"not json").unwrap_err().code(),
        "EnrollmentMalformed"
    );
    assert_eq!(
        SignedEnrollment::parse(&vec![b' '; MAX_SIGNED_ENROLLMENT_BYTES + 1])
            .unwrap_err()
            .code(),
        "EnrollmentMalformed"
    );
}

#[test]
fn a_required_form_needs_a_monitoring_period_and_v1_has_no_enrollment() {
    let mut policy = policy_with_required_daily();
    policy["forms"][1]["enrollment"] = json!("required");
    let error =
        crate::policy::parse_policy_document(&serde_json::to_vec(&policy).unwrap()).unwrap_err();
    assert_eq!(error.code(), "PolicyBadSetting", "{error}");
    let mut v1 = crate::policy::test_support::test_policy_value("sh-x", 1, today());
    v1["forms"][0]["enrollment"] = json!("required");
    let error =
        crate::policy::parse_policy_document(&serde_json::to_vec(&v1).unwrap()).unwrap_err();
    assert!(error.to_string().contains("enrollment"), "{error}");
}
