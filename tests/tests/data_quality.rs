//! The data-quality corpus (`tests/data-quality/`): resident ID numbers and phone numbers
//! with the outcome each must have: accepted and normalized to an exact form, or refused
//! with an exact rule code. All mismatches are reported together; see the README there.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use selfreport_core::model::{FieldKind, FieldValue, parse_answer};

/// Fewest cases each kind must have, generated and hand-written together (issue 18).
const MIN_CASES_PER_KIND: usize = 500;

/// One row: what is typed, the code expected (`Ok` or a rule's), the normalized form.
struct Case {
    source: String,
    input: String,
    expected: String,
    normalized: String,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data-quality")
}

/// Every case of the files `<stem>.*.tsv`, in file then line order.
fn cases(stem: &str) -> Vec<Case> {
    let mut files: Vec<PathBuf> = fs::read_dir(corpus_dir())
        .expect("read tests/data-quality")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with(&format!("{stem}.")) && name.ends_with(".tsv")
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 2,
        "{stem}: generated and hand-written files expected"
    );
    let mut out = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).expect("read a corpus file");
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        for (index, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            assert!(fields.len() >= 2, "{name}:{}: too few columns", index + 1);
            out.push(Case {
                source: format!("{name}:{}", index + 1),
                input: fields[0].to_owned(),
                expected: fields[1].to_owned(),
                normalized: fields.get(2).copied().unwrap_or("").to_owned(),
            });
        }
    }
    out
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
}

/// Runs every case of `stem` through `parse_answer` for `kind`; returns the mismatches.
fn run(stem: &str, kind: &FieldKind, text_of: fn(&FieldValue) -> Option<&str>) -> Vec<String> {
    let cases = cases(stem);
    assert!(
        cases.len() >= MIN_CASES_PER_KIND,
        "{stem}: {} cases, at least {MIN_CASES_PER_KIND} expected",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let produced = match parse_answer("field", kind, &case.input, today()) {
            Ok(value) => match text_of(&value) {
                Some(text) if case.expected == "Ok" && text == case.normalized => continue,
                Some(text) => format!("Ok {text}"),
                None => format!("Ok, but a {} value", value.kind_name()),
            },
            Err(error) if error.rule.code() == case.expected => continue,
            Err(error) => error.rule.code().to_owned(),
        };
        failures.push(format!(
            "{}: {:?}: expected {} {}, got {produced}",
            case.source, case.input, case.expected, case.normalized
        ));
    }
    failures
}

fn assert_none(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn resident_ids_have_their_expected_outcomes() {
    assert_none(run(
        "resident-ids",
        &FieldKind::ResidentId,
        |value| match value {
            FieldValue::ResidentId(id) => Some(id),
            _ => None,
        },
    ));
}

#[test]
fn phone_numbers_have_their_expected_outcomes() {
    assert_none(run("phones", &FieldKind::Phone, |value| match value {
        FieldValue::Phone(number) => Some(number),
        _ => None,
    }));
}
