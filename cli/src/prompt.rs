//! Questions asked on the terminal, one field or attribute at a time: the safe way to
//! type what must not reach the command line. Generic over reader and writer so that
//! tests drive it with text.

use std::io::{BufRead, Write};

use selfreport_core::model::{FieldKind, Profile};
use selfreport_core::policy::{FieldSource, Form};

use crate::answer_file::ReadAnswer;
use crate::failure::Failure;
use crate::i18n::{label, tr, tr_with};
use crate::policy_show::kind_text;

/// The profile attributes, in the order they are asked, as `--from` files name them.
pub const PROFILE_ATTRIBUTES: [&str; 6] = [
    "display_name",
    "name",
    "id_number",
    "phone",
    "birth_date",
    "passport_number",
];

/// Reads one line; `None` at the end of input.
fn read_line(input: &mut impl BufRead) -> Result<Option<String>, Failure> {
    let mut line = String::new();
    let read = input
        .read_line(&mut line)
        .map_err(|error| Failure::io(tr("io.read_terminal"), &error))?;
    if read == 0 {
        return Ok(None);
    }
    Ok(Some(line.trim_end_matches(['\n', '\r']).to_owned()))
}

fn say(output: &mut impl Write, text: &str) -> Result<(), Failure> {
    output
        .write_all(text.as_bytes())
        .and_then(|()| output.flush())
        .map_err(|error| Failure::io(tr("io.write_terminal"), &error))
}

/// Asks each answerable field of `form` in turn. An empty line leaves an optional field
/// out; for a required multiple choice or travel history it means "none". Fields taken
/// from the profile are not asked. The end of input stops the questions.
pub fn ask_answers(
    form: &Form,
    input: &mut impl BufRead,
    output: &mut impl Write,
) -> Result<Vec<ReadAnswer>, Failure> {
    say(output, &format!("{}\n", tr("prompt.answers_intro")))?;
    let mut answers = Vec::new();
    for field in form
        .fields
        .iter()
        .filter(|field| field.source == FieldSource::Answer)
    {
        let mut question = tr_with(
            "prompt.question",
            &[
                ("label", &label(&field.label)),
                ("id", &field.id),
                ("kind", &kind_text(&field.kind)),
            ],
        );
        if let FieldKind::Choice { codes } | FieldKind::MultiChoice { codes } = &field.kind {
            question.push_str(&tr_with(
                "prompt.with_codes",
                &[(
                    "codes",
                    &tr_with("policy.show.codes", &[("codes", &codes.join(", "))]),
                )],
            ));
        }
        if !field.required {
            question.push_str(tr("prompt.optional"));
        }
        say(output, &format!("{question}\n> "))?;
        let Some(line) = read_line(input)? else {
            break;
        };
        let none_means_empty = matches!(
            field.kind,
            FieldKind::MultiChoice { .. } | FieldKind::TravelHistory
        );
        if line.trim().is_empty() && !(field.required && none_means_empty) {
            continue;
        }
        answers.push(ReadAnswer {
            field: field.id.clone(),
            value: Some(line),
        });
    }
    Ok(answers)
}

/// Asks each profile attribute. For a new profile (`current` is `None`) an empty line
/// leaves it out; when editing, an empty line keeps the attribute and `-` clears it.
/// Current values are never shown, only whether they are set.
pub fn ask_profile(
    current: Option<&Profile>,
    input: &mut impl BufRead,
    output: &mut impl Write,
) -> Result<Vec<ReadAnswer>, Failure> {
    let intro = if current.is_some() {
        "prompt.profile_edit_intro"
    } else {
        "prompt.profile_add_intro"
    };
    say(output, &format!("{}\n", tr(intro)))?;
    let mut answers = Vec::new();
    for attribute in PROFILE_ATTRIBUTES {
        let mut question = tr(attribute_key(attribute)).to_owned();
        if let Some(profile) = current {
            let set = attribute_is_set(profile, attribute);
            question.push_str(&tr_with(
                "prompt.state",
                &[(
                    "state",
                    &tr(if set { "prompt.set" } else { "prompt.not_set" }),
                )],
            ));
        }
        say(output, &format!("{question}\n> "))?;
        let Some(line) = read_line(input)? else {
            break;
        };
        let line = line.trim();
        match (current.is_some(), line) {
            (_, "") => {}
            (true, "-") => answers.push(ReadAnswer {
                field: attribute.to_owned(),
                value: None,
            }),
            _ => answers.push(ReadAnswer {
                field: attribute.to_owned(),
                value: Some(line.to_owned()),
            }),
        }
    }
    Ok(answers)
}

fn attribute_key(attribute: &str) -> &'static str {
    match attribute {
        "display_name" => "prompt.display_name",
        "name" => "prompt.name",
        "id_number" => "prompt.id_number",
        "phone" => "prompt.phone",
        "birth_date" => "prompt.birth_date",
        _ => "prompt.passport_number",
    }
}

fn attribute_is_set(profile: &Profile, attribute: &str) -> bool {
    match attribute {
        "display_name" => true,
        "name" => profile.name.is_some(),
        "id_number" => profile.id_number.is_some(),
        "phone" => profile.phone.is_some(),
        "birth_date" => profile.birth_date.is_some(),
        _ => profile.passport_number.is_some(),
    }
}

#[cfg(test)]
mod tests {
    use selfreport_core::model::ProfileId;
    use selfreport_core::policy::{OncePer, Transform};

    use super::*;

    fn field(
        id: &str,
        kind: FieldKind,
        required: bool,
        source: FieldSource,
    ) -> selfreport_core::policy::FieldSpec {
        selfreport_core::policy::FieldSpec {
            id: id.to_owned(),
            kind,
            required,
            source,
            upload: Transform::Omit,
            to: None,
            label: [("en".to_owned(), format!("Label of {id}"))].into(),
        }
    }

    fn form() -> Form {
        Form {
            id: "daily".into(),
            once_per: OncePer::Day,
            requires_monitoring: true,
            enrollment: Default::default(),
            title: Default::default(),
            fields: vec![
                field("name", FieldKind::PersonName, true, FieldSource::Profile),
                field(
                    "temperature",
                    FieldKind::TemperatureC,
                    true,
                    FieldSource::Answer,
                ),
                field(
                    "symptoms",
                    FieldKind::MultiChoice {
                        codes: vec!["cough".into(), "fever".into()],
                    },
                    true,
                    FieldSource::Answer,
                ),
                field(
                    "notes",
                    FieldKind::Text { max_len: 20 },
                    false,
                    FieldSource::Answer,
                ),
            ],
            padded_bytes: Default::default(),
        }
    }

    fn pairs(answers: &[ReadAnswer]) -> Vec<(&str, Option<&str>)> {
        answers
            .iter()
            .map(|answer| (answer.field.as_str(), answer.value.as_deref()))
            .collect()
    }

    #[test]
    fn each_answerable_field_is_asked_with_its_codes() {
        let mut output = Vec::new();
        let answers = ask_answers(&form(), &mut "36.6\n\n\n".as_bytes(), &mut output).unwrap();
        // No symptoms is an answer ("none"); blank optional notes are left out.
        assert_eq!(
            pairs(&answers),
            [("temperature", Some("36.6")), ("symptoms", Some(""))]
        );
        let asked = String::from_utf8(output).unwrap();
        assert!(
            asked.contains("Label of temperature [temperature]"),
            "{asked}"
        );
        assert!(asked.contains("allowed codes: cough, fever"), "{asked}");
        assert!(
            !asked.contains("[name]"),
            "profile fields are not asked: {asked}"
        );
    }

    #[test]
    fn the_end_of_input_stops_the_questions() {
        let answers = ask_answers(&form(), &mut "37.0\n".as_bytes(), &mut Vec::new()).unwrap();
        assert_eq!(pairs(&answers), [("temperature", Some("37.0"))]);
    }

    #[test]
    fn profile_questions_add_keep_and_clear() {
        let added = ask_profile(
            None,
            &mut "Mum\n王秀英\n\n\n1950-03-01\n".as_bytes(),
            &mut Vec::new(),
        )
        .unwrap();
        assert_eq!(
            pairs(&added),
            [
                ("display_name", Some("Mum")),
                ("name", Some("王秀英")),
                ("birth_date", Some("1950-03-01"))
            ]
        );
        let profile = Profile {
            id: ProfileId::from_random_bytes([1; 16]),
            display_name: "Mum".into(),
            name: Some("canary-name".into()),
            id_number: None,
            phone: Some("+8613800138000".into()),
            birth_date: None,
            passport_number: None,
        };
        let mut output = Vec::new();
        let edited = ask_profile(Some(&profile), &mut "\n\n\n-\n".as_bytes(), &mut output).unwrap();
        assert_eq!(pairs(&edited), [("phone", None)]);
        let asked = String::from_utf8(output).unwrap();
        assert!(
            !asked.contains("canary-name"),
            "values are never shown: {asked}"
        );
        assert!(
            asked.contains("(set)") && asked.contains("(not set)"),
            "{asked}"
        );
    }
}
