//! The transforms of DESIGN §5: pure functions from one field value to what is disclosed.
//!
//! Outputs, as canonical JSON:
//! - `keep`: the natural JSON of the value: a bool; a string (choice code, date
//!   `YYYY-MM-DD`, district, name, numbers of documents, text); an array of chosen codes
//!   in policy order; a temperature with exactly one decimal (`37.3`); an integer; travel
//!   legs `[{"from","place","to"}]` in the order entered.
//! - `round{step}`: the nearest multiple of `step`, halves rounded up (toward positive
//!   infinity); temperatures are computed in tenths and keep one decimal, so the step
//!   must be a whole number of tenths (`0.5`, not `0.25`); integer steps are whole.
//! - `threshold{at}`: `value >= at`, compared exactly (`at` as the decimal written).
//! - `generalize{level}`: the district code at that level (`420106` → city `420100`,
//!   province `420000`); in a travel history, every leg's place.
//! - `age_band{width}`: `{"from":70,"to":79}` for the age in whole years on the record
//!   date.
//! - `coarsen_date{week|month}`: the ISO week (`2026-W48`) or the month (`2026-11`).
//! - `window{days}`: the legs overlapping `[date - days, date]`.
//! - `risk_area_visited{areas, window_days}`: `{"last_visit_week": "2026-W46" | null,
//!   "visited": bool}` over the legs whose place starts with a listed area and that
//!   overlap the window; the last visit is the latest such day, capped at the record date.
//! - `count`: the number of chosen codes or of travel legs.
//! - `pseudonym`: the profile's pseudonym for the policy.
//!
//! Years outside 0..=9999 are written with a sign (`+10000`), as `chrono` writes dates.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate};

use super::MinimizeError;
use super::canonical::{Decimal, DisclosedValue};
use super::number::{PolicyNumber, round_half_up};
use crate::model::{FieldKind, FieldValue, TravelLeg};
use crate::policy::{DateGranularity, DistrictLevel, FieldSpec, Transform};

/// Temperatures are held in tenths of a degree.
const TEMPERATURE_SCALE: u8 = 1;

/// Applies `field`'s transform to `value`, for a record dated `date` of the profile
/// whose pseudonym under this policy is `pseudonym`. `None` when the transform is
/// `omit`: nothing leaves the device.
///
/// A value of another kind than the field, a transform that does not apply, a parameter
/// that cannot be applied exactly, or a value breaking a rule the transform relies on
/// is a [`MinimizeError`], never a guess.
pub fn apply(
    field: &FieldSpec,
    value: &FieldValue,
    date: NaiveDate,
    pseudonym: &str,
) -> Result<Option<DisclosedValue>, MinimizeError> {
    check_field(field)?;
    if value.kind_name() != field.kind.name() {
        return Err(MinimizeError::WrongKind {
            field: field.id.clone(),
            expected: field.kind.name(),
            found: value.kind_name(),
        });
    }
    let invalid = |reason| MinimizeError::InvalidValue {
        field: field.id.clone(),
        reason,
    };
    let disclosed = match (&field.upload, value) {
        (Transform::Omit, _) => return Ok(None),
        (Transform::Keep, _) => keep(&field.kind, value).map_err(invalid)?,
        (Transform::Round { step }, FieldValue::Temperature(temperature)) => {
            let step = round_step(field, *step, TEMPERATURE_SCALE)?;
            let rounded = round_half_up(i128::from(temperature.tenths()), step)
                .ok_or_else(|| invalid("the rounded value overflows"))?;
            DisclosedValue::Decimal(Decimal::new(rounded, TEMPERATURE_SCALE))
        }
        (Transform::Round { step }, FieldValue::Integer(number)) => {
            let step = round_step(field, *step, 0)?;
            let rounded = round_half_up(i128::from(*number), step)
                .ok_or_else(|| invalid("the rounded value overflows"))?;
            DisclosedValue::Integer(rounded)
        }
        (Transform::Threshold { at }, FieldValue::Temperature(temperature)) => {
            let at = threshold(field, *at)?.ceil_units(usize::from(TEMPERATURE_SCALE));
            DisclosedValue::Bool(i128::from(temperature.tenths()) >= at)
        }
        (Transform::Threshold { at }, FieldValue::Integer(number)) => {
            let at = threshold(field, *at)?.ceil_units(0);
            DisclosedValue::Bool(i128::from(*number) >= at)
        }
        (Transform::Generalize { level }, FieldValue::District(code)) => {
            DisclosedValue::String(generalize(code, *level).map_err(invalid)?)
        }
        (Transform::Generalize { level }, FieldValue::TravelHistory(legs)) => {
            let legs = legs
                .iter()
                .map(|leg| {
                    Ok(TravelLeg {
                        place: generalize(&leg.place, *level)?,
                        from: leg.from,
                        to: leg.to,
                    })
                })
                .collect::<Result<Vec<_>, &'static str>>()
                .map_err(invalid)?;
            travel(legs.iter()).map_err(invalid)?
        }
        (Transform::AgeBand { width }, FieldValue::Date(birth)) => {
            age_band(*birth, date, *width).map_err(invalid)?
        }
        (Transform::CoarsenDate { granularity }, FieldValue::Date(day)) => {
            DisclosedValue::String(match granularity {
                DateGranularity::Week => iso_week(*day),
                DateGranularity::Month => format!("{}-{:02}", year(day.year()), day.month()),
            })
        }
        (Transform::Window { days }, FieldValue::TravelHistory(legs)) => {
            let start = window_start(date, *days);
            travel(legs.iter().filter(|leg| overlaps(leg, start, date))).map_err(invalid)?
        }
        (Transform::RiskAreaVisited { areas, window_days }, FieldValue::TravelHistory(legs)) => {
            risk_area_visited(legs, areas, *window_days, date).map_err(invalid)?
        }
        (Transform::Count, FieldValue::MultiChoice(codes)) => count(codes.len()),
        (Transform::Count, FieldValue::TravelHistory(legs)) => count(legs.len()),
        (
            Transform::Pseudonym,
            FieldValue::PersonName(_)
            | FieldValue::ResidentId(_)
            | FieldValue::PassportNumber(_)
            | FieldValue::Phone(_),
        ) => DisclosedValue::string(pseudonym),
        // `check_field` and the kind check above leave no other pair.
        (transform, _) => {
            return Err(MinimizeError::NotApplicable {
                field: field.id.clone(),
                transform: transform.name(),
                kind: field.kind.name(),
            });
        }
    };
    Ok(Some(disclosed))
}

/// Checks that `field`'s transform applies to its kind and that its parameters can be
/// applied exactly: a temperature rounding step is a positive whole number of tenths,
/// an integer rounding step a positive whole number, a threshold finite, an age band at
/// least a year wide. An uploaded field must also name a recipient. Policy install can
/// run this to refuse such a policy up front.
pub fn check_field(field: &FieldSpec) -> Result<(), MinimizeError> {
    let transform = &field.upload;
    if !transform.applies_to(&field.kind) {
        return Err(MinimizeError::NotApplicable {
            field: field.id.clone(),
            transform: transform.name(),
            kind: field.kind.name(),
        });
    }
    if transform.uploads() && field.to.is_none() {
        return Err(MinimizeError::MissingRecipient {
            field: field.id.clone(),
        });
    }
    match (transform, &field.kind) {
        (Transform::Round { step }, FieldKind::TemperatureC) => {
            round_step(field, *step, TEMPERATURE_SCALE).map(drop)
        }
        (Transform::Round { step }, _) => round_step(field, *step, 0).map(drop),
        (Transform::Threshold { at }, _) => threshold(field, *at).map(drop),
        (Transform::AgeBand { width: 0 }, _) => Err(unsupported(field, "the band width is zero")),
        _ => Ok(()),
    }
}

fn unsupported(field: &FieldSpec, reason: &'static str) -> MinimizeError {
    MinimizeError::UnsupportedParameter {
        field: field.id.clone(),
        transform: field.upload.name(),
        reason,
    }
}

/// The rounding step in units of `10^-scale`.
fn round_step(field: &FieldSpec, step: f64, scale: u8) -> Result<i128, MinimizeError> {
    let reason = if scale == 0 {
        "the step must be a positive whole number"
    } else {
        "the step must be a positive whole number of tenths"
    };
    PolicyNumber::from_f64(step)
        .and_then(|step| step.exact_units(usize::from(scale)))
        .filter(|units| *units > 0)
        .ok_or_else(|| unsupported(field, reason))
}

fn threshold(field: &FieldSpec, at: f64) -> Result<PolicyNumber, MinimizeError> {
    PolicyNumber::from_f64(at).ok_or_else(|| unsupported(field, "the threshold is not finite"))
}

/// `keep`: the value's natural JSON.
fn keep(kind: &FieldKind, value: &FieldValue) -> Result<DisclosedValue, &'static str> {
    Ok(match (kind, value) {
        (_, FieldValue::YesNo(answer)) => DisclosedValue::Bool(*answer),
        (FieldKind::Choice { codes }, FieldValue::Choice(code)) => {
            if !codes.contains(code) {
                return Err(UNKNOWN_CODE);
            }
            DisclosedValue::string(code)
        }
        (FieldKind::MultiChoice { codes }, FieldValue::MultiChoice(chosen)) => {
            chosen_in_policy_order(codes, chosen)?
        }
        (_, FieldValue::Temperature(temperature)) => DisclosedValue::Decimal(Decimal::new(
            i128::from(temperature.tenths()),
            TEMPERATURE_SCALE,
        )),
        (_, FieldValue::Integer(number)) => DisclosedValue::Integer(i128::from(*number)),
        (_, FieldValue::Date(day)) => DisclosedValue::string(day.to_string()),
        (_, FieldValue::District(code)) => {
            check_district(code)?;
            DisclosedValue::string(code)
        }
        (_, FieldValue::TravelHistory(legs)) => travel(legs.iter())?,
        (
            _,
            FieldValue::PersonName(text)
            | FieldValue::ResidentId(text)
            | FieldValue::PassportNumber(text)
            | FieldValue::Phone(text)
            | FieldValue::TransportNumber(text)
            | FieldValue::Text(text),
        ) => DisclosedValue::string(text),
        // A choice value under another kind: the kind check in `apply` rules it out.
        (_, FieldValue::Choice(_) | FieldValue::MultiChoice(_)) => return Err(UNKNOWN_CODE),
    })
}

const UNKNOWN_CODE: &str = "a code the policy does not list";

/// The chosen codes as an array in the policy's order, so the order of choosing is not
/// disclosed.
fn chosen_in_policy_order(
    codes: &[String],
    chosen: &[String],
) -> Result<DisclosedValue, &'static str> {
    if chosen.iter().any(|code| !codes.contains(code)) {
        return Err(UNKNOWN_CODE);
    }
    let ordered: Vec<DisclosedValue> = codes
        .iter()
        .filter(|code| chosen.contains(code))
        .map(DisclosedValue::string)
        .collect();
    if ordered.len() != chosen.len() {
        return Err("a code chosen twice");
    }
    Ok(DisclosedValue::Array(ordered))
}

/// A district code's shape: six ASCII digits. Transforms and size bounds rely on it.
fn check_district(code: &str) -> Result<(), &'static str> {
    if code.len() == 6 && code.bytes().all(|byte| byte.is_ascii_digit()) {
        Ok(())
    } else {
        Err("a district code that is not six digits")
    }
}

/// The district code kept at `level`.
fn generalize(code: &str, level: DistrictLevel) -> Result<String, &'static str> {
    check_district(code)?;
    let (kept, zeros) = match level {
        DistrictLevel::District => (6, ""),
        DistrictLevel::City => (4, "00"),
        DistrictLevel::Province => (2, "0000"),
    };
    let prefix = code
        .get(..kept)
        .ok_or("a district code that is not six digits")?;
    Ok(format!("{prefix}{zeros}"))
}

/// Travel legs as `[{"from","place","to"}]`, in the order given.
fn travel<'a>(legs: impl Iterator<Item = &'a TravelLeg>) -> Result<DisclosedValue, &'static str> {
    let legs = legs
        .map(|leg| {
            check_district(&leg.place)?;
            Ok(DisclosedValue::Object(BTreeMap::from([
                (
                    "from".to_owned(),
                    DisclosedValue::string(leg.from.to_string()),
                ),
                ("place".to_owned(), DisclosedValue::string(&leg.place)),
                ("to".to_owned(), DisclosedValue::string(leg.to.to_string())),
            ])))
        })
        .collect::<Result<Vec<_>, &'static str>>()?;
    Ok(DisclosedValue::Array(legs))
}

/// `{"from","to"}`: the band of `width` years holding the age on `date`.
fn age_band(birth: NaiveDate, date: NaiveDate, width: u32) -> Result<DisclosedValue, &'static str> {
    let age = date
        .years_since(birth)
        .ok_or("the birth date is after the record date")?;
    let width = width.max(1);
    let from = age / width * width;
    let to = u64::from(from) + u64::from(width) - 1;
    Ok(DisclosedValue::Object(BTreeMap::from([
        ("from".to_owned(), DisclosedValue::Integer(i128::from(from))),
        ("to".to_owned(), DisclosedValue::Integer(i128::from(to))),
    ])))
}

/// A year as `chrono` writes it in dates: four digits, or a sign outside 0..=9999.
pub(super) fn year(year: i32) -> String {
    if (0..=9999).contains(&year) {
        format!("{year:04}")
    } else {
        format!("{year:+05}")
    }
}

/// The ISO week of `day`: `2026-W48`.
fn iso_week(day: NaiveDate) -> String {
    let week = day.iso_week();
    format!("{}-W{:02}", year(week.year()), week.week())
}

/// The first day of a window of `days` days ending on `date`.
fn window_start(date: NaiveDate, days: u32) -> NaiveDate {
    date.checked_sub_days(Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MIN)
}

/// Whether `leg` shares at least one day with `[start, end]`.
fn overlaps(leg: &TravelLeg, start: NaiveDate, end: NaiveDate) -> bool {
    leg.from <= end && leg.to >= start
}

fn risk_area_visited(
    legs: &[TravelLeg],
    areas: &[String],
    window_days: u32,
    date: NaiveDate,
) -> Result<DisclosedValue, &'static str> {
    let start = window_start(date, window_days);
    let mut last_visit: Option<NaiveDate> = None;
    for leg in legs {
        check_district(&leg.place)?;
        let at_risk = areas
            .iter()
            .any(|area| leg.place.starts_with(area.as_str()));
        if at_risk && overlaps(leg, start, date) {
            let last_day = leg.to.min(date);
            last_visit = Some(last_visit.map_or(last_day, |seen| seen.max(last_day)));
        }
    }
    let week = last_visit.map_or(DisclosedValue::Null, |day| {
        DisclosedValue::String(iso_week(day))
    });
    Ok(DisclosedValue::Object(BTreeMap::from([
        ("last_visit_week".to_owned(), week),
        (
            "visited".to_owned(),
            DisclosedValue::Bool(last_visit.is_some()),
        ),
    ])))
}

fn count(len: usize) -> DisclosedValue {
    DisclosedValue::Integer(i128::try_from(len).unwrap_or(i128::MAX))
}

#[cfg(test)]
mod tests {
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
                Transform::Window { days: 14 },
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
                Transform::Window { days: 1 },
                travel_value()
            ),
            "[]"
        );
        // A record dated before a leg: the leg starts after the window ends.
        assert_eq!(
            disclosed_on(
                FieldKind::TravelHistory,
                Transform::Window { days: 366 },
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
}
