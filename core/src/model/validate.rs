//! Validation of answers: text parsed into typed values, and typed values checked
//! against their field kind (DESIGN §4).
//!
//! [`parse_answer`] bounds, normalizes and parses text, then runs [`check_value`], so
//! both entry points apply exactly the same rules. "Today" is always the person's local
//! date, passed in by the caller (from a [`crate::Clock`]), never read here.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use chrono::Datelike;

use super::normalize::compact_half_width;
use super::{FieldKind, FieldValue, Rule, Temperature, TravelLeg, ValidationError};
use super::{district, phone, resident_id};

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
/// ID loses spaces of any width, its full-width digits and `Ｘ` become ASCII and an `x`
/// upper case; a district code (also a travel leg's place) loses spaces and full-width
/// digits; a transport number loses spaces and is upper-cased; a passport number is
/// upper-cased; a phone number becomes E.164 (`+86 021 5674 8728`, `＋８６…` with any
/// separators: `+862156748728`), checked by libphonenumber's rules.
///
/// Blank text is [`Rule::Empty`] except for `multi_choice` and `travel_history`, where
/// it is an empty list. Errors name `field_id`.
pub fn parse_answer(
    field_id: &str,
    kind: &FieldKind,
    text: &str,
    today: NaiveDate,
) -> Result<FieldValue, ValidationError> {
    parse_answer_within(field_id, kind, text, DateBounds::today(today))
}

/// The days a value's dates are checked against: the person's local today and, in a
/// record that plans an arrival (its `arrival_date`), that day, up to which a travel
/// leg may end in the future (a trip still under way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateBounds {
    /// The person's local date.
    pub today: NaiveDate,
    /// The record's planned arrival, if it has one.
    pub planned_arrival: Option<NaiveDate>,
}

impl DateBounds {
    /// Bounds of a value outside any record that plans an arrival: today only.
    pub fn today(today: NaiveDate) -> Self {
        Self {
            today,
            planned_arrival: None,
        }
    }
}

/// [`parse_answer`] within `bounds`: a travel leg may end after today, up to the
/// planned arrival ([`Rule::LegAfterArrival`] beyond it).
pub fn parse_answer_within(
    field_id: &str,
    kind: &FieldKind,
    text: &str,
    bounds: DateBounds,
) -> Result<FieldValue, ValidationError> {
    let value = parse_text(kind, text).map_err(|rule| ValidationError::new(field_id, rule))?;
    check_value_within(field_id, kind, &value, bounds)?;
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
    check_value_within(field_id, kind, value, DateBounds::today(today))
}

/// [`check_value`] within `bounds` (see [`parse_answer_within`]).
pub fn check_value_within(
    field_id: &str,
    kind: &FieldKind,
    value: &FieldValue,
    bounds: DateBounds,
) -> Result<(), ValidationError> {
    check_kind(kind, value, bounds).map_err(|rule| ValidationError::new(field_id, rule))
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
        FieldKind::District => FieldValue::District(compact_half_width(text)),
        FieldKind::TravelHistory => FieldValue::TravelHistory(parse_travel_history(text)?),
        FieldKind::PersonName => FieldValue::PersonName(text.to_owned()),
        FieldKind::ResidentId => {
            FieldValue::ResidentId(compact_half_width(text).to_ascii_uppercase())
        }
        FieldKind::PassportNumber => FieldValue::PassportNumber(text.to_ascii_uppercase()),
        FieldKind::Phone => FieldValue::Phone(phone::normalize(text)?),
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
            place: compact_half_width(place),
            from: parse_date(from)?,
            to: parse_date(to)?,
        });
    }
    Ok(legs)
}

fn check_kind(kind: &FieldKind, value: &FieldValue, bounds: DateBounds) -> Result<(), Rule> {
    let today = bounds.today;
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
            check_travel_history(legs, bounds)
        }
        (FieldKind::PersonName, FieldValue::PersonName(name)) => check_person_name(name),
        (FieldKind::ResidentId, FieldValue::ResidentId(id)) => resident_id::check(id, today),
        (FieldKind::PassportNumber, FieldValue::PassportNumber(number)) => {
            check_passport_number(number)
        }
        (FieldKind::Phone, FieldValue::Phone(number)) => phone::check(number),
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
        Err(Rule::UnknownCode {
            allowed: codes.to_vec(),
        })
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

fn check_travel_history(legs: &[TravelLeg], bounds: DateBounds) -> Result<(), Rule> {
    if legs.len() > MAX_TRAVEL_LEGS {
        return Err(Rule::TooMany {
            max: MAX_TRAVEL_LEGS,
        });
    }
    for leg in legs {
        // A leg names a place as it was then: a code abolished since still fits it.
        district::check_in_use_from(&leg.place, Some(leg.from.year()))?;
        if leg.from > leg.to {
            return Err(Rule::DateOrder);
        }
        if leg.to > bounds.today {
            match bounds.planned_arrival {
                None => return Err(Rule::FutureDate),
                Some(arrival) if leg.to > arrival => return Err(Rule::LegAfterArrival),
                Some(_) => {}
            }
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
mod tests;
