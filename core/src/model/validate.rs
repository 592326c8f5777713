//! Validation of answers: text parsed into typed values, and typed values checked
//! against their field kind (DESIGN §4).
//!
//! [`parse_answer`] bounds, normalizes and parses text, then runs [`check_value`], so
//! both entry points apply exactly the same rules. "Today" is always the person's local
//! date, passed in by the caller (from a [`crate::Clock`]), never read here.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::{FieldKind, FieldValue, Rule, Temperature, TravelLeg, ValidationError};
use super::{district, resident_id};

/// Largest answer text accepted for any kind but `text`, in bytes; longer input is
/// refused before any parsing. Generous: the longest valid answer, a 64-leg travel
/// history, is about 1,900 bytes.
pub const MAX_INPUT_BYTES: usize = 4096;

/// Largest `text` answer accepted, in bytes, whatever the field's `max_len`.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

/// Most legs a travel history may hold.
pub const MAX_TRAVEL_LEGS: usize = 64;

/// Most characters a person's name may have.
pub const MAX_NAME_CHARS: usize = 64;

/// Lowest valid temperature, in tenths of a degree Celsius.
const MIN_TEMPERATURE_TENTHS: i32 = 340;
/// Highest valid temperature, in tenths of a degree Celsius.
const MAX_TEMPERATURE_TENTHS: i32 = 430;

/// A UTF-8 character takes at most this many bytes; text longer than
/// `max_len * MAX_UTF8_BYTES` bytes has more than `max_len` characters.
const MAX_UTF8_BYTES: usize = 4;

const DATE_FORMAT: Rule = Rule::Format {
    expected: "a YYYY-MM-DD date",
};
const TRAVEL_FORMAT: Rule = Rule::Format {
    expected: "travel legs written PLACE:FROM:TO and separated by `;`",
};

/// Parses the text form of an answer into a checked value of `kind`.
///
/// Text forms: `yes_no` takes `yes`/`no`, `true`/`false`, `y`/`n`, `1`/`0` (any case)
/// and `是`/`否`; `multi_choice` takes codes separated by `,` (empty text: none);
/// `temperature_c` takes degrees with at most one decimal (`37.3`); dates are
/// `YYYY-MM-DD`; `travel_history` takes `PLACE:FROM:TO` legs separated by `;` (empty
/// text: no travel). Everything else is a string, trimmed and normalized: a resident
/// ID or transport number loses spaces and is upper-cased, a passport number is
/// upper-cased, a phone number loses spaces and dashes.
///
/// Blank text is [`Rule::Empty`] except for `multi_choice` and `travel_history`, where
/// it is an empty list. Errors name `field_id`.
pub fn parse_answer(
    field_id: &str,
    kind: &FieldKind,
    text: &str,
    today: NaiveDate,
) -> Result<FieldValue, ValidationError> {
    let value = parse_text(kind, text).map_err(|rule| ValidationError::new(field_id, rule))?;
    check_value(field_id, kind, &value, today)?;
    Ok(value)
}

/// Checks a typed value against the rules of `kind`; `today` is the person's local date.
///
/// Strings must already be in normalized form (what [`parse_answer`] produces): a
/// resident ID with an upper-case `X`, a phone number of `+` and digits. Errors name
/// `field_id`.
pub fn check_value(
    field_id: &str,
    kind: &FieldKind,
    value: &FieldValue,
    today: NaiveDate,
) -> Result<(), ValidationError> {
    check_kind(kind, value, today).map_err(|rule| ValidationError::new(field_id, rule))
}

fn parse_text(kind: &FieldKind, text: &str) -> Result<FieldValue, Rule> {
    bound_input(kind, text)?;
    let text = text.trim();
    let is_list = matches!(
        kind,
        FieldKind::MultiChoice { .. } | FieldKind::TravelHistory
    );
    if text.is_empty() && !is_list {
        return Err(Rule::Empty);
    }
    let value = match kind {
        FieldKind::YesNo => FieldValue::YesNo(parse_yes_no(text)?),
        FieldKind::Choice { .. } => FieldValue::Choice(text.to_owned()),
        FieldKind::MultiChoice { .. } => {
            FieldValue::MultiChoice(list_items(text, ',').map(str::to_owned).collect())
        }
        FieldKind::TemperatureC => FieldValue::Temperature(parse_temperature(text)?),
        FieldKind::Integer { .. } => {
            FieldValue::Integer(text.parse().map_err(|_| Rule::Format {
                expected: "a whole number",
            })?)
        }
        FieldKind::Date { .. } => FieldValue::Date(parse_date(text)?),
        FieldKind::District => FieldValue::District(text.to_owned()),
        FieldKind::TravelHistory => FieldValue::TravelHistory(parse_travel_history(text)?),
        FieldKind::PersonName => FieldValue::PersonName(text.to_owned()),
        FieldKind::ResidentId => FieldValue::ResidentId(without(text, &[' ']).to_ascii_uppercase()),
        FieldKind::PassportNumber => FieldValue::PassportNumber(text.to_ascii_uppercase()),
        FieldKind::Phone => FieldValue::Phone(without(text, &[' ', '-'])),
        FieldKind::TransportNumber => {
            FieldValue::TransportNumber(without(text, &[' ']).to_ascii_uppercase())
        }
        FieldKind::Text { .. } => FieldValue::Text(text.to_owned()),
    };
    Ok(value)
}

/// Refuses input too large to be valid before doing any work on it.
fn bound_input(kind: &FieldKind, text: &str) -> Result<(), Rule> {
    match kind {
        FieldKind::Text { max_len } => bound_text(text, *max_len),
        _ if text.len() > MAX_INPUT_BYTES => Err(Rule::TooLarge {
            max_bytes: MAX_INPUT_BYTES,
        }),
        _ => Ok(()),
    }
}

fn bound_text(text: &str, max_len: u32) -> Result<(), Rule> {
    let max_chars = usize::try_from(max_len).unwrap_or(usize::MAX);
    if text.len() > MAX_TEXT_BYTES {
        return Err(Rule::TooLarge {
            max_bytes: MAX_TEXT_BYTES,
        });
    }
    if text.len() > max_chars.saturating_mul(MAX_UTF8_BYTES) {
        return Err(Rule::TooLong { max_chars });
    }
    Ok(())
}

fn bound_string(text: &str) -> Result<(), Rule> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(Rule::TooLarge {
            max_bytes: MAX_INPUT_BYTES,
        });
    }
    Ok(())
}

fn without(text: &str, removed: &[char]) -> String {
    text.chars().filter(|c| !removed.contains(c)).collect()
}

/// The non-blank, trimmed items of a separated list; a trailing separator is harmless.
fn list_items(text: &str, separator: char) -> impl Iterator<Item = &str> {
    text.split(separator)
        .map(str::trim)
        .filter(|item| !item.is_empty())
}

fn parse_yes_no(text: &str) -> Result<bool, Rule> {
    match text.to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "1" | "是" => Ok(true),
        "no" | "n" | "false" | "0" | "否" => Ok(false),
        _ => Err(Rule::Format {
            expected: "yes or no",
        }),
    }
}

/// Parses degrees Celsius with at most one decimal (`37`, `37.3`, `-0.5`) into tenths.
fn parse_temperature(text: &str) -> Result<Temperature, Rule> {
    const FORMAT: Rule = Rule::Format {
        expected: "a temperature in degrees Celsius such as 37.3",
    };
    // Enough integer digits for any i32 number of tenths we build below.
    const MAX_WHOLE_DIGITS: usize = 6;

    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || whole.len() > MAX_WHOLE_DIGITS {
        return Err(FORMAT);
    }
    let tenth = match fraction.map(str::as_bytes) {
        None => 0,
        Some([digit]) if digit.is_ascii_digit() => i32::from(digit - b'0'),
        Some(digits) if digits.len() > 1 && digits.iter().all(u8::is_ascii_digit) => {
            return Err(Rule::TooPrecise);
        }
        Some(_) => return Err(FORMAT),
    };
    let whole: i32 = whole.parse().map_err(|_| FORMAT)?;
    let tenths = whole * 10 + tenth;
    Ok(Temperature::from_tenths(if negative {
        -tenths
    } else {
        tenths
    }))
}

/// Parses exactly `YYYY-MM-DD` (four-digit year, two-digit month and day).
fn parse_date(text: &str) -> Result<NaiveDate, Rule> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes.iter().enumerate().all(|(index, byte)| match index {
            4 | 7 => *byte == b'-',
            _ => byte.is_ascii_digit(),
        });
    if !shape_ok {
        return Err(DATE_FORMAT);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| DATE_FORMAT)
}

fn parse_travel_history(text: &str) -> Result<Vec<TravelLeg>, Rule> {
    let mut legs = Vec::new();
    for leg in list_items(text, ';') {
        if legs.len() == MAX_TRAVEL_LEGS {
            return Err(Rule::TooMany {
                max: MAX_TRAVEL_LEGS,
            });
        }
        let mut parts = leg.split(':').map(str::trim);
        let (Some(place), Some(from), Some(to), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TRAVEL_FORMAT);
        };
        legs.push(TravelLeg {
            place: place.to_owned(),
            from: parse_date(from)?,
            to: parse_date(to)?,
        });
    }
    Ok(legs)
}

fn check_kind(kind: &FieldKind, value: &FieldValue, today: NaiveDate) -> Result<(), Rule> {
    match (kind, value) {
        (FieldKind::YesNo, FieldValue::YesNo(_)) => Ok(()),
        (FieldKind::Choice { codes }, FieldValue::Choice(code)) => check_code(codes, code),
        (FieldKind::MultiChoice { codes }, FieldValue::MultiChoice(chosen)) => {
            check_codes(codes, chosen)
        }
        (FieldKind::TemperatureC, FieldValue::Temperature(temperature)) => {
            check_temperature(*temperature)
        }
        (FieldKind::Integer { min, max }, FieldValue::Integer(number)) => {
            if (*min..=*max).contains(number) {
                Ok(())
            } else {
                Err(Rule::OutOfRange {
                    min: min.to_string(),
                    max: max.to_string(),
                })
            }
        }
        (FieldKind::Date { allow_future }, FieldValue::Date(date)) => {
            if *allow_future || *date <= today {
                Ok(())
            } else {
                Err(Rule::FutureDate)
            }
        }
        (FieldKind::District, FieldValue::District(code)) => district::check(code),
        (FieldKind::TravelHistory, FieldValue::TravelHistory(legs)) => {
            check_travel_history(legs, today)
        }
        (FieldKind::PersonName, FieldValue::PersonName(name)) => check_person_name(name),
        (FieldKind::ResidentId, FieldValue::ResidentId(id)) => resident_id::check(id, today),
        (FieldKind::PassportNumber, FieldValue::PassportNumber(number)) => {
            check_passport_number(number)
        }
        (FieldKind::Phone, FieldValue::Phone(number)) => check_phone(number),
        (FieldKind::TransportNumber, FieldValue::TransportNumber(number)) => {
            check_transport_number(number)
        }
        (FieldKind::Text { max_len }, FieldValue::Text(text)) => check_text(text, *max_len),
        (kind, _) => Err(Rule::WrongKind {
            expected: kind.name(),
        }),
    }
}

fn check_code(codes: &[String], code: &str) -> Result<(), Rule> {
    if code.is_empty() {
        return Err(Rule::Empty);
    }
    if codes.iter().any(|allowed| allowed == code) {
        Ok(())
    } else {
        Err(Rule::UnknownCode)
    }
}

fn check_codes(codes: &[String], chosen: &[String]) -> Result<(), Rule> {
    // Every code is checked before the next is looked at, so a long list stops at its
    // first unknown or repeated code: at most `codes.len() + 1` steps.
    let mut seen = BTreeSet::new();
    for code in chosen {
        check_code(codes, code)?;
        if !seen.insert(code.as_str()) {
            return Err(Rule::DuplicateCode);
        }
    }
    Ok(())
}

fn check_temperature(temperature: Temperature) -> Result<(), Rule> {
    if (MIN_TEMPERATURE_TENTHS..=MAX_TEMPERATURE_TENTHS).contains(&temperature.tenths()) {
        Ok(())
    } else {
        Err(Rule::OutOfRange {
            min: Temperature::from_tenths(MIN_TEMPERATURE_TENTHS).to_string(),
            max: Temperature::from_tenths(MAX_TEMPERATURE_TENTHS).to_string(),
        })
    }
}

fn check_travel_history(legs: &[TravelLeg], today: NaiveDate) -> Result<(), Rule> {
    if legs.len() > MAX_TRAVEL_LEGS {
        return Err(Rule::TooMany {
            max: MAX_TRAVEL_LEGS,
        });
    }
    for leg in legs {
        district::check(&leg.place)?;
        if leg.from > leg.to {
            return Err(Rule::DateOrder);
        }
        if leg.to > today {
            return Err(Rule::FutureDate);
        }
    }
    Ok(())
}

fn check_person_name(name: &str) -> Result<(), Rule> {
    bound_string(name)?;
    if name.trim().is_empty() {
        return Err(Rule::Empty);
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Rule::TooLong {
            max_chars: MAX_NAME_CHARS,
        });
    }
    // `is_numeric` covers ASCII, full-width and other scripts' digits.
    if name.chars().any(|c| c.is_control() || c.is_numeric()) {
        return Err(Rule::NameCharacter);
    }
    Ok(())
}

fn check_passport_number(number: &str) -> Result<(), Rule> {
    let shape_ok = (5..=20).contains(&number.len())
        && number
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if shape_ok {
        Ok(())
    } else {
        Err(Rule::Format {
            expected: "a passport number of 5 to 20 letters and digits",
        })
    }
}

/// E.164: `+`, then 8 to 15 digits, the first of which (the country code's) is not 0.
fn check_phone(number: &str) -> Result<(), Rule> {
    let shape_ok = match number.as_bytes() {
        [b'+', first, rest @ ..] => {
            (b'1'..=b'9').contains(first)
                && (7..=14).contains(&rest.len())
                && rest.iter().all(u8::is_ascii_digit)
        }
        _ => false,
    };
    if shape_ok {
        Ok(())
    } else {
        Err(Rule::Format {
            expected: "an E.164 phone number such as +8613800138000",
        })
    }
}

/// A flight or train number: an optional prefix (a train class letter such as `G`, or a
/// two-character airline code: two letters, or a digit and a letter as in `3U`), then 1
/// to 5 digits, then an optional letter (`CA1234`, `3U8888`, `G1234`, `D312`, `K1`, `1461`).
fn check_transport_number(number: &str) -> Result<(), Rule> {
    let bytes = number.as_bytes();
    let prefix_ok = |prefix: &[u8]| match prefix {
        [] => true,
        [letter] => letter.is_ascii_uppercase(),
        [first, second] => {
            (first.is_ascii_uppercase() || first.is_ascii_digit()) && second.is_ascii_uppercase()
        }
        _ => false,
    };
    let rest_ok = |rest: &[u8]| {
        let digits = match rest {
            [digits @ .., suffix] if suffix.is_ascii_uppercase() => digits,
            _ => rest,
        };
        (1..=5).contains(&digits.len()) && digits.iter().all(u8::is_ascii_digit)
    };
    let valid = (0..=2).any(|prefix_len| {
        bytes.len() > prefix_len && prefix_ok(&bytes[..prefix_len]) && rest_ok(&bytes[prefix_len..])
    });
    if valid {
        Ok(())
    } else {
        Err(Rule::Format {
            expected: "a flight or train number such as CA1234 or G1234",
        })
    }
}

fn check_text(text: &str, max_len: u32) -> Result<(), Rule> {
    bound_text(text, max_len)?;
    if text.trim().is_empty() {
        return Err(Rule::Empty);
    }
    let max_chars = usize::try_from(max_len).unwrap_or(usize::MAX);
    if text.chars().count() > max_chars {
        return Err(Rule::TooLong { max_chars });
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Rule::ControlCharacter);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use proptest::prelude::*;

    use super::*;
    use crate::clock::{Clock, FixedClock};

    fn today() -> NaiveDate {
        date("2026-11-28")
    }

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn codes(list: &[&str]) -> Vec<String> {
        list.iter().map(|code| (*code).to_owned()).collect()
    }

    fn accepts(field: &str, kind: &FieldKind, text: &str) -> FieldValue {
        match parse_answer(field, kind, text, today()) {
            Ok(value) => value,
            Err(error) => panic!("{kind:?} rejected {text:?}: {error}"),
        }
    }

    /// Asserts `text` is rejected for `field` with `rule`, and that the message names
    /// the field.
    fn rejects(field: &str, kind: &FieldKind, text: &str, rule: &str) {
        let error = parse_answer(field, kind, text, today())
            .expect_err(&format!("{kind:?} accepted {text:?}"));
        assert_eq!(error.field, field, "{text:?}");
        assert_eq!(error.rule.code(), rule, "{text:?}: {error}");
        assert!(error.to_string().contains(&format!("`{field}`")), "{error}");
        assert_eq!(error.code(), "InvalidInput");
    }

    fn rejects_value(field: &str, kind: &FieldKind, value: &FieldValue, rule: &str) {
        let error = check_value(field, kind, value, today())
            .expect_err(&format!("{kind:?} accepted {value:?}"));
        assert_eq!(error.field, field);
        assert_eq!(error.rule.code(), rule, "{value:?}: {error}");
    }

    #[test]
    fn yes_no() {
        let kind = FieldKind::YesNo;
        for yes in ["yes", "YES", "y", "true", "True", "1", "是", " yes "] {
            assert_eq!(
                accepts("fever", &kind, yes),
                FieldValue::YesNo(true),
                "{yes}"
            );
        }
        for no in ["no", "N", "false", "0", "否"] {
            assert_eq!(
                accepts("fever", &kind, no),
                FieldValue::YesNo(false),
                "{no}"
            );
        }
        rejects("fever", &kind, "maybe", "Format");
        rejects("fever", &kind, "yess", "Format");
        rejects("fever", &kind, "", "Empty");
        rejects("fever", &kind, "  ", "Empty");
    }

    #[test]
    fn choice() {
        let kind = FieldKind::Choice {
            codes: codes(&["home", "hotel"]),
        };
        assert_eq!(
            accepts("stay", &kind, " hotel "),
            FieldValue::Choice("hotel".into())
        );
        rejects("stay", &kind, "Hotel", "UnknownCode");
        rejects("stay", &kind, "home,hotel", "UnknownCode");
        rejects("stay", &kind, "", "Empty");
        rejects_value("stay", &kind, &FieldValue::Choice(String::new()), "Empty");
    }

    #[test]
    fn multi_choice() {
        let kind = FieldKind::MultiChoice {
            codes: codes(&["cough", "fatigue", "dyspnea", "loss_of_smell"]),
        };
        assert_eq!(
            accepts("symptoms", &kind, "cough, fatigue"),
            FieldValue::MultiChoice(codes(&["cough", "fatigue"]))
        );
        assert_eq!(
            accepts("symptoms", &kind, "loss_of_smell,cough,"),
            FieldValue::MultiChoice(codes(&["loss_of_smell", "cough"]))
        );
        assert_eq!(
            accepts("symptoms", &kind, ""),
            FieldValue::MultiChoice(vec![])
        );
        rejects("symptoms", &kind, "cough,sneezing", "UnknownCode");
        rejects("symptoms", &kind, "Cough", "UnknownCode");
        rejects("symptoms", &kind, "cough,fatigue,cough", "DuplicateCode");
        // A huge typed list stops at its first repeat.
        let repeated = FieldValue::MultiChoice(vec!["cough".to_owned(); 100_000]);
        rejects_value("symptoms", &kind, &repeated, "DuplicateCode");
    }

    #[test]
    fn temperature() {
        let kind = FieldKind::TemperatureC;
        let tenths = |text| match accepts("temperature", &kind, text) {
            FieldValue::Temperature(t) => t.tenths(),
            other => panic!("{other:?}"),
        };
        assert_eq!(tenths("37.3"), 373);
        assert_eq!(tenths("36"), 360);
        assert_eq!(tenths("34.0"), 340);
        assert_eq!(tenths("43.0"), 430);
        assert_eq!(tenths(" 38.5 "), 385);
        rejects("temperature", &kind, "33.9", "OutOfRange");
        rejects("temperature", &kind, "43.1", "OutOfRange");
        rejects("temperature", &kind, "-37.0", "OutOfRange");
        rejects("temperature", &kind, "999999", "OutOfRange");
        rejects("temperature", &kind, "37.35", "TooPrecise");
        rejects("temperature", &kind, "37.30", "TooPrecise");
        for malformed in [
            "37,3", "abc", "37.", ".5", "1e2", "+37", "37.3.1", "3 7", "9999999", "-", "37.a",
        ] {
            rejects("temperature", &kind, malformed, "Format");
        }
        rejects("temperature", &kind, "", "Empty");
        let error = parse_answer("temperature", &kind, "43.1", today()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "field `temperature` must be between 34.0 and 43.0"
        );
    }

    #[test]
    fn integer() {
        let kind = FieldKind::Integer { min: 0, max: 20 };
        assert_eq!(accepts("household", &kind, "3"), FieldValue::Integer(3));
        assert_eq!(accepts("household", &kind, "0"), FieldValue::Integer(0));
        assert_eq!(accepts("household", &kind, "20"), FieldValue::Integer(20));
        rejects("household", &kind, "21", "OutOfRange");
        rejects("household", &kind, "-1", "OutOfRange");
        rejects("household", &kind, "3.5", "Format");
        rejects("household", &kind, "three", "Format");
        rejects("household", &kind, "99999999999999999999", "Format");
        rejects("household", &kind, "", "Empty");
    }

    #[test]
    fn date_field() {
        let past_only = FieldKind::Date {
            allow_future: false,
        };
        let planned = FieldKind::Date { allow_future: true };
        assert_eq!(
            accepts("arrival_date", &past_only, "2026-11-28"),
            FieldValue::Date(today())
        );
        rejects("arrival_date", &past_only, "2026-11-29", "FutureDate");
        assert_eq!(
            accepts("arrival_date", &planned, "2026-12-05"),
            FieldValue::Date(date("2026-12-05"))
        );
        for malformed in [
            "2026-2-3",
            "2026-02-30",
            "28/11/2026",
            "+2026-11-28",
            "20261128",
            "2026-11-28T00:00",
        ] {
            rejects("arrival_date", &past_only, malformed, "Format");
        }
        rejects("arrival_date", &past_only, "", "Empty");
    }

    #[test]
    fn district() {
        let kind = FieldKind::District;
        assert_eq!(
            accepts("district", &kind, " 310104 "),
            FieldValue::District("310104".into())
        );
        rejects("district", &kind, "310000", "IncompleteDistrict");
        rejects("district", &kind, "990101", "UnknownProvince");
        rejects("district", &kind, "31010", "Format");
        rejects("district", &kind, "3101O4", "Format");
        rejects("district", &kind, "", "Empty");
        rejects(
            "district",
            &kind,
            &"1".repeat(MAX_INPUT_BYTES + 1),
            "TooLarge",
        );
    }

    #[test]
    fn travel_history() {
        let kind = FieldKind::TravelHistory;
        let value = accepts(
            "travel",
            &kind,
            "420106:2026-11-01:2026-11-03; 310104:2026-11-04:2026-11-04;",
        );
        assert_eq!(
            value,
            FieldValue::TravelHistory(vec![
                TravelLeg {
                    place: "420106".into(),
                    from: date("2026-11-01"),
                    to: date("2026-11-03"),
                },
                TravelLeg {
                    place: "310104".into(),
                    from: date("2026-11-04"),
                    to: date("2026-11-04"),
                },
            ])
        );
        assert_eq!(
            accepts("travel", &kind, ""),
            FieldValue::TravelHistory(vec![])
        );
        rejects("travel", &kind, "420106:2026-11-03:2026-11-01", "DateOrder");
        rejects(
            "travel",
            &kind,
            "420106:2026-11-27:2026-11-29",
            "FutureDate",
        );
        rejects("travel", &kind, "4201:2026-11-01:2026-11-03", "Format");
        rejects(
            "travel",
            &kind,
            "420000:2026-11-01:2026-11-03",
            "IncompleteDistrict",
        );
        rejects(
            "travel",
            &kind,
            "990106:2026-11-01:2026-11-03",
            "UnknownProvince",
        );
        rejects("travel", &kind, "420106:2026-11-01", "Format");
        rejects("travel", &kind, "420106:2026-11-01:2026-11-02:x", "Format");
        rejects("travel", &kind, "420106:2026-11-01:2026/11/02", "Format");
        // A city-level code is a place below province level.
        assert!(parse_answer("travel", &kind, "420100:2026-11-01:2026-11-03", today()).is_ok());
    }

    #[test]
    fn person_name() {
        let kind = FieldKind::PersonName;
        for name in ["张三", "Zhang San", "买买提·艾力", "O'Brien-Smith"] {
            assert_eq!(
                accepts("name", &kind, name),
                FieldValue::PersonName(name.into())
            );
        }
        rejects("name", &kind, "Agent 007", "NameCharacter");
        rejects("name", &kind, "李四４", "NameCharacter");
        rejects("name", &kind, "a\tb", "NameCharacter");
        rejects("name", &kind, &"名".repeat(MAX_NAME_CHARS + 1), "TooLong");
        assert!(parse_answer("name", &kind, &"名".repeat(MAX_NAME_CHARS), today()).is_ok());
        rejects("name", &kind, " ", "Empty");
    }

    #[test]
    fn resident_id() {
        let kind = FieldKind::ResidentId;
        assert_eq!(
            accepts("id_number", &kind, "11010519491231002x"),
            FieldValue::ResidentId("11010519491231002X".into())
        );
        assert_eq!(
            accepts("id_number", &kind, "110105 19491231 002X"),
            FieldValue::ResidentId("11010519491231002X".into())
        );
        rejects(
            "id_number",
            &kind,
            "110105194912310021",
            "ResidentIdCheckDigit",
        );
        rejects("id_number", &kind, "11010519491231002", "Format");
        rejects("id_number", &kind, "990105194912310021", "UnknownProvince");
        rejects(
            "id_number",
            &kind,
            "110105194913310021",
            "ResidentIdBirthDate",
        );
        rejects("id_number", &kind, "", "Empty");
        // Typed values must be normalized already.
        rejects_value(
            "id_number",
            &kind,
            &FieldValue::ResidentId("11010519491231002x".into()),
            "Format",
        );
        let error = parse_answer("id_number", &kind, "110105194912310021", today()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "field `id_number` has a wrong check character (GB 11643, ISO 7064 MOD 11-2)"
        );
    }

    #[test]
    fn passport_number() {
        let kind = FieldKind::PassportNumber;
        assert_eq!(
            accepts("passport_number", &kind, "e12345678"),
            FieldValue::PassportNumber("E12345678".into())
        );
        assert!(parse_answer("passport_number", &kind, "G1234", today()).is_ok());
        assert!(parse_answer("passport_number", &kind, &"A".repeat(20), today()).is_ok());
        rejects("passport_number", &kind, "1234", "Format");
        rejects("passport_number", &kind, &"A".repeat(21), "Format");
        rejects("passport_number", &kind, "E-1234567", "Format");
        rejects("passport_number", &kind, "É1234567", "Format");
        rejects("passport_number", &kind, "", "Empty");
    }

    #[test]
    fn phone() {
        let kind = FieldKind::Phone;
        assert_eq!(
            accepts("phone", &kind, "+86 138-0013-8000"),
            FieldValue::Phone("+8613800138000".into())
        );
        assert!(parse_answer("phone", &kind, "+1 202 555 0100", today()).is_ok());
        assert!(parse_answer("phone", &kind, "+12345678", today()).is_ok());
        assert!(parse_answer("phone", &kind, "+123456789012345", today()).is_ok());
        rejects("phone", &kind, "13800138000", "Format");
        rejects("phone", &kind, "+0123456789", "Format");
        rejects("phone", &kind, "+1234567", "Format");
        rejects("phone", &kind, "+1234567890123456", "Format");
        rejects("phone", &kind, "+86 (10) 12345678", "Format");
        rejects("phone", &kind, "++8613800138000", "Format");
        rejects("phone", &kind, "", "Empty");
        rejects_value(
            "phone",
            &kind,
            &FieldValue::Phone("+86 13800138000".into()),
            "Format",
        );
    }

    #[test]
    fn transport_number() {
        let kind = FieldKind::TransportNumber;
        for (text, normalized) in [
            ("CA1234", "CA1234"),
            ("ca 1234", "CA1234"),
            ("G1234", "G1234"),
            ("MU5101", "MU5101"),
            ("D312", "D312"),
            ("K1", "K1"),
            ("3U8888", "3U8888"),
            ("1461", "1461"),
            ("Z12A", "Z12A"),
        ] {
            assert_eq!(
                accepts("flight", &kind, text),
                FieldValue::TransportNumber(normalized.into()),
                "{text}"
            );
        }
        for malformed in ["CA", "G123456", "CA-1234", "ABC123", "C", "CA12345678"] {
            rejects("flight", &kind, malformed, "Format");
        }
        rejects("flight", &kind, "", "Empty");
    }

    #[test]
    fn text() {
        let kind = FieldKind::Text { max_len: 10 };
        assert_eq!(
            accepts("notes", &kind, " feeling ok "),
            FieldValue::Text("feeling ok".into())
        );
        assert!(parse_answer("notes", &kind, "line\nnext", today()).is_ok());
        // Ten characters, thirty bytes: the limit counts characters.
        assert!(parse_answer("notes", &kind, "一二三四五六七八九十", today()).is_ok());
        rejects("notes", &kind, "一二三四五六七八九十一", "TooLong");
        rejects("notes", &kind, "a\u{0}b", "ControlCharacter");
        rejects("notes", &kind, "a\tb", "ControlCharacter");
        rejects("notes", &kind, "a\u{1b}[31m", "ControlCharacter");
        rejects("notes", &kind, "   ", "Empty");
        // Far over the limit: refused on length before counting characters.
        rejects("notes", &kind, &"x".repeat(100_000), "TooLarge");
        rejects("notes", &kind, &"x".repeat(41), "TooLong");
    }

    #[test]
    fn typed_values_of_another_kind_are_refused() {
        rejects_value(
            "temperature",
            &FieldKind::TemperatureC,
            &FieldValue::Date(today()),
            "WrongKind",
        );
        let error = check_value(
            "symptoms",
            &FieldKind::MultiChoice { codes: vec![] },
            &FieldValue::Choice("cough".into()),
            today(),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "field `symptoms` holds a value of the wrong kind (expected multi_choice)"
        );
    }

    #[test]
    fn typed_values_follow_the_same_rules() {
        let ok = |kind: &FieldKind, value: FieldValue| check_value("f", kind, &value, today());
        assert!(
            ok(
                &FieldKind::TemperatureC,
                FieldValue::Temperature(Temperature::from_tenths(373))
            )
            .is_ok()
        );
        rejects_value(
            "temperature",
            &FieldKind::TemperatureC,
            &FieldValue::Temperature(Temperature::from_tenths(431)),
            "OutOfRange",
        );
        let legs = vec![
            TravelLeg {
                place: "420106".into(),
                from: date("2026-11-01"),
                to: date("2026-11-02"),
            };
            MAX_TRAVEL_LEGS + 1
        ];
        rejects_value(
            "travel",
            &FieldKind::TravelHistory,
            &FieldValue::TravelHistory(legs.clone()),
            "TooMany",
        );
        assert!(
            ok(
                &FieldKind::TravelHistory,
                FieldValue::TravelHistory(legs[..MAX_TRAVEL_LEGS].to_vec())
            )
            .is_ok()
        );
        rejects_value(
            "notes",
            &FieldKind::Text { max_len: 1_000_000 },
            &FieldValue::Text("x".repeat(MAX_TEXT_BYTES + 1)),
            "TooLarge",
        );
    }

    #[test]
    fn too_many_travel_legs_are_refused_while_parsing() {
        let leg = "420106:2026-11-01:2026-11-02";
        let at_limit = vec![leg; MAX_TRAVEL_LEGS].join(";");
        assert!(parse_answer("travel", &FieldKind::TravelHistory, &at_limit, today()).is_ok());
        let over = vec![leg; MAX_TRAVEL_LEGS + 1].join(";");
        rejects("travel", &FieldKind::TravelHistory, &over, "TooMany");
    }

    #[test]
    fn today_is_the_local_date_across_midnight() {
        let at = |text: &str| FixedClock::new(DateTime::parse_from_rfc3339(text).unwrap());
        let kind = FieldKind::Date {
            allow_future: false,
        };
        // 23:59 on the 28th in Shanghai: the 29th is still the future.
        let before = at("2026-11-28T23:59:00+08:00");
        let error = parse_answer("arrival_date", &kind, "2026-11-29", before.today()).unwrap_err();
        assert_eq!(error.rule, Rule::FutureDate);
        // Two minutes later it is the 29th locally, though still the 28th in UTC.
        let after = at("2026-11-29T00:01:00+08:00");
        assert_eq!(after.now().naive_utc().date(), date("2026-11-28"));
        assert_eq!(
            parse_answer("arrival_date", &kind, "2026-11-29", after.today()),
            Ok(FieldValue::Date(date("2026-11-29")))
        );
        // The same for a travel leg ending on the 29th.
        let travel = "420106:2026-11-27:2026-11-29";
        assert!(parse_answer("travel", &FieldKind::TravelHistory, travel, before.today()).is_err());
        assert!(parse_answer("travel", &FieldKind::TravelHistory, travel, after.today()).is_ok());
    }

    fn any_kind() -> impl Strategy<Value = FieldKind> {
        prop_oneof![
            Just(FieldKind::YesNo),
            Just(FieldKind::Choice {
                codes: codes(&["a", "b"])
            }),
            Just(FieldKind::MultiChoice {
                codes: codes(&["a", "b"])
            }),
            Just(FieldKind::TemperatureC),
            Just(FieldKind::Integer { min: -5, max: 5 }),
            Just(FieldKind::Date {
                allow_future: false
            }),
            Just(FieldKind::District),
            Just(FieldKind::TravelHistory),
            Just(FieldKind::PersonName),
            Just(FieldKind::ResidentId),
            Just(FieldKind::PassportNumber),
            Just(FieldKind::Phone),
            Just(FieldKind::TransportNumber),
            Just(FieldKind::Text { max_len: 20 }),
        ]
    }

    proptest! {
        #[test]
        fn valid_temperatures_display_and_parse_back(tenths in MIN_TEMPERATURE_TENTHS..=MAX_TEMPERATURE_TENTHS) {
            let value = FieldValue::Temperature(Temperature::from_tenths(tenths));
            let parsed = parse_answer("temperature", &FieldKind::TemperatureC, &value.to_string(), today());
            prop_assert_eq!(parsed, Ok(value));
        }

        #[test]
        fn any_temperature_text_form_parses_to_its_tenths(tenths in -100_000i32..100_000) {
            let text = Temperature::from_tenths(tenths).to_string();
            prop_assert_eq!(parse_temperature(&text), Ok(Temperature::from_tenths(tenths)));
        }

        #[test]
        fn valid_travel_histories_display_and_parse_back(
            legs in prop::collection::vec((0i64..400, 0i64..30, 0usize..4), 0..10)
        ) {
            let places = ["420106", "310104", "110105", "440300"];
            let legs: Vec<TravelLeg> = legs
                .into_iter()
                .map(|(back, length, place)| {
                    let to = today() - chrono::Duration::days(back);
                    TravelLeg { place: places[place].into(), from: to - chrono::Duration::days(length), to }
                })
                .collect();
            let value = FieldValue::TravelHistory(legs);
            let parsed = parse_answer("travel", &FieldKind::TravelHistory, &value.to_string(), today());
            prop_assert_eq!(parsed, Ok(value));
        }

        #[test]
        fn accepted_answers_are_valid_and_display_as_themselves(kind in any_kind(), text in "(?s).{0,40}") {
            // Arbitrary text never panics; whatever is accepted passes check_value and
            // parses back to the same value from its display form.
            if let Ok(value) = parse_answer("f", &kind, &text, today()) {
                prop_assert_eq!(check_value("f", &kind, &value, today()), Ok(()));
                prop_assert_eq!(parse_answer("f", &kind, &value.to_string(), today()), Ok(value));
            }
        }
    }
}
