//! Issue 13's revocation attacks: a revoked delegation or policy version stops the next
//! seal and send, drops what was queued under it and tells the person why; lists only
//! move forward.

use std::sync::Arc;

use chrono::{DateTime, Days};
use serde_json::{Value, json};

use super::*;
use crate::clock::FixedClock;
use crate::crypto::SigningKey;
use crate::facade::{Options, SelfReport};
use crate::model::{Answers, MonitoringReason, NewProfile, ProfileId};
use crate::policy::revocation::REVOCATIONS_FORMAT;
use crate::policy::test_support::{
    anchor_for, delegation, policy_v2, signed, signed_delegation, signed_under, test_key,
    test_policy_value, today,
};
use crate::policy::{TrustAnchors, sign_revocations};
use crate::store::test_support::key_source;

struct Setup {
    _dir: tempfile::TempDir,
    core: SelfReport,
    root: SigningKey,
    office: SigningKey,
    profile: ProfileId,
}

/// `sh-arrivals` signed by an office the root delegated to, and `sh` signed by the root
/// itself; both consented to, a profile monitored under both.
fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(
        DateTime::parse_from_rfc3339("2026-11-28T09:00:00+08:00").unwrap(),
    ));
    let root = test_key();
    let office = test_key();
    let anchors: TrustAnchors = anchor_for(&root);
    let core = SelfReport::create(
        dir.path(),
        &key_source(3),
        Options {
            trust_anchors: anchors,
            clock,
        },
    )
    .unwrap();
    let link = signed_delegation(&root, &delegation(&office, 0));
    core.install_policy(&signed_under(&office, &policy_v2(), &[link]))
        .unwrap();
    core.install_policy(&signed(&root, &root_policy(1)))
        .unwrap();
    let profile = core
        .add_profile(NewProfile {
            display_name: "Mum".into(),
            ..NewProfile::default()
        })
        .unwrap();
    for policy in ["sh-arrivals", "sh"] {
        core.grant_consent(policy).unwrap();
        core.start_monitoring(&profile, policy, None, MonitoringReason::SelfReported)
            .unwrap();
    }
    Setup {
        _dir: dir,
        core,
        root,
        office,
        profile,
    }
}

fn root_policy(version: u64) -> String {
    serde_json::to_string(&test_policy_value("sh", version, today())).unwrap()
}

fn report(s: &Setup, policy: &str) {
    s.core
        .save_record(
            &s.profile,
            policy,
            "daily",
            None,
            Answers::new().text("temperature", "37.9"),
        )
        .unwrap();
}

fn list(sequence: u64, change: impl FnOnce(&mut Value)) -> Value {
    let mut list = json!({
        "format": REVOCATIONS_FORMAT,
        "sequence": sequence,
        "issued_at": today().to_string(),
        "next_update": (today() + Days::new(7)).to_string(),
    });
    change(&mut list);
    list
}

fn signed_list(key: &SigningKey, document: &Value) -> Vec<u8> {
    sign_revocations(key, &serde_json::to_vec(document).unwrap()).unwrap()
}

fn pending(s: &Setup, policy: &str) -> usize {
    s.core
        .outbox()
        .unwrap()
        .iter()
        .filter(|item| {
            item.payload.policy_id == policy && item.state == crate::store::OutboxItemState::Pending
        })
        .count()
}

#[test]
fn a_revoked_delegation_stops_the_next_seal_and_send_and_says_why() {
    let s = setup();
    report(&s, "sh-arrivals");
    report(&s, "sh");
    assert_eq!(s.core.seal_ready().unwrap().len(), 2);
    let revoking = list(1, |l| {
        l["delegations"] = json!([{"subject_key": s.office.public_key_base64(),
                                   "reason": "key-compromise"}]);
    });
    let update = s
        .core
        .install_revocations(&signed_list(&s.root, &revoking))
        .unwrap();
    assert!(update.changed);
    assert_eq!(update.revoked_policies, ["sh-arrivals"]);
    assert_eq!(update.dropped, 1);
    // The queued submission under the revoked delegation can never be sent; the root's
    // own policy is untouched.
    assert_eq!(pending(&s, "sh-arrivals"), 0);
    assert_eq!(pending(&s, "sh"), 1);
    assert!(s.core.usable_policy("sh-arrivals").unwrap().is_none());
    assert!(s.core.usable_policy("sh").unwrap().is_some());
    report(&s, "sh-arrivals");
    assert!(s.core.seal_ready().unwrap().is_empty());
    match s.core.revocation_status("sh-arrivals").unwrap() {
        RevocationStatus::DelegationRevoked {
            subject_key_id,
            reason: RevocationReason::KeyCompromise,
            list,
        } => {
            assert_eq!(subject_key_id, s.office.key_id());
            assert_eq!(list.sequence, 1);
        }
        other => panic!("{other:?}"),
    }
    assert!(!s.core.revocation_status("sh").unwrap().is_revoked());
    let events: Vec<_> = s
        .core
        .ledger()
        .unwrap()
        .into_iter()
        .map(|e| e.1.event)
        .collect();
    assert!(events.iter().any(|event| matches!(
        event,
        LedgerEvent::SubmissionDropped { policy_id, reason, .. }
            if policy_id == "sh-arrivals" && reason.contains("key-compromise")
    )));
    assert!(matches!(
        events.last(),
        Some(LedgerEvent::PolicyRevoked { policy_id, version: 3, reason, sequence: 1, dropped: 1, .. })
            if policy_id == "sh-arrivals" && reason == "key-compromise"
    ));
    assert!(s.core.verify_ledger().unwrap().is_valid());
}

#[test]
fn a_revoked_version_stops_until_the_owner_installs_another() {
    let s = setup();
    report(&s, "sh");
    assert_eq!(s.core.seal_ready().unwrap().len(), 1);
    let revoking = list(1, |l| {
        l["policies"] = json!([{"id": "sh", "version": 1, "reason": "privilege-withdrawn"},
                               {"id": "sh", "version": 3, "reason": "privilege-withdrawn"}]);
    });
    let update = s
        .core
        .install_revocations(&signed_list(&s.root, &revoking))
        .unwrap();
    assert_eq!((update.revoked_policies.len(), update.dropped), (1, 1));
    assert!(matches!(
        s.core.revocation_status("sh").unwrap(),
        RevocationStatus::VersionRevoked {
            version: 1,
            reason: RevocationReason::PrivilegeWithdrawn,
            ..
        }
    ));
    report(&s, "sh");
    assert!(s.core.seal_ready().unwrap().is_empty());
    // A revoked version cannot be installed at all.
    let refused = s
        .core
        .install_policy(&signed(&s.root, &root_policy(3)))
        .unwrap_err();
    assert_eq!(refused.code(), "PolicyRevoked");
    // The owner's next version is not revoked: the record saved meanwhile is sealed.
    s.core
        .install_policy(&signed(&s.root, &root_policy(2)))
        .unwrap();
    assert!(!s.core.revocation_status("sh").unwrap().is_revoked());
    assert_eq!(s.core.seal_ready().unwrap().len(), 1);
}

#[test]
fn lists_only_move_forward() {
    let s = setup();
    let second = signed_list(&s.root, &list(2, |_| {}));
    s.core.install_revocations(&second).unwrap();
    // The same list again changes nothing.
    let again = s.core.install_revocations(&second).unwrap();
    assert!(!again.changed);
    // An older list (the one from before a revocation, replayed) is refused.
    let older = signed_list(&s.root, &list(1, |_| {}));
    assert_eq!(
        s.core.install_revocations(&older).unwrap_err().code(),
        "PolicyRevocationsStale"
    );
    // Another list under the held number: the root equivocated.
    let other = signed_list(
        &s.root,
        &list(2, |l| {
            l["policies"] = json!([{"id": "sh", "version": 1, "reason": "superseded"}])
        }),
    );
    assert_eq!(
        s.core.install_revocations(&other).unwrap_err().code(),
        "PolicyRevocationsConflict"
    );
    assert!(s.core.usable_policy("sh").unwrap().is_some());
    let held = s.core.revocation_lists().unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].sequence, 2);
    assert!(!held[0].stale);
}

#[test]
fn a_list_from_a_key_that_is_not_a_root_is_refused_and_changes_nothing() {
    let s = setup();
    // The office is trusted only through its delegation: it is no root.
    let revoking = list(1, |l| {
        l["policies"] = json!([{"id": "sh", "version": 1, "reason": "superseded"}]);
    });
    assert_eq!(
        s.core
            .install_revocations(&signed_list(&s.office, &revoking))
            .unwrap_err()
            .code(),
        "PolicyUnknownKey"
    );
    assert!(s.core.revocation_lists().unwrap().is_empty());
    assert!(s.core.usable_policy("sh").unwrap().is_some());
}
