//! A traveler's arrival: it starts monitoring, and daily reports before it are refused.

use chrono::NaiveDate;

use crate::error::Error;
use crate::facade::tests::{Setup, setup as facade_setup};
use crate::model::{Answers, MonitoringReason, NewProfile, ProfileId, Rule};

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// On 28 November (the test policy `sh`: a daily form requiring 14-day monitoring, and
/// an arrival registration with `arrival_date`), the facade tests' store and profile.
fn setup() -> Setup {
    facade_setup("2026-11-28T09:00:00+08:00")
}

fn register(s: &Setup, arrival: &str) -> crate::store::SavedRecord {
    s.core
        .save_record(
            &s.profile,
            "sh",
            "arrival",
            None,
            Answers::new()
                .text("travel", "420106:2026-11-20:2026-11-30")
                .text("arrival_date", arrival),
        )
        .unwrap()
}

fn daily(
    s: &Setup,
    profile: &ProfileId,
    day: &str,
) -> crate::error::Result<crate::store::SavedRecord> {
    s.core.save_record(
        profile,
        "sh",
        "daily",
        Some(date(day)),
        Answers::new().text("temperature", "36.6"),
    )
}

#[test]
fn saving_a_pre_registration_starts_monitoring_from_the_arrival_date() {
    let s = setup();
    let saved = register(&s, "2026-12-03");
    let period = saved.monitoring_started.expect("a period started");
    assert_eq!(period.start, date("2026-12-03"));
    assert_eq!(period.days, 14);
    assert_eq!(period.reason, MonitoringReason::Arrival);
    assert_eq!(period.profile_id, s.profile);
    assert_eq!(
        s.core.monitoring_periods().unwrap(),
        std::slice::from_ref(&period)
    );
    // Nothing daily is owed before arrival; on the day it is, day 1 of 14.
    let daily_owed = |day: &str| {
        s.core
            .due(Some(date(day)))
            .unwrap()
            .into_iter()
            .filter_map(|item| item.period_day())
            .collect::<Vec<_>>()
    };
    assert_eq!(daily_owed("2026-12-02"), []);
    assert_eq!(daily_owed("2026-12-03"), [(1, 14)]);
    // Saving it again (amended before sending) starts nothing more.
    assert_eq!(register(&s, "2026-12-03").monitoring_started, None);
    assert_eq!(s.core.monitoring_periods().unwrap().len(), 1);
    assert_eq!(
        s.core
            .arrival_date(&s.profile, s.core.policy("sh").unwrap().document())
            .unwrap(),
        Some(date("2026-12-03"))
    );
}

#[test]
fn a_period_that_already_shares_a_day_with_it_is_kept() {
    let s = setup();
    let own = s
        .core
        .start_monitoring(&s.profile, "sh", None, MonitoringReason::SelfReported)
        .unwrap();
    assert_eq!(register(&s, "2026-12-03").monitoring_started, None);
    assert_eq!(s.core.monitoring_periods().unwrap(), [own]);
}

#[test]
fn a_daily_report_dated_before_arrival_is_refused() {
    let s = setup();
    register(&s, "2026-12-03");
    s.clock.advance_days(6); // 4 December
    match daily(&s, &s.profile, "2026-12-02").unwrap_err() {
        Error::Invalid(error) => {
            assert_eq!(error.field, "date");
            assert_eq!(error.rule, Rule::BeforeArrival);
        }
        other => panic!("expected BeforeArrival, got {other:?}"),
    }
    assert!(daily(&s, &s.profile, "2026-12-03").is_ok());
    // Someone else of the household, who registered no arrival, reports as before.
    let mum = s
        .core
        .add_profile(NewProfile {
            display_name: "Mum".into(),
            ..NewProfile::default()
        })
        .unwrap();
    assert!(daily(&s, &mum, "2026-12-02").is_ok());
    // The latest registration counts: an arrival moved earlier allows the day.
    s.clock.advance_days(-6);
    register(&s, "2026-12-01");
    s.clock.advance_days(6);
    assert!(daily(&s, &s.profile, "2026-12-02").is_ok());
}

#[test]
fn checking_answers_reports_a_day_before_arrival_without_saving() {
    let s = setup();
    register(&s, "2026-12-03");
    s.clock.advance_days(6); // 4 December
    let check = |day: &str, temperature: &str| {
        s.core
            .check_answers(
                &s.profile,
                "sh",
                "daily",
                Some(date(day)),
                Answers::new().text("temperature", temperature),
            )
            .unwrap()
            .into_iter()
            .map(|problem| (problem.field, problem.rule.code()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        check("2026-12-02", "45"),
        [
            ("date".to_owned(), "BeforeArrival"),
            ("temperature".to_owned(), "OutOfRange"),
        ]
    );
    assert_eq!(check("2026-12-03", "36.6"), []);
    // Nothing was saved by checking.
    assert_eq!(s.core.records().unwrap().records.len(), 1);
    // The call's own mistakes are errors, not problems.
    assert!(matches!(
        s.core
            .check_answers(&s.profile, "sh", "weekly", None, Answers::new()),
        Err(Error::NotFound { what: "form", .. })
    ));
}
