//! The strict check of `window` legs, with and without a `reference` date (`/2`).

use selfreport_core::policy::FieldSource;
use serde_json::json;

use super::*;

fn trips(reference: Option<&str>) -> FieldSpec {
    FieldSpec {
        id: "travel".into(),
        kind: FieldKind::TravelHistory,
        required: true,
        source: FieldSource::Answer,
        upload: Transform::Window {
            days: 14,
            reference: reference.map(str::to_owned),
        },
        to: Some("health".into()),
        label: Default::default(),
    }
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// Legs of a trip under way on 28 November (the record date), arriving 3 December.
fn legs() -> Value {
    json!([
        {"from": "2026-11-20", "place": "420106", "to": "2026-11-29"},
        {"from": "2026-11-29", "place": "310104", "to": "2026-12-02"},
    ])
}

fn checked(spec: &FieldSpec, fields: &Map<String, Value>) -> Result<(), String> {
    let dates = PartDates {
        date: day("2026-11-28"),
        today: day("2026-11-29"),
        fields,
        planned_arrival: None,
    };
    check_transformed(spec, &fields["travel"], &dates)
}

fn part(arrival: Option<&str>, legs: Value) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("travel".into(), legs);
    if let Some(arrival) = arrival {
        fields.insert("arrival_date".into(), json!(arrival));
    }
    fields
}

#[test]
fn legs_up_to_the_arrival_pass_a_window_measured_back_from_it() {
    let spec = trips(Some("arrival_date"));
    assert_eq!(checked(&spec, &part(Some("2026-12-03"), legs())), Ok(()));
    // The same legs, measured back from the record date, are in the future.
    let error = checked(&trips(None), &part(Some("2026-12-03"), legs())).unwrap_err();
    assert!(error.contains("after today"), "{error}");
}

#[test]
fn a_leg_outside_the_window_before_the_arrival_is_flagged() {
    let spec = trips(Some("arrival_date"));
    let early = json!([{"from": "2026-11-01", "place": "420106", "to": "2026-11-05"}]);
    let error = checked(&spec, &part(Some("2026-12-03"), early)).unwrap_err();
    assert!(error.contains("outside the 14-day window"), "{error}");
}

#[test]
fn without_the_reference_date_in_the_part_the_legs_must_fit_one_window() {
    let spec = trips(Some("arrival_date"));
    assert_eq!(checked(&spec, &part(None, legs())), Ok(()));
    // A coarsened reference is not a day: the same check as when it is absent.
    assert_eq!(checked(&spec, &part(Some("2026-W49"), legs())), Ok(()));
    let apart = json!([
        {"from": "2026-10-01", "place": "420106", "to": "2026-10-02"},
        {"from": "2026-11-29", "place": "310104", "to": "2026-12-02"},
    ]);
    let error = checked(&spec, &part(None, apart)).unwrap_err();
    assert!(error.contains("outside the 14-day window"), "{error}");
}

#[test]
fn a_plain_window_of_a_form_with_an_arrival_takes_legs_up_to_it() {
    // A `/1` window ending on the record date keeps a leg that overlaps it and ends
    // after it: a trip under way, allowed up to the planned arrival.
    let under_way = json!([{"from": "2026-11-20", "place": "420106", "to": "2026-12-01"}]);
    let fields = part(Some("2026-12-03"), under_way);
    let dates = |planned_arrival| PartDates {
        date: day("2026-11-28"),
        today: day("2026-11-29"),
        fields: &fields,
        planned_arrival,
    };
    let spec = trips(None);
    let up_to_arrival = dates(Some(day("2026-12-03")));
    assert_eq!(
        check_transformed(&spec, &fields["travel"], &up_to_arrival),
        Ok(())
    );
    let before_arrival = dates(Some(day("2026-11-30")));
    let error = check_transformed(&spec, &fields["travel"], &before_arrival).unwrap_err();
    assert!(error.contains("arrival"), "{error}");
    // The arrival read from the part, for a form that has one.
    let form = Form {
        id: "arrival".into(),
        once_per: selfreport_core::policy::OncePer::Registration,
        requires_monitoring: false,
        enrollment: Default::default(),
        title: Default::default(),
        fields: vec![FieldSpec {
            id: "arrival_date".into(),
            kind: FieldKind::Date { allow_future: true },
            upload: Transform::Keep,
            ..trips(None)
        }],
        padded_bytes: Default::default(),
    };
    assert_eq!(planned_arrival(&form, &fields), Some(day("2026-12-03")));
    assert_eq!(
        planned_arrival(&form, &part(None, legs())),
        Some(NaiveDate::MAX)
    );
    let no_arrival = Form {
        fields: vec![trips(None)],
        ..form
    };
    assert_eq!(planned_arrival(&no_arrival, &fields), None);
}
