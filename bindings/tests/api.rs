//! The API an app builds its screens on (issue 17, item 3): forms described for a UI,
//! answers checked without saving, typed dates and ids, profiles edited and deleted,
//! monitoring periods ended, and the export with its ledger and outbox.

mod support;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Duration;
use selfreport_ffi::forms::{PlaceLevel, Reduction};
use selfreport_ffi::ids::{ProfileId, RecordId};
use selfreport_ffi::types::{FieldKind, MonitoringReason, NewProfile, PolicyInfo};
use selfreport_ffi::{SelfReport, SelfReportError, passphrase_key_source};
use support::{Fixture, block_on};

struct Opened {
    _fixture: Fixture,
    _dir: tempfile::TempDir,
    core: Arc<SelfReport>,
    policy: PolicyInfo,
    profile: ProfileId,
}

fn opened() -> Opened {
    let fixture = Fixture::make();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let key = passphrase_key_source("correct horse battery staple".to_owned(), 1000);
    let core = block_on(SelfReport::open(
        dir.path().join("store").display().to_string(),
        key,
        fixture.options(),
    ))
    .expect("open");
    let policy = core
        .install_policy(fixture.signed_policy())
        .expect("install");
    let profile = core
        .add_profile(new_profile("+8613800138000"))
        .expect("profile");
    Opened {
        _fixture: fixture,
        _dir: dir,
        core,
        policy,
        profile,
    }
}

fn new_profile(phone: &str) -> NewProfile {
    NewProfile {
        display_name: "Mum".to_owned(),
        name: Some("王芳".to_owned()),
        id_number: None,
        phone: Some(phone.to_owned()),
        birth_date: None,
        passport_number: None,
    }
}

fn answers(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(field, text)| ((*field).to_owned(), (*text).to_owned()))
        .collect()
}

fn valid() -> HashMap<String, String> {
    answers(&[
        ("temperature", "36.8"),
        ("symptoms", ""),
        ("district", "310104"),
        ("contact_with_case", "no"),
    ])
}

#[test]
fn a_form_is_described_with_what_leaves_and_how() {
    let o = opened();
    let form = o
        .policy
        .forms
        .iter()
        .find(|form| form.id == "daily")
        .expect("the daily form");
    let field = |id: &str| {
        form.fields
            .iter()
            .find(|field| field.id == id)
            .unwrap_or_else(|| panic!("field {id}"))
    };
    let temperature = field("temperature");
    assert_eq!(temperature.kind, FieldKind::TemperatureC);
    assert_eq!(temperature.reduction, Reduction::Threshold { at: 37.3 });
    assert_eq!(temperature.recipient.as_deref(), Some("health"));
    assert!(temperature.required && !temperature.from_profile);
    assert!(temperature.label.contains_key("zh") && temperature.label.contains_key("en"));
    assert_eq!(
        field("district").reduction,
        Reduction::Generalize {
            level: PlaceLevel::City
        }
    );
    assert_eq!(field("notes").reduction, Reduction::Omit);
    assert!(field("name").from_profile);
    assert!(
        matches!(field("symptoms").kind, FieldKind::MultiChoice { ref codes } if !codes.is_empty())
    );
}

#[test]
fn answers_are_checked_field_by_field_without_saving() {
    let o = opened();
    let check = |answers: HashMap<String, String>, date| {
        o.core
            .check_answers(
                o.profile.clone(),
                o.policy.id.clone(),
                "daily".to_owned(),
                date,
                answers,
            )
            .expect("checked")
    };
    assert_eq!(check(valid(), None), []);
    let tomorrow = o.core.today().expect("today") + Duration::days(1);
    let problems = check(
        answers(&[
            ("temperature", "45"),
            ("symptoms", "sneezing"),
            ("contact_with_case", "no"),
        ]),
        Some(tomorrow),
    );
    let summary: Vec<(&str, &str)> = problems
        .iter()
        .map(|problem| (problem.field.as_str(), problem.rule.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("date", "FutureDate"),
            ("symptoms", "UnknownCode"),
            ("temperature", "OutOfRange"),
        ]
    );
    let temperature = &problems[2];
    assert_eq!(
        (temperature.min.as_deref(), temperature.max.as_deref()),
        (Some("34.0"), Some("43.0"))
    );
    assert!(
        problems[1].allowed.contains(&"cough".to_owned()),
        "{problems:?}"
    );
    // Nothing was saved.
    assert!(
        block_on(o.core.records())
            .expect("records")
            .records
            .is_empty()
    );
    // The call's own faults are errors.
    match o.core.check_answers(
        ProfileId {
            value: "0".repeat(32),
        },
        o.policy.id.clone(),
        "daily".to_owned(),
        None,
        valid(),
    ) {
        Err(SelfReportError::NotFound { .. }) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[test]
fn dates_and_ids_cross_as_types() {
    let o = opened();
    let today = o.core.today().expect("today");
    let yesterday = today - Duration::days(1);
    let saved = o
        .core
        .save_record(
            o.profile.clone(),
            o.policy.id.clone(),
            "daily".to_owned(),
            Some(yesterday),
            valid(),
        )
        .expect("saved");
    let record = o.core.record(saved.id.clone()).expect("record");
    assert_eq!(record.date, yesterday);
    assert_eq!(record.profile_id, o.profile);
    assert_eq!(record.id, saved.id);
    // An id of another kind is refused by its form or not found, never confused.
    match o.core.record(RecordId {
        value: "not an id".to_owned(),
    }) {
        Err(SelfReportError::InvalidInput { field, .. }) => {
            assert_eq!(field.as_deref(), Some("record_id"));
        }
        other => panic!("expected InvalidInput, got {other:?}"),
    }
    match o.core.record(RecordId {
        value: o.profile.value.clone(),
    }) {
        Err(SelfReportError::NotFound { .. }) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
    let due = o.core.due(Some(today)).expect("due");
    assert!(
        due.iter()
            .all(|item| item.date == today && item.profile_id == o.profile)
    );
}

#[test]
fn a_profile_is_updated_and_deleted_with_its_records_and_periods() {
    let o = opened();
    let updated = o
        .core
        .update_profile(o.profile.clone(), new_profile("+8613900139000"))
        .expect("updated");
    assert_eq!(updated.id, o.profile);
    assert_eq!(updated.phone.as_deref(), Some("+8613900139000"));
    match o
        .core
        .update_profile(o.profile.clone(), new_profile("13900139000"))
    {
        Err(SelfReportError::InvalidInput { field, .. }) => {
            assert_eq!(field.as_deref(), Some("phone"));
        }
        other => panic!("expected InvalidInput, got {other:?}"),
    }
    let kept = o.core.profiles().expect("profiles");
    assert_eq!(kept[0].phone.as_deref(), Some("+8613900139000"));

    o.core
        .start_monitoring(
            o.profile.clone(),
            o.policy.id.clone(),
            None,
            MonitoringReason::SelfReported,
        )
        .expect("monitoring");
    o.core
        .save_record(
            o.profile.clone(),
            o.policy.id.clone(),
            "daily".to_owned(),
            None,
            valid(),
        )
        .expect("saved");
    let removal = o.core.delete_profile(o.profile.clone()).expect("deleted");
    assert_eq!((removal.records, removal.monitoring_periods), (1, 1));
    assert!(o.core.profiles().expect("profiles").is_empty());
    assert!(
        block_on(o.core.records())
            .expect("records")
            .records
            .is_empty()
    );
    assert!(o.core.monitoring_periods().expect("periods").is_empty());
    match o.core.delete_profile(o.profile.clone()) {
        Err(SelfReportError::NotFound { .. }) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[test]
fn a_monitoring_period_ends_early_and_never_lengthens() {
    let o = opened();
    let today = o.core.today().expect("today");
    let period = o
        .core
        .start_monitoring(
            o.profile.clone(),
            o.policy.id.clone(),
            Some(today - Duration::days(3)),
            MonitoringReason::Contact,
        )
        .expect("monitoring");
    assert_eq!(period.days, 14);
    let ended = o
        .core
        .end_monitoring(period.id.clone(), Some(today - Duration::days(1)))
        .expect("ended");
    assert_eq!((ended.id.clone(), ended.days), (period.id.clone(), 3));
    assert_eq!(o.core.monitoring_periods().expect("periods"), [ended]);
    match o
        .core
        .end_monitoring(period.id, Some(today + Duration::days(5)))
    {
        Err(SelfReportError::Conflict { .. }) => {}
        other => panic!("expected Conflict, got {other:?}"),
    }
}

#[test]
fn the_export_holds_the_ledger_and_the_outbox() {
    let o = opened();
    o.core.grant_consent(o.policy.id.clone()).expect("consent");
    let export: serde_json::Value =
        serde_json::from_str(&block_on(o.core.export()).expect("export")).expect("JSON");
    let ledger = export["ledger"].as_array().expect("a ledger");
    assert_eq!(ledger.len(), 1, "{ledger:?}");
    assert!(export["outbox"].as_array().expect("an outbox").is_empty());
}

#[test]
fn an_enrollment_order_opens_the_form_only_enrolled_people_file() {
    let fixture = Fixture::make();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let key = passphrase_key_source("correct horse battery staple".to_owned(), 1000);
    let core = block_on(SelfReport::open(
        dir.path().join("store").display().to_string(),
        key,
        fixture.options(),
    ))
    .expect("open");
    let policy = core
        .install_policy(fixture.file("enrollment_policy"))
        .expect("install");
    let profile = core
        .add_profile(new_profile("+8613800138000"))
        .expect("profile");
    let daily = || {
        core.save_record(
            profile.clone(),
            policy.id.clone(),
            "daily".to_owned(),
            None,
            answers(&[("temperature", "36.8"), ("symptoms", "")]),
        )
    };
    match daily() {
        Err(SelfReportError::InvalidInput { field, rule, .. }) => {
            assert_eq!(
                (field.as_deref(), rule.as_deref()),
                (Some("date"), Some("NotEnrolled"))
            );
        }
        other => panic!("expected NotEnrolled, got {other:?}"),
    }
    match core.enroll(profile.clone(), fixture.file("untrusted_enrollment_order")) {
        Err(SelfReportError::PolicyRefused { code, .. }) => {
            assert_eq!(code, "EnrollmentBadSignature");
        }
        other => panic!("expected EnrollmentBadSignature, got {other:?}"),
    }
    assert!(core.monitoring_periods().expect("periods").is_empty());
    let period = core
        .enroll(profile.clone(), fixture.file("enrollment_order"))
        .expect("enrolled");
    assert_eq!(period.ordered_district.as_deref(), Some("310101"));
    assert_eq!(period.profile_id, profile);
    assert!(daily().is_ok());
    match core.end_monitoring(period.id, None) {
        Err(SelfReportError::Conflict { .. }) => {}
        other => panic!("expected Conflict, got {other:?}"),
    }
}
