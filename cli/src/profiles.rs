//! `profile add|list|edit|remove`: the people this device keeps reports for.
//!
//! Attributes come from `--from FILE|-` (a JSON object or `attribute=value` lines, see
//! [`crate::answer_file`]), from questions on the terminal, or — for scripts and tests,
//! visible to every local user — from flags. The display name is the person's local
//! nickname ("Mum"): it names them on this device and never leaves it.

use std::io::IsTerminal as _;
use std::path::Path;

use chrono::NaiveDate;
use selfreport_core::model::{NewProfile, Profile, ProfileId, Rule, ValidationError};
use serde_json::json;

use crate::answer_file::{self, ReadAnswer};
use crate::args::{
    GlobalOptions, ListArgs, ProfileAddArgs, ProfileAttributeArgs, ProfileEditArgs,
    ProfileRemoveArgs,
};
use crate::commands::{emit, emit_json, open};
use crate::failure::Failure;
use crate::i18n::{tr, tr_with};
use crate::prompt::{self, PROFILE_ATTRIBUTES};
use crate::reporting::repeated;

/// Runs `profile add`: prints the new profile's id alone.
pub fn profile_add(global: &GlobalOptions, args: &ProfileAddArgs) -> Result<(), Failure> {
    let given = given_attributes(&args.attributes, args.from.as_deref(), None)?;
    let mut profile = NewProfile::default();
    apply(&mut profile, given)?;
    if profile.display_name.trim().is_empty() {
        profile.display_name = profile.name.clone().unwrap_or_default();
    }
    if profile.display_name.trim().is_empty() {
        return Err(
            Failure::from(ValidationError::new("display_name", Rule::Required))
                .with_hint(tr("profile.add_hint")),
        );
    }
    let report = open(global)?;
    let id = report.add_profile(profile)?;
    emit(id.as_str())
}

/// Runs `profile edit`: the attributes given replace the stored ones; the rest stay.
pub fn profile_edit(global: &GlobalOptions, args: &ProfileEditArgs) -> Result<(), Failure> {
    let id = ProfileId::parse(&args.profile)?;
    let report = open(global)?;
    let current = report.store().profile(&id)?;
    let given = given_attributes(&args.attributes, args.from.as_deref(), Some(&current))?;
    let mut profile = new_profile_of(&current);
    apply(&mut profile, given)?;
    let edited = report.update_profile(&id, profile)?;
    emit(&tr_with(
        "profile.edited",
        &[("id", &edited.id), ("nickname", &edited.display_name)],
    ))
}

/// Runs `profile remove`.
pub fn profile_remove(global: &GlobalOptions, args: &ProfileRemoveArgs) -> Result<(), Failure> {
    let id = ProfileId::parse(&args.profile)?;
    let report = open(global)?;
    let nickname = report.store().profile(&id)?.display_name;
    let removed = report.remove_profile(&id)?;
    emit(&tr_with(
        "profile.removed",
        &[
            ("id", &id),
            ("nickname", &nickname),
            ("records", &removed.records),
            ("periods", &removed.monitoring_periods),
        ],
    ))
}

/// Runs `profile list`. Identity attributes are named, not shown: a terminal is easily
/// overlooked; `--json` prints them.
pub fn profile_list(global: &GlobalOptions, args: &ListArgs) -> Result<(), Failure> {
    let profiles = open(global)?.profiles()?;
    if args.json {
        let list: Vec<_> = profiles.iter().map(profile_json).collect();
        return emit_json(&list);
    }
    if profiles.is_empty() {
        return emit(tr("profile.none"));
    }
    let lines: Vec<String> = profiles
        .iter()
        .map(|profile| {
            let held: Vec<&str> = PROFILE_ATTRIBUTES[1..]
                .iter()
                .copied()
                .filter(|attribute| has(profile, attribute))
                .collect();
            format!(
                "{}  {}  ({})",
                profile.id,
                profile.display_name,
                held.join(", ")
            )
        })
        .collect();
    emit(&lines.join("\n"))
}

fn has(profile: &Profile, attribute: &str) -> bool {
    match attribute {
        "name" => profile.name.is_some(),
        "id_number" => profile.id_number.is_some(),
        "phone" => profile.phone.is_some(),
        "birth_date" => profile.known_birth_date().is_some(),
        "passport_number" => profile.passport_number.is_some(),
        _ => false,
    }
}

/// The profile JSON the CLI prints: every attribute, absent ones as `null`.
fn profile_json(profile: &Profile) -> serde_json::Value {
    json!({
        "id": profile.id.as_str(),
        "display_name": profile.display_name,
        "name": profile.name,
        "id_number": profile.id_number,
        "phone": profile.phone,
        "birth_date": profile.birth_date,
        "passport_number": profile.passport_number,
    })
}

/// The attributes given, from flags, a file or stdin, or questions on the terminal when
/// nothing else was given and stdin is one.
fn given_attributes(
    flags: &ProfileAttributeArgs,
    from: Option<&Path>,
    current: Option<&Profile>,
) -> Result<Vec<ReadAnswer>, Failure> {
    let mut given = flag_attributes(flags);
    if let Some(source) = from {
        given.extend(answer_file::parse(&answer_file::read_source(source)?)?);
    } else if given.is_empty() && std::io::stdin().is_terminal() {
        given = prompt::ask_profile(
            current,
            &mut std::io::stdin().lock(),
            &mut std::io::stderr().lock(),
        )?;
    }
    Ok(given)
}

fn flag_attributes(flags: &ProfileAttributeArgs) -> Vec<ReadAnswer> {
    [
        ("display_name", &flags.display_name),
        ("name", &flags.name),
        ("id_number", &flags.id_number),
        ("phone", &flags.phone),
        ("birth_date", &flags.birth_date),
        ("passport_number", &flags.passport),
    ]
    .into_iter()
    .filter_map(|(field, value)| {
        value.as_ref().map(|value| ReadAnswer {
            field: field.to_owned(),
            value: Some(value.clone()),
        })
    })
    .collect()
}

/// A stored profile as the input an edit starts from.
fn new_profile_of(profile: &Profile) -> NewProfile {
    NewProfile {
        display_name: profile.display_name.clone(),
        name: profile.name.clone(),
        id_number: profile.id_number.clone(),
        phone: profile.phone.clone(),
        birth_date: profile.birth_date,
        passport_number: profile.passport_number.clone(),
    }
}

/// Applies the given attributes: a value replaces, an empty value or JSON `null` clears
/// (the display name cannot be cleared). Unknown attributes and repeats are refused.
pub fn apply(profile: &mut NewProfile, given: Vec<ReadAnswer>) -> Result<(), Failure> {
    if let Some(field) = repeated(&given) {
        return Err(Failure::invalid(
            "DuplicateAnswer",
            tr_with("profile.duplicate", &[("field", &field)]),
        ));
    }
    for ReadAnswer { field, value } in given {
        let value = value.filter(|value| !value.trim().is_empty());
        match field.as_str() {
            "display_name" => {
                profile.display_name = value.ok_or_else(|| {
                    Failure::from(ValidationError::new("display_name", Rule::Empty))
                })?;
            }
            "name" => profile.name = value,
            "id_number" => profile.id_number = value,
            "phone" => profile.phone = value,
            "passport_number" => profile.passport_number = value,
            "birth_date" => {
                profile.birth_date = value
                    .map(|text| parse_date("birth_date", &text))
                    .transpose()?;
            }
            other => {
                return Err(Failure::invalid(
                    answer_file::CODE,
                    tr_with(
                        "profile.unknown_attribute",
                        &[
                            ("attribute", &other),
                            ("attributes", &PROFILE_ATTRIBUTES.join(", ")),
                        ],
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Parses a `YYYY-MM-DD` date typed for `field`; a bad date is invalid input naming it.
fn parse_date(field: &str, text: &str) -> Result<NaiveDate, Failure> {
    text.trim().parse().map_err(|_| {
        ValidationError::new(
            field,
            Rule::Format {
                expected: "a real YYYY-MM-DD date",
            },
        )
        .into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(field: &str, value: Option<&str>) -> ReadAnswer {
        ReadAnswer {
            field: field.to_owned(),
            value: value.map(str::to_owned),
        }
    }

    #[test]
    fn given_attributes_replace_and_empty_ones_clear() {
        let mut profile = NewProfile {
            display_name: "Mum".into(),
            name: Some("王秀英".into()),
            phone: Some("+8613800138000".into()),
            ..NewProfile::default()
        };
        apply(
            &mut profile,
            vec![
                read("display_name", Some("Mother")),
                read("phone", None),
                read("birth_date", Some("1950-03-01")),
                read("passport_number", Some("")),
            ],
        )
        .unwrap();
        assert_eq!(profile.display_name, "Mother");
        assert_eq!(profile.name.as_deref(), Some("王秀英"));
        assert_eq!(profile.phone, None);
        assert_eq!(profile.birth_date, "1950-03-01".parse().ok());
        assert_eq!(profile.passport_number, None);
    }

    #[test]
    fn unknown_repeated_and_uncleared_attributes_are_refused() {
        let mut profile = NewProfile::default();
        let unknown = apply(&mut profile, vec![read("shoe_size", Some("42"))]).unwrap_err();
        assert_eq!(unknown.code(), answer_file::CODE);
        assert!(
            unknown.line().contains("display_name, name"),
            "{}",
            unknown.line()
        );
        let twice = apply(
            &mut profile,
            vec![read("name", Some("a")), read("name", Some("b"))],
        )
        .unwrap_err();
        assert_eq!(twice.code(), "DuplicateAnswer");
        let cleared = apply(&mut profile, vec![read("display_name", None)]).unwrap_err();
        assert!(
            cleared.line().contains("`display_name`"),
            "{}",
            cleared.line()
        );
    }

    #[test]
    fn bad_birth_dates_name_the_field() {
        let failure = parse_date("birth_date", "1990-02-30").unwrap_err();
        assert_eq!(failure.exit_code(), crate::failure::EXIT_INVALID_INPUT);
        assert!(
            failure.line().contains("`birth_date`"),
            "{}",
            failure.line()
        );
        assert_eq!(
            parse_date("birth_date", "1990-02-28").unwrap(),
            NaiveDate::from_ymd_opt(1990, 2, 28).unwrap()
        );
    }
}
