//! Fuzz target `answers`: text as a person (or an app) answers a form.
//!
//! The input, read as UTF-8 (invalid bytes replaced), is used twice:
//!
//! 1. whole, as the answer to one field of every kind: each field kind of the example
//!    daily-report and traveler policies, plus the kinds they do not use (choice,
//!    integer, dates with and without the future) with edge parameters
//!    (`parse_answer`);
//! 2. as lines answering the forms of both example policies (`validate_answers`):
//!    `FIELD=text` answers with text, `FIELD:=json` with a typed value (a `FieldValue`
//!    in its stored JSON form), `date=YYYY-MM-DD` sets the record's date (default:
//!    today). Answers that validate are then minimized for upload, as a sync would.
//!
//! Invariants: nothing panics; every refusal is a `ValidationError` (or, when
//! minimizing, a `MinimizeError`) with a stable code; a value `parse_answer` accepts
//! passes `check_value`; a form's values validate again as typed values; a minimized
//! part's plaintext is exactly its padded size and its canonical JSON parses.
#![no_main]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use selfreport_core::minimize::minimize;
use selfreport_core::model::{
    AnswerInput, Answers, FieldKind, FieldValue, Record, RecordId, check_value, parse_answer,
    validate_answers,
};
use selfreport_core::policy::Form;
use selfreport_fuzz::{assert_code, example_policies, profile, today};

/// Every field kind to parse the whole input as: the example policies' kinds first,
/// then the others with parameters at their edges.
fn kinds() -> &'static [FieldKind] {
    static KINDS: OnceLock<Vec<FieldKind>> = OnceLock::new();
    KINDS.get_or_init(|| {
        let mut kinds: Vec<FieldKind> = Vec::new();
        let examples = example_policies()
            .iter()
            .flat_map(|policy| &policy.forms)
            .flat_map(|form| &form.fields)
            .map(|field| field.kind.clone());
        let codes = |codes: &[&str]| codes.iter().map(|code| (*code).to_owned()).collect();
        let others = [
            FieldKind::Choice {
                codes: codes(&["home", "hotel", "quarantine_site"]),
            },
            FieldKind::Choice { codes: Vec::new() },
            FieldKind::MultiChoice { codes: Vec::new() },
            FieldKind::Integer { min: 0, max: 120 },
            FieldKind::Integer {
                min: i64::MIN,
                max: i64::MAX,
            },
            FieldKind::Date {
                allow_future: false,
            },
            FieldKind::Date { allow_future: true },
            FieldKind::Text { max_len: 0 },
            FieldKind::Text { max_len: u32::MAX },
            FieldKind::YesNo,
            FieldKind::District,
            FieldKind::ResidentId,
            FieldKind::PassportNumber,
            FieldKind::Phone,
        ];
        for kind in examples.chain(others) {
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        kinds
    })
}

/// The forms of both example policies, with the id and version of their policy.
fn forms() -> impl Iterator<Item = (&'static str, u64, &'static Form)> {
    example_policies().iter().flat_map(|policy| {
        policy
            .forms
            .iter()
            .map(move |form| (policy.id.as_str(), policy.version, form))
    })
}

/// Reads the lines of the input: the answers and the record's date (if a line gives one
/// that parses).
fn answers(text: &str) -> (Answers, Option<NaiveDate>) {
    let mut answers = Answers::new();
    let mut date = None;
    for line in text.lines() {
        if let Some((field, json)) = line.split_once(":=") {
            if let Ok(value) = serde_json::from_str::<FieldValue>(json) {
                answers.insert(field, AnswerInput::Value(value));
                continue;
            }
        }
        if let Some((field, answer)) = line.split_once('=') {
            if field == "date" {
                date = answer.parse().ok();
            } else {
                answers.insert(field, AnswerInput::Text(answer.to_owned()));
            }
        }
    }
    (answers, date)
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let today = today();

    for kind in kinds() {
        match parse_answer("field", kind, &text, today) {
            Ok(value) => {
                assert_eq!(value.kind_name(), kind.name());
                if let Err(error) = check_value("field", kind, &value, today) {
                    panic!(
                        "parse_answer accepted what check_value refuses: {}",
                        error.code()
                    );
                }
            }
            Err(error) => {
                assert_code(error.code());
                assert_code(error.rule.code());
                let _ = error.to_string();
            }
        }
    }

    let (given, date) = answers(&text);
    let date = date.unwrap_or(today);
    let profile = profile();
    for (policy_id, policy_version, form) in forms() {
        let values = match validate_answers(form, &profile, given.clone(), date, today) {
            Ok(values) => values,
            Err(error) => {
                assert_code(error.code());
                let _ = error.to_string();
                continue;
            }
        };
        for (field, value) in &values {
            let spec = form
                .field(field)
                .expect("validate_answers keeps only form fields");
            if let Err(error) = check_value(field, &spec.kind, value, today) {
                panic!("an accepted value fails its check: {}", error.code());
            }
        }
        let typed = values
            .iter()
            .fold(Answers::new(), |answers, (field, value)| {
                answers.value(field.clone(), value.clone())
            });
        let again = validate_answers(form, &profile, typed, date, today)
            .expect("accepted values validate again as typed values");
        assert_eq!(again, values);
        disclose(policy_id, policy_version, form, values, date);
    }
});

/// Minimizes a validated record as a sync would, checking the plaintext of every part.
fn disclose(
    policy_id: &str,
    policy_version: u64,
    form: &Form,
    values: BTreeMap<String, FieldValue>,
    date: NaiveDate,
) {
    let Some(policy) = example_policies()
        .iter()
        .find(|policy| policy.id == policy_id)
    else {
        return;
    };
    let profile = profile();
    let record = Record {
        id: RecordId::from_random_bytes([2; 16]),
        profile_id: profile.id.clone(),
        policy_id: policy_id.to_owned(),
        policy_version,
        form_id: form.id.clone(),
        date,
        values,
        revision: 1,
        amends: None,
        saved_at: chrono::DateTime::UNIX_EPOCH.fixed_offset(),
    };
    let pseudonym = "00112233445566778899aabbccddeeff";
    let submission_id = "ffeeddccbbaa99887766554433221100";
    match minimize(policy, &record, &profile, pseudonym, submission_id) {
        Ok(disclosure) => {
            for (recipient, part) in disclosure.parts() {
                let plaintext = disclosure
                    .plaintext(recipient)
                    .expect("a part of the disclosure has a plaintext");
                assert_eq!(plaintext.len(), part.padded_size());
                let json = disclosure
                    .canonical_json(recipient)
                    .expect("a part of the disclosure has canonical JSON");
                serde_json::from_str::<serde_json::Value>(&json).expect("canonical JSON parses");
            }
        }
        Err(error) => assert_code(error.code()),
    }
}
