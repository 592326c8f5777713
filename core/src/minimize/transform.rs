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
//! - `window{days}`: the legs overlapping `[end - days, end]`, where `end` is the record
//!   date or, with a `reference` (`/2`), the date the record holds in that field.
//! - `risk_area_visited{areas, window_days}`: `{"last_visit_week": "2026-W46" | null,
//!   "visited": bool}` over the legs whose place starts with a listed area and that
//!   overlap the window (ending as for `window`); the last visit is the latest such day,
//!   capped at the window's end.
//! - `count`: the number of chosen codes or of travel legs.
//! - `pseudonym`: the profile's pseudonym for the policy.
//!
//! Years outside 0..=9999 are written with a sign (`+10000`), as `chrono` writes dates.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate};

use super::MinimizeError;
use super::canonical::{Decimal, DisclosedValue};
use super::number::{PolicyNumber, round_half_up};
use crate::model::{FieldKind, FieldValue, Record, TravelLeg};
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
    apply_until(field, value, date, date, pseudonym)
}

/// [`apply`], with the window of `window` and `risk_area_visited` ending on
/// `window_end`: the date of the transform's `reference` field in the record
/// ([`window_end`]), or the record date.
pub fn apply_until(
    field: &FieldSpec,
    value: &FieldValue,
    date: NaiveDate,
    window_end: NaiveDate,
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
        (Transform::Window { days, .. }, FieldValue::TravelHistory(legs)) => {
            let start = window_start(window_end, *days);
            travel(legs.iter().filter(|leg| overlaps(leg, start, window_end))).map_err(invalid)?
        }
        (
            Transform::RiskAreaVisited {
                areas, window_days, ..
            },
            FieldValue::TravelHistory(legs),
        ) => risk_area_visited(legs, areas, *window_days, window_end).map_err(invalid)?,
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
/// The day a field's window transform ends on for `record`: the date in its `reference`
/// field, or the record's date when it has none. A reference the record holds no date
/// for is [`MinimizeError::MissingReference`], never a silent fall back to another day.
pub fn window_end(field: &FieldSpec, record: &Record) -> Result<NaiveDate, MinimizeError> {
    let Some(reference) = field.upload.reference() else {
        return Ok(record.date);
    };
    match record.value(reference) {
        Some(FieldValue::Date(day)) => Ok(*day),
        _ => Err(MinimizeError::MissingReference {
            field: field.id.clone(),
            reference: reference.to_owned(),
        }),
    }
}

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
#[path = "transform_tests.rs"]
mod tests;
