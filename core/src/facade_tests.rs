//! Tests of the facade: records, days, due, policies.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset};

use super::*;
use crate::clock::FixedClock;
use crate::model::{Owed, Rule};
use crate::policy::PolicyError;
use crate::policy::test_support::{anchor_for, signed, test_key, test_policy_json, today};
use crate::store::OutboxState;
use crate::store::test_support::key_source;

/// A store trusting one key, with the test policy `sh` installed and one profile, at a
/// fixed time (shared with the arrival tests).
pub(crate) struct Setup {
    _dir: tempfile::TempDir,
    pub(crate) core: SelfReport,
    pub(crate) clock: Arc<FixedClock>,
    pub(crate) key: crate::crypto::SigningKey,
    pub(crate) profile: ProfileId,
}

fn at(text: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(text).unwrap()
}

pub(crate) fn setup(now: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(at(now)));
    let key = test_key();
    let options = Options {
        trust_anchors: anchor_for(&key),
        clock: clock.clone(),
    };
    let core = SelfReport::create(dir.path(), &key_source(9), options).unwrap();
    core.install_policy(&signed(&key, &test_policy_json("sh", 1, today())))
        .unwrap();
    let profile = core
        .add_profile(NewProfile {
            display_name: "Grandpa".into(),
            name: Some("王建国".into()),
            ..NewProfile::default()
        })
        .unwrap();
    Setup {
        _dir: dir,
        core,
        clock,
        key,
        profile,
    }
}

fn daily(temperature: &str) -> Answers {
    Answers::new().text("temperature", temperature)
}

#[test]
fn a_second_save_the_same_day_amends_until_sent_then_adds_a_revision() {
    let s = setup("2026-11-28T09:00:00+08:00");
    let first = s
        .core
        .save_record(&s.profile, "sh", "daily", None, daily("36.6"))
        .unwrap();
    assert!(!first.amended);
    let second = s
        .core
        .save_record(&s.profile, "sh", "daily", None, daily("36.9"))
        .unwrap();
    assert!(second.amended);
    assert_eq!(second.id, first.id);
    assert_eq!(s.core.records().unwrap().records.len(), 1);
    let stored = s.core.record(&first.id).unwrap();
    assert_eq!(
        stored.record.value("temperature").unwrap().to_string(),
        "36.9"
    );

    s.core
        .store()
        .set_record_state(&first.id, OutboxState::Sent)
        .unwrap();
    let third = s
        .core
        .save_record(&s.profile, "sh", "daily", None, daily("37.1"))
        .unwrap();
    assert!(!third.amended);
    assert_ne!(third.id, first.id);
    assert_eq!(third.revision, 2);
    let amendment = s.core.record(&third.id).unwrap().record;
    assert_eq!(amendment.amends, Some(first.id.clone()));
    // The sent record is untouched.
    let sent = s.core.record(&first.id).unwrap();
    assert_eq!(sent.state, OutboxState::Sent);
    assert_eq!(
        sent.record.value("temperature").unwrap().to_string(),
        "36.9"
    );
}

#[test]
fn the_day_of_a_record_is_the_local_day_across_midnight() {
    // 23:59 in Shanghai (15:59 UTC) and two minutes later (00:01, the next local day,
    // still the same UTC day) are two different daily records.
    let s = setup("2026-11-28T23:59:00+08:00");
    let late = s
        .core
        .save_record(&s.profile, "sh", "daily", None, daily("36.6"))
        .unwrap();
    s.clock.set(at("2026-11-29T00:01:00+08:00"));
    let early = s
        .core
        .save_record(&s.profile, "sh", "daily", None, daily("36.7"))
        .unwrap();
    assert!(!early.amended);
    assert_ne!(late.id, early.id);
    let dates: Vec<_> = s
        .core
        .records()
        .unwrap()
        .records
        .iter()
        .map(|stored| stored.record.date.to_string())
        .collect();
    assert_eq!(dates, ["2026-11-28", "2026-11-29"]);
    // West of UTC the same instant is still the 28th: the record amends the 28th's.
    s.clock.set(at("2026-11-28T11:01:00-05:00"));
    assert_eq!(s.core.today().to_string(), "2026-11-28");
    let west = s
        .core
        .save_record(&s.profile, "sh", "daily", None, daily("36.8"))
        .unwrap();
    assert!(west.amended);
    assert_eq!(west.id, late.id);
}

#[test]
fn a_record_dated_tomorrow_is_refused() {
    let s = setup("2026-11-28T23:59:00+08:00");
    let tomorrow = "2026-11-29".parse().unwrap();
    let error = s
        .core
        .save_record(&s.profile, "sh", "daily", Some(tomorrow), daily("36.6"))
        .unwrap_err();
    match error {
        Error::Invalid(invalid) => assert_eq!(invalid.rule, Rule::FutureDate),
        other => panic!("expected FutureDate, got {other:?}"),
    }
}

/// The daily items of `due` (the test policy's arrival registration is owed too).
fn daily_due(core: &SelfReport, today: Option<NaiveDate>) -> Vec<DueItem> {
    core.due(today)
        .unwrap()
        .into_iter()
        .filter(|item| item.period_day().is_some())
        .collect()
}

#[test]
fn due_lists_the_daily_form_until_it_is_filed_and_only_within_the_period() {
    let s = setup("2026-11-28T08:00:00+08:00");
    assert!(
        daily_due(&s.core, None).is_empty(),
        "no monitoring period yet"
    );
    let period = s
        .core
        .start_monitoring(&s.profile, "sh", None, MonitoringReason::Arrival)
        .unwrap();
    assert_eq!(period.days, 14);
    let due = daily_due(&s.core, None);
    assert_eq!(due.len(), 1);
    assert_eq!(
        (due[0].form_id.as_str(), due[0].period_day()),
        ("daily", Some((1, 14)))
    );
    s.core
        .save_record(&s.profile, "sh", "daily", None, daily("36.6"))
        .unwrap();
    assert!(daily_due(&s.core, None).is_empty());
    // Next local day it is due again; after the 14th day it is not.
    s.clock.advance_days(1);
    assert_eq!(daily_due(&s.core, None)[0].period_day(), Some((2, 14)));
    let after = period.last_day().succ_opt().unwrap();
    assert!(daily_due(&s.core, Some(after)).is_empty());
    // An overlapping period for the same policy is refused.
    assert!(matches!(
        s.core
            .start_monitoring(&s.profile, "sh", None, MonitoringReason::SelfReported),
        Err(Error::Conflict(_))
    ));
}

/// Issue 13's first attack: a second trusted key signs version 5 of an installed id
/// with its own endpoint and recipients. It is refused as not the owner's, and the
/// installed version stays.
#[test]
fn a_second_trusted_keys_version_of_an_installed_id_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let owner = test_key();
    let other = test_key();
    let anchors: crate::policy::TrustAnchors = [
        crate::policy::TrustAnchor::new(owner.public_key()),
        crate::policy::TrustAnchor::new(other.public_key()),
    ]
    .into_iter()
    .collect();
    let options = Options {
        trust_anchors: anchors,
        clock: Arc::new(FixedClock::new(at("2026-11-28T08:00:00+08:00"))),
    };
    let core = SelfReport::create(dir.path(), &key_source(9), options).unwrap();
    core.install_policy(&signed(
        &owner,
        &test_policy_json("sh-arrivals", 1, today()),
    ))
    .unwrap();
    let mut hijack = crate::policy::test_support::test_policy_value("sh-arrivals", 5, today());
    hijack["endpoint"]["url"] = serde_json::json!("https://collector.example.net/v1");
    let hijack = signed(&other, &serde_json::to_string(&hijack).unwrap());
    assert!(matches!(
        core.install_policy(&hijack),
        Err(Error::Policy(PolicyError::NotOwner { .. }))
    ));
    let installed = core.policy("sh-arrivals").unwrap();
    assert_eq!(installed.version(), 1);
    assert_eq!(installed.root_key_id(), owner.key_id());
    // The owner's own next version still installs.
    core.install_policy(&signed(
        &owner,
        &test_policy_json("sh-arrivals", 2, today()),
    ))
    .unwrap();
}

/// A `/1` policy and a `/2` policy installed side by side, both usable.
#[test]
fn v1_and_v2_policies_install_side_by_side() {
    let s = setup("2026-11-28T08:00:00+08:00");
    let mut v2 = crate::policy::test_support::test_policy_value("sh-v2", 1, today());
    v2["format"] = serde_json::json!("selfreport.policy/2");
    v2["region"] = serde_json::json!(["310000"]);
    v2["recipients"]["health"]["role"] = serde_json::json!("health");
    v2["recipients"]["identity"]["role"] = serde_json::json!("identity");
    crate::policy::declare_minimum_padded_sizes(&mut v2).unwrap();
    s.core
        .install_policy(&signed(&s.key, &serde_json::to_string(&v2).unwrap()))
        .unwrap();
    let formats: Vec<_> = ["sh", "sh-v2"]
        .iter()
        .map(|id| s.core.policy(id).unwrap().document().format)
        .collect();
    assert_eq!(
        formats,
        [
            crate::policy::PolicyFormat::V1,
            crate::policy::PolicyFormat::V2
        ]
    );
    assert_eq!(s.core.policies().unwrap().len(), 2);
    // Both take a record.
    for id in ["sh", "sh-v2"] {
        s.core
            .start_monitoring(&s.profile, id, None, MonitoringReason::SelfReported)
            .unwrap();
        s.core
            .save_record(&s.profile, id, "daily", None, daily("36.6"))
            .unwrap();
    }
}

#[test]
fn a_refused_update_leaves_the_installed_policy_untouched() {
    let s = setup("2026-11-28T08:00:00+08:00");
    let rollback = signed(&s.key, &test_policy_json("sh", 1, today()));
    assert!(matches!(
        s.core.install_policy(&rollback),
        Err(Error::Policy(PolicyError::Rollback { .. }))
    ));
    let mut tampered = signed(&s.key, &test_policy_json("sh", 2, today()));
    let middle = tampered.len() / 2;
    tampered[middle] ^= 0x01;
    assert!(matches!(
        s.core.install_policy(&tampered),
        Err(Error::Policy(_))
    ));
    let policies = s.core.policies().unwrap();
    assert_eq!(policies.len(), 1);
    assert_eq!(policies[0].version, 1);
    let update = s
        .core
        .install_policy(&signed(&s.key, &test_policy_json("sh", 2, today())))
        .unwrap();
    assert_eq!(update.version, 2);
    assert_eq!(s.core.policy("sh").unwrap().version(), 2);
}

#[test]
fn unknown_form_and_profile_fields_are_typed_errors() {
    let s = setup("2026-11-28T08:00:00+08:00");
    assert!(matches!(
        s.core
            .save_record(&s.profile, "sh", "nope", None, daily("36.6")),
        Err(Error::NotFound { what: "form", .. })
    ));
    let error = s
        .core
        .save_record(
            &s.profile,
            "sh",
            "daily",
            None,
            daily("36.6").text("shoe_size", "42"),
        )
        .unwrap_err();
    assert_eq!(error.code(), "InvalidInput");
    let error = s
        .core
        .save_record(&s.profile, "sh", "daily", None, daily("45.0"))
        .unwrap_err();
    assert!(error.to_string().contains("temperature"), "{error}");
}

#[test]
fn debug_output_never_shows_what_a_person_typed() {
    let s = setup("2026-11-28T08:00:00+08:00");
    let saved = s
        .core
        .save_record(&s.profile, "sh", "daily", None, daily("38.9"))
        .unwrap();
    let profile = format!("{:?}", s.core.profiles().unwrap());
    let record = format!("{:?}", s.core.record(&saved.id).unwrap());
    let answers = format!("{:?}", daily("38.9"));
    for printed in [&profile, &record, &answers] {
        assert!(
            !printed.contains("王建国") && !printed.contains("38.9"),
            "{printed}"
        );
    }
    assert!(profile.contains("name"), "{profile}");
    // Random ids may contain any digits; the value itself is redacted.
    assert!(record.contains("<redacted>"), "{record}");
}

#[test]
fn export_holds_everything_decrypted() {
    let s = setup("2026-11-28T08:00:00+08:00");
    s.core
        .save_record(&s.profile, "sh", "daily", None, daily("36.6"))
        .unwrap();
    let export = serde_json::to_value(s.core.export().unwrap()).unwrap();
    assert_eq!(export["format"], "selfreport.export/1");
    assert_eq!(export["profiles"][0]["name"], "王建国");
    assert_eq!(export["policies"][0]["id"], "sh");
    assert_eq!(export["records"].as_array().unwrap().len(), 1);
    assert_eq!(export["outbox"], serde_json::json!([]));
}

#[test]
fn export_lists_the_outbox_without_sealed_bytes_or_deletion_tokens() {
    let s = setup("2026-11-28T08:00:00+08:00");
    let saved = s
        .core
        .save_record(&s.profile, "sh", "daily", None, daily("36.6"))
        .unwrap();
    s.core.grant_consent("sh").unwrap();
    let queued = s.core.seal_ready().unwrap();
    assert_eq!(queued.len(), 1);
    let item = s.core.store().outbox().unwrap().remove(0);
    let body = item.payload.body.clone().unwrap();
    let token = item.payload.deletion_token.clone();
    let export = serde_json::to_value(s.core.export().unwrap()).unwrap();
    let outbox = export["outbox"].as_array().unwrap();
    assert_eq!(outbox.len(), 1);
    let exported = &outbox[0];
    assert_eq!(
        exported["submission_id"],
        item.payload.submission_id.as_str()
    );
    assert_eq!(exported["record_id"], saved.id.as_str());
    assert_eq!(exported["state"], "pending");
    assert_eq!(exported["policy_id"], "sh");
    assert_eq!(exported["attempts"], 0);
    let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &body).unwrap();
    assert_eq!(
        exported["body_sha256"],
        crate::hex::hex(&crate::crypto::sha256(&bytes)).as_str()
    );
    assert!(!exported["fields"].as_array().unwrap().is_empty());
    let text = export.to_string();
    assert!(
        !text.contains(&body) && !text.contains(&token),
        "{exported}"
    );
}

#[test]
fn a_pre_registration_is_due_from_when_it_is_saved_until_it_is_sent() {
    let s = setup("2026-11-28T08:00:00+08:00");
    let registration = |profile: &ProfileId| DueItem {
        profile_id: profile.clone(),
        policy_id: "sh".into(),
        form_id: "arrival".into(),
        date: "2026-11-28".parse().unwrap(),
        owed: Owed::Registration,
    };
    // Not filled in: nobody is known to travel, nothing is owed.
    assert_eq!(s.core.due(None).unwrap(), []);
    // Saved (and later queued) but not delivered: owed.
    let saved = s
        .core
        .save_record(
            &s.profile,
            "sh",
            "arrival",
            None,
            Answers::new().text("arrival_date", "2026-12-03"),
        )
        .unwrap();
    assert_eq!(s.core.due(None).unwrap(), [registration(&s.profile)]);
    s.core
        .store()
        .set_record_state(&saved.id, OutboxState::Queued)
        .unwrap();
    assert_eq!(s.core.due(None).unwrap(), [registration(&s.profile)]);
    let json = serde_json::to_value(&s.core.due(None).unwrap()[0]).unwrap();
    assert_eq!(json["owed"], "registration");
    assert_eq!(json["form_id"], "arrival");
    // Outside the policy's validity nothing is owed.
    let document = s.core.policy("sh").unwrap();
    let after_validity = document.document().valid_until.succ_opt().unwrap();
    assert_eq!(s.core.due(Some(after_validity)).unwrap(), []);
    // Sent: no longer owed.
    s.core
        .store()
        .set_record_state(&saved.id, OutboxState::Sent)
        .unwrap();
    assert_eq!(s.core.due(None).unwrap(), []);
}
