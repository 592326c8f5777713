//! Profiles: a person on this device, with the identity attributes forms take from it.
//!
//! A [`NewProfile`] is what the app collects; [`NewProfile::validate`] checks every
//! attribute by the rules of its field kind and gives a [`ValidatedProfile`], which the
//! store turns into a [`Profile`] with a fresh random id. All of it is stored encrypted.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::id::random_id;
use super::{
    FieldKind, FieldValue, MAX_INPUT_BYTES, ProfileAttribute, Rule, ValidationError, parse_answer,
    resident_id,
};

random_id!(
    /// Identifies a profile: 32 lowercase hex characters from 16 random bytes.
    ProfileId,
    field = "profile_id"
);

/// Most characters a profile's display name may have.
pub const MAX_DISPLAY_NAME_CHARS: usize = 64;

/// A profile as entered, before validation.
///
/// Optional attributes that are blank (`Some("")`, as form widgets give them) count as
/// absent.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct NewProfile {
    /// How the app shows this person on the device (`"Grandma"`); required.
    pub display_name: String,
    /// Full name (`person_name`).
    pub name: Option<String>,
    /// Resident ID number (`resident_id`).
    pub id_number: Option<String>,
    /// Phone number (`phone`, E.164; spaces and dashes are removed).
    pub phone: Option<String>,
    /// Birth date; not after today, and equal to the resident ID's if both are given.
    /// Left out when the resident ID is given: forms then take the ID's (digits 7 to 14).
    pub birth_date: Option<NaiveDate>,
    /// Passport number (`passport_number`).
    pub passport_number: Option<String>,
}

impl NewProfile {
    /// Checks and normalizes every attribute; `today` is the person's local date.
    ///
    /// Errors name the attribute: `"display_name"`, `"name"`, `"id_number"`, `"phone"`,
    /// `"birth_date"` (also for [`Rule::ResidentIdBirthDateMismatch`]), `"passport_number"`.
    pub fn validate(self, today: NaiveDate) -> Result<ValidatedProfile, ValidationError> {
        let display_name = check_display_name(&self.display_name)?;
        let name = attribute_text(
            ProfileAttribute::Name,
            FieldKind::PersonName,
            self.name.as_deref(),
            today,
        )?;
        let id_number = attribute_text(
            ProfileAttribute::IdNumber,
            FieldKind::ResidentId,
            self.id_number.as_deref(),
            today,
        )?;
        let phone = attribute_text(
            ProfileAttribute::Phone,
            FieldKind::Phone,
            self.phone.as_deref(),
            today,
        )?;
        let passport_number = attribute_text(
            ProfileAttribute::PassportNumber,
            FieldKind::PassportNumber,
            self.passport_number.as_deref(),
            today,
        )?;
        let birth_field = ProfileAttribute::BirthDate.field_id();
        if let Some(birth_date) = self.birth_date {
            if birth_date > today {
                return Err(ValidationError::new(birth_field, Rule::FutureDate));
            }
            check_birth_date_matches_id(birth_date, id_number.as_deref())?;
        }
        Ok(ValidatedProfile {
            display_name,
            name,
            id_number,
            phone,
            birth_date: self.birth_date,
            passport_number,
        })
    }
}

/// A birth date given beside a resident ID must be the one the ID embeds: the error
/// names `birth_date` and its message names `id_number`.
pub(crate) fn check_birth_date_matches_id(
    birth_date: NaiveDate,
    id_number: Option<&str>,
) -> Result<(), ValidationError> {
    let embedded = id_number.and_then(resident_id::birth_date);
    if embedded.is_some_and(|embedded| embedded != birth_date) {
        return Err(ValidationError::new(
            ProfileAttribute::BirthDate.field_id(),
            Rule::ResidentIdBirthDateMismatch,
        ));
    }
    Ok(())
}

fn check_display_name(display_name: &str) -> Result<String, ValidationError> {
    let field = "display_name";
    let fail = |rule| ValidationError::new(field, rule);
    if display_name.len() > MAX_INPUT_BYTES {
        return Err(fail(Rule::TooLarge {
            max_bytes: MAX_INPUT_BYTES,
        }));
    }
    let trimmed = display_name.trim();
    if trimmed.is_empty() {
        return Err(fail(Rule::Empty));
    }
    if trimmed.chars().count() > MAX_DISPLAY_NAME_CHARS {
        return Err(fail(Rule::TooLong {
            max_chars: MAX_DISPLAY_NAME_CHARS,
        }));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(fail(Rule::ControlCharacter));
    }
    Ok(trimmed.to_owned())
}

/// Parses an optional text attribute by the rules of `kind`, one of the string kinds;
/// blank is absent.
fn attribute_text(
    attribute: ProfileAttribute,
    kind: FieldKind,
    text: Option<&str>,
    today: NaiveDate,
) -> Result<Option<String>, ValidationError> {
    let Some(text) = text.filter(|text| !text.trim().is_empty()) else {
        return Ok(None);
    };
    let value = parse_answer(attribute.field_id(), &kind, text, today)?;
    match value {
        FieldValue::PersonName(text)
        | FieldValue::ResidentId(text)
        | FieldValue::Phone(text)
        | FieldValue::PassportNumber(text) => Ok(Some(text)),
        // Callers pass string kinds only; anything else is a mismatch, not a panic.
        _ => Err(ValidationError::new(
            attribute.field_id(),
            Rule::WrongKind {
                expected: kind.name(),
            },
        )),
    }
}

/// A profile whose attributes passed validation, waiting for its id.
#[derive(Clone, PartialEq, Eq)]
pub struct ValidatedProfile {
    display_name: String,
    name: Option<String>,
    id_number: Option<String>,
    phone: Option<String>,
    birth_date: Option<NaiveDate>,
    passport_number: Option<String>,
}

impl ValidatedProfile {
    /// The display name, trimmed.
    pub fn display_name(&self) -> &str {
        &self.display_name
    }

    /// The profile, under the id the store drew for it.
    pub fn into_profile(self, id: ProfileId) -> Profile {
        Profile {
            id,
            display_name: self.display_name,
            name: self.name,
            id_number: self.id_number,
            phone: self.phone,
            birth_date: self.birth_date,
            passport_number: self.passport_number,
        }
    }
}

/// A person on this device. Built from [`NewProfile::validate`]; stored encrypted.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Random id.
    pub id: ProfileId,
    /// How the app shows this person.
    pub display_name: String,
    /// Full name.
    pub name: Option<String>,
    /// Resident ID number, normalized (upper-case `X`).
    pub id_number: Option<String>,
    /// Phone number, E.164.
    pub phone: Option<String>,
    /// Birth date as entered; see [`Profile::known_birth_date`] for the one forms take.
    pub birth_date: Option<NaiveDate>,
    /// Passport number, upper case.
    pub passport_number: Option<String>,
}

impl Profile {
    /// The birth date forms take: the one entered, else the one the resident ID embeds
    /// (GB 11643 digits 7 to 14), so nobody types what their ID already holds. Derived
    /// when read, never stored: an edited ID number moves it with it.
    pub fn known_birth_date(&self) -> Option<NaiveDate> {
        self.birth_date
            .or_else(|| self.id_number.as_deref().and_then(resident_id::birth_date))
    }

    /// The attribute as the typed value a profile-sourced form field carries, if the
    /// profile has it (the birth date as [`Profile::known_birth_date`] gives it).
    pub fn attribute(&self, attribute: ProfileAttribute) -> Option<FieldValue> {
        match attribute {
            ProfileAttribute::Name => self.name.clone().map(FieldValue::PersonName),
            ProfileAttribute::IdNumber => self.id_number.clone().map(FieldValue::ResidentId),
            ProfileAttribute::Phone => self.phone.clone().map(FieldValue::Phone),
            ProfileAttribute::BirthDate => self.known_birth_date().map(FieldValue::Date),
            ProfileAttribute::PassportNumber => {
                self.passport_number.clone().map(FieldValue::PassportNumber)
            }
        }
    }
}

/// Which attributes are present, never their values: profiles must not reach logs.
fn redacted_attributes(
    f: &mut std::fmt::Formatter<'_>,
    type_name: &str,
    id: Option<&ProfileId>,
    present: [(&str, bool); 6],
) -> std::fmt::Result {
    let mut out = f.debug_struct(type_name);
    if let Some(id) = id {
        out.field("id", id);
    }
    let present: Vec<&str> = present
        .into_iter()
        .filter(|(_, has)| *has)
        .map(|(name, _)| name)
        .collect();
    out.field("present", &present).finish_non_exhaustive()
}

impl std::fmt::Debug for NewProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        redacted_attributes(
            f,
            "NewProfile",
            None,
            [
                ("display_name", !self.display_name.is_empty()),
                ("name", self.name.is_some()),
                ("id_number", self.id_number.is_some()),
                ("phone", self.phone.is_some()),
                ("birth_date", self.birth_date.is_some()),
                ("passport_number", self.passport_number.is_some()),
            ],
        )
    }
}

impl std::fmt::Debug for ValidatedProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        redacted_attributes(
            f,
            "ValidatedProfile",
            None,
            [
                ("display_name", true),
                ("name", self.name.is_some()),
                ("id_number", self.id_number.is_some()),
                ("phone", self.phone.is_some()),
                ("birth_date", self.birth_date.is_some()),
                ("passport_number", self.passport_number.is_some()),
            ],
        )
    }
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        redacted_attributes(
            f,
            "Profile",
            Some(&self.id),
            [
                ("display_name", true),
                ("name", self.name.is_some()),
                ("id_number", self.id_number.is_some()),
                ("phone", self.phone.is_some()),
                ("birth_date", self.birth_date.is_some()),
                ("passport_number", self.passport_number.is_some()),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
    }

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn full() -> NewProfile {
        NewProfile {
            display_name: "  Grandpa 爷爷 ".into(),
            name: Some("张三".into()),
            id_number: Some("11010519491231002x".into()),
            phone: Some("+86 138-0013-8000".into()),
            birth_date: Some(date("1949-12-31")),
            passport_number: Some("e12345678".into()),
        }
    }

    fn id() -> ProfileId {
        ProfileId::from_random_bytes([7; 16])
    }

    fn rejected(profile: NewProfile) -> (String, &'static str) {
        let error = profile.validate(today()).unwrap_err();
        (error.field, error.rule.code())
    }

    #[test]
    fn a_full_profile_is_normalized() {
        let profile = full().validate(today()).unwrap().into_profile(id());
        assert_eq!(profile.display_name, "Grandpa 爷爷");
        assert_eq!(profile.id_number.as_deref(), Some("11010519491231002X"));
        assert_eq!(profile.phone.as_deref(), Some("+8613800138000"));
        assert_eq!(profile.passport_number.as_deref(), Some("E12345678"));
        assert_eq!(
            profile.attribute(ProfileAttribute::IdNumber),
            Some(FieldValue::ResidentId("11010519491231002X".into()))
        );
        assert_eq!(
            profile.attribute(ProfileAttribute::BirthDate),
            Some(FieldValue::Date(date("1949-12-31")))
        );
        assert_eq!(
            profile.attribute(ProfileAttribute::Name),
            Some(FieldValue::PersonName("张三".into()))
        );
        assert_eq!(
            profile.attribute(ProfileAttribute::Phone),
            Some(FieldValue::Phone("+8613800138000".into()))
        );
        assert_eq!(
            profile.attribute(ProfileAttribute::PassportNumber),
            Some(FieldValue::PassportNumber("E12345678".into()))
        );
    }

    #[test]
    fn only_a_display_name_is_required_and_blanks_are_absent() {
        let profile = NewProfile {
            display_name: "Kid 2".into(),
            name: Some("  ".into()),
            phone: Some(String::new()),
            ..NewProfile::default()
        }
        .validate(today())
        .unwrap()
        .into_profile(id());
        assert_eq!(profile.name, None);
        assert_eq!(profile.phone, None);
        for attribute in ProfileAttribute::ALL {
            assert_eq!(profile.attribute(attribute), None, "{attribute:?}");
        }
    }

    #[test]
    fn each_attribute_error_names_its_field_and_rule() {
        let cases: [(NewProfile, &str, &str); 10] = [
            (
                NewProfile {
                    display_name: " ".into(),
                    ..full()
                },
                "display_name",
                "Empty",
            ),
            (
                NewProfile {
                    display_name: "x".repeat(65),
                    ..full()
                },
                "display_name",
                "TooLong",
            ),
            (
                NewProfile {
                    display_name: "a\u{7}b".into(),
                    ..full()
                },
                "display_name",
                "ControlCharacter",
            ),
            (
                NewProfile {
                    name: Some("R2D2".into()),
                    ..full()
                },
                "name",
                "NameCharacter",
            ),
            (
                NewProfile {
                    id_number: Some("110105194912310021".into()),
                    ..full()
                },
                "id_number",
                "ResidentIdCheckDigit",
            ),
            (
                NewProfile {
                    phone: Some("13800138000".into()),
                    ..full()
                },
                "phone",
                "Format",
            ),
            (
                NewProfile {
                    passport_number: Some("E1".into()),
                    ..full()
                },
                "passport_number",
                "Format",
            ),
            (
                NewProfile {
                    birth_date: Some(date("2026-11-29")),
                    id_number: None,
                    ..full()
                },
                "birth_date",
                "FutureDate",
            ),
            (
                NewProfile {
                    birth_date: Some(date("1950-01-01")),
                    ..full()
                },
                "birth_date",
                "ResidentIdBirthDateMismatch",
            ),
            (
                NewProfile {
                    id_number: Some("11010520261201002X".into()),
                    birth_date: None,
                    ..full()
                },
                "id_number",
                "ResidentIdBirthDate",
            ),
        ];
        for (profile, field, rule) in cases {
            assert_eq!(rejected(profile), (field.to_owned(), rule));
        }
    }

    #[test]
    fn the_birth_date_is_taken_from_the_resident_id_when_not_given() {
        let profile = NewProfile {
            birth_date: None,
            ..full()
        }
        .validate(today())
        .unwrap()
        .into_profile(id());
        // Stored as entered (absent), read from the ID (digits 7 to 14).
        assert_eq!(profile.birth_date, None);
        assert_eq!(profile.known_birth_date(), Some(date("1949-12-31")));
        assert_eq!(
            profile.attribute(ProfileAttribute::BirthDate),
            Some(FieldValue::Date(date("1949-12-31")))
        );
        // An edited ID number moves it with it.
        let edited = Profile {
            id_number: Some("110105195001010020".into()),
            ..profile
        };
        assert_eq!(edited.known_birth_date(), Some(date("1950-01-01")));
    }

    #[test]
    fn a_birth_date_the_resident_id_contradicts_is_refused_naming_both_fields() {
        let error = NewProfile {
            birth_date: Some(date("1950-01-01")),
            ..full()
        }
        .validate(today())
        .unwrap_err();
        assert_eq!(error.field, "birth_date");
        assert_eq!(error.rule, Rule::ResidentIdBirthDateMismatch);
        let message = error.to_string();
        assert!(message.contains("`birth_date`"), "{message}");
        assert!(message.contains("`id_number`"), "{message}");
    }

    #[test]
    fn birth_date_without_id_number_is_accepted() {
        let profile = NewProfile {
            id_number: None,
            birth_date: Some(date("1950-01-01")),
            ..full()
        };
        assert!(profile.validate(today()).is_ok());
    }

    #[test]
    fn profile_ids_parse_their_own_text_form_only() {
        let id = ProfileId::from_random_bytes([0xab; 16]);
        assert_eq!(id.as_str(), "ab".repeat(16));
        assert_eq!(ProfileId::parse(id.as_str()).unwrap(), id);
        assert_eq!(id.to_string().parse::<ProfileId>().unwrap(), id);
        for bad in [
            "",
            "AB".repeat(16).as_str(),
            "ab".repeat(15).as_str(),
            "zz".repeat(16).as_str(),
        ] {
            let error = ProfileId::parse(bad).unwrap_err();
            assert_eq!(error.field, "profile_id");
            assert_eq!(error.rule.code(), "Format");
        }
    }

    #[test]
    fn profiles_round_trip_through_json_and_ids_are_checked_on_the_way_in() {
        let profile = full().validate(today()).unwrap().into_profile(id());
        let json = serde_json::to_string(&profile).unwrap();
        assert!(json.contains(r#""id":"07070707070707070707070707070707""#));
        let back: Profile = serde_json::from_str(&json).unwrap();
        assert_eq!(back, profile);
        let tampered = json.replace("0707070707", "NOT-HEX!!!");
        assert!(serde_json::from_str::<Profile>(&tampered).is_err());
    }
}
