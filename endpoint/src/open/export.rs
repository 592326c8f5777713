//! Rendering opened submissions: JSON, CSV, FHIR R4 (the FHIR mapping is [`crate::fhir`]).

use std::collections::BTreeSet;

use selfreport_core::policy::PolicyDocument;
use serde_json::Value;

use super::OpenedSubmission;
use crate::error::Result;

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
        .chain(["unconfirmed", "flags"])
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
        row.push(if submission.unconfirmed { "yes" } else { "" }.to_owned());
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

/// A FHIR R4 Bundle of QuestionnaireResponse resources; see [`crate::fhir::response_bundle`].
pub fn to_fhir(submissions: &[OpenedSubmission], policy: &PolicyDocument) -> Result<String> {
    crate::fhir::response_bundle(submissions, policy)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use selfreport_core::policy::parse_policy_document;

    use super::super::Flag;
    use serde_json::json;

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
            monitoring_district: None,
            notice_key: None,
            unconfirmed: false,
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
            "submission_id,received_at,form,date,pseudonym,name,phone,temperature,symptoms,district,unconfirmed,flags"
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
}
