//! Rendering opened submissions: JSON, CSV, FHIR R4.

use std::collections::BTreeSet;

use selfreport_core::model::FieldKind;
use selfreport_core::policy::{FieldSpec, PolicyDocument, Transform};
use serde_json::{Value, json};

use super::OpenedSubmission;

/// A JSON array of the submissions (pretty-printed, a trailing newline).
pub fn to_json(submissions: &[OpenedSubmission]) -> String {
    let mut text = serde_json::to_string_pretty(submissions).unwrap_or_else(|_| "[]".to_owned());
    text.push('\n');
    text
}

/// CSV (RFC 4180, CRLF line ends): a header row, then one row per submission with
/// `submission_id`, `received_at`, `form`, `date`, `pseudonym`, a column per field (the
/// fields of the policy's forms in policy order, those present only), and `flags`.
///
/// String values are written as they are, other values as compact JSON. A cell that a
/// spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR and
/// not a plain number) is prefixed with `'`.
pub fn to_csv(submissions: &[OpenedSubmission], policy: &PolicyDocument) -> String {
    let present: BTreeSet<&str> = submissions
        .iter()
        .flat_map(|submission| submission.recipients.values())
        .flat_map(|fields| fields.keys().map(String::as_str))
        .collect();
    let mut columns: Vec<&str> = Vec::new();
    for form in &policy.forms {
        for field in &form.fields {
            if present.contains(field.id.as_str()) && !columns.contains(&field.id.as_str()) {
                columns.push(&field.id);
            }
        }
    }
    let mut out = String::new();
    let header: Vec<&str> = ["submission_id", "received_at", "form", "date", "pseudonym"]
        .into_iter()
        .chain(columns.iter().copied())
        .chain(["flags"])
        .collect();
    write_row(&mut out, header.iter().map(|name| (*name).to_owned()));
    for submission in submissions {
        let optional = |value: &Option<String>| value.clone().unwrap_or_default();
        let mut row = vec![
            submission.submission_id.clone(),
            submission.received_at.clone(),
            optional(&submission.form),
            optional(&submission.date),
            optional(&submission.pseudonym),
        ];
        for column in &columns {
            let value = submission
                .recipients
                .values()
                .find_map(|fields| fields.get(*column));
            row.push(match value {
                None => String::new(),
                Some(Value::String(text)) => text.clone(),
                Some(other) => other.to_string(),
            });
        }
        row.push(
            submission
                .flags
                .iter()
                .map(|flag| format!("{}: {}", flag.field, flag.problem))
                .collect::<Vec<_>>()
                .join("; "),
        );
        write_row(&mut out, row.into_iter());
    }
    out
}

fn write_row(out: &mut String, cells: impl Iterator<Item = String>) {
    for (index, cell) in cells.enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str(&csv_cell(&cell));
    }
    out.push_str("\r\n");
}

fn csv_cell(text: &str) -> String {
    let formula = text.starts_with(['=', '@', '\t', '\r'])
        || (text.starts_with(['+', '-']) && text[1..].parse::<f64>().is_err());
    let text = if formula {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\r', '\n']) || text.starts_with(' ') || text.ends_with(' ') {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The canonical URL of a form as a FHIR Questionnaire:
/// `urn:selfreport:policy:{policy id}:form:{form id}|{version}`.
pub fn questionnaire_url(policy: &PolicyDocument, form: &str) -> String {
    format!(
        "urn:selfreport:policy:{}:form:{form}|{}",
        policy.id, policy.version
    )
}

/// A FHIR R4 `Bundle` (type `collection`) of `QuestionnaireResponse` resources, one per
/// submission: status `completed`, `questionnaire` the form's canonical URL (see
/// [`questionnaire_url`]), `authored` the record date, the pseudonym as the subject's
/// identifier, one item per field (policy order) with `valueBoolean`, `valueInteger`,
/// `valueDecimal`, `valueDate`, `valueCoding` or `valueString` as fits, and each flag as
/// an extension.
pub fn to_fhir(submissions: &[OpenedSubmission], policy: &PolicyDocument) -> String {
    let entries: Vec<Value> = submissions
        .iter()
        .map(|submission| {
            json!({
                "fullUrl": format!("urn:selfreport:submission:{}", submission.submission_id),
                "resource": questionnaire_response(submission, policy),
            })
        })
        .collect();
    let bundle = json!({
        "resourceType": "Bundle",
        "type": "collection",
        "entry": entries,
    });
    let mut text = serde_json::to_string_pretty(&bundle).unwrap_or_default();
    text.push('\n');
    text
}

fn questionnaire_response(submission: &OpenedSubmission, policy: &PolicyDocument) -> Value {
    let form = submission
        .form
        .as_deref()
        .and_then(|form_id| policy.form(form_id));
    let mut items = Vec::new();
    if let Some(form) = form {
        for field in &form.fields {
            let value = submission
                .recipients
                .values()
                .find_map(|fields| fields.get(&field.id));
            if let Some(value) = value {
                items.push(json!({
                    "linkId": field.id,
                    "answer": answers(policy, field, value),
                }));
            }
        }
    }
    let mut resource = json!({
        "resourceType": "QuestionnaireResponse",
        "id": submission.submission_id,
        "identifier": {
            "system": "urn:selfreport:submission",
            "value": submission.submission_id,
        },
        "status": "completed",
        "item": items,
    });
    if let Some(form) = &submission.form {
        resource["questionnaire"] = json!(questionnaire_url(policy, form));
    }
    if let Some(date) = &submission.date {
        resource["authored"] = json!(date);
    }
    if let Some(pseudonym) = &submission.pseudonym {
        resource["subject"] = json!({
            "identifier": {"system": format!("urn:selfreport:pseudonym:{}", policy.id), "value": pseudonym}
        });
    }
    if !submission.flags.is_empty() {
        resource["extension"] = submission
            .flags
            .iter()
            .map(|flag| {
                json!({
                    "url": "urn:selfreport:flag",
                    "valueString": format!("{}: {}", flag.field, flag.problem),
                })
            })
            .collect();
    }
    resource
}

/// The FHIR answers for one field's value.
fn answers(policy: &PolicyDocument, field: &FieldSpec, value: &Value) -> Vec<Value> {
    let coding = |code: &str| {
        json!({"valueCoding": {
            "system": format!("urn:selfreport:policy:{}:field:{}", policy.id, field.id),
            "code": code,
        }})
    };
    let kept = matches!(field.upload, Transform::Keep);
    match (&field.kind, value) {
        (FieldKind::MultiChoice { .. }, Value::Array(codes)) if kept => {
            codes.iter().filter_map(Value::as_str).map(coding).collect()
        }
        (FieldKind::Choice { .. }, Value::String(code)) if kept => vec![coding(code)],
        (FieldKind::Date { .. }, Value::String(date)) if kept => {
            vec![json!({"valueDate": date})]
        }
        (_, Value::String(text)) if is_fhir_date(text) => vec![json!({"valueDate": text})],
        (_, Value::Bool(flag)) => vec![json!({"valueBoolean": flag})],
        (_, Value::Number(number)) if number.is_i64() || number.is_u64() => {
            vec![json!({"valueInteger": number})]
        }
        (_, Value::Number(number)) => vec![json!({"valueDecimal": number})],
        (_, Value::String(text)) => vec![json!({"valueString": text})],
        (_, other) => vec![json!({"valueString": other.to_string()})],
    }
}

/// A FHIR `date`: `YYYY-MM-DD` or `YYYY-MM` (a month from `coarsen_date`).
fn is_fhir_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    match bytes.len() {
        7 => digits(0..4) && bytes[4] == b'-' && digits(5..7),
        10 => digits(0..4) && bytes[4] == b'-' && digits(5..7) && bytes[7] == b'-' && digits(8..10),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use selfreport_core::policy::parse_policy_document;

    use super::super::Flag;
    use super::*;

    fn policy() -> PolicyDocument {
        parse_policy_document(include_bytes!(
            "../../../examples/policies/daily-report.json"
        ))
        .unwrap()
    }

    fn submission() -> OpenedSubmission {
        let mut health = BTreeMap::new();
        health.insert("temperature".to_owned(), json!(true));
        health.insert("symptoms".to_owned(), json!(["fever", "cough"]));
        health.insert("district".to_owned(), json!("420100"));
        let mut identity = BTreeMap::new();
        identity.insert("name".to_owned(), json!("=cmd, \"quoted\""));
        identity.insert("phone".to_owned(), json!("+8613800000000"));
        OpenedSubmission {
            submission_id: "0123456789abcdef0123456789abcdef".to_owned(),
            received_at: "2026-11-28T08:00:00Z".to_owned(),
            form: Some("daily".to_owned()),
            date: Some("2026-11-28".to_owned()),
            pseudonym: Some("00112233445566778899aabbccddeeff".to_owned()),
            recipients: [
                ("health".to_owned(), health),
                ("identity".to_owned(), identity),
            ]
            .into(),
            flags: vec![Flag::new(
                "notes",
                "the policy never uploads this field (omit)",
            )],
        }
    }

    #[test]
    fn json_is_an_array_of_the_submissions() {
        let text = to_json(&[submission()]);
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value[0]["recipients"]["health"]["temperature"], json!(true));
        assert_eq!(value[0]["flags"][0]["field"], json!("notes"));
        assert_eq!(to_json(&[]), "[]\n");
    }

    #[test]
    fn csv_has_a_column_per_present_field_in_policy_order_and_escapes() {
        let text = to_csv(&[submission()], &policy());
        let mut lines = text.split("\r\n");
        assert_eq!(
            lines.next().unwrap(),
            "submission_id,received_at,form,date,pseudonym,name,phone,temperature,symptoms,district,flags"
        );
        let row = lines.next().unwrap();
        assert!(
            row.contains(",\"'=cmd, \"\"quoted\"\"\",+8613800000000,true,"),
            "{row}"
        );
        assert!(row.contains("\"[\"\"fever\"\",\"\"cough\"\"]\""), "{row}");
        assert!(row.ends_with("notes: the policy never uploads this field (omit)"));
        assert_eq!(lines.next(), Some(""));
    }

    #[test]
    fn fhir_is_a_bundle_of_questionnaire_responses() {
        let text = to_fhir(&[submission()], &policy());
        let bundle: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(bundle["resourceType"], "Bundle");
        let response = &bundle["entry"][0]["resource"];
        assert_eq!(response["resourceType"], "QuestionnaireResponse");
        assert_eq!(response["status"], "completed");
        assert_eq!(
            response["questionnaire"],
            "urn:selfreport:policy:sh-daily-health:form:daily|1"
        );
        assert_eq!(response["authored"], "2026-11-28");
        let items = response["item"].as_array().unwrap();
        let link_ids: Vec<&str> = items
            .iter()
            .map(|i| i["linkId"].as_str().unwrap())
            .collect();
        assert_eq!(
            link_ids,
            ["name", "phone", "temperature", "symptoms", "district"]
        );
        assert_eq!(items[2]["answer"][0]["valueBoolean"], true);
        assert_eq!(items[3]["answer"].as_array().unwrap().len(), 2);
        assert_eq!(items[3]["answer"][1]["valueCoding"]["code"], "cough");
        assert_eq!(items[4]["answer"][0]["valueString"], "420100");
        assert_eq!(response["extension"][0]["url"], "urn:selfreport:flag");
    }

    #[test]
    fn fhir_answers_pick_the_value_type() {
        let policy = policy();
        let field = policy.form("daily").unwrap().field("temperature").unwrap();
        assert_eq!(
            answers(&policy, field, &json!(37)),
            vec![json!({"valueInteger": 37})]
        );
        assert_eq!(
            answers(&policy, field, &json!(37.5)),
            vec![json!({"valueDecimal": 37.5})]
        );
        assert_eq!(
            answers(&policy, field, &json!("2026-11")),
            vec![json!({"valueDate": "2026-11"})]
        );
        assert_eq!(
            answers(&policy, field, &json!({"from": 60, "to": 69})),
            vec![json!({"valueString": "{\"from\":60,\"to\":69}"})]
        );
    }
}
