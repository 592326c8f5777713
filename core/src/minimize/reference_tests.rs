//! Window transforms measured back from a `reference` date (`selfreport.policy/2`): the
//! arrival, not the day the pre-registration was filed.

use super::test_support::{PSEUDONYM, SUBMISSION_ID, date, example_policy, leg, profile, record};
use super::{MinimizeError, minimize, window_end};
use crate::model::FieldValue;
use crate::policy::{PolicyDocument, Transform};

/// The example policy with the arrival form's travel field reduced by `upload`.
fn with_travel_upload(upload: Transform) -> PolicyDocument {
    let mut policy = example_policy();
    let arrival = policy
        .forms
        .iter_mut()
        .find(|form| form.id == "arrival")
        .unwrap();
    let travel = arrival
        .fields
        .iter_mut()
        .find(|field| field.id == "travel")
        .unwrap();
    travel.upload = upload;
    policy
}

fn risk(reference: Option<&str>) -> Transform {
    Transform::RiskAreaVisited {
        areas: vec!["4201".into()],
        window_days: 14,
        reference: reference.map(str::to_owned),
    }
}

/// Filed on 28 November for an arrival on 3 December, after `legs`.
fn pre_registration(legs: Vec<crate::model::TravelLeg>) -> crate::model::Record {
    record(
        "arrival",
        "2026-11-28",
        vec![
            ("travel", FieldValue::TravelHistory(legs)),
            ("arrival_date", FieldValue::Date(date("2026-12-03"))),
        ],
    )
}

fn health_part(policy: &PolicyDocument, record: &crate::model::Record) -> String {
    minimize(policy, record, &profile(), PSEUDONYM, SUBMISSION_ID)
        .unwrap()
        .canonical_json("health")
        .unwrap()
}

#[test]
fn the_risk_window_counts_back_from_the_arrival_date() {
    // In Wuhan until 16 November: 17 days before arrival, but 12 before filing.
    let left_early = pre_registration(vec![leg("420106", "2026-11-10", "2026-11-16")]);
    let from_filing = health_part(&with_travel_upload(risk(None)), &left_early);
    assert!(from_filing.contains(r#""visited":true"#), "{from_filing}");
    let from_arrival = health_part(&with_travel_upload(risk(Some("arrival_date"))), &left_early);
    assert!(
        from_arrival.contains(r#""last_visit_week":null,"visited":false"#),
        "{from_arrival}"
    );

    // Still in Wuhan until the day before arrival: counted only from the arrival.
    let under_way = pre_registration(vec![leg("420106", "2026-11-29", "2026-12-02")]);
    let from_filing = health_part(&with_travel_upload(risk(None)), &under_way);
    assert!(from_filing.contains(r#""visited":false"#), "{from_filing}");
    let from_arrival = health_part(&with_travel_upload(risk(Some("arrival_date"))), &under_way);
    assert!(
        from_arrival.contains(r#""last_visit_week":"2026-W49","visited":true"#),
        "{from_arrival}"
    );
}

#[test]
fn a_window_of_legs_ends_on_the_arrival_date() {
    let window = |reference: Option<&str>| Transform::Window {
        days: 5,
        reference: reference.map(str::to_owned),
    };
    let legs = vec![
        leg("420106", "2026-11-20", "2026-11-22"),
        leg("310104", "2026-11-30", "2026-12-02"),
    ];
    let filed = pre_registration(legs);
    let from_arrival = health_part(&with_travel_upload(window(Some("arrival_date"))), &filed);
    assert!(
        from_arrival
            .contains(r#""travel":[{"from":"2026-11-30","place":"310104","to":"2026-12-02"}]"#),
        "{from_arrival}"
    );
    let from_filing = health_part(&with_travel_upload(window(None)), &filed);
    assert!(from_filing.contains(r#""travel":[]"#), "{from_filing}");
}

#[test]
fn a_record_without_its_reference_date_is_refused_not_measured_from_another_day() {
    let policy = with_travel_upload(risk(Some("arrival_date")));
    let travel = policy.forms[1].field("travel").unwrap().clone();
    let without = record(
        "arrival",
        "2026-11-28",
        vec![(
            "travel",
            FieldValue::TravelHistory(vec![leg("420106", "2026-11-20", "2026-11-22")]),
        )],
    );
    let expected = MinimizeError::MissingReference {
        field: "travel".into(),
        reference: "arrival_date".into(),
    };
    assert_eq!(window_end(&travel, &without), Err(expected.clone()));
    assert_eq!(
        minimize(&policy, &without, &profile(), PSEUDONYM, SUBMISSION_ID).unwrap_err(),
        expected
    );
    assert_eq!(
        window_end(&travel, &pre_registration(vec![])),
        Ok(date("2026-12-03"))
    );
}
