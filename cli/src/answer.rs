//! `--answer FIELD=VALUE` arguments.
//!
//! The command line only splits each argument into a field id and its text; what the text
//! means (a temperature, codes joined by `,`, travel legs joined by `;`) depends on the
//! field's kind in the policy, and the core parses and validates it against the form.

use std::fmt;
use std::str::FromStr;

/// One `--answer FIELD=VALUE` argument, split at the first `=`.
#[derive(Clone, PartialEq, Eq)]
pub struct AnswerArg {
    /// The field id (`temperature`).
    pub field: String,
    /// The answer as typed (`37.2`); may be empty (no symptoms, no travel).
    pub value: String,
}

impl fmt::Debug for AnswerArg {
    /// Shows the field only: answers are personal data and must not reach logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnswerArg")
            .field("field", &self.field)
            .finish_non_exhaustive()
    }
}

/// Why an `--answer` argument is not of the form `FIELD=VALUE`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerArgError {
    /// There is no `=`.
    #[error("expected FIELD=VALUE")]
    MissingEquals,
    /// Nothing before the `=`.
    #[error("the field id before `=` is empty")]
    EmptyField,
}

impl FromStr for AnswerArg {
    type Err = AnswerArgError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (field, value) = text.split_once('=').ok_or(AnswerArgError::MissingEquals)?;
        let field = field.trim();
        if field.is_empty() {
            return Err(AnswerArgError::EmptyField);
        }
        Ok(Self {
            field: field.to_owned(),
            value: value.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<AnswerArg, AnswerArgError> {
        text.parse()
    }

    #[test]
    fn splits_at_the_first_equals_sign() {
        let answer = parse("temperature=37.2").unwrap();
        assert_eq!(answer.field, "temperature");
        assert_eq!(answer.value, "37.2");
        // Values may themselves contain `=` (free-text notes).
        let notes = parse("notes=a=b").unwrap();
        assert_eq!(notes.field, "notes");
        assert_eq!(notes.value, "a=b");
    }

    #[test]
    fn keeps_multi_choice_and_travel_values_whole() {
        let symptoms = parse("symptoms=cough,fatigue").unwrap();
        assert_eq!(symptoms.value, "cough,fatigue");
        let travel =
            parse("travel=420106:2026-11-01:2026-11-03;310104:2026-11-04:2026-11-04").unwrap();
        assert_eq!(travel.field, "travel");
        assert_eq!(
            travel.value,
            "420106:2026-11-01:2026-11-03;310104:2026-11-04:2026-11-04"
        );
    }

    #[test]
    fn empty_values_are_answers_meaning_none() {
        let none = parse("symptoms=").unwrap();
        assert_eq!(none.field, "symptoms");
        assert_eq!(none.value, "");
    }

    #[test]
    fn values_keep_their_spaces_and_unicode() {
        let notes = parse("notes= 头有点疼, slight headache ").unwrap();
        assert_eq!(notes.value, " 头有点疼, slight headache ");
        let padded = parse(" name =林晓雯").unwrap();
        assert_eq!(padded.field, "name");
    }

    #[test]
    fn malformed_arguments_are_refused() {
        assert_eq!(parse("temperature"), Err(AnswerArgError::MissingEquals));
        assert_eq!(parse(""), Err(AnswerArgError::MissingEquals));
        assert_eq!(parse("=37.2"), Err(AnswerArgError::EmptyField));
        assert_eq!(parse(" =37.2"), Err(AnswerArgError::EmptyField));
    }

    #[test]
    fn debug_output_hides_the_value() {
        let answer = parse("notes=secret canary").unwrap();
        let debug = format!("{answer:?}");
        assert!(debug.contains("notes"));
        assert!(!debug.contains("secret canary"));
    }
}
