//! Profiles edited and removed, monitoring periods ended and corrected (issue 18): each
//! change keeps the store's guarantees — validated like new input, sealed, nothing of a
//! removed profile left in the files, nothing sent removed from under the ledger.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate};

use crate::clock::FixedClock;
use crate::error::Error;
use crate::facade::{Options, SelfReport};
use crate::model::{Answers, MonitoringReason, NewProfile, ProfileId};
use crate::policy::test_support::{anchor_for, signed, test_key, test_policy_json, today};
use crate::store::OutboxState;
use crate::store::test_support::key_source;

struct Setup {
    dir: tempfile::TempDir,
    core: SelfReport,
    clock: Arc<FixedClock>,
    mum: ProfileId,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(
        DateTime::parse_from_rfc3339("2026-11-28T09:00:00+08:00").unwrap(),
    ));
    let key = test_key();
    let options = Options {
        trust_anchors: anchor_for(&key),
        clock: clock.clone(),
    };
    let core = SelfReport::create(dir.path(), &key_source(3), options).unwrap();
    core.install_policy(&signed(&key, &test_policy_json("sh", 1, today())))
        .unwrap();
    let mum = core
        .add_profile(NewProfile {
            display_name: "Mum".into(),
            name: Some("王秀英".into()),
            ..NewProfile::default()
        })
        .unwrap();
    Setup {
        dir,
        core,
        clock,
        mum,
    }
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn daily(core: &SelfReport, profile: &ProfileId) -> crate::store::SavedRecord {
    core.save_record(
        profile,
        "sh",
        "daily",
        None,
        Answers::new().text("temperature", "36.6"),
    )
    .unwrap()
}

/// Every byte of every store file, concatenated.
fn file_bytes(core: &SelfReport) -> Vec<u8> {
    core.store_files()
        .iter()
        .filter_map(|path| std::fs::read(path).ok())
        .flatten()
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// The sealed bytes of a row, straight from the database.
fn sealed_row(core: &SelfReport, table: &str, id: &str) -> Vec<u8> {
    core.store()
        .lock()
        .conn
        .query_row(
            &format!("SELECT sealed FROM {table} WHERE id = ?1"),
            [id],
            |row| row.get(0),
        )
        .unwrap()
}

#[test]
fn an_edit_keeps_the_id_validates_and_replaces_the_attributes() {
    let s = setup();
    let before = sealed_row(&s.core, "profiles", s.mum.as_str());
    let edited = s
        .core
        .update_profile(
            &s.mum,
            NewProfile {
                display_name: "Mother".into(),
                name: Some("王秀英".into()),
                birth_date: Some(date("1950-03-01")),
                ..NewProfile::default()
            },
        )
        .unwrap();
    assert_eq!(edited.id, s.mum);
    // Read back (not from the memo of opened rows): the new attributes.
    let stored = s.core.profiles().unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].display_name, "Mother");
    assert_eq!(stored[0].birth_date, Some(date("1950-03-01")));
    assert_eq!(s.core.store().profile(&s.mum).unwrap(), edited);
    // The replaced ciphertext is gone from the files.
    assert!(!contains(&file_bytes(&s.core), &before[..32]));

    // Invalid attributes are refused like a new profile's, and change nothing.
    let error = s
        .core
        .update_profile(
            &s.mum,
            NewProfile {
                display_name: "Mother".into(),
                phone: Some("12".into()),
                ..NewProfile::default()
            },
        )
        .unwrap_err();
    assert_eq!(error.code(), "InvalidInput");
    assert_eq!(s.core.profiles().unwrap()[0], edited);
    let unknown = ProfileId::from_random_bytes([9; 16]);
    assert!(matches!(
        s.core.update_profile(
            &unknown,
            NewProfile {
                display_name: "X".into(),
                ..NewProfile::default()
            }
        ),
        Err(Error::NotFound {
            what: "profile",
            ..
        })
    ));
}

#[test]
fn removing_a_profile_deletes_its_unsent_records_and_periods_and_leaves_no_copy() {
    let s = setup();
    let dad = s
        .core
        .add_profile(NewProfile {
            display_name: "Dad".into(),
            ..NewProfile::default()
        })
        .unwrap();
    s.core
        .start_monitoring(&s.mum, "sh", None, MonitoringReason::SelfReported)
        .unwrap();
    s.core
        .start_monitoring(&dad, "sh", None, MonitoringReason::SelfReported)
        .unwrap();
    let mums = daily(&s.core, &s.mum);
    let dads = daily(&s.core, &dad);
    s.core.store().pseudonym(&s.mum, "sh").unwrap();
    let profile_row = sealed_row(&s.core, "profiles", s.mum.as_str());
    let record_row = sealed_row(&s.core, "records", mums.id.as_str());

    let removed = s.core.remove_profile(&s.mum).unwrap();
    assert_eq!((removed.records, removed.monitoring_periods), (1, 1));
    let profiles = s.core.profiles().unwrap();
    assert_eq!(profiles.len(), 1);
    assert_eq!(profiles[0].id, dad);
    assert!(matches!(
        s.core.store().profile(&s.mum),
        Err(Error::NotFound { .. })
    ));
    // Dad's record and period stay; nothing of Mum's is listed, or left in the files.
    let records = s.core.records().unwrap().records;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].record.id, dads.id);
    let periods = s.core.monitoring_periods().unwrap();
    assert_eq!(periods.len(), 1);
    assert_eq!(periods[0].profile_id, dad);
    let pseudonyms: i64 = s
        .core
        .store()
        .lock()
        .conn
        .query_row("SELECT COUNT(*) FROM pseudonyms", [], |row| row.get(0))
        .unwrap();
    assert_eq!(pseudonyms, 0);
    let files = file_bytes(&s.core);
    assert!(!contains(&files, &profile_row[..32]));
    assert!(!contains(&files, &record_row[..32]));
    // A second removal finds nothing.
    assert!(matches!(
        s.core.remove_profile(&s.mum),
        Err(Error::NotFound {
            what: "profile",
            ..
        })
    ));
    drop(s.dir);
}

#[test]
fn a_profile_with_a_report_sent_is_not_removed() {
    let s = setup();
    let sent = daily(&s.core, &s.mum);
    s.core
        .store()
        .set_record_state(&sent.id, OutboxState::Sent)
        .unwrap();
    let error = s.core.remove_profile(&s.mum).unwrap_err();
    assert!(matches!(error, Error::Conflict(_)), "{error:?}");
    assert!(error.to_string().contains("purge"), "{error}");
    assert_eq!(s.core.profiles().unwrap().len(), 1);
    assert_eq!(s.core.records().unwrap().records.len(), 1);
}

#[test]
fn a_period_ends_early_and_nothing_is_due_after_it() {
    let s = setup();
    let period = s
        .core
        .start_monitoring(
            &s.mum,
            "sh",
            Some(date("2026-11-20")),
            MonitoringReason::Contact,
        )
        .unwrap();
    assert_eq!(period.last_day(), date("2026-12-03"));
    let ended = s.core.end_monitoring(&period.id, None).unwrap();
    assert_eq!(ended.last_day(), date("2026-11-28"));
    assert_eq!(ended.days, 9);
    assert_eq!(
        s.core.monitoring_periods().unwrap(),
        std::slice::from_ref(&ended)
    );
    assert_eq!(
        s.core.due(None).unwrap().len(),
        1,
        "today is still its last day"
    );
    s.clock.advance_days(1);
    assert!(s.core.due(None).unwrap().is_empty());

    // Ending never lengthens, and never precedes the start.
    for (day, expected) in [
        ("2026-12-10", "already ends"),
        ("2026-11-19", "cannot end before"),
    ] {
        let error = s
            .core
            .end_monitoring(&period.id, Some(date(day)))
            .unwrap_err();
        assert!(error.to_string().contains(expected), "{day}: {error}");
    }
    // The period was sealed again under its new retention epoch and still opens.
    assert_eq!(s.core.monitoring_period(&period.id).unwrap(), ended);
}

#[test]
fn a_period_is_corrected_unless_it_would_overlap_another() {
    let s = setup();
    let first = s
        .core
        .start_monitoring(
            &s.mum,
            "sh",
            Some(date("2026-11-01")),
            MonitoringReason::Arrival,
        )
        .unwrap();
    let corrected = s
        .core
        .correct_monitoring(
            &first.id,
            Some(date("2026-11-02")),
            Some(MonitoringReason::SelfReported),
        )
        .unwrap();
    assert_eq!(corrected.start, date("2026-11-02"));
    assert_eq!(corrected.days, first.days);
    assert_eq!(corrected.reason, MonitoringReason::SelfReported);
    assert_eq!(s.core.monitoring_period(&first.id).unwrap(), corrected);

    let second = s
        .core
        .start_monitoring(
            &s.mum,
            "sh",
            Some(date("2026-11-20")),
            MonitoringReason::SelfReported,
        )
        .unwrap();
    let error = s
        .core
        .correct_monitoring(&second.id, Some(date("2026-11-10")), None)
        .unwrap_err();
    assert!(matches!(error, Error::Conflict(_)), "{error:?}");
    assert_eq!(s.core.monitoring_period(&second.id).unwrap(), second);
    let unknown = crate::model::MonitoringId::from_random_bytes([1; 16]);
    assert!(matches!(
        s.core.end_monitoring(&unknown, None),
        Err(Error::NotFound { .. })
    ));
}
