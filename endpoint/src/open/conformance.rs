//! The strict check of one opened part against the policy: the plaintext format, and for
//! every field, that the policy declares it for this form and recipient and that its
//! value has exactly the shape and precision its transform produces.
//!
//! Anything else is flagged, and a field that does not conform is left out of the
//! output: the authority sees that something arrived that should not have, not the
//! value itself.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Weekday};
use selfreport_core::minimize::padded_size;
use selfreport_core::model::{
    ARRIVAL_DATE_FIELD, DateBounds, FieldKind, FieldValue, Temperature, TravelLeg, arrival_field,
    check_value, check_value_within,
};
use selfreport_core::policy::{
    DateGranularity, DistrictLevel, FieldSpec, Form, PolicyDocument, Transform,
};
use serde::Serialize;
use serde_json::{Map, Value};

use super::carried::{CARRIED_KEYS, CarriedKeys, check_carried};
use super::decrypt::SUBMISSION_FORMAT;

/// One thing wrong with a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flag {
    /// The field concerned, or the part of the submission (`"part:NAME"`, `"plaintext"`,
    /// `"part:health"`...).
    pub field: String,
    /// What is wrong, in plain English.
    pub problem: String,
}

impl Flag {
    pub(crate) fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

/// The envelope a part came in, which its plaintext must agree with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Envelope<'a> {
    pub(crate) policy_id: &'a str,
    pub(crate) policy_version: u64,
    pub(crate) submission_id: &'a str,
    pub(crate) recipient: &'a str,
    /// The day the drop box received it (UTC).
    pub(crate) received_on: NaiveDate,
}

/// The plaintext header of a part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) form: String,
    pub(crate) date: String,
    pub(crate) pseudonym: String,
    pub(crate) dummy: bool,
}

/// One part, checked.
#[derive(Debug, Clone, Default)]
pub(crate) struct CheckedPart {
    /// The header, when the plaintext has a usable one.
    pub(crate) header: Option<Header>,
    /// The fields that conform.
    pub(crate) fields: BTreeMap<String, Value>,
    /// The header keys it carried besides the fixed ones, when they conform.
    pub(crate) carried: CarriedKeys,
    pub(crate) flags: Vec<Flag>,
}

/// Top-level keys of a `selfreport.submission/1` plaintext.
const HEADER_KEYS: [&str; 9] = [
    "date",
    "dummy",
    "fields",
    "form",
    "format",
    "policy_id",
    "policy_version",
    "pseudonym",
    "submission_id",
];

/// Checks one opened plaintext (padding included) of `envelope.recipient`.
pub(crate) fn check_part(
    plaintext: &[u8],
    envelope: &Envelope<'_>,
    policy: &PolicyDocument,
) -> CheckedPart {
    let mut part = CheckedPart::default();
    let recipient = envelope.recipient;
    let flag = |part: &mut CheckedPart, field: &str, problem: String| {
        part.flags.push(Flag::new(
            field,
            format!("in the part for {recipient}: {problem}"),
        ));
    };

    let end = plaintext
        .iter()
        .rposition(|byte| *byte != b' ')
        .map_or(0, |last| last + 1);
    let trimmed = &plaintext[..end];
    let Ok(value) = serde_json::from_slice::<Value>(trimmed) else {
        flag(
            &mut part,
            "plaintext",
            "the plaintext is not JSON followed by space padding".to_owned(),
        );
        return part;
    };
    if canonical_json(&value).as_bytes() != trimmed {
        flag(
            &mut part,
            "plaintext",
            "the plaintext is not canonical JSON (sorted keys, no whitespace)".to_owned(),
        );
    }
    let Value::Object(object) = value else {
        flag(
            &mut part,
            "plaintext",
            "the plaintext is not a JSON object".to_owned(),
        );
        return part;
    };
    for key in object.keys() {
        if !HEADER_KEYS.contains(&key.as_str()) && !CARRIED_KEYS.contains(&key.as_str()) {
            flag(
                &mut part,
                key,
                "not part of the selfreport.submission/1 format".to_owned(),
            );
        }
    }
    let text = |key: &str| object.get(key).and_then(Value::as_str);

    if text("format") != Some(SUBMISSION_FORMAT) {
        flag(
            &mut part,
            "format",
            "not selfreport.submission/1".to_owned(),
        );
    }
    if text("policy_id") != Some(envelope.policy_id)
        || object.get("policy_version").and_then(Value::as_u64) != Some(envelope.policy_version)
        || text("submission_id") != Some(envelope.submission_id)
    {
        flag(
            &mut part,
            "submission_id",
            "the policy or submission id inside does not match the sealed envelope".to_owned(),
        );
    }
    let pseudonym = text("pseudonym").filter(|p| is_lower_hex(p, 32));
    if pseudonym.is_none() {
        flag(
            &mut part,
            "pseudonym",
            "missing or not 32 lowercase hex characters".to_owned(),
        );
    }
    let date = text("date").and_then(parse_day);
    if date.is_none() {
        flag(
            &mut part,
            "date",
            "missing or not a YYYY-MM-DD date".to_owned(),
        );
    }
    let dummy = object.get("dummy").and_then(Value::as_bool);
    if dummy.is_none() {
        flag(&mut part, "dummy", "missing or not true/false".to_owned());
    }
    let form = text("form").and_then(|id| policy.form(id));
    if form.is_none() {
        flag(
            &mut part,
            "form",
            "missing or not a form of the policy".to_owned(),
        );
    }
    let padded = check_padding(&mut part, plaintext.len(), form, envelope, policy);
    let (Some(pseudonym), Some(date), Some(dummy), Some(form)) = (pseudonym, date, dummy, form)
    else {
        return part;
    };
    part.header = Some(Header {
        form: form.id.clone(),
        date: date.to_string(),
        pseudonym: pseudonym.to_owned(),
        dummy,
    });
    let mut problems = Vec::new();
    part.carried = check_carried(&object, policy, form, recipient, dummy, &mut problems);
    for (key, problem) in problems {
        flag(&mut part, key, problem);
    }
    if dummy || !padded {
        // Cover traffic carries no data and is dropped whole; a part padded to another
        // size than every part of its form is not one a device sent: none of its fields
        // is output (it is flagged).
        return part;
    }
    let Some(Value::Object(fields)) = object.get("fields") else {
        flag(
            &mut part,
            "fields",
            "missing or not a JSON object".to_owned(),
        );
        return part;
    };
    let today = date.max(envelope.received_on).succ_opt().unwrap_or(date);
    for (field_id, value) in fields {
        let dates = PartDates {
            date,
            today,
            fields,
            planned_arrival: planned_arrival(form, fields),
        };
        match check_field(form, recipient, field_id, value, &dates) {
            Ok(()) => {
                part.fields.insert(field_id.clone(), value.clone());
            }
            Err(problem) => flag(&mut part, field_id, problem),
        }
    }
    for spec in &form.fields {
        let expected_here = spec.upload.uploads() && spec.to.as_deref() == Some(recipient);
        if expected_here && spec.required && !fields.contains_key(&spec.id) {
            flag(
                &mut part,
                &spec.id,
                "required by the form, but missing".to_owned(),
            );
        }
    }
    part
}

/// Every part of a form for a recipient has the same fixed size (so sizes tell the drop
/// box nothing); without a known form, at least a multiple of the padding block. A part
/// of another size is flagged `part:NAME`; false then.
fn check_padding(
    part: &mut CheckedPart,
    len: usize,
    form: Option<&Form>,
    envelope: &Envelope<'_>,
    policy: &PolicyDocument,
) -> bool {
    let problem = match form {
        Some(form) => match padded_size(policy, &form.id, envelope.recipient) {
            Ok(expected) if expected == len => return true,
            Ok(expected) => format!(
                "the plaintext is {len} bytes, not the {expected} bytes every part of this form for this recipient is padded to"
            ),
            Err(_) => {
                part.flags.push(Flag::new(
                    "form",
                    format!(
                        "in the part for {}: the policy sends nothing of form `{}` to this recipient",
                        envelope.recipient, form.id
                    ),
                ));
                return true;
            }
        },
        None => {
            let block = usize::try_from(policy.padding.block_bytes)
                .unwrap_or(1)
                .max(1);
            if len % block == 0 {
                return true;
            }
            format!("the plaintext is not padded to a multiple of {block} bytes")
        }
    };
    part.flags.push(Flag::new(
        format!("part:{}", envelope.recipient),
        format!("in the part for {}: {problem}", envelope.recipient),
    ));
    false
}

/// The days a part's values are checked against: the record's date, the latest "today"
/// the device can have had, and the part's other fields (a window's `reference` date).
struct PartDates<'a> {
    date: NaiveDate,
    today: NaiveDate,
    fields: &'a Map<String, Value>,
    /// For a form with an arrival date (policy-format.md §5), the latest day its travel
    /// legs may end: the arrival the part carries whole, or any day when it does not.
    planned_arrival: Option<NaiveDate>,
}

/// The planned arrival of a part of `form`: see [`PartDates::planned_arrival`].
fn planned_arrival(form: &Form, fields: &Map<String, Value>) -> Option<NaiveDate> {
    arrival_field(form)?;
    let carried = fields
        .get(ARRIVAL_DATE_FIELD)
        .and_then(Value::as_str)
        .and_then(parse_day);
    Some(carried.unwrap_or(NaiveDate::MAX))
}

/// Whether the policy lets `field_id` reach `recipient` in `form`, with `value` exactly
/// as its transform produces it. The error is the problem, in plain English.
fn check_field(
    form: &Form,
    recipient: &str,
    field_id: &str,
    value: &Value,
    dates: &PartDates<'_>,
) -> Result<(), String> {
    let Some(spec) = form.field(field_id) else {
        return Err(format!("not a field of form `{}`", form.id));
    };
    if !spec.upload.uploads() {
        return Err("the policy never uploads this field (omit)".to_owned());
    }
    if spec.to.as_deref() != Some(recipient) {
        return Err(format!(
            "the policy sends this field to {}, not to this recipient",
            spec.to.as_deref().unwrap_or("nobody")
        ));
    }
    check_transformed(spec, value, dates)
}

const MORE_PRECISE: &str = "more precise than its transform allows";

/// A temperature as the plaintext writes it: a JSON number with a fraction (`37.0`, never
/// `37`; the canonical check has already refused `37.00`).
fn temperature(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) if number.is_f64() => number.as_f64(),
        _ => None,
    }
}

fn check_transformed(spec: &FieldSpec, value: &Value, dates: &PartDates<'_>) -> Result<(), String> {
    let today = dates.today;
    let shape = |expected: &str| format!("not what `{}` produces: {expected}", spec.upload.name());
    match &spec.upload {
        Transform::Omit => Err("the policy never uploads this field (omit)".to_owned()),
        Transform::Keep => check_kept(spec, value, today),
        Transform::Round { step } => {
            let number = match spec.kind {
                FieldKind::TemperatureC => temperature(value)
                    .ok_or_else(|| shape("a temperature with one decimal (37.0)"))?,
                _ => value.as_f64().ok_or_else(|| shape("a number"))?,
            };
            if !is_multiple(number, *step) {
                return Err(format!("{MORE_PRECISE}: not a multiple of {step}"));
            }
            match spec.kind {
                FieldKind::TemperatureC if !is_multiple(number, 0.1) => {
                    Err(format!("{MORE_PRECISE}: more than one decimal"))
                }
                FieldKind::Integer { .. } if number.fract() != 0.0 => {
                    Err(format!("{MORE_PRECISE}: not a whole number"))
                }
                _ => Ok(()),
            }
        }
        Transform::Threshold { .. } => value
            .is_boolean()
            .then_some(())
            .ok_or_else(|| shape("true or false")),
        Transform::Generalize { level } => match spec.kind {
            FieldKind::TravelHistory => {
                let legs = travel_legs(value).ok_or_else(|| shape("travel legs"))?;
                for leg in &legs {
                    check_generalized(&leg.place, *level)?;
                }
                Ok(())
            }
            _ => {
                let code = value.as_str().ok_or_else(|| shape("a district code"))?;
                check_generalized(code, *level)
            }
        },
        Transform::AgeBand { width } => {
            let object =
                exact_object(value, &["from", "to"]).ok_or_else(|| shape("{\"from\",\"to\"}"))?;
            let from = object.get("from").and_then(Value::as_u64);
            let to = object.get("to").and_then(Value::as_u64);
            let (Some(from), Some(to)) = (from, to) else {
                return Err(shape("whole years from and to"));
            };
            let width = u64::from(*width);
            if to < from || to - from + 1 != width || from % width != 0 {
                return Err(format!(
                    "{MORE_PRECISE}: not an age band {width} years wide"
                ));
            }
            Ok(())
        }
        Transform::CoarsenDate { granularity } => {
            let text = value.as_str().ok_or_else(|| shape("a week or month"))?;
            let valid = match granularity {
                DateGranularity::Week => parse_iso_week(text).is_some(),
                DateGranularity::Month => parse_month(text).is_some(),
            };
            if valid {
                Ok(())
            } else if parse_day(text).is_some() {
                Err(format!("{MORE_PRECISE}: a full date"))
            } else {
                Err(shape(match granularity {
                    DateGranularity::Week => "YYYY-Www",
                    DateGranularity::Month => "YYYY-MM",
                }))
            }
        }
        Transform::Window { days, reference } => {
            let legs = travel_legs(value).ok_or_else(|| shape("travel legs"))?;
            check_window(spec, &legs, *days, reference.as_deref(), dates)
        }
        Transform::RiskAreaVisited { .. } => {
            let object = exact_object(value, &["last_visit_week", "visited"])
                .ok_or_else(|| shape("{\"last_visit_week\",\"visited\"}"))?;
            match (object.get("visited"), object.get("last_visit_week")) {
                (Some(Value::Bool(false)), Some(Value::Null)) => Ok(()),
                (Some(Value::Bool(true)), Some(Value::String(week)))
                    if parse_iso_week(week).is_some() =>
                {
                    Ok(())
                }
                _ => Err(shape(
                    "visited true with the week of the last visit, or false with null",
                )),
            }
        }
        Transform::Count => {
            let count = value.as_u64().ok_or_else(|| shape("a whole number"))?;
            let most = match &spec.kind {
                FieldKind::MultiChoice { codes } => codes.len() as u64,
                _ => selfreport_core::model::MAX_TRAVEL_LEGS as u64,
            };
            if count > most {
                return Err(shape("a count no larger than the list can be"));
            }
            Ok(())
        }
        Transform::Pseudonym => value
            .as_str()
            .filter(|text| is_lower_hex(text, 32))
            .map(|_| ())
            .ok_or_else(|| shape("32 lowercase hex characters")),
    }
}

/// A `window`'s legs: valid travel legs, each overlapping the window. The window ends on
/// the record date or, with a `reference`, on the date the part carries in that field
/// (kept whole); a reference the part does not carry whole (omitted, coarsened, sent to
/// another recipient) leaves only what holds for any end: the legs fit one window
/// (the latest start at most `days` after the earliest end). Legs of a window measured
/// back from a reference (an arrival) may end after today: a trip still under way.
fn check_window(
    spec: &FieldSpec,
    legs: &[TravelLeg],
    days: u32,
    reference: Option<&str>,
    dates: &PartDates<'_>,
) -> Result<(), String> {
    let span = chrono::Duration::days(i64::from(days));
    let outside = || format!("{MORE_PRECISE}: a travel leg outside the {days}-day window");
    let end = match reference {
        None => Some(dates.date),
        Some(reference) => dates
            .fields
            .get(reference)
            .and_then(Value::as_str)
            .and_then(parse_day),
    };
    let bounds = DateBounds {
        today: dates.today,
        planned_arrival: match reference {
            Some(_) => Some(NaiveDate::MAX),
            None => dates.planned_arrival,
        },
    };
    check_value_within(
        &spec.id,
        &spec.kind,
        &FieldValue::TravelHistory(legs.to_vec()),
        bounds,
    )
    .map_err(|error| error.to_string())?;
    match end {
        Some(end) => {
            let start = end - span;
            if legs.iter().any(|leg| leg.to < start || leg.from > end) {
                return Err(outside());
            }
        }
        None => {
            let latest_start = legs.iter().map(|leg| leg.from).max();
            let earliest_end = legs.iter().map(|leg| leg.to).min();
            if let (Some(latest_start), Some(earliest_end)) = (latest_start, earliest_end) {
                if latest_start > earliest_end + span {
                    return Err(outside());
                }
            }
        }
    }
    Ok(())
}

/// A kept value: the kind's natural JSON, valid for the kind.
fn check_kept(spec: &FieldSpec, value: &Value, today: NaiveDate) -> Result<(), String> {
    let wrong = || format!("not a {} value", spec.kind.name());
    let text = || value.as_str().map(str::to_owned).ok_or_else(wrong);
    let typed = match &spec.kind {
        FieldKind::YesNo => FieldValue::YesNo(value.as_bool().ok_or_else(wrong)?),
        FieldKind::Choice { .. } => FieldValue::Choice(text()?),
        FieldKind::MultiChoice { codes } => {
            let chosen = value
                .as_array()
                .ok_or_else(wrong)?
                .iter()
                .map(|code| code.as_str().map(str::to_owned))
                .collect::<Option<Vec<String>>>()
                .ok_or_else(wrong)?;
            let positions: Option<Vec<usize>> = chosen
                .iter()
                .map(|code| codes.iter().position(|allowed| allowed == code))
                .collect();
            if let Some(positions) = positions {
                if positions.windows(2).any(|pair| pair[0] >= pair[1]) {
                    return Err("codes are not in policy order, or repeated".to_owned());
                }
            }
            FieldValue::MultiChoice(chosen)
        }
        FieldKind::TemperatureC => {
            let degrees = temperature(value).ok_or_else(wrong)?;
            if !is_multiple(degrees, 0.1) {
                return Err(format!("{MORE_PRECISE}: more than one decimal"));
            }
            let tenths = (degrees * 10.0).round();
            if !(-10_000.0..=10_000.0).contains(&tenths) {
                return Err("out of range".to_owned());
            }
            FieldValue::Temperature(Temperature::from_tenths(tenths as i32))
        }
        FieldKind::Integer { .. } => FieldValue::Integer(value.as_i64().ok_or_else(wrong)?),
        FieldKind::Date { .. } => {
            FieldValue::Date(value.as_str().and_then(parse_day).ok_or_else(wrong)?)
        }
        FieldKind::District => FieldValue::District(text()?),
        FieldKind::TravelHistory => {
            FieldValue::TravelHistory(travel_legs(value).ok_or_else(wrong)?)
        }
        FieldKind::PersonName => FieldValue::PersonName(text()?),
        FieldKind::ResidentId => FieldValue::ResidentId(text()?),
        FieldKind::PassportNumber => FieldValue::PassportNumber(text()?),
        FieldKind::Phone => FieldValue::Phone(text()?),
        FieldKind::TransportNumber => FieldValue::TransportNumber(text()?),
        FieldKind::Text { .. } => FieldValue::Text(text()?),
    };
    check_value(&spec.id, &spec.kind, &typed, today).map_err(|error| error.to_string())
}

/// A district code generalized to `level`: six digits, the lower levels zeroed.
fn check_generalized(code: &str, level: DistrictLevel) -> Result<(), String> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err("not a six-digit district code".to_owned());
    }
    let zeroed = match level {
        DistrictLevel::District => "",
        DistrictLevel::City => "00",
        DistrictLevel::Province => "0000",
    };
    if code.ends_with(zeroed) {
        Ok(())
    } else {
        Err(format!(
            "{MORE_PRECISE}: a district code finer than the {} level",
            match level {
                DistrictLevel::District => "district",
                DistrictLevel::City => "city",
                DistrictLevel::Province => "province",
            }
        ))
    }
}

/// Travel legs written `[{"from","place","to"}]`, nothing more per leg.
fn travel_legs(value: &Value) -> Option<Vec<TravelLeg>> {
    value
        .as_array()?
        .iter()
        .map(|leg| {
            let leg = exact_object(leg, &["from", "place", "to"])?;
            Some(TravelLeg {
                place: leg.get("place")?.as_str()?.to_owned(),
                from: parse_day(leg.get("from")?.as_str()?)?,
                to: parse_day(leg.get("to")?.as_str()?)?,
            })
        })
        .collect()
}

/// `value` as an object with exactly `keys`.
fn exact_object<'a>(value: &'a Value, keys: &[&str]) -> Option<&'a Map<String, Value>> {
    let object = value.as_object()?;
    (object.len() == keys.len() && keys.iter().all(|key| object.contains_key(*key)))
        .then_some(object)
}

/// Whether `number` is a whole multiple of `step`, within floating-point noise.
fn is_multiple(number: f64, step: f64) -> bool {
    if step.is_nan() || step <= 0.0 || !number.is_finite() {
        return false;
    }
    let quotient = number / step;
    (quotient - quotient.round()).abs() < 1e-6
}

/// A `YYYY-MM-DD` date, exactly.
pub(crate) fn parse_day(text: &str) -> Option<NaiveDate> {
    (text.len() == 10)
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
}

/// `YYYY-Www`, a week that exists in that ISO year.
fn parse_iso_week(text: &str) -> Option<NaiveDate> {
    let (year, week) = text.split_once("-W")?;
    if year.len() != 4 || week.len() != 2 {
        return None;
    }
    let year: i32 = year.parse().ok()?;
    let week: u32 = week.parse().ok()?;
    let monday = NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)?;
    (monday.iso_week().week() == week).then_some(monday)
}

/// `YYYY-MM`.
fn parse_month(text: &str) -> Option<NaiveDate> {
    let (year, month) = text.split_once('-')?;
    if year.len() != 4 || month.len() != 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, 1)
}

fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Canonical JSON: object keys sorted, no whitespace; strings and numbers as serde_json
/// writes them.
pub(crate) fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(object) => {
            let mut entries: Vec<(&String, &Value)> = object.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (index, (key, value)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod window_tests;
