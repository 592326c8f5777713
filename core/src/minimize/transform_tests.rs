//! Tests of the transforms, one behaviour each.

use super::super::test_support::{PSEUDONYM, codes, date, field, leg};
use super::*;
use crate::model::Temperature;

const TODAY: &str = "2026-11-28";

fn spec(kind: FieldKind, upload: Transform) -> FieldSpec {
    field("f", kind, upload, Some("health"))
}

/// The canonical JSON of `value` under `upload` for a record dated `on`.
fn disclosed_on(kind: FieldKind, upload: Transform, value: FieldValue, on: &str) -> String {
    apply(&spec(kind, upload), &value, date(on), PSEUDONYM)
        .unwrap()
        .expect("uploaded")
        .canonical_json()
}

fn disclosed(kind: FieldKind, upload: Transform, value: FieldValue) -> String {
    disclosed_on(kind, upload, value, TODAY)
}

fn failure(kind: FieldKind, upload: Transform, value: FieldValue) -> MinimizeError {
    apply(&spec(kind, upload), &value, date(TODAY), PSEUDONYM).unwrap_err()
}

fn temperature(tenths: i32) -> FieldValue {
    FieldValue::Temperature(Temperature::from_tenths(tenths))
}

fn integer_kind() -> FieldKind {
    FieldKind::Integer {
        min: -1000,
        max: 1000,
    }
}

fn a_date() -> FieldKind {
    FieldKind::Date {
        allow_future: false,
    }
}

fn symptoms() -> FieldKind {
    FieldKind::MultiChoice {
        codes: codes(&["cough", "fatigue", "dyspnea"]),
    }
}

fn travel_value() -> FieldValue {
    FieldValue::TravelHistory(vec![
        leg("420106", "2026-11-01", "2026-11-13"),
        leg("310104", "2026-11-10", "2026-11-14"),
        leg("110105", "2026-11-20", "2026-11-22"),
    ])
}

#[test]
fn keep_gives_the_natural_json_of_every_kind() {
    let cases = [
        (FieldKind::YesNo, FieldValue::YesNo(true), "true"),
        (FieldKind::YesNo, FieldValue::YesNo(false), "false"),
        (
            FieldKind::Choice {
                codes: codes(&["home", "hotel"]),
            },
            FieldValue::Choice("hotel".into()),
            r#""hotel""#,
        ),
        (
            symptoms(),
            FieldValue::MultiChoice(vec!["dyspnea".into(), "cough".into()]),
            r#"["cough","dyspnea"]"#,
        ),
        (symptoms(), FieldValue::MultiChoice(vec![]), "[]"),
        (FieldKind::TemperatureC, temperature(373), "37.3"),
        (FieldKind::TemperatureC, temperature(370), "37.0"),
        (integer_kind(), FieldValue::Integer(-42), "-42"),
        (
            a_date(),
            FieldValue::Date(date("2026-11-05")),
            r#""2026-11-05""#,
        ),
        (
            FieldKind::District,
            FieldValue::District("420106".into()),
            r#""420106""#,
        ),
        (
            FieldKind::TravelHistory,
            FieldValue::TravelHistory(vec![leg("420106", "2026-11-01", "2026-11-03")]),
            r#"[{"from":"2026-11-01","place":"420106","to":"2026-11-03"}]"#,
        ),
        (
            FieldKind::TravelHistory,
            FieldValue::TravelHistory(vec![]),
            "[]",
        ),
        (
            FieldKind::PersonName,
            FieldValue::PersonName("张三".into()),
            r#""张三""#,
        ),
        (
            FieldKind::ResidentId,
            FieldValue::ResidentId("11010519491231002X".into()),
            r#""11010519491231002X""#,
        ),
        (
            FieldKind::PassportNumber,
            FieldValue::PassportNumber("E12345678".into()),
            r#""E12345678""#,
        ),
        (
            FieldKind::Phone,
            FieldValue::Phone("+8613800138000".into()),
            r#""+8613800138000""#,
        ),
        (
            FieldKind::TransportNumber,
            FieldValue::TransportNumber("MU5101".into()),
            r#""MU5101""#,
        ),
        (
            FieldKind::Text { max_len: 50 },
            FieldValue::Text("line \"one\"\nline two".into()),
            r#""line \"one\"\nline two""#,
        ),
    ];
    for (kind, value, expected) in cases {
        assert_eq!(disclosed(kind, Transform::Keep, value), expected);
    }
}

#[test]
fn omit_discloses_nothing_for_every_kind() {
    let cases = [
        (FieldKind::TemperatureC, temperature(373)),
        (
            FieldKind::Text { max_len: 10 },
            FieldValue::Text("x".into()),
        ),
        (FieldKind::PersonName, FieldValue::PersonName("张三".into())),
        (FieldKind::TravelHistory, travel_value()),
    ];
    for (kind, value) in cases {
        let omitted = field("f", kind, Transform::Omit, None);
        assert_eq!(apply(&omitted, &value, date(TODAY), PSEUDONYM), Ok(None));
    }
}

#[test]
fn round_temperatures_in_tenths_halves_up() {
    let half = Transform::Round { step: 0.5 };
    let whole = Transform::Round { step: 1.0 };
    let fifth = Transform::Round { step: 0.2 };
    let cases = [
        (&half, 373, "37.5"),
        (&half, 372, "37.0"),
        (&half, 377, "37.5"),
        (&half, 378, "38.0"),
        (&half, 375, "37.5"),
        (&whole, 375, "38.0"),
        (&whole, 374, "37.0"),
        (&fifth, 371, "37.2"),
        (&fifth, 373, "37.4"),
    ];
    for (upload, tenths, expected) in cases {
        assert_eq!(
            disclosed(FieldKind::TemperatureC, upload.clone(), temperature(tenths)),
            expected,
            "{upload:?} of {tenths}"
        );
    }
}

#[test]
fn round_integers_on_integers() {
    let tens = Transform::Round { step: 10.0 };
    for (number, expected) in [(14, "10"), (15, "20"), (-15, "-10"), (-16, "-20"), (0, "0")] {
        assert_eq!(
            disclosed(integer_kind(), tens.clone(), FieldValue::Integer(number)),
            expected
        );
    }
    let huge = Transform::Round { step: 1e300 };
    assert_eq!(
        disclosed(integer_kind(), huge, FieldValue::Integer(999)),
        "0"
    );
}

#[test]
fn round_steps_that_cannot_be_applied_exactly_are_refused() {
    for step in [0.25, 0.05, 0.0, -0.5, f64::NAN] {
        let error = failure(
            FieldKind::TemperatureC,
            Transform::Round { step },
            temperature(373),
        );
        assert_eq!(error.code(), "MinimizeUnsupportedParameter", "{step}");
    }
    let error = failure(
        integer_kind(),
        Transform::Round { step: 2.5 },
        FieldValue::Integer(3),
    );
    assert_eq!(error.code(), "MinimizeUnsupportedParameter");
}

#[test]
fn thresholds_compare_exactly() {
    let at = |at| Transform::Threshold { at };
    let cases = [
        (37.3, 372, "false"),
        (37.3, 373, "true"),
        (37.3, 400, "true"),
        // The f64 nearest 37.7 is slightly above it; 37.7 still reaches it.
        (37.7, 377, "true"),
        (37.7, 376, "false"),
        (37.25, 372, "false"),
        (37.25, 373, "true"),
    ];
    for (threshold, tenths, expected) in cases {
        assert_eq!(
            disclosed(FieldKind::TemperatureC, at(threshold), temperature(tenths)),
            expected,
            "{tenths} >= {threshold}"
        );
    }
    assert_eq!(
        disclosed(integer_kind(), at(2.5), FieldValue::Integer(2)),
        "false"
    );
    assert_eq!(
        disclosed(integer_kind(), at(2.5), FieldValue::Integer(3)),
        "true"
    );
    assert_eq!(
        disclosed(integer_kind(), at(-3.0), FieldValue::Integer(-3)),
        "true"
    );
    assert_eq!(
        failure(FieldKind::TemperatureC, at(f64::INFINITY), temperature(373)).code(),
        "MinimizeUnsupportedParameter"
    );
}

#[test]
fn generalize_districts_and_travel_places() {
    let to = |level| Transform::Generalize { level };
    let code = || FieldValue::District("420106".into());
    assert_eq!(
        disclosed(FieldKind::District, to(DistrictLevel::City), code()),
        r#""420100""#
    );
    assert_eq!(
        disclosed(FieldKind::District, to(DistrictLevel::Province), code()),
        r#""420000""#
    );
    assert_eq!(
        disclosed(FieldKind::District, to(DistrictLevel::District), code()),
        r#""420106""#
    );
    assert_eq!(
        disclosed(
            FieldKind::TravelHistory,
            to(DistrictLevel::City),
            FieldValue::TravelHistory(vec![
                leg("420106", "2026-11-01", "2026-11-03"),
                leg("310104", "2026-11-04", "2026-11-04"),
            ])
        ),
        r#"[{"from":"2026-11-01","place":"420100","to":"2026-11-03"},{"from":"2026-11-04","place":"310100","to":"2026-11-04"}]"#
    );
    let error = failure(
        FieldKind::District,
        to(DistrictLevel::City),
        FieldValue::District("4201".into()),
    );
    assert_eq!(error.code(), "MinimizeInvalidValue");
}

#[test]
fn age_bands_use_whole_years_on_the_record_date() {
    let band = |width| Transform::AgeBand { width };
    let birth = || FieldValue::Date(date("1952-07-08"));
    assert_eq!(
        disclosed(a_date(), band(10), birth()),
        r#"{"from":70,"to":79}"#
    );
    assert_eq!(
        disclosed_on(a_date(), band(10), birth(), "2022-07-07"),
        r#"{"from":60,"to":69}"#
    );
    assert_eq!(
        disclosed_on(a_date(), band(10), birth(), "2022-07-08"),
        r#"{"from":70,"to":79}"#
    );
    assert_eq!(
        disclosed(a_date(), band(5), birth()),
        r#"{"from":70,"to":74}"#
    );
    assert_eq!(
        disclosed(a_date(), band(1), birth()),
        r#"{"from":74,"to":74}"#
    );
    let error = apply(
        &spec(a_date(), band(10)),
        &birth(),
        date("1950-01-01"),
        PSEUDONYM,
    )
    .unwrap_err();
    assert_eq!(error.code(), "MinimizeInvalidValue");
    assert_eq!(
        failure(a_date(), band(0), birth()).code(),
        "MinimizeUnsupportedParameter"
    );
}

#[test]
fn coarsen_dates_to_iso_weeks_and_months() {
    let to = |granularity| Transform::CoarsenDate { granularity };
    let day = |text| FieldValue::Date(date(text));
    let cases = [
        (DateGranularity::Week, "2026-11-28", r#""2026-W48""#),
        (DateGranularity::Week, "2026-11-16", r#""2026-W47""#),
        (DateGranularity::Week, "2027-01-01", r#""2026-W53""#),
        (DateGranularity::Week, "2026-01-05", r#""2026-W02""#),
        (DateGranularity::Month, "2026-11-28", r#""2026-11""#),
        (DateGranularity::Month, "2027-01-01", r#""2027-01""#),
    ];
    for (granularity, text, expected) in cases {
        assert_eq!(disclosed(a_date(), to(granularity), day(text)), expected);
    }
}

#[test]
fn window_keeps_only_overlapping_legs() {
    assert_eq!(
        disclosed(
            FieldKind::TravelHistory,
            Transform::Window {
                days: 14,
                reference: None
            },
            travel_value()
        ),
        concat!(
            r#"[{"from":"2026-11-10","place":"310104","to":"2026-11-14"},"#,
            r#"{"from":"2026-11-20","place":"110105","to":"2026-11-22"}]"#
        )
    );
    assert_eq!(
        disclosed(
            FieldKind::TravelHistory,
            Transform::Window {
                days: 1,
                reference: None
            },
            travel_value()
        ),
        "[]"
    );
    // A record dated before a leg: the leg starts after the window ends.
    assert_eq!(
        disclosed_on(
            FieldKind::TravelHistory,
            Transform::Window {
                days: 366,
                reference: None
            },
            travel_value(),
            "2026-11-15"
        ),
        concat!(
            r#"[{"from":"2026-11-01","place":"420106","to":"2026-11-13"},"#,
            r#"{"from":"2026-11-10","place":"310104","to":"2026-11-14"}]"#
        )
    );
}

#[test]
fn risk_area_visited_reports_the_last_visit_week() {
    let risk = |areas: &[&str], window_days| Transform::RiskAreaVisited {
        areas: codes(areas),
        window_days,
        reference: None,
    };
    let legs = FieldValue::TravelHistory(vec![
        leg("420106", "2026-11-01", "2026-11-05"),
        leg("420111", "2026-11-10", "2026-11-16"),
        leg("310104", "2026-11-20", "2026-11-25"),
    ]);
    let cases = [
        (
            risk(&["4201"], 14),
            r#"{"last_visit_week":"2026-W47","visited":true}"#,
        ),
        (
            risk(&["42"], 30),
            r#"{"last_visit_week":"2026-W47","visited":true}"#,
        ),
        (
            risk(&["4201", "31"], 14),
            r#"{"last_visit_week":"2026-W48","visited":true}"#,
        ),
        (
            risk(&["420106"], 14),
            r#"{"last_visit_week":null,"visited":false}"#,
        ),
        (
            risk(&["4201"], 1),
            r#"{"last_visit_week":null,"visited":false}"#,
        ),
        (
            risk(&["11"], 366),
            r#"{"last_visit_week":null,"visited":false}"#,
        ),
    ];
    for (upload, expected) in cases {
        assert_eq!(
            disclosed(FieldKind::TravelHistory, upload.clone(), legs.clone()),
            expected,
            "{upload:?}"
        );
    }
    // The last visit is capped at the record date.
    assert_eq!(
        disclosed_on(
            FieldKind::TravelHistory,
            risk(&["4201"], 14),
            legs,
            "2026-11-12"
        ),
        r#"{"last_visit_week":"2026-W46","visited":true}"#
    );
}

#[test]
fn count_lists() {
    assert_eq!(
        disclosed(
            symptoms(),
            Transform::Count,
            FieldValue::MultiChoice(vec!["cough".into(), "fatigue".into()])
        ),
        "2"
    );
    assert_eq!(
        disclosed(FieldKind::TravelHistory, Transform::Count, travel_value()),
        "3"
    );
    assert_eq!(
        disclosed(
            FieldKind::TravelHistory,
            Transform::Count,
            FieldValue::TravelHistory(vec![])
        ),
        "0"
    );
}

#[test]
fn pseudonym_replaces_identities() {
    let cases = [
        (FieldKind::PersonName, FieldValue::PersonName("张三".into())),
        (
            FieldKind::ResidentId,
            FieldValue::ResidentId("11010519491231002X".into()),
        ),
        (
            FieldKind::PassportNumber,
            FieldValue::PassportNumber("E12345678".into()),
        ),
        (FieldKind::Phone, FieldValue::Phone("+8613800138000".into())),
    ];
    for (kind, value) in cases {
        assert_eq!(
            disclosed(kind, Transform::Pseudonym, value),
            format!("\"{PSEUDONYM}\"")
        );
    }
}

#[test]
fn mismatches_are_typed_errors() {
    let wrong_kind = failure(
        FieldKind::TemperatureC,
        Transform::Keep,
        FieldValue::Integer(37),
    );
    assert_eq!(
        wrong_kind,
        MinimizeError::WrongKind {
            field: "f".into(),
            expected: "temperature_c",
            found: "integer",
        }
    );
    let not_applicable = failure(
        FieldKind::Text { max_len: 5 },
        Transform::Round { step: 1.0 },
        FieldValue::Text("x".into()),
    );
    assert_eq!(not_applicable.code(), "MinimizeNotApplicable");
    let unknown_code = failure(
        symptoms(),
        Transform::Keep,
        FieldValue::MultiChoice(vec!["sneezing".into()]),
    );
    assert_eq!(unknown_code.code(), "MinimizeInvalidValue");
    let twice = failure(
        symptoms(),
        Transform::Keep,
        FieldValue::MultiChoice(vec!["cough".into(), "cough".into()]),
    );
    assert_eq!(twice.code(), "MinimizeInvalidValue");
    let unknown_choice = failure(
        FieldKind::Choice {
            codes: codes(&["home"]),
        },
        Transform::Keep,
        FieldValue::Choice("elsewhere".into()),
    );
    assert_eq!(unknown_choice.code(), "MinimizeInvalidValue");
    let bad_place = failure(
        FieldKind::TravelHistory,
        Transform::Keep,
        FieldValue::TravelHistory(vec![leg("4201xx", "2026-11-01", "2026-11-02")]),
    );
    assert_eq!(bad_place.code(), "MinimizeInvalidValue");
    let no_recipient = apply(
        &field("f", FieldKind::YesNo, Transform::Keep, None),
        &FieldValue::YesNo(true),
        date(TODAY),
        PSEUDONYM,
    );
    assert_eq!(
        no_recipient,
        Err(MinimizeError::MissingRecipient { field: "f".into() })
    );
}

#[test]
fn years_outside_four_digits_carry_a_sign() {
    assert_eq!(year(2026), "2026");
    assert_eq!(year(5), "0005");
    assert_eq!(year(10_000), "+10000");
    assert_eq!(year(-1), "-0001");
    assert_eq!(
        NaiveDate::MAX.to_string(),
        format!("{}-12-31", year(NaiveDate::MAX.year()))
    );
}
