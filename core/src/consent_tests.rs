//! Consent bound to what leaves, and the re-checks at every seal: issue 13's attacks of a
//! wider version sent under an older consent, and of an anchor removed from the app.

use std::sync::Arc;

use chrono::{DateTime, Days, FixedOffset};
use serde_json::{Value, json};

use super::*;
use crate::clock::FixedClock;
use crate::facade::{Options, SelfReport};
use crate::model::{Answers, NewProfile, ProfileId};
use crate::policy::test_support::{
    anchor_for, fake_key, signed, test_key, test_policy_value, today,
};
use crate::policy::{TrustAnchor, TrustAnchors};
use crate::store::test_support::key_source;

struct Setup {
    dir: tempfile::TempDir,
    core: SelfReport,
    clock: Arc<FixedClock>,
    key: crate::crypto::SigningKey,
    profile: ProfileId,
}

fn at(text: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(text).unwrap()
}

fn open(dir: &std::path::Path, anchors: TrustAnchors, clock: Arc<FixedClock>) -> SelfReport {
    let options = Options {
        trust_anchors: anchors,
        clock,
    };
    if SelfReport::exists(dir) {
        SelfReport::open(dir, &key_source(9), options).unwrap()
    } else {
        SelfReport::create(dir, &key_source(9), options).unwrap()
    }
}

fn version(number: u64, change: impl FnOnce(&mut Value)) -> String {
    let mut policy = test_policy_value("sh", number, today());
    change(&mut policy);
    serde_json::to_string(&policy).unwrap()
}

/// A core with policy `sh` v1 installed and consented to, and a profile monitored.
fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(at("2026-11-28T09:00:00+08:00")));
    let key = test_key();
    let core = open(dir.path(), anchor_for(&key), clock.clone());
    core.install_policy(&signed(&key, &version(1, |_| {})))
        .unwrap();
    core.grant_consent("sh").unwrap();
    let profile = core
        .add_profile(NewProfile {
            display_name: "Mum".into(),
            ..NewProfile::default()
        })
        .unwrap();
    core.start_monitoring(
        &profile,
        "sh",
        None,
        crate::model::MonitoringReason::SelfReported,
    )
    .unwrap();
    Setup {
        dir,
        core,
        clock,
        key,
        profile,
    }
}

fn report(s: &Setup) {
    s.core
        .save_record(
            &s.profile,
            "sh",
            "daily",
            None,
            Answers::new().text("temperature", "37.9"),
        )
        .unwrap();
}

fn last_event(s: &Setup) -> LedgerEvent {
    s.core.ledger().unwrap().pop().unwrap().1.event
}

#[test]
fn a_wider_version_seals_nothing_until_consent_is_given_again() {
    let s = setup();
    // The owner's own v2 keeps the district whole and adds the birth date as it is.
    let wider = version(2, |p| {
        p["forms"][0]["fields"][2]["upload"] = json!({"generalize": "district"});
        p["forms"][1]["fields"][3]["upload"] = json!("keep");
    });
    s.core.install_policy(&signed(&s.key, &wider)).unwrap();
    let status = s.core.consent_status("sh").unwrap();
    let ConsentStatus::Widened {
        consented_version: 1,
        version: 2,
        widened,
    } = &status
    else {
        panic!("{status:?}");
    };
    assert!(
        widened
            .iter()
            .any(|w| w.starts_with("field daily/district")),
        "{widened:?}"
    );
    assert!(
        widened
            .iter()
            .any(|w| w.starts_with("field arrival/birth_date")),
        "{widened:?}"
    );
    assert!(matches!(
        last_event(&s),
        LedgerEvent::ConsentNeeded { version: 2, .. }
    ));
    report(&s);
    assert!(s.core.seal_ready().unwrap().is_empty());
    assert!(s.core.outbox().unwrap().is_empty());
    // Consent given again, to v2: sealed.
    s.core.grant_consent("sh").unwrap();
    assert!(matches!(
        s.core.consent_status("sh").unwrap(),
        ConsentStatus::Granted {
            consented_version: 2,
            version: 2
        }
    ));
    assert_eq!(s.core.seal_ready().unwrap().len(), 1);
}

#[test]
fn a_narrower_version_keeps_sending_and_the_ledger_lists_rotated_keys() {
    let s = setup();
    let narrower = version(2, |p| {
        p["forms"][0]["fields"][1]["upload"] = json!("count");
        p["recipients"]["health"]["public_key"] = json!(fake_key(0x7a));
    });
    s.core.install_policy(&signed(&s.key, &narrower)).unwrap();
    assert!(matches!(
        s.core.consent_status("sh").unwrap(),
        ConsentStatus::Granted {
            consented_version: 1,
            version: 2
        }
    ));
    match last_event(&s) {
        LedgerEvent::ConsentCarriedOver {
            from_version: 1,
            to_version: 2,
            rotated,
            ..
        } => assert_eq!(rotated, ["recipient health key"]),
        other => panic!("{other:?}"),
    }
    report(&s);
    assert_eq!(s.core.seal_ready().unwrap().len(), 1);
    // v3 back to v1's disclosure: still within what was consented to (v1).
    s.core
        .install_policy(&signed(&s.key, &version(3, |_| {})))
        .unwrap();
    assert!(s.core.has_consent("sh").unwrap());
}

#[test]
fn removing_the_anchor_stops_the_next_seal() {
    let s = setup();
    report(&s);
    let Setup {
        dir, core, clock, ..
    } = s;
    drop(core);
    let other: TrustAnchors = TrustAnchor::new(test_key().public_key()).into();
    let reopened = open(dir.path(), other, clock);
    assert!(reopened.usable_policy("sh").unwrap().is_none());
    assert!(reopened.seal_ready().unwrap().is_empty());
    assert!(reopened.outbox().unwrap().is_empty());
}

#[test]
fn a_delegation_past_its_window_stops_the_next_seal() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(at("2026-11-28T09:00:00+08:00")));
    let root = test_key();
    let office = test_key();
    let delegation = json!({
        "format": "selfreport.delegation/1",
        "subject": {"public_key": office.public_key_base64()},
        "valid_from": (today() - Days::new(1)).to_string(),
        "valid_until": (today() + Days::new(1)).to_string(),
        "constraints": {"namespace": "sh", "purposes": ["epidemic-control"], "regions": ["310000"],
            "max_device_days": 28, "max_server_days": 28, "endpoint_hosts": ["report.example.org"],
            "kinds": {"temperature_c": "threshold", "multi_choice": "keep", "district": "generalize:city",
                      "person_name": "keep", "resident_id": "keep", "phone": "pseudonym", "date": "keep",
                      "travel_history": "risk_area_visited", "integer": "round", "yes_no": "keep"},
            "depth": 0}
    });
    let link =
        crate::policy::sign_delegation(&root, &serde_json::to_vec(&delegation).unwrap()).unwrap();
    let mut policy = test_policy_value("sh", 1, today());
    policy["format"] = json!("selfreport.policy/2");
    policy["region"] = json!(["310000"]);
    policy["recipients"]["health"]["role"] = json!("health");
    policy["recipients"]["identity"]["role"] = json!("identity");
    policy["valid_from"] = json!((today() - Days::new(1)).to_string());
    policy["valid_until"] = json!((today() + Days::new(1)).to_string());
    crate::policy::declare_minimum_padded_sizes(&mut policy).unwrap();
    let envelope = crate::policy::sign_policy_with_chain(
        &office,
        &serde_json::to_vec(&policy).unwrap(),
        &[link],
        None,
    )
    .unwrap();
    let core = open(dir.path(), anchor_for(&root), clock.clone());
    core.install_policy(&envelope).unwrap();
    core.grant_consent("sh").unwrap();
    assert!(core.usable_policy("sh").unwrap().is_some());
    clock.advance_days(2);
    assert!(core.usable_policy("sh").unwrap().is_none());
}

#[test]
fn a_consent_from_before_binding_is_bound_to_the_version_it_was_given_for() {
    let s = setup();
    // As a store written before consent carried a scope would hold it.
    s.core
        .store()
        .set_consent(
            &crate::store::Consent {
                policy_id: "sh".into(),
                granted: true,
                at: crate::clock::Clock::now(s.clock.as_ref()),
                scope: None,
            },
            |_| LedgerEntry {
                at: "2026-11-28T09:00:00+08:00".into(),
                event: LedgerEvent::ConsentGranted {
                    policy_id: "sh".into(),
                    purpose: "epidemic-control".into(),
                    version: None,
                    disclosure_sha256: None,
                },
            },
        )
        .unwrap();
    assert!(s.core.has_consent("sh").unwrap());
    let wider = version(2, |p| p["forms"][0]["fields"][0]["upload"] = json!("keep"));
    s.core.install_policy(&signed(&s.key, &wider)).unwrap();
    assert!(!s.core.has_consent("sh").unwrap());
    let consent = s.core.store().consent("sh").unwrap().unwrap();
    assert_eq!(consent.scope.map(|scope| scope.version), Some(1));
}

/// The chain is verified once a day, but consent is read at every check: withdrawing it
/// stops the very next seal, and a new version is verified anew.
#[test]
fn the_daily_recheck_never_outlives_consent_or_a_new_version() {
    let s = setup();
    assert!(s.core.usable_policy("sh").unwrap().is_some());
    s.core.withdraw_consent("sh").unwrap();
    assert!(s.core.usable_policy("sh").unwrap().is_none());
    s.core.grant_consent("sh").unwrap();
    assert!(s.core.usable_policy("sh").unwrap().is_some());
    let narrower = version(2, |p| p["forms"][0]["fields"][1]["upload"] = json!("count"));
    s.core.install_policy(&signed(&s.key, &narrower)).unwrap();
    let usable = s.core.usable_policy("sh").unwrap().unwrap();
    assert_eq!(usable.version(), 2);
    let verified = s.core.verified_on.lock().unwrap().get("sh").copied();
    assert_eq!(
        verified.map(|(digest, _)| digest),
        Some(crate::crypto::sha256(usable.envelope_bytes()))
    );
}
