//! The validation error: which field failed, and which rule it broke.

use std::fmt;

/// Field ids echoed in errors are cut to this many bytes: an unknown field id comes from
/// the caller and may be anything, and errors end up in logs and on screens.
const MAX_FIELD_ID_BYTES: usize = 64;

/// An answer, profile attribute or identifier failed validation.
///
/// Its message names the field and the rule in plain English
/// (``field `temperature` must be between 34.0 and 43.0``). Apps branch on
/// [`ValidationError::rule`] (or [`Rule::code`]) and show [`ValidationError::field`]
/// next to the input it concerns. Messages never repeat the rejected value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field `{field}` {rule}")]
pub struct ValidationError {
    /// The field id (`"temperature"`, `"id_number"`, `"date"` for a record's date).
    pub field: String,
    /// The rule the value broke.
    pub rule: Rule,
}

impl ValidationError {
    /// An error for `field` breaking `rule`. Overlong field ids are shortened.
    pub fn new(field: &str, rule: Rule) -> Self {
        Self {
            field: bounded_field_id(field),
            rule,
        }
    }

    /// The stable code of every validation error, `"InvalidInput"`; the rule's own code
    /// is [`Rule::code`].
    pub fn code(&self) -> &'static str {
        "InvalidInput"
    }
}

fn bounded_field_id(field: &str) -> String {
    if field.len() <= MAX_FIELD_ID_BYTES {
        return field.to_owned();
    }
    let mut end = MAX_FIELD_ID_BYTES;
    while !field.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &field[..end])
}

/// A validation rule a value can break. Each has a stable CamelCase [`code`](Rule::code).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule {
    /// A required field has no value.
    Required,
    /// The value is empty (blank text, an empty name).
    Empty,
    /// The form has no field with this id.
    UnknownField,
    /// The field takes its value from the profile and cannot be answered in the form.
    ProfileSourced,
    /// The form requires this profile attribute but the profile does not have it.
    MissingFromProfile,
    /// A typed value of another kind was given (a date for a temperature field).
    WrongKind {
        /// The kind the field holds (`"temperature_c"`).
        expected: &'static str,
    },
    /// The text is not in the expected form.
    Format {
        /// What was expected, in plain English (`"a YYYY-MM-DD date"`).
        expected: &'static str,
    },
    /// The input is larger than any valid value could be; rejected before any work.
    TooLarge {
        /// The limit in bytes.
        max_bytes: usize,
    },
    /// The text has more characters than allowed.
    TooLong {
        /// The limit in characters (Unicode scalar values).
        max_chars: usize,
    },
    /// The list has more entries than allowed.
    TooMany {
        /// The limit.
        max: usize,
    },
    /// The number is outside its bounds.
    OutOfRange {
        /// The smallest allowed value, as shown to people.
        min: String,
        /// The largest allowed value, as shown to people.
        max: String,
    },
    /// The temperature has more than one decimal.
    TooPrecise,
    /// The date is after today (the person's local date).
    FutureDate,
    /// A travel leg ends before it starts.
    DateOrder,
    /// A travel leg ends after the record's planned arrival date (`arrival_date`): a
    /// trip still under way may be registered up to the day it ends, not beyond.
    LegAfterArrival,
    /// A daily report is dated before the day this person arrived (the `arrival_date`
    /// of their registration): monitoring starts on arrival.
    BeforeArrival,
    /// A form open only to enrolled people (`enrollment: required`) is filed for a day
    /// outside every period an enrollment order set for it.
    NotEnrolled,
    /// The code is not one the form allows.
    UnknownCode {
        /// The codes the field allows, in the form's order, so the person learns them
        /// from the first refusal.
        allowed: Vec<String>,
    },
    /// A multiple-choice answer lists a code twice.
    DuplicateCode,
    /// The text contains control characters.
    ControlCharacter,
    /// A name contains digits or control characters.
    NameCharacter,
    /// The code does not start with a GB/T 2260 province code.
    UnknownProvince,
    /// A district code names a whole province (its last four digits are zero).
    IncompleteDistrict,
    /// The six-digit code is not one GB/T 2260 has listed since 1980.
    UnknownDistrict,
    /// The district code was abolished: it names no place in use at the time the field
    /// is about (now, for a district field; the leg's dates, for a travel leg).
    DistrictAbolished {
        /// The last year the code can have been in use.
        last_year: u16,
    },
    /// A resident ID's region code (digits 1 to 6) was abolished before the birth year:
    /// a number keeps the code of its first registration, which cannot precede birth.
    ResidentIdRegionAbolished {
        /// The last year the code can have been in use.
        last_year: u16,
    },
    /// A resident ID's check character does not match its first 17 digits.
    ResidentIdCheckDigit,
    /// A resident ID's embedded birth date (digits 7 to 14) is not a real date on or
    /// before today.
    ResidentIdBirthDate,
    /// A profile's birth date differs from the one embedded in its resident ID.
    ResidentIdBirthDateMismatch,
    /// A phone number's country calling code is assigned to no country (libphonenumber:
    /// `INVALID_COUNTRY_CODE`).
    PhoneCountryCode,
    /// A phone number has a length no number of its country has (libphonenumber:
    /// `TOO_SHORT`, `TOO_LONG`, `INVALID_LENGTH`).
    PhoneLength,
    /// A phone number of a possible length lies in no number range its country assigns
    /// (libphonenumber: not `isValidNumber`).
    PhoneNumberRange,
}

impl Rule {
    /// The stable code of this rule (`"ResidentIdCheckDigit"`), for apps and localization.
    pub fn code(&self) -> &'static str {
        match self {
            Rule::Required => "Required",
            Rule::Empty => "Empty",
            Rule::UnknownField => "UnknownField",
            Rule::ProfileSourced => "ProfileSourced",
            Rule::MissingFromProfile => "MissingFromProfile",
            Rule::WrongKind { .. } => "WrongKind",
            Rule::Format { .. } => "Format",
            Rule::TooLarge { .. } => "TooLarge",
            Rule::TooLong { .. } => "TooLong",
            Rule::TooMany { .. } => "TooMany",
            Rule::OutOfRange { .. } => "OutOfRange",
            Rule::TooPrecise => "TooPrecise",
            Rule::FutureDate => "FutureDate",
            Rule::DateOrder => "DateOrder",
            Rule::LegAfterArrival => "LegAfterArrival",
            Rule::BeforeArrival => "BeforeArrival",
            Rule::NotEnrolled => "NotEnrolled",
            Rule::UnknownCode { .. } => "UnknownCode",
            Rule::DuplicateCode => "DuplicateCode",
            Rule::ControlCharacter => "ControlCharacter",
            Rule::NameCharacter => "NameCharacter",
            Rule::UnknownProvince => "UnknownProvince",
            Rule::IncompleteDistrict => "IncompleteDistrict",
            Rule::UnknownDistrict => "UnknownDistrict",
            Rule::DistrictAbolished { .. } => "DistrictAbolished",
            Rule::ResidentIdRegionAbolished { .. } => "ResidentIdRegionAbolished",
            Rule::ResidentIdCheckDigit => "ResidentIdCheckDigit",
            Rule::ResidentIdBirthDate => "ResidentIdBirthDate",
            Rule::ResidentIdBirthDateMismatch => "ResidentIdBirthDateMismatch",
            Rule::PhoneCountryCode => "PhoneCountryCode",
            Rule::PhoneLength => "PhoneLength",
            Rule::PhoneNumberRange => "PhoneNumberRange",
        }
    }
}

impl fmt::Display for Rule {
    /// The rule as the end of a sentence that starts with the field
    /// (``field `phone` `` + "is not an E.164 phone number...").
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Required => f.write_str("is required"),
            Rule::Empty => f.write_str("is empty"),
            Rule::UnknownField => f.write_str("is not a field of this form"),
            Rule::ProfileSourced => {
                f.write_str("comes from the profile and cannot be answered in the form")
            }
            Rule::MissingFromProfile => {
                f.write_str("is required by this form but missing from the profile")
            }
            Rule::WrongKind { expected } => {
                write!(f, "holds a value of the wrong kind (expected {expected})")
            }
            Rule::Format { expected } => write!(f, "is not {expected}"),
            Rule::TooLarge { max_bytes } => write!(f, "is longer than {max_bytes} bytes"),
            Rule::TooLong { max_chars } => write!(f, "is longer than {max_chars} characters"),
            Rule::TooMany { max } => write!(f, "has more than {max} entries"),
            Rule::OutOfRange { min, max } => write!(f, "must be between {min} and {max}"),
            Rule::TooPrecise => f.write_str("has more than one decimal"),
            Rule::FutureDate => f.write_str("is after today"),
            Rule::DateOrder => f.write_str("has a travel leg that ends before it starts"),
            Rule::LegAfterArrival => {
                f.write_str("has a travel leg that ends after the planned arrival date `arrival_date`")
            }
            Rule::BeforeArrival => f.write_str(
                "is before the arrival date of this person's registration: daily reports start on arrival",
            ),
            Rule::NotEnrolled => f.write_str(
                "is outside every monitoring period an enrollment order set for this form: only people the collector enrolled file it",
            ),
            Rule::UnknownCode { allowed } => write!(
                f,
                "is not one of the codes this form allows ({})",
                allowed.join(", ")
            ),
            Rule::DuplicateCode => f.write_str("lists the same code twice"),
            Rule::ControlCharacter => f.write_str("contains control characters"),
            Rule::NameCharacter => {
                f.write_str("contains digits or control characters, which a name cannot")
            }
            Rule::UnknownProvince => {
                f.write_str("does not start with a valid province code (GB/T 2260)")
            }
            Rule::IncompleteDistrict => {
                f.write_str("names a whole province where a district code is needed")
            }
            Rule::UnknownDistrict => {
                f.write_str("is not a district code GB/T 2260 has listed since 1980")
            }
            Rule::DistrictAbolished { last_year } => write!(
                f,
                "names a district code abolished by {last_year} (GB/T 2260)"
            ),
            Rule::ResidentIdRegionAbolished { last_year } => write!(
                f,
                "has a region code (digits 1 to 6) abolished by {last_year}, before the birth year"
            ),
            Rule::ResidentIdCheckDigit => {
                f.write_str("has a wrong check character (GB 11643, ISO 7064 MOD 11-2)")
            }
            Rule::ResidentIdBirthDate => {
                f.write_str("does not embed a real birth date from 1860 to today (digits 7 to 14)")
            }
            Rule::ResidentIdBirthDateMismatch => {
                f.write_str("does not match the birth date in the resident ID number `id_number`")
            }
            Rule::PhoneCountryCode => {
                f.write_str("does not start with a country calling code in use (E.164)")
            }
            Rule::PhoneLength => {
                f.write_str("has a length no phone number of its country has (libphonenumber)")
            }
            Rule::PhoneNumberRange => {
                f.write_str("is in no number range its country assigns (libphonenumber)")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_the_field_and_the_rule() {
        let error = ValidationError::new(
            "temperature",
            Rule::OutOfRange {
                min: "34.0".into(),
                max: "43.0".into(),
            },
        );
        assert_eq!(
            error.to_string(),
            "field `temperature` must be between 34.0 and 43.0"
        );
        assert_eq!(error.code(), "InvalidInput");
        assert_eq!(error.rule.code(), "OutOfRange");
    }

    #[test]
    fn overlong_field_ids_are_shortened_on_a_char_boundary() {
        let long = "字".repeat(40); // 120 bytes
        let error = ValidationError::new(&long, Rule::UnknownField);
        assert!(error.field.len() <= MAX_FIELD_ID_BYTES + '…'.len_utf8());
        assert!(error.field.ends_with('…'));
        assert!(error.field.starts_with("字字"));
    }

    #[test]
    fn every_rule_has_a_distinct_code_and_a_message() {
        let rules = [
            Rule::Required,
            Rule::Empty,
            Rule::UnknownField,
            Rule::ProfileSourced,
            Rule::MissingFromProfile,
            Rule::WrongKind { expected: "date" },
            Rule::Format { expected: "x" },
            Rule::TooLarge { max_bytes: 1 },
            Rule::TooLong { max_chars: 1 },
            Rule::TooMany { max: 1 },
            Rule::OutOfRange {
                min: "1".into(),
                max: "2".into(),
            },
            Rule::TooPrecise,
            Rule::FutureDate,
            Rule::DateOrder,
            Rule::LegAfterArrival,
            Rule::BeforeArrival,
            Rule::NotEnrolled,
            Rule::UnknownCode {
                allowed: vec!["cough".into()],
            },
            Rule::DuplicateCode,
            Rule::ControlCharacter,
            Rule::NameCharacter,
            Rule::UnknownProvince,
            Rule::IncompleteDistrict,
            Rule::ResidentIdCheckDigit,
            Rule::ResidentIdBirthDate,
            Rule::ResidentIdBirthDateMismatch,
            Rule::UnknownDistrict,
            Rule::DistrictAbolished { last_year: 2010 },
            Rule::ResidentIdRegionAbolished { last_year: 2010 },
            Rule::PhoneCountryCode,
            Rule::PhoneLength,
            Rule::PhoneNumberRange,
        ];
        let codes: std::collections::BTreeSet<_> = rules.iter().map(Rule::code).collect();
        assert_eq!(codes.len(), rules.len());
        for rule in &rules {
            assert!(!rule.to_string().is_empty());
            assert!(rule.code().chars().all(|c| c.is_ascii_alphabetic()));
        }
    }
}
