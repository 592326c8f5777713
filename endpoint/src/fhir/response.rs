//! Opened submissions as FHIR R4 `QuestionnaireResponse` resources answering the
//! Questionnaires of [`super::questionnaire_bundle`], in one `collection` Bundle.
//!
//! Each answer takes the type its field's shape gives (kind and transform, from the
//! policy), never a type guessed from the value. A value that cannot be written as that
//! type (which `open`'s conformance check leaves only at the edges, a year `0000`) is
//! left out and flagged on the response, so the Bundle stays valid FHIR.

use chrono::NaiveDate;
use selfreport_core::policy::{FieldSpec, PolicyDocument};
use serde_json::{Value, json};

use super::shape::{
    CITY_REGEX, DISTRICT_REGEX, PROVINCE_REGEX, PSEUDONYM_REGEX, Shape, WEEK_REGEX, age_band_code,
    age_band_concepts, shape_of,
};
use super::{FLAG_EXTENSION_URL, age_band_url, policy_codes_url, pretty, questionnaire_url};
use crate::error::Result;
use crate::open::OpenedSubmission;

/// A FHIR R4 `Bundle` (type `collection`) of `QuestionnaireResponse` resources, one per
/// submission: status `completed`, `questionnaire` the form's canonical URL and the
/// policy's version (`url|version`), `authored` the record date, the pseudonym as the
/// subject's identifier, an item per uploaded field present (policy order) typed by its
/// shape, and each flag as an extension.
pub fn response_bundle(
    submissions: &[OpenedSubmission],
    policy: &PolicyDocument,
) -> Result<String> {
    let mut entries = Vec::new();
    for submission in submissions {
        entries.push(json!({
            "fullUrl": full_url(&submission.submission_id),
            "resource": questionnaire_response(submission, policy)?,
        }));
    }
    Ok(pretty(&json!({
        "resourceType": "Bundle",
        "type": "collection",
        "entry": entries,
    })))
}

/// `urn:uuid:` and the 128-bit submission id in UUID form; an id that is not 32 hex
/// digits (a stored row the drop box should never have kept) keeps a URN of its own.
fn full_url(submission_id: &str) -> String {
    if is_lower_hex(submission_id, 32) {
        let id = submission_id;
        format!(
            "urn:uuid:{}-{}-{}-{}-{}",
            &id[0..8],
            &id[8..12],
            &id[12..16],
            &id[16..20],
            &id[20..32]
        )
    } else {
        format!(
            "urn:selfreport:submission:{}",
            submission_id
                .bytes()
                .filter(u8::is_ascii_alphanumeric)
                .map(char::from)
                .collect::<String>()
        )
    }
}

fn questionnaire_response(submission: &OpenedSubmission, policy: &PolicyDocument) -> Result<Value> {
    let mut resource = json!({
        "resourceType": "QuestionnaireResponse",
        "identifier": {"system": "urn:selfreport:submission", "value": submission.submission_id},
        "status": "completed",
    });
    if is_lower_hex(&submission.submission_id, 32) {
        resource["id"] = json!(submission.submission_id);
    }
    let mut flags: Vec<String> = submission
        .flags
        .iter()
        .map(|flag| format!("{}: {}", flag.field, flag.problem))
        .collect();
    let form = submission
        .form
        .as_deref()
        .and_then(|form_id| policy.form(form_id));
    let mut items = Vec::new();
    if let Some(form) = form {
        resource["questionnaire"] = json!(format!(
            "{}|{}",
            questionnaire_url(policy, &form.id)?,
            policy.version
        ));
        for field in &form.fields {
            let (Some(shape), Some(value)) = (
                shape_of(field),
                submission
                    .recipients
                    .values()
                    .find_map(|fields| fields.get(&field.id)),
            ) else {
                continue;
            };
            match field_items(policy, field, &shape, value)? {
                Ok(field_items) => items.extend(field_items),
                Err(problem) => flags.push(format!(
                    "{}: left out, cannot be written as FHIR {}: {problem}",
                    field.id,
                    shape.item_type()
                )),
            }
        }
    }
    if !items.is_empty() {
        resource["item"] = Value::Array(items);
    }
    if let Some(date) = &submission.date {
        resource["authored"] = json!(date);
    }
    if let Some(pseudonym) = &submission.pseudonym {
        resource["subject"] = json!({
            "identifier": {"system": format!("urn:selfreport:pseudonym:{}", policy.id), "value": pseudonym}
        });
    }
    if !flags.is_empty() {
        resource["extension"] = flags
            .into_iter()
            .map(|flag| json!({"url": FLAG_EXTENSION_URL, "valueString": flag}))
            .collect();
    }
    Ok(resource)
}

/// The response items of one field's value: none for an empty choice or travel list
/// (FHIR has no empty answer), one item per travel leg, one item otherwise. The inner
/// error is why the value does not fit its shape.
fn field_items(
    policy: &PolicyDocument,
    field: &FieldSpec,
    shape: &Shape,
    value: &Value,
) -> Result<Result<Vec<Value>, String>> {
    let one = |answers: Vec<Value>| Ok(Ok(vec![json!({"linkId": field.id, "answer": answers})]));
    let mismatch = |expected: &str| Ok(Err(format!("not {expected}")));
    match shape {
        Shape::Boolean => match value.as_bool() {
            Some(flag) => one(vec![json!({"valueBoolean": flag})]),
            None => mismatch("true or false"),
        },
        Shape::Integer => match value.as_i64().and_then(|n| i32::try_from(n).ok()) {
            Some(number) => one(vec![json!({"valueInteger": number})]),
            None => mismatch("a whole number of 32 bits"),
        },
        Shape::Decimal => match value {
            Value::Number(number) => one(vec![json!({"valueDecimal": number})]),
            _ => mismatch("a number"),
        },
        Shape::Date => match value.as_str().filter(|text| is_fhir_date(text)) {
            Some(date) => one(vec![json!({"valueDate": date})]),
            None => mismatch("a FHIR date (YYYY-MM-DD or YYYY-MM, year 0001 or later)"),
        },
        Shape::String { regex } => match value.as_str() {
            Some(text) if regex.is_none_or(|regex| matches_regex(regex, text)) => {
                one(vec![json!({"valueString": text})])
            }
            _ => mismatch(regex.unwrap_or("a string")),
        },
        Shape::Text { .. } => match value.as_str() {
            Some(text) if !text.is_empty() => one(vec![json!({"valueString": text})]),
            _ => mismatch("non-empty text"),
        },
        Shape::Codes { codes, .. } => {
            let chosen: Vec<&str> = match value {
                Value::String(code) => vec![code.as_str()],
                Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
                _ => return mismatch("a code or a list of codes"),
            };
            if chosen.iter().any(|code| !codes.iter().any(|c| c == code)) {
                return mismatch("codes of the policy");
            }
            if chosen.is_empty() {
                return Ok(Ok(Vec::new()));
            }
            let system = policy_codes_url(policy)?;
            one(chosen
                .into_iter()
                .map(|code| json!({"valueCoding": {"system": system, "code": code}}))
                .collect())
        }
        Shape::AgeBand { width } => {
            let bound = |key: &str| value.get(key).and_then(Value::as_u64);
            let (Some(from), Some(to)) = (bound("from"), bound("to")) else {
                return mismatch("an age band {from, to}");
            };
            let code = age_band_code(*width, from, to);
            let Some((_, display)) = age_band_concepts(*width)
                .into_iter()
                .find(|(known, _)| *known == code)
            else {
                return mismatch("a band of the age band code system");
            };
            one(vec![json!({"valueCoding": {
                "system": age_band_url(*width), "code": code, "display": display,
            }})])
        }
        Shape::Legs { place_regex } => {
            let Some(legs) = value.as_array() else {
                return mismatch("a list of travel legs");
            };
            let mut items = Vec::new();
            for leg in legs {
                let text = |key: &str| leg.get(key).and_then(Value::as_str);
                let (Some(place), Some(from), Some(to)) = (text("place"), text("from"), text("to"))
                else {
                    return mismatch("travel legs {place, from, to}");
                };
                if !matches_regex(place_regex, place) || !is_fhir_date(from) || !is_fhir_date(to) {
                    return mismatch("travel legs of district codes and FHIR dates");
                }
                items.push(json!({"linkId": field.id, "item": [
                    {"linkId": format!("{}.place", field.id), "answer": [{"valueString": place}]},
                    {"linkId": format!("{}.from", field.id), "answer": [{"valueDate": from}]},
                    {"linkId": format!("{}.to", field.id), "answer": [{"valueDate": to}]},
                ]}));
            }
            Ok(Ok(items))
        }
        Shape::RiskArea => {
            let visited = value.get("visited").and_then(Value::as_bool);
            let week = value.get("last_visit_week");
            match (visited, week) {
                (Some(false), Some(Value::Null)) => one(vec![json!({"valueBoolean": false})]),
                (Some(true), Some(Value::String(week))) if matches_regex(WEEK_REGEX, week) => {
                    one(vec![json!({"valueBoolean": true, "item": [{
                        "linkId": format!("{}.last_visit_week", field.id),
                        "answer": [{"valueString": week}],
                    }]})])
                }
                _ => mismatch("visited with the week of the last visit, or not visited"),
            }
        }
    }
}

/// A FHIR `date` of a day or a month that exists: `YYYY-MM-DD` or `YYYY-MM`, years
/// 0001 to 9999 (FHIR has no year zero).
pub(crate) fn is_fhir_date(text: &str) -> bool {
    let day = match text.len() {
        7 => format!("{text}-01"),
        10 => text.to_owned(),
        _ => return false,
    };
    let digits_at = |range: std::ops::Range<usize>| {
        day.get(range)
            .is_some_and(|part| part.bytes().all(|b| b.is_ascii_digit()))
    };
    digits_at(0..4)
        && digits_at(5..7)
        && digits_at(8..10)
        && !day.starts_with("0000")
        && NaiveDate::parse_from_str(&day, "%Y-%m-%d").is_ok()
}

/// Whether `text` matches one of the shapes' regular expressions (the few the shapes
/// use, checked by hand rather than with a regex engine).
fn matches_regex(regex: &str, text: &str) -> bool {
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if regex == WEEK_REGEX {
        return match text.split_once("-W") {
            Some((year, week)) if year.len() == 4 && week.len() == 2 => {
                digits(year) && digits(week) && matches!(week.parse::<u32>(), Ok(1..=53))
            }
            _ => false,
        };
    }
    let district = text.len() == 6 && digits(text);
    match regex {
        DISTRICT_REGEX => district,
        CITY_REGEX => district && text.ends_with("00"),
        PROVINCE_REGEX => district && text.ends_with("0000"),
        PSEUDONYM_REGEX => is_lower_hex(text, 32),
        _ => false,
    }
}

fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
