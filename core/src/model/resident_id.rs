//! GB 11643 resident identity numbers: 17 digits (address code, birth date, sequence)
//! and an ISO 7064 MOD 11-2 check character.

use chrono::{Datelike, NaiveDate};

use super::{Rule, district, gb2260};

/// Digits in a resident ID before the check character.
const BODY_DIGITS: usize = 17;

/// Weight of the digit at 0-based position `i`: 2^(17 - i) mod 11 (ISO 7064 MOD 11-2).
const WEIGHTS: [u32; BODY_DIGITS] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// Residence permits for Taiwan residents (GB 11643 numbers) use the address code
/// `830000`, which GB/T 2260 itself does not list; Hong Kong's (`810000`) and Macau's
/// (`820000`) are in it.
const TAIWAN_RESIDENCE_PERMIT_CODE: &str = "830000";

/// No one alive when resident ID numbers were first issued (1984) was born before this.
const FIRST_BIRTH_YEAR: i32 = 1860;

const FORMAT: Rule = Rule::Format {
    expected: "an 18-character resident ID (17 digits, then a digit or X)",
};

/// The check character for the first 17 digits of an ID, or `None` if `body` is not
/// exactly 17 ASCII digits.
pub(crate) fn check_character(body: &str) -> Option<char> {
    if body.len() != BODY_DIGITS {
        return None;
    }
    let mut sum = 0u32;
    for (byte, weight) in body.bytes().zip(WEIGHTS) {
        if !byte.is_ascii_digit() {
            return None;
        }
        sum += u32::from(byte - b'0') * weight;
    }
    match (12 - sum % 11) % 11 {
        10 => Some('X'),
        // 0..=9: the digit itself.
        digit => char::from_digit(digit, 10),
    }
}

/// The birth date embedded in an ID (digits 7 to 14, `YYYYMMDD`), if it is a real date.
pub(crate) fn birth_date(id: &str) -> Option<NaiveDate> {
    let digits = id.get(6..14)?;
    if !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let year = digits.get(0..4)?.parse().ok()?;
    let month = digits.get(4..6)?.parse().ok()?;
    let day = digits.get(6..8)?.parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Checks a normalized ID (ASCII digits, check character `X` in upper case): shape,
/// province prefix, a real birth date from 1860 to `today`, the check character, then the
/// region code against GB/T 2260: a code it has listed, in use in the birth year or later
/// (a number keeps the code of its first registration, which cannot precede birth).
pub(crate) fn check(id: &str, today: NaiveDate) -> Result<(), Rule> {
    let (body, check) = match id.as_bytes() {
        [body @ .., check] if body.len() == BODY_DIGITS => (body, *check),
        _ => return Err(FORMAT),
    };
    if !body.iter().all(u8::is_ascii_digit) || !(check.is_ascii_digit() || check == b'X') {
        return Err(FORMAT);
    }
    // All 18 bytes are ASCII here, so slicing is on char boundaries.
    let region = &id[..6];
    let taiwan_permit = region == TAIWAN_RESIDENCE_PERMIT_CODE;
    if !district::has_province_prefix(region) && !taiwan_permit {
        return Err(Rule::UnknownProvince);
    }
    let born = match birth_date(id) {
        Some(born) if born <= today && born.year() >= FIRST_BIRTH_YEAR => born,
        _ => return Err(Rule::ResidentIdBirthDate),
    };
    if check_character(&id[..BODY_DIGITS]) != Some(char::from(check)) {
        return Err(Rule::ResidentIdCheckDigit);
    }
    if taiwan_permit {
        return Ok(());
    }
    let code_use = district::six_digits(region)
        .and_then(gb2260::lookup)
        .ok_or(Rule::UnknownDistrict)?;
    match code_use {
        gb2260::CodeUse::LastInUse(last_year) if !code_use.in_use_in_or_after(born.year()) => {
            Err(Rule::ResidentIdRegionAbolished { last_year })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
    }

    /// Builds a full ID from its 17-digit body by computing the check character.
    fn with_check(body: &str) -> String {
        format!("{body}{}", check_character(body).unwrap())
    }

    #[test]
    fn weights_are_powers_of_two_mod_eleven() {
        for (i, weight) in WEIGHTS.iter().enumerate() {
            assert_eq!(u64::from(*weight), (1u64 << (17 - i)) % 11, "position {i}");
        }
    }

    #[test]
    fn the_published_example_passes_and_its_neighbour_fails() {
        assert_eq!(check_character("11010519491231002"), Some('X'));
        assert_eq!(check("11010519491231002X", today()), Ok(()));
        assert_eq!(
            check("110105194912310021", today()),
            Err(Rule::ResidentIdCheckDigit)
        );
    }

    #[test]
    fn computed_samples_pass_and_wrong_check_characters_fail() {
        for body in [
            "44030419900307123", // Shenzhen Futian, 1990-03-07
            "31010420000229004", // Shanghai Xuhui, a leap day
            "65010219851111111", // Urumqi
            "81000019700101001", // Hong Kong resident permit
            "82000019880808003", // Macau resident permit
            "83000019950505002", // Taiwan resident permit
        ] {
            let id = with_check(body);
            assert_eq!(check(&id, today()), Ok(()), "{id}");
            let right = check_character(body).unwrap();
            for wrong in "0123456789X".chars().filter(|c| *c != right) {
                assert_eq!(
                    check(&format!("{body}{wrong}"), today()),
                    Err(Rule::ResidentIdCheckDigit),
                    "{body}{wrong}"
                );
            }
        }
    }

    #[test]
    fn shape_province_and_birth_date_are_checked() {
        assert_eq!(check("11010519491231002", today()), Err(FORMAT));
        assert_eq!(check("11010519491231002XX", today()), Err(FORMAT));
        assert_eq!(check("11010519491231002x", today()), Err(FORMAT));
        assert_eq!(check("1101051949123100AX", today()), Err(FORMAT));
        assert_eq!(check("", today()), Err(FORMAT));
        assert_eq!(check("１１010519491231002X", today()), Err(FORMAT));
        assert_eq!(
            check(&with_check("99010519491231002"), today()),
            Err(Rule::UnknownProvince)
        );
        assert_eq!(
            check(&with_check("83010119900101002"), today()),
            Err(Rule::UnknownProvince)
        );
        // 2026-02-30 is not a date; 2027-01-01 is after today; year 0000 and 1859 are
        // before anyone who could hold a number.
        for body in [
            "11010520260230002",
            "11010520270101002",
            "11010500000101002",
            "11010518591231002",
        ] {
            assert_eq!(
                check(&with_check(body), today()),
                Err(Rule::ResidentIdBirthDate),
                "{body}"
            );
        }
        // Born today, or in 1860, is fine.
        assert_eq!(check(&with_check("11010520261128002"), today()), Ok(()));
        assert_eq!(check(&with_check("11010518600101002"), today()), Ok(()));
    }

    #[test]
    fn the_region_code_must_be_one_gb2260_listed() {
        // Right check digits, but a county Beijing never had and a development zone.
        assert_eq!(
            check(&with_check("11019919900101002"), today()),
            Err(Rule::UnknownDistrict)
        );
        assert_eq!(
            check(&with_check("32057620000101002"), today()),
            Err(Rule::UnknownDistrict)
        );
    }

    #[test]
    fn a_region_abolished_before_the_birth_year_cannot_be_the_first_registration() {
        // Beijing Chongwen district, merged into Dongcheng in 2010.
        assert_eq!(check(&with_check("11010319800101002"), today()), Ok(()));
        assert_eq!(check(&with_check("11010320101231002"), today()), Ok(()));
        assert_eq!(
            check(&with_check("11010320110101002"), today()),
            Err(Rule::ResidentIdRegionAbolished { last_year: 2010 })
        );
        // A code abolished long ago still fits someone born before it was abolished.
        assert_eq!(check(&with_check("11010319300101002"), today()), Ok(()));
    }

    #[test]
    fn birth_date_reads_digits_seven_to_fourteen() {
        assert_eq!(
            birth_date("11010519491231002X"),
            NaiveDate::from_ymd_opt(1949, 12, 31)
        );
        assert_eq!(birth_date("110105194913310021"), None);
        assert_eq!(birth_date("short"), None);
    }

    /// Current county-level region codes from the table.
    fn region() -> impl Strategy<Value = String> {
        prop::sample::select(gb2260::current_county_codes()).prop_map(|code| format!("{code:06}"))
    }

    fn past_date() -> impl Strategy<Value = NaiveDate> {
        (0i64..=50_000).prop_map(|days_back| today() - chrono::Duration::days(days_back))
    }

    proptest! {
        #[test]
        fn any_body_with_its_computed_check_character_passes(
            region in region(),
            born in past_date(),
            sequence in "[0-9]{3}",
        ) {
            let body = format!("{region}{}{sequence}", born.format("%Y%m%d"));
            let id = with_check(&body);
            prop_assert_eq!(check(&id, today()), Ok(()));
            prop_assert_eq!(birth_date(&id), Some(born));
        }

        #[test]
        fn changing_the_check_character_fails(
            region in region(),
            born in past_date(),
            sequence in "[0-9]{3}",
            shift in 1u32..11,
        ) {
            let body = format!("{region}{}{sequence}", born.format("%Y%m%d"));
            let right = check_character(&body).unwrap();
            let alphabet: Vec<char> = "0123456789X".chars().collect();
            let position = alphabet.iter().position(|c| *c == right).unwrap();
            let wrong = alphabet[(position + shift as usize) % alphabet.len()];
            prop_assert_eq!(
                check(&format!("{body}{wrong}"), today()),
                Err(Rule::ResidentIdCheckDigit)
            );
        }

        #[test]
        fn changing_any_single_body_digit_fails_the_check(
            body in "[0-9]{17}",
            position in 0usize..17,
            shift in 1u8..10,
        ) {
            // MOD 11-2 detects every single-digit substitution.
            let mut digits = body.clone().into_bytes();
            digits[position] = b'0' + (digits[position] - b'0' + shift) % 10;
            let changed = String::from_utf8(digits).unwrap();
            prop_assert_ne!(check_character(&body), check_character(&changed));
        }
    }
}
