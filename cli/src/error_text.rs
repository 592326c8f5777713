//! Error messages in the chosen language. The code (`error[Code]`) and the exit status
//! never change with the language; only the words after them do.
//!
//! English is the core's own message, unchanged. In Chinese, a validation error is
//! rebuilt from its field and rule (every rule has a catalog entry, `rule.<snake_case
//! code>`), and the other errors from their variant, with any detail the core gives
//! (a policy check, a conflict, a network failure) kept as the core wrote it.

use selfreport_core::Error;
use selfreport_core::enrollment_code::EnrollmentCodeError;
use selfreport_core::model::{Rule, ValidationError};

use crate::i18n::{Lang, fill_in, text_in};

/// The message of `error` in `lang`.
pub fn message(error: &Error, lang: Lang) -> String {
    if lang == Lang::En {
        return error.to_string();
    }
    let detail = |key: &str| fill_in(lang, key, &[("detail", &error.to_string())]);
    match error {
        Error::Invalid(invalid) => validation_message(invalid, lang),
        Error::Policy(_) => detail("error.policy"),
        Error::Minimize(_) => detail("error.minimize"),
        Error::Transport(_) => detail("error.transport"),
        Error::EnrollmentCode(refusal) => code_message(refusal, lang),
        Error::WrongKey => text_in(lang, "error.wrong_key").to_owned(),
        Error::KeyUnavailable { reason } => {
            fill_in(lang, "error.key_unavailable", &[("detail", reason)])
        }
        Error::KeySourceFailed { reason } => {
            fill_in(lang, "error.key_source_failed", &[("detail", reason)])
        }
        Error::Corrupt { record } => fill_in(lang, "error.corrupt", &[("detail", record)]),
        Error::NotFound { what, id } => fill_in(
            lang,
            "error.not_found",
            &[("what", &what_text(what, lang)), ("id", id)],
        ),
        Error::Conflict(text) => fill_in(lang, "error.conflict", &[("detail", text)]),
        Error::NotInitialized { path } => fill_in(lang, "error.not_initialized", &[("path", path)]),
        Error::SchemaTooNew { found, supported } => fill_in(
            lang,
            "error.schema_too_new",
            &[("found", found), ("supported", supported)],
        ),
        _ => detail("error.other"),
    }
}

/// Why a typed enrollment code was refused, in `lang`.
fn code_message(refusal: &EnrollmentCodeError, lang: Lang) -> String {
    match refusal {
        EnrollmentCodeError::Malformed(detail) => {
            fill_in(lang, "error.code_malformed", &[("detail", detail)])
        }
        EnrollmentCodeError::Unknown => text_in(lang, "error.code_unknown").to_owned(),
        EnrollmentCodeError::RateLimited {
            retry_after_seconds,
        } => fill_in(
            lang,
            "error.code_rate_limited",
            &[("seconds", retry_after_seconds)],
        ),
        EnrollmentCodeError::Unavailable { status } => {
            fill_in(lang, "error.code_unavailable", &[("status", status)])
        }
    }
}

/// What a `NotFound` looked for, in words.
fn what_text(what: &str, lang: Lang) -> String {
    let key = match what {
        "profile" => "what.profile",
        "record" => "what.record",
        "policy" => "what.policy",
        "form" => "what.form",
        "monitoring period" => "what.monitoring_period",
        "submission" => "what.submission",
        _ => return what.to_owned(),
    };
    text_in(lang, key).to_owned()
}

/// A validation error: the field and the rule it broke, in `lang`.
pub fn validation_message(error: &ValidationError, lang: Lang) -> String {
    if lang == Lang::En {
        return error.to_string();
    }
    let rule = &error.rule;
    let key = rule_key(rule.code());
    let text = match rule {
        Rule::WrongKind { expected } => fill_in(lang, &key, &[("expected", expected)]),
        Rule::Format { expected } => fill_in(lang, &key, &[("expected", expected)]),
        Rule::TooLarge { max_bytes } => fill_in(lang, &key, &[("max", max_bytes)]),
        Rule::TooLong { max_chars } => fill_in(lang, &key, &[("max", max_chars)]),
        Rule::TooMany { max } => fill_in(lang, &key, &[("max", max)]),
        Rule::OutOfRange { min, max } => fill_in(lang, &key, &[("min", min), ("max", max)]),
        Rule::UnknownCode { allowed } => fill_in(lang, &key, &[("codes", &allowed.join(", "))]),
        Rule::DistrictAbolished { last_year } | Rule::ResidentIdRegionAbolished { last_year } => {
            fill_in(lang, &key, &[("year", last_year)])
        }
        _ => text_in(lang, &key).to_owned(),
    };
    fill_in(
        lang,
        "error.invalid",
        &[("field", &error.field), ("rule", &text)],
    )
}

/// The catalog key of a rule: `rule.` and its code in snake case
/// (`ResidentIdCheckDigit` -> `rule.resident_id_check_digit`).
pub fn rule_key(code: &str) -> String {
    let mut key = String::from("rule.");
    for (index, c) in code.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if index > 0 {
                key.push('_');
            }
            key.push(c.to_ascii_lowercase());
        } else {
            key.push(c);
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every rule the core has (the list mirrors the core's own test of codes).
    fn every_rule() -> Vec<Rule> {
        vec![
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
            Rule::UnknownCode {
                allowed: vec!["cough".into(), "fever".into()],
            },
            Rule::DuplicateCode,
            Rule::ControlCharacter,
            Rule::NameCharacter,
            Rule::UnknownProvince,
            Rule::IncompleteDistrict,
            Rule::UnknownDistrict,
            Rule::DistrictAbolished { last_year: 2010 },
            Rule::ResidentIdRegionAbolished { last_year: 2010 },
            Rule::ResidentIdCheckDigit,
            Rule::ResidentIdBirthDate,
            Rule::ResidentIdBirthDateMismatch,
            Rule::PhoneCountryCode,
            Rule::PhoneLength,
            Rule::PhoneNumberRange,
        ]
    }

    #[test]
    fn every_rule_has_a_chinese_text_naming_the_field() {
        for rule in every_rule() {
            let key = rule_key(rule.code());
            assert_ne!(text_in(Lang::Zh, &key), "?", "no catalog entry {key}");
            let error = ValidationError::new("symptoms", rule.clone());
            let zh = validation_message(&error, Lang::Zh);
            assert!(zh.contains("`symptoms`"), "{zh}");
            assert!(!zh.contains('{'), "unfilled placeholder: {zh}");
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{zh}"
            );
        }
        let codes = ValidationError::new(
            "symptoms",
            Rule::UnknownCode {
                allowed: vec!["cough".into(), "fever".into()],
            },
        );
        assert!(validation_message(&codes, Lang::Zh).contains("cough, fever"));
    }

    #[test]
    fn english_is_the_cores_own_message() {
        let error = Error::from(ValidationError::new("temperature", Rule::TooPrecise));
        assert_eq!(message(&error, Lang::En), error.to_string());
        let missing = Error::NotFound {
            what: "profile",
            id: "ab".into(),
        };
        assert_eq!(message(&missing, Lang::En), "no profile with id ab");
        assert_eq!(message(&missing, Lang::Zh), "找不到 ID 为 ab 的个人档案");
    }

    #[test]
    fn rule_keys_are_snake_case() {
        assert_eq!(
            rule_key("ResidentIdCheckDigit"),
            "rule.resident_id_check_digit"
        );
        assert_eq!(rule_key("Required"), "rule.required");
    }
}
