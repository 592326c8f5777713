//! `report`: answers from `--answers FILE|-`, from questions on the terminal, or (for
//! scripts and tests, visible to every local user) from `--answer FIELD=VALUE`; validated
//! by the core against the form and saved encrypted.

use std::io::IsTerminal as _;

use selfreport_core::model::{AnswerInput, Answers, ProfileId};

use crate::answer::AnswerArg;
use crate::answer_file::{self, ReadAnswer};
use crate::args::{GlobalOptions, ReportArgs};
use crate::commands::{emit, open};
use crate::failure::Failure;
use crate::i18n::tr_with;
use crate::prompt;

/// Runs `report`.
pub fn report(global: &GlobalOptions, args: ReportArgs) -> Result<(), Failure> {
    let profile = ProfileId::parse(&args.profile)?;
    let mut given: Vec<ReadAnswer> = args
        .answers
        .into_iter()
        .map(|AnswerArg { field, value }| ReadAnswer {
            field,
            value: Some(value),
        })
        .collect();
    if let Some(source) = &args.answers_from {
        given.extend(answer_file::parse(&answer_file::read_source(source)?)?);
    }
    let report = open(global)?;
    let ask = given.is_empty() && args.answers_from.is_none() && std::io::stdin().is_terminal();
    if ask {
        let policy = report.policy(&args.policy)?;
        let form =
            policy
                .document()
                .form(&args.form)
                .ok_or_else(|| selfreport_core::Error::NotFound {
                    what: "form",
                    id: args.form.clone(),
                })?;
        given = prompt::ask_answers(
            form,
            &mut std::io::stdin().lock(),
            &mut std::io::stderr().lock(),
        )?;
    }
    let answers = answers(given)?;
    let saved = report
        .save_record(&profile, &args.policy, &args.form, args.date, answers)
        .map_err(|error| {
            let invalid = matches!(error, selfreport_core::Error::Invalid(_));
            let failure = Failure::from(error);
            if invalid {
                // Every field of the form at once, rather than one refusal at a time.
                failure.with_hint(&tr_with(
                    "report.form_hint",
                    &[("policy", &args.policy), ("form", &args.form)],
                ))
            } else {
                failure
            }
        })?;
    emit(saved.id.as_str())
}

/// Turns answers into the core's, refusing a field given twice (in any mix of sources);
/// a JSON `null` leaves the field out.
pub fn answers(given: Vec<ReadAnswer>) -> Result<Answers, Failure> {
    if let Some(field) = repeated(&given) {
        return Err(Failure::invalid(
            "DuplicateAnswer",
            tr_with("answers.duplicate", &[("field", &field)]),
        ));
    }
    let mut answers = Answers::new();
    for answer in given {
        if let Some(value) = answer.value {
            answers.insert(answer.field, AnswerInput::Text(value));
        }
    }
    Ok(answers)
}

/// The first field given more than once, if any: a second answer would silently replace
/// the first, so it is refused instead.
pub fn repeated(answers: &[ReadAnswer]) -> Option<&str> {
    answers.iter().enumerate().find_map(|(index, answer)| {
        answers[..index]
            .iter()
            .any(|earlier| earlier.field == answer.field)
            .then_some(answer.field.as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arg(text: &str) -> ReadAnswer {
        let AnswerArg { field, value } = text.parse().unwrap();
        ReadAnswer {
            field,
            value: Some(value),
        }
    }

    #[test]
    fn answers_are_passed_as_text_for_the_core_to_parse() {
        let answers = answers(vec![
            arg("temperature=37.2"),
            arg("symptoms=cough,fatigue"),
            arg("travel=420106:2026-11-01:2026-11-03;310104:2026-11-04:2026-11-04"),
            ReadAnswer {
                field: "district".into(),
                value: None,
            },
        ])
        .unwrap();
        assert_eq!(answers.len(), 3);
        assert_eq!(
            answers.get("symptoms"),
            Some(&AnswerInput::Text("cough,fatigue".into()))
        );
        assert_eq!(
            answers.get("travel"),
            Some(&AnswerInput::Text(
                "420106:2026-11-01:2026-11-03;310104:2026-11-04:2026-11-04".into()
            ))
        );
        assert_eq!(answers.get("district"), None);
    }

    #[test]
    fn a_field_answered_twice_is_refused() {
        let failure = answers(vec![arg("temperature=37.2"), arg("temperature=36.0")]).unwrap_err();
        assert_eq!(failure.code(), "DuplicateAnswer");
        assert_eq!(failure.exit_code(), crate::failure::EXIT_INVALID_INPUT);
        assert!(failure.line().contains("`temperature`"));
    }
}
