//! `--answers FILE|-` and `--from FILE|-`: answers and profile attributes read from a file
//! or stdin, so that nothing a person types reaches the command line (where any local
//! user reads it in `/proc/*/cmdline`, and the shell keeps it in its history).
//!
//! Two forms are accepted:
//! - a JSON object: `{"temperature": 36.6, "symptoms": ["cough", "fatigue"]}`. Strings
//!   are taken as typed; numbers as written; `true`/`false` as `yes`/`no`; an array of
//!   strings is a multiple choice (`[]` for none); an array of `{"place", "from", "to"}`
//!   objects is a travel history; `null` leaves the field out (for a profile edit: clears
//!   the attribute);
//! - `field=value` lines, one per field, exactly as `--answer` takes them (multiple
//!   choices comma-separated, travel legs `PLACE:FROM:TO` joined by `;`); blank lines
//!   and lines starting with `#` are skipped.

use std::fs;
use std::io::Read as _;
use std::path::Path;

use serde_json::Value;

use crate::answer::AnswerArg;
use crate::failure::Failure;
use crate::i18n::tr_with;

/// The largest answers file read: far above any form's answers.
pub const MAX_ANSWERS_BYTES: u64 = 256 * 1024;

/// The stable code of a file of answers or attributes that cannot be used.
pub const CODE: &str = "AnswersFile";

/// One `field` and its value as read; `None` is JSON `null`.
#[derive(Clone, PartialEq, Eq)]
pub struct ReadAnswer {
    /// The field (or profile attribute) id.
    pub field: String,
    /// The value in the `--answer` text form; `None` for JSON `null`.
    pub value: Option<String>,
}

impl std::fmt::Debug for ReadAnswer {
    /// The field only: values are personal data.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadAnswer")
            .field("field", &self.field)
            .finish_non_exhaustive()
    }
}

/// Reads `source` (`-` for stdin, else a file path) whole, up to [`MAX_ANSWERS_BYTES`].
pub fn read_source(source: &Path) -> Result<String, Failure> {
    let mut bytes = Vec::new();
    let limit = MAX_ANSWERS_BYTES.saturating_add(1);
    let result = if source == Path::new("-") {
        std::io::stdin().lock().take(limit).read_to_end(&mut bytes)
    } else {
        fs::File::open(source).and_then(|file| file.take(limit).read_to_end(&mut bytes))
    };
    let name = || {
        if source == Path::new("-") {
            "stdin".to_owned()
        } else {
            source.display().to_string()
        }
    };
    result.map_err(|error| Failure::io(tr_with("io.cannot_read", &[("path", &name())]), &error))?;
    if bytes.len() as u64 > MAX_ANSWERS_BYTES {
        return Err(Failure::invalid(
            CODE,
            format!("{} is larger than {MAX_ANSWERS_BYTES} bytes", name()),
        ));
    }
    String::from_utf8(bytes)
        .map_err(|_| Failure::invalid(CODE, format!("{} is not UTF-8 text", name())))
}

/// Parses answers in either form (a JSON object when the text starts with `{`).
pub fn parse(text: &str) -> Result<Vec<ReadAnswer>, Failure> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim_start().starts_with('{') {
        parse_json(text)
    } else {
        parse_lines(text)
    }
}

fn parse_lines(text: &str) -> Result<Vec<ReadAnswer>, Failure> {
    let mut answers = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let answer: AnswerArg = line
            .parse()
            .map_err(|error| Failure::invalid(CODE, format!("line {}: {error}", index + 1)))?;
        answers.push(ReadAnswer {
            field: answer.field,
            value: Some(answer.value),
        });
    }
    Ok(answers)
}

fn parse_json(text: &str) -> Result<Vec<ReadAnswer>, Failure> {
    // The parser's message gives the line and column, never the text.
    let value: Value = serde_json::from_str(text)
        .map_err(|error| Failure::invalid(CODE, format!("not a JSON object: {error}")))?;
    let Value::Object(object) = value else {
        return Err(Failure::invalid(CODE, "not a JSON object"));
    };
    object
        .into_iter()
        .map(|(field, value)| {
            let value = json_value_text(&field, &value)?;
            Ok(ReadAnswer { field, value })
        })
        .collect()
}

/// A JSON value in the `--answer` text form.
fn json_value_text(field: &str, value: &Value) -> Result<Option<String>, Failure> {
    let unusable = |what: &str| {
        Failure::invalid(
            CODE,
            format!("field `{field}`: {what} (see `selfreport report --help`)"),
        )
    };
    Ok(Some(match value {
        Value::Null => return Ok(None),
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        Value::Bool(true) => "yes".to_owned(),
        Value::Bool(false) => "no".to_owned(),
        Value::Array(items) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(","),
        Value::Array(items) if items.iter().all(Value::is_object) => items
            .iter()
            .map(|leg| {
                let part = |name: &str| {
                    leg.get(name)
                        .and_then(Value::as_str)
                        .ok_or_else(|| unusable("a travel leg needs text `place`, `from` and `to`"))
                };
                Ok(format!(
                    "{}:{}:{}",
                    part("place")?,
                    part("from")?,
                    part("to")?
                ))
            })
            .collect::<Result<Vec<_>, Failure>>()?
            .join(";"),
        Value::Array(_) => {
            return Err(unusable(
                "a list holds codes (text) or travel legs (objects), not a mix",
            ));
        }
        Value::Object(_) => return Err(unusable("an object is not an answer")),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(answers: &[ReadAnswer]) -> Vec<(&str, Option<&str>)> {
        answers
            .iter()
            .map(|answer| (answer.field.as_str(), answer.value.as_deref()))
            .collect()
    }

    #[test]
    fn lines_are_field_equals_value_with_comments_and_blanks_skipped() {
        let answers =
            parse("# Mum, today\r\ntemperature=36.6\r\n\nsymptoms=cough,fatigue\nnotes= a=b \n")
                .unwrap();
        assert_eq!(
            pairs(&answers),
            [
                ("temperature", Some("36.6")),
                ("symptoms", Some("cough,fatigue")),
                ("notes", Some(" a=b ")),
            ]
        );
        let failure = parse("temperature=36.6\nfever\n").unwrap_err();
        assert_eq!(failure.code(), CODE);
        assert!(failure.line().contains("line 2"), "{}", failure.line());
    }

    #[test]
    fn json_values_become_answer_text() {
        let answers = parse(
            r#"{"temperature": 36.6, "symptoms": ["cough", "fatigue"], "none": [],
                "contact_with_case": false, "name": "王秀英", "district": null,
                "travel": [{"place": "420106", "from": "2026-11-01", "to": "2026-11-03"},
                           {"place": "310104", "from": "2026-11-04", "to": "2026-11-04"}]}"#,
        )
        .unwrap();
        let mut got = pairs(&answers);
        got.sort();
        assert_eq!(
            got,
            [
                ("contact_with_case", Some("no")),
                ("district", None),
                ("name", Some("王秀英")),
                ("none", Some("")),
                ("symptoms", Some("cough,fatigue")),
                ("temperature", Some("36.6")),
                (
                    "travel",
                    Some("420106:2026-11-01:2026-11-03;310104:2026-11-04:2026-11-04")
                ),
            ]
        );
    }

    #[test]
    fn unusable_json_is_refused_without_echoing_values() {
        for bad in [
            r#"{"symptoms": ["cough", 3]}"#,
            r#"{"travel": [{"place": "420106"}]}"#,
            r#"{"x": {"secret": "canary-value"}}"#,
            r#"["canary-value"]"#,
            r#"{"x": "canary-value""#,
        ] {
            let failure = parse(bad).unwrap_err();
            assert_eq!(failure.code(), CODE, "{bad}");
            assert_eq!(failure.exit_code(), crate::failure::EXIT_INVALID_INPUT);
            assert!(
                !failure.line().contains("canary-value"),
                "{}",
                failure.line()
            );
        }
    }

    #[test]
    fn debug_hides_values() {
        let answers = parse("name=canary-value\n").unwrap();
        assert!(!format!("{answers:?}").contains("canary-value"));
    }

    #[test]
    fn oversized_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("today-answers.txt");
        fs::write(&path, "a".repeat(MAX_ANSWERS_BYTES as usize + 1)).unwrap();
        assert_eq!(read_source(&path).unwrap_err().code(), CODE);
        fs::write(&path, "temperature=36.6\n").unwrap();
        assert_eq!(read_source(&path).unwrap(), "temperature=36.6\n");
    }
}
