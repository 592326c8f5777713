//! Phone numbers: what people type (national trunk prefixes, the separators and
//! full-width forms Chinese input methods produce) normalized to E.164, and checked by
//! libphonenumber's rules for every country, from tables generated out of its metadata
//! (`scripts/gen-phone-metadata`).
//!
//! The steps follow libphonenumber's `parse`, `isPossibleNumberWithReason` and
//! `isValidNumber` for a number written with `+` and its country code: the country code is
//! the shortest known prefix of one to three digits; the main territory's national prefix
//! (the trunk `0` of `+86 021 ...`) is dropped when what is left still has a possible
//! length; the length is checked against the country's possible lengths; then the number
//! must match a number type (fixed line, mobile, toll free...) of one of the code's
//! territories.

#[rustfmt::skip]
mod metadata;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use regex_lite::Regex;

use super::Rule;
use super::normalize::{half_width, is_space};

pub use metadata::LIBPHONENUMBER_VERSION;

/// What a phone number must look like once normalized.
pub(crate) const FORMAT: Rule = Rule::Format {
    expected: "an international phone number: + and the country code, then the number",
};

/// Longest country calling code, in digits (E.164).
const MAX_COUNTRY_CODE_DIGITS: usize = 3;
/// Fewest digits a national number may have (libphonenumber's `MIN_LENGTH_FOR_NSN`).
const MIN_NATIONAL_DIGITS: usize = 2;
/// Most digits an E.164 number may have, country code included.
const MAX_E164_DIGITS: usize = 15;

/// One country calling code and the territories sharing it, main territory first.
struct CountryCode {
    code: u16,
    territories: Vec<Territory>,
}

/// A territory's rules, as libphonenumber's metadata gives them.
struct Territory {
    /// ISO 3166 region (or `001` for non-geographic codes); named in test failures.
    #[cfg_attr(not(test), allow(dead_code))]
    region: &'static str,
    /// Leading digits that pick this territory among those sharing a country code.
    leading_digits: Option<&'static str>,
    /// The national (trunk) prefix, as a pattern matched at the start.
    national_prefix_for_parsing: Option<&'static str>,
    /// What replaces the matched national prefix (`${1}` names its group), if anything.
    national_prefix_transform_rule: Option<&'static str>,
    /// Lengths and pattern every number of the territory has.
    general: GeneralDesc,
    /// One description per number type the territory assigns.
    types: Vec<Desc>,
}

/// The description of all numbers of a territory.
struct GeneralDesc {
    lengths: Vec<u8>,
    /// Lengths only dialled within an area; not full numbers.
    local_only: Vec<u8>,
    pattern: &'static str,
}

/// The description of one number type: its possible lengths and its pattern.
struct Desc {
    lengths: Vec<u8>,
    pattern: &'static str,
}

/// A text field of the metadata: `-` is absent.
fn optional(field: &'static str) -> Option<&'static str> {
    (field != "-").then_some(field)
}

/// A comma-separated list of lengths (`-` for none).
fn lengths(field: &str) -> Option<Vec<u8>> {
    if field == "-" {
        return Some(Vec::new());
    }
    field.split(',').map(|length| length.parse().ok()).collect()
}

/// One line of [`metadata::TERRITORIES`]: its country code and territory, or `None` if
/// it is malformed (a test proves every line parses).
fn parse_territory(line: &'static str) -> Option<(u16, Territory)> {
    let mut fields = line.split(' ');
    let code = fields.next()?.parse().ok()?;
    let region = fields.next()?;
    let leading_digits = optional(fields.next()?);
    let national_prefix_for_parsing = optional(fields.next()?);
    let national_prefix_transform_rule = optional(fields.next()?);
    let general = GeneralDesc {
        lengths: lengths(fields.next()?)?,
        local_only: lengths(fields.next()?)?,
        pattern: fields.next()?,
    };
    let mut types = Vec::new();
    while let Some(type_lengths) = fields.next() {
        types.push(Desc {
            lengths: lengths(type_lengths)?,
            pattern: fields.next()?,
        });
    }
    let territory = Territory {
        region,
        leading_digits,
        national_prefix_for_parsing,
        national_prefix_transform_rule,
        general,
        types,
    };
    Some((code, territory))
}

/// The territories of country calling code `code`, main territory first, or `None` if no
/// country has it.
fn country_code(code: u16) -> Option<Arc<CountryCode>> {
    // Each code's territories are read out of the metadata once, on first use.
    static PARSED: OnceLock<Mutex<HashMap<u16, Option<Arc<CountryCode>>>>> = OnceLock::new();
    let parsed = PARSED.get_or_init(Mutex::default);
    if let Some(hit) = parsed.lock().ok().and_then(|map| map.get(&code).cloned()) {
        return hit;
    }
    let read = read_country_code(code).map(Arc::new);
    if let Ok(mut map) = parsed.lock() {
        map.insert(code, read.clone());
    }
    read
}

/// The territories of calling code `code`, read out of the metadata text.
fn read_country_code(code: u16) -> Option<CountryCode> {
    let prefix = format!("{code} ");
    let territories: Vec<Territory> = metadata::TERRITORIES
        .lines()
        .filter(|line| line.starts_with(&prefix))
        .filter_map(|line| parse_territory(line).map(|(_, territory)| territory))
        .collect();
    (!territories.is_empty()).then_some(CountryCode { code, territories })
}

/// How a metadata pattern is matched: against the whole number, or at its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Anchor {
    Whole,
    Start,
}

/// The compiled form of a metadata pattern, compiled once on first use (the metadata is
/// finite, so is the cache). The metadata's patterns are tested to compile; one that did
/// not would be `None` and match nothing.
fn compiled(anchor: Anchor, pattern: &'static str) -> Option<Arc<Regex>> {
    /// Compiled patterns by anchor and pattern (`None`: did not compile).
    type Compiled = HashMap<(Anchor, &'static str), Option<Arc<Regex>>>;
    static COMPILED: OnceLock<Mutex<Compiled>> = OnceLock::new();
    let cache = COMPILED.get_or_init(Mutex::default);
    if let Some(hit) = cache
        .lock()
        .ok()
        .and_then(|map| map.get(&(anchor, pattern)).cloned())
    {
        return hit;
    }
    let source = match anchor {
        Anchor::Whole => format!("^(?:{pattern})$"),
        Anchor::Start => format!("^(?:{pattern})"),
    };
    let regex = Regex::new(&source).ok().map(Arc::new);
    if let Ok(mut map) = cache.lock() {
        map.insert((anchor, pattern), regex.clone());
    }
    regex
}

/// Whether `number` matches `pattern` as a whole.
fn full_match(pattern: &'static str, number: &str) -> bool {
    compiled(Anchor::Whole, pattern).is_some_and(|regex| regex.is_match(number))
}

/// Whether a number of `length` digits and its digits match the lengths and the pattern.
fn matches(lengths: &[u8], pattern: &'static str, number: &str) -> bool {
    let length_ok = lengths.is_empty()
        || u8::try_from(number.len()).is_ok_and(|length| lengths.contains(&length));
    length_ok && full_match(pattern, number)
}

/// libphonenumber's `ValidationResult` for a national number's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LengthCheck {
    Possible,
    PossibleLocalOnly,
    TooShort,
    TooLong,
    InvalidLength,
}

impl GeneralDesc {
    /// libphonenumber's `testNumberLength`.
    fn test_length(&self, number: &str) -> LengthCheck {
        let Ok(length) = u8::try_from(number.len()) else {
            return LengthCheck::TooLong;
        };
        let (Some(&shortest), Some(&longest)) = (self.lengths.first(), self.lengths.last()) else {
            return LengthCheck::InvalidLength;
        };
        if self.local_only.contains(&length) {
            LengthCheck::PossibleLocalOnly
        } else if length < shortest {
            LengthCheck::TooShort
        } else if length > longest {
            LengthCheck::TooLong
        } else if self.lengths.contains(&length) {
            LengthCheck::Possible
        } else {
            LengthCheck::InvalidLength
        }
    }
}

impl Territory {
    /// libphonenumber's `maybeStripNationalPrefixAndCarrierCode`: the national number
    /// without its trunk prefix, or `None` if there is none to strip.
    fn strip_national_prefix(&self, number: &str) -> Option<String> {
        let prefix = self.national_prefix_for_parsing?;
        let regex = compiled(Anchor::Start, prefix)?;
        let captures = regex.captures(number)?;
        let whole = captures.get(0)?;
        let viable_before = full_match(self.general.pattern, number);
        let last_group_matched = captures
            .len()
            .checked_sub(1)
            .filter(|&last| last > 0)
            .is_some_and(|last| captures.get(last).is_some());
        let stripped = match self.national_prefix_transform_rule {
            Some(rule) if last_group_matched => {
                let mut transformed = String::new();
                captures.expand(rule, &mut transformed);
                transformed.push_str(&number[whole.end()..]);
                transformed
            }
            _ => number[whole.end()..].to_owned(),
        };
        // A number that was already whole is not cut into one that is not.
        if viable_before && !full_match(self.general.pattern, &stripped) {
            return None;
        }
        Some(stripped)
    }

    /// Whether the national number is of one of the territory's number types
    /// (libphonenumber's `getNumberType` is not `UNKNOWN`).
    fn assigns(&self, number: &str) -> bool {
        matches(&self.general.lengths, self.general.pattern, number)
            && self
                .types
                .iter()
                .any(|desc| matches(&desc.lengths, desc.pattern, number))
    }

    /// Whether the national number starts with this territory's leading digits.
    fn leads(&self, leading_digits: &'static str, number: &str) -> bool {
        compiled(Anchor::Start, leading_digits).is_some_and(|regex| regex.is_match(number))
    }
}

impl CountryCode {
    /// The territory a national number belongs to (libphonenumber's
    /// `getRegionCodeForNumber`): the first whose leading digits it starts with, or,
    /// for territories without leading digits, whose number types it matches.
    fn territory_of(&self, number: &str) -> Option<&Territory> {
        if let [only] = self.territories.as_slice() {
            return Some(only);
        }
        self.territories
            .iter()
            .find(|territory| match territory.leading_digits {
                Some(leading) => territory.leads(leading, number),
                None => territory.assigns(number),
            })
    }
}

/// Separators people and input methods put inside phone numbers: spaces of every width,
/// hyphens and dashes, dots (and the ideographic full stop), parentheses and slashes.
fn is_separator(c: char) -> bool {
    is_space(c)
        || matches!(
            c,
            '-' | '.' | '(' | ')' | '/' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{3002}'
        )
}

/// `text` as `+` and ASCII digits: full-width forms made ASCII, separators dropped.
/// Anything else (letters, a `+` not in front, no `+` at all) is [`FORMAT`].
fn plus_and_digits(text: &str) -> Result<String, Rule> {
    let compact: String = text
        .chars()
        .map(half_width)
        .filter(|c| !is_separator(*c))
        .collect();
    match compact.strip_prefix('+') {
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(compact)
        }
        _ => Err(FORMAT),
    }
}

/// Normalizes a typed phone number to E.164 (`+862156748728`) and checks it by
/// libphonenumber's rules; the error names the rule it breaks.
pub(crate) fn normalize(text: &str) -> Result<String, Rule> {
    let compact = plus_and_digits(text)?;
    let digits = &compact[1..];
    if digits.starts_with('0') {
        return Err(Rule::PhoneCountryCode);
    }
    if digits.len() <= MIN_NATIONAL_DIGITS {
        return Err(Rule::PhoneLength);
    }
    let (country, national) = (1..=MAX_COUNTRY_CODE_DIGITS.min(digits.len()))
        .find_map(|split| {
            let code = digits[..split].parse().ok()?;
            Some((country_code(code)?, &digits[split..]))
        })
        .ok_or(Rule::PhoneCountryCode)?;
    let main = country.territories.first().ok_or(Rule::PhoneCountryCode)?;
    let mut national = national.to_owned();
    if let Some(stripped) = main.strip_national_prefix(&national) {
        let kept = !matches!(
            main.general.test_length(&stripped),
            LengthCheck::TooShort | LengthCheck::PossibleLocalOnly | LengthCheck::InvalidLength
        );
        if kept {
            national = stripped;
        }
    }
    if national.len() < MIN_NATIONAL_DIGITS {
        return Err(Rule::PhoneLength);
    }
    let normalized = format!("+{}{national}", country.code);
    if normalized.len() - 1 > MAX_E164_DIGITS {
        return Err(Rule::PhoneLength);
    }
    // A length dialled only within an area (libphonenumber's `IS_POSSIBLE_LOCAL_ONLY`)
    // is not the length of a whole number.
    if main.general.test_length(&national) != LengthCheck::Possible {
        return Err(Rule::PhoneLength);
    }
    let valid = country
        .territory_of(&national)
        .is_some_and(|territory| territory.assigns(&national));
    if !valid {
        return Err(Rule::PhoneNumberRange);
    }
    Ok(normalized)
}

/// Checks a stored or typed value that should already be normalized: it must be exactly
/// what [`normalize`] makes of it.
pub(crate) fn check(number: &str) -> Result<(), Rule> {
    if !number.starts_with('+') || !number[1..].bytes().all(|b| b.is_ascii_digit()) {
        return Err(FORMAT);
    }
    let normalized = normalize(number)?;
    if normalized == number {
        Ok(())
    } else {
        // A trunk prefix left in (`+8602156748728`): not E.164.
        Err(FORMAT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_of_the_metadata_parses_and_every_pattern_compiles() {
        let compiles = |pattern: &str| Regex::new(&format!("^(?:{pattern})$")).is_ok();
        let mut codes = Vec::new();
        for line in metadata::TERRITORIES
            .lines()
            .filter(|line| !line.is_empty())
        {
            let (code, territory) = parse_territory(line).expect(line);
            if codes.last() != Some(&code) {
                codes.push(code);
            }
            assert!(
                !territory.general.lengths.is_empty(),
                "{}",
                territory.region
            );
            assert!(compiles(territory.general.pattern), "{}", territory.region);
            assert!(!territory.types.is_empty(), "{}", territory.region);
            for desc in &territory.types {
                assert!(compiles(desc.pattern), "{}", territory.region);
            }
            for pattern in [
                territory.leading_digits,
                territory.national_prefix_for_parsing,
            ]
            .into_iter()
            .flatten()
            {
                assert!(compiles(pattern), "{}", territory.region);
            }
        }
        // Sorted by code, each code's territories together: 215 codes in libphonenumber 9.0.43.
        assert!(codes.windows(2).all(|pair| pair[0] < pair[1]));
        assert_eq!(codes.len(), 215);
        assert_eq!(country_code(86).unwrap().territories.len(), 1);
        assert_eq!(country_code(1).unwrap().territories[0].region, "US");
        assert!(country_code(999).is_none());
    }

    #[test]
    fn the_trunk_prefix_is_dropped() {
        assert_eq!(normalize("+86 021 56748728"), Ok("+862156748728".into()));
        assert_eq!(normalize("+86 (0)21 5674 8728"), Ok("+862156748728".into()));
        assert_eq!(normalize("+44 (0)20 7946 0958"), Ok("+442079460958".into()));
        assert_eq!(normalize("+49 030 901820"), Ok("+4930901820".into()));
        // Italy keeps its leading 0: it is part of the number there.
        assert_eq!(normalize("+39 06 6982 1234"), Ok("+390669821234".into()));
    }

    #[test]
    fn input_method_separators_and_full_width_forms_are_accepted() {
        for typed in [
            "+86 138-0013-8000",
            "+86.138.0013.8000",
            "+86 (138) 0013 8000",
            "+86\u{00A0}138\u{00A0}0013\u{00A0}8000",
            "+86\u{3000}138\u{3000}0013\u{3000}8000",
            "＋８６ １３８ ００１３ ８０００",
            "＋８６－１３８－００１３－８０００",
            "（+86）13800138000",
            "+86 138\u{2014}0013\u{2014}8000",
            "+86。138。0013。8000",
        ] {
            assert_eq!(normalize(typed), Ok("+8613800138000".into()), "{typed:?}");
        }
    }

    #[test]
    fn seven_and_four_digit_numbers_of_small_countries_are_valid() {
        assert_eq!(normalize("+683 7012"), Ok("+6837012".into())); // Niue, 4 digits
        assert_eq!(normalize("+683 888 4012"), Ok("+6838884012".into()));
        assert_eq!(normalize("+690 3010"), Ok("+6903010".into())); // Tokelau
    }

    #[test]
    fn numbers_that_cannot_exist_name_the_rule() {
        assert_eq!(normalize("13800138000"), Err(FORMAT));
        assert_eq!(normalize("+86 138 0013 800a"), Err(FORMAT));
        assert_eq!(normalize("++8613800138000"), Err(FORMAT));
        assert_eq!(normalize("+"), Err(FORMAT));
        assert_eq!(normalize("+0123456789"), Err(Rule::PhoneCountryCode));
        assert_eq!(normalize("+999 1234 5678"), Err(Rule::PhoneCountryCode));
        // China's numbers have 7 to 12 digits; 5 and 6 are dialled only locally.
        assert_eq!(normalize("+86 138 0013 800001"), Err(Rule::PhoneLength));
        assert_eq!(normalize("+86 12345"), Err(Rule::PhoneLength));
        assert_eq!(normalize("+12"), Err(Rule::PhoneLength));
        // Possible lengths, but in no range China assigns: a mobile number one digit
        // short or long, and one starting 120.
        assert_eq!(normalize("+86 138 0013 800"), Err(Rule::PhoneNumberRange));
        assert_eq!(normalize("+86 138 0013 80000"), Err(Rule::PhoneNumberRange));
        assert_eq!(normalize("+86 120 0013 8000"), Err(Rule::PhoneNumberRange));
    }

    #[test]
    fn stored_values_must_be_normalized_already() {
        assert_eq!(check("+8613800138000"), Ok(()));
        assert_eq!(check("+8602156748728"), Err(FORMAT));
        assert_eq!(check("+86 13800138000"), Err(FORMAT));
        assert_eq!(check("+86120013800"), Err(Rule::PhoneNumberRange));
    }
}
