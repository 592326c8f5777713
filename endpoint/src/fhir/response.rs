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
use super::{age_band_url, policy_codes_url, pretty, questionnaire_url};
use crate::error::Result;
use crate::open::OpenedSubmission;

/// A FHIR R4 `Bundle` (type `collection`) of `QuestionnaireResponse` resources, one per
/// submission: status `completed`, `questionnaire` the form's canonical URL and the
/// policy's version (`url|version`), `authored` the record date, the pseudonym as the
/// subject's identifier, an item per uploaded field present (policy order) typed by its
/// shape, and the flags `open` raised as its narrative (see [`flags_narrative`]).
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
        if is_fhir_date(date) && date.len() == 10 {
            resource["authored"] = json!(date);
        } else {
            flags.push(format!(
                "date: {date} is not a FHIR date; authored left out"
            ));
        }
    }
    if !flags.is_empty() {
        resource["text"] = flags_narrative(&flags);
    }
    if let Some(pseudonym) = &submission.pseudonym {
        resource["subject"] = json!({
            "identifier": {"system": format!("urn:selfreport:pseudonym:{}", policy.id), "value": pseudonym}
        });
    }
    Ok(resource)
}

/// The flags of a submission as the response's narrative, status `additional` (it says
/// what the structured data does not). A narrative, not an extension: it needs no
/// definition a validator would have to find, and a person reading the response sees it.
/// Flags can quote a crafted submission's field names, so the text is escaped, and
/// characters XML cannot hold are dropped.
fn flags_narrative(flags: &[String]) -> Value {
    let mut div = String::from(
        "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>selfreport-authority open flagged this submission; the fields concerned are left out:</p><ul>",
    );
    for flag in flags {
        div.push_str("<li>");
        div.push_str(&xml_text(flag));
        div.push_str("</li>");
    }
    div.push_str("</ul></div>");
    json!({"status": "additional", "div": div})
}

/// `text` escaped for XML character data, without the characters XML 1.0 forbids.
fn xml_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use selfreport_core::model::FieldKind;
    use selfreport_core::policy::{
        DateGranularity, DistrictLevel, FieldSource, Transform, parse_policy_document,
    };

    use super::*;

    fn policy() -> PolicyDocument {
        parse_policy_document(include_bytes!(
            "../../../examples/policies/daily-report.json"
        ))
        .unwrap()
    }

    fn field(kind: FieldKind, upload: Transform) -> FieldSpec {
        FieldSpec {
            id: "f".to_owned(),
            kind,
            required: false,
            source: FieldSource::Answer,
            upload,
            to: Some("health".to_owned()),
            label: Default::default(),
        }
    }

    /// The answers written for `value` of a field of `kind` under `upload`, or the
    /// reason it cannot be written.
    fn answers(kind: FieldKind, upload: Transform, value: Value) -> Result<Value, String> {
        let field = field(kind, upload);
        let shape = shape_of(&field).unwrap();
        field_items(&policy(), &field, &shape, &value)
            .unwrap()
            .map(|items| match items.as_slice() {
                [] => Value::Null,
                [one] => one["answer"].clone(),
                many => Value::Array(many.to_vec()),
            })
    }

    const BIG: FieldKind = FieldKind::Integer {
        min: 0,
        max: 5_000_000_000,
    };
    const SMALL: FieldKind = FieldKind::Integer { min: 0, max: 100 };

    #[test]
    fn integers_past_32_bits_are_decimals_by_their_bounds_not_their_value() {
        assert_eq!(
            answers(BIG, Transform::Keep, json!(3_000_000_000u64)),
            Ok(json!([{"valueDecimal": 3_000_000_000u64}]))
        );
        // The same field's small value is still a decimal: the type is the field's.
        assert_eq!(
            answers(BIG, Transform::Keep, json!(7)),
            Ok(json!([{"valueDecimal": 7}]))
        );
        assert_eq!(
            answers(SMALL, Transform::Keep, json!(7)),
            Ok(json!([{"valueInteger": 7}]))
        );
        // Rounding may pass the bounds by a step.
        let near = FieldKind::Integer {
            min: 0,
            max: i64::from(i32::MAX),
        };
        assert_eq!(
            answers(
                near,
                Transform::Round { step: 10.0 },
                json!(2_147_483_650u64)
            ),
            Ok(json!([{"valueDecimal": 2_147_483_650u64}]))
        );
        assert_eq!(
            answers(SMALL, Transform::Round { step: 10.0 }, json!(30)),
            Ok(json!([{"valueInteger": 30}]))
        );
    }

    #[test]
    fn a_text_that_looks_like_a_date_stays_a_string() {
        for kind in [
            FieldKind::TransportNumber,
            FieldKind::PassportNumber,
            FieldKind::Text { max_len: 20 },
        ] {
            assert_eq!(
                answers(kind, Transform::Keep, json!("2026-02-30")),
                Ok(json!([{"valueString": "2026-02-30"}]))
            );
        }
        // A date field's impossible date is not written as a date.
        let date = FieldKind::Date {
            allow_future: false,
        };
        assert!(answers(date.clone(), Transform::Keep, json!("2026-02-30")).is_err());
        assert!(answers(date.clone(), Transform::Keep, json!("0000-01-01")).is_err());
        assert_eq!(
            answers(date, Transform::Keep, json!("2024-02-29")),
            Ok(json!([{"valueDate": "2024-02-29"}]))
        );
    }

    #[test]
    fn every_transform_has_its_type() {
        let date = || FieldKind::Date {
            allow_future: false,
        };
        let codes = vec!["a".to_owned(), "b".to_owned()];
        let cases = [
            (
                FieldKind::TemperatureC,
                Transform::Threshold { at: 37.3 },
                json!(true),
                json!([{"valueBoolean": true}]),
            ),
            (
                FieldKind::TemperatureC,
                Transform::Round { step: 0.5 },
                json!(37.5),
                json!([{"valueDecimal": 37.5}]),
            ),
            (
                FieldKind::TemperatureC,
                Transform::Keep,
                json!(37.3),
                json!([{"valueDecimal": 37.3}]),
            ),
            (
                date(),
                Transform::CoarsenDate {
                    granularity: DateGranularity::Month,
                },
                json!("2026-11"),
                json!([{"valueDate": "2026-11"}]),
            ),
            (
                date(),
                Transform::CoarsenDate {
                    granularity: DateGranularity::Week,
                },
                json!("2026-W48"),
                json!([{"valueString": "2026-W48"}]),
            ),
            (
                date(),
                Transform::AgeBand { width: 5 },
                json!({"from": 70, "to": 74}),
                json!([{"valueCoding": {
                    "system": "https://selfreport.example.org/fhir/CodeSystem/age-band-5y",
                    "code": "70-74", "display": "70 to 74 years"}}]),
            ),
            (
                FieldKind::District,
                Transform::Generalize {
                    level: DistrictLevel::Province,
                },
                json!("420000"),
                json!([{"valueString": "420000"}]),
            ),
            (
                FieldKind::MultiChoice {
                    codes: codes.clone(),
                },
                Transform::Count,
                json!(2),
                json!([{"valueInteger": 2}]),
            ),
            (
                FieldKind::Phone,
                Transform::Pseudonym,
                json!("00112233445566778899aabbccddeeff"),
                json!([{"valueString": "00112233445566778899aabbccddeeff"}]),
            ),
            (
                FieldKind::Choice { codes },
                Transform::Keep,
                json!("b"),
                json!([{"valueCoding": {
                    "system": "https://selfreport.example.org/fhir/CodeSystem/sh-daily-health",
                    "code": "b"}}]),
            ),
            (
                FieldKind::YesNo,
                Transform::Keep,
                json!(false),
                json!([{"valueBoolean": false}]),
            ),
        ];
        for (kind, upload, value, expected) in cases {
            let name = format!("{} under {}", kind.name(), upload.name());
            assert_eq!(answers(kind, upload, value), Ok(expected), "{name}");
        }
    }

    #[test]
    fn empty_lists_leave_the_item_out_and_legs_are_groups() {
        let symptoms = FieldKind::MultiChoice {
            codes: vec!["cough".to_owned()],
        };
        assert_eq!(
            answers(symptoms, Transform::Keep, json!([])),
            Ok(Value::Null)
        );
        let window = Transform::Window {
            days: 14,
            reference: None,
        };
        assert_eq!(
            answers(FieldKind::TravelHistory, window.clone(), json!([])),
            Ok(Value::Null)
        );
        let legs = json!([
            {"from": "2026-11-01", "place": "420106", "to": "2026-11-03"},
            {"from": "2026-11-05", "place": "310104", "to": "2026-11-05"},
        ]);
        let Ok(Value::Array(items)) = answers(FieldKind::TravelHistory, window, legs) else {
            panic!("two legs, two groups");
        };
        assert_eq!(items.len(), 2);
        assert_eq!(
            items[1],
            json!({"linkId": "f", "item": [
                {"linkId": "f.place", "answer": [{"valueString": "310104"}]},
                {"linkId": "f.from", "answer": [{"valueDate": "2026-11-05"}]},
                {"linkId": "f.to", "answer": [{"valueDate": "2026-11-05"}]},
            ]})
        );
    }

    #[test]
    fn risk_areas_are_booleans_with_the_week_as_a_child() {
        let risk = || Transform::RiskAreaVisited {
            areas: vec!["4201".to_owned()],
            window_days: 14,
            reference: None,
        };
        assert_eq!(
            answers(
                FieldKind::TravelHistory,
                risk(),
                json!({"visited": true, "last_visit_week": "2026-W46"})
            ),
            Ok(json!([{"valueBoolean": true, "item": [
                {"linkId": "f.last_visit_week", "answer": [{"valueString": "2026-W46"}]}
            ]}]))
        );
        assert_eq!(
            answers(
                FieldKind::TravelHistory,
                risk(),
                json!({"visited": false, "last_visit_week": null})
            ),
            Ok(json!([{"valueBoolean": false}]))
        );
        // A week FHIR's regex would refuse (a year before 0000) is left out, not written.
        assert!(
            answers(
                FieldKind::TravelHistory,
                risk(),
                json!({"visited": true, "last_visit_week": "-0001-W52"})
            )
            .is_err()
        );
    }

    #[test]
    fn a_value_that_does_not_fit_is_left_out_and_flagged() {
        let policy = policy();
        let submission = OpenedSubmission {
            submission_id: "0123456789abcdef0123456789abcdef".to_owned(),
            received_at: "2026-11-28T08:00:00Z".to_owned(),
            form: Some("daily".to_owned()),
            date: Some("2026-11-28".to_owned()),
            pseudonym: Some("00112233445566778899aabbccddeeff".to_owned()),
            monitoring_district: None,
            notice_key: None,
            unconfirmed: false,
            recipients: [(
                "health".to_owned(),
                [
                    ("temperature".to_owned(), json!("not a boolean")),
                    ("contact_with_case".to_owned(), json!(true)),
                ]
                .into(),
            )]
            .into(),
            flags: vec![],
        };
        let bundle: Value =
            serde_json::from_str(&response_bundle(&[submission], &policy).unwrap()).unwrap();
        let response = &bundle["entry"][0]["resource"];
        assert_eq!(
            bundle["entry"][0]["fullUrl"],
            "urn:uuid:01234567-89ab-cdef-0123-456789abcdef"
        );
        assert_eq!(response["item"].as_array().unwrap().len(), 1);
        assert_eq!(response["item"][0]["linkId"], "contact_with_case");
        assert_eq!(response["text"]["status"], "additional");
        let div = response["text"]["div"].as_str().unwrap();
        assert!(
            div.contains("<li>temperature: left out, cannot be written as FHIR boolean"),
            "{div}"
        );
        assert!(response.get("extension").is_none());
    }

    #[test]
    fn a_record_date_fhir_cannot_hold_is_not_authored_but_flagged() {
        let submission = OpenedSubmission {
            submission_id: "0123456789abcdef0123456789abcdef".to_owned(),
            received_at: "2026-11-28T08:00:00Z".to_owned(),
            form: Some("daily".to_owned()),
            date: Some("0000-01-01".to_owned()),
            pseudonym: None,
            monitoring_district: None,
            notice_key: None,
            unconfirmed: false,
            recipients: Default::default(),
            flags: vec![],
        };
        let bundle: Value =
            serde_json::from_str(&response_bundle(&[submission], &policy()).unwrap()).unwrap();
        let response = &bundle["entry"][0]["resource"];
        assert!(response.get("authored").is_none());
        assert!(
            response["text"]["div"]
                .as_str()
                .unwrap()
                .contains("<li>date: 0000-01-01 is not a FHIR date")
        );
    }

    #[test]
    fn flags_are_escaped_in_the_narrative() {
        let narrative = flags_narrative(&["<script>&\"x\u{0}\u{1b}\ny".to_owned()]);
        let div = narrative["div"].as_str().unwrap();
        assert!(
            div.contains("<li>&lt;script&gt;&amp;&quot;x y</li>"),
            "{div}"
        );
    }
}
