//! The header keys a submission carries besides its fields: `monitoring_district` in the
//! health parts of a form filed under enrollment orders, `notice_key` in the identity parts
//! of a policy with access notices.

use super::test_support::*;
use super::*;
use crate::model::FieldValue;
use crate::notice::NoticeKey;
use crate::policy::{FormEnrollment, PolicyDocument, PolicyFormat, RecipientRole};

/// The example policy as a `/2` one: roles, the arrival form filed under orders, notices.
fn ordered_policy() -> PolicyDocument {
    let mut policy = example_policy();
    policy.format = PolicyFormat::V2;
    policy.access_notices = true;
    for (name, recipient) in &mut policy.recipients {
        recipient.role = Some(if name == "identity" {
            RecipientRole::Identity
        } else {
            RecipientRole::Health
        });
    }
    for form in &mut policy.forms {
        if form.id == "arrival" {
            form.requires_monitoring = true;
            form.enrollment = FormEnrollment::Required;
        }
    }
    policy
}

fn arrival() -> crate::model::Record {
    record(
        "arrival",
        "2026-11-28",
        vec![("arrival_date", FieldValue::Date(date("2026-11-27")))],
    )
}

fn key() -> NoticeKey {
    NoticeKey::from_hex(&"ab".repeat(32)).unwrap()
}

fn carried() -> Carried {
    Carried {
        monitoring_district: Some("310104".to_owned()),
        notice_key: Some(key()),
    }
}

#[test]
fn each_key_goes_only_into_the_parts_that_carry_it() {
    let policy = ordered_policy();
    let disclosure = minimize_carrying(
        &policy,
        &arrival(),
        &profile(),
        PSEUDONYM,
        SUBMISSION_ID,
        carried(),
    )
    .unwrap();
    let health = disclosure.canonical_json("health").unwrap();
    let identity = disclosure.canonical_json("identity").unwrap();
    assert!(
        health.contains(
            r#""format":"selfreport.submission/1","monitoring_district":"310104","policy_id":"sh""#
        ),
        "{health}"
    );
    assert!(!health.contains("notice_key"));
    assert!(!identity.contains("monitoring_district"), "{identity}");
    assert!(
        identity.contains(&format!(
            r#""format":"selfreport.submission/1","notice_key":"{}","policy_id":"sh""#,
            "ab".repeat(32)
        )),
        "{identity}"
    );
    // Padded to the same fixed sizes as before: the keys only use room the bound holds.
    for recipient in ["health", "identity"] {
        let plaintext = disclosure.plaintext(recipient).unwrap();
        assert_eq!(
            plaintext.len(),
            padded_size(&policy, "arrival", recipient).unwrap()
        );
    }
}

#[test]
fn a_form_open_to_anyone_carries_no_district() {
    let policy = ordered_policy();
    let daily = record(
        "daily",
        "2026-11-28",
        vec![(
            "symptoms",
            FieldValue::MultiChoice(vec!["cough".to_owned()]),
        )],
    );
    let disclosure = minimize_carrying(
        &policy,
        &daily,
        &profile(),
        PSEUDONYM,
        SUBMISSION_ID,
        carried(),
    )
    .unwrap();
    assert!(
        !disclosure
            .canonical_json("health")
            .unwrap()
            .contains("monitoring_district")
    );
}

#[test]
fn a_missing_or_malformed_key_is_refused() {
    let policy = ordered_policy();
    let without_district = Carried {
        monitoring_district: None,
        notice_key: Some(key()),
    };
    let city = Carried {
        monitoring_district: Some("310100".to_owned()),
        notice_key: Some(key()),
    };
    let without_key = Carried {
        monitoring_district: Some("310104".to_owned()),
        notice_key: None,
    };
    for (carried, key) in [
        (without_district, "monitoring_district"),
        (city, "monitoring_district"),
        (without_key, "notice_key"),
    ] {
        let error = minimize_carrying(
            &policy,
            &arrival(),
            &profile(),
            PSEUDONYM,
            SUBMISSION_ID,
            carried,
        )
        .unwrap_err();
        assert_eq!(error, MinimizeError::MissingHeader { key });
    }
}

#[test]
fn cover_traffic_carries_neither_key() {
    let policy = ordered_policy();
    let dummy = Disclosure::dummy(
        &policy,
        "arrival",
        date("2026-11-28"),
        SUBMISSION_ID,
        PSEUDONYM,
    )
    .unwrap();
    for recipient in ["health", "identity"] {
        let json = dummy.canonical_json(recipient).unwrap();
        assert!(!json.contains("monitoring_district") && !json.contains("notice_key"));
    }
}

#[test]
fn the_size_bound_counts_the_carried_keys() {
    let plain = example_policy();
    let ordered = ordered_policy();
    let bound = |policy: &PolicyDocument, recipient: &str| {
        let form = policy.form("arrival").unwrap();
        padding::max_canonical_len(policy, form, recipient).unwrap()
    };
    // `,"monitoring_district":"310104"` and `,"notice_key":"<64 hex>"`.
    assert_eq!(bound(&ordered, "health"), bound(&plain, "health") + 31);
    assert_eq!(bound(&ordered, "identity"), bound(&plain, "identity") + 80);
}
