//! GB/T 2260 administrative division codes: six digits, a province prefix, then the
//! city and county digits, checked against the full code table ([`super::gb2260`]).

use super::Rule;
use super::gb2260::{self, CodeUse};

/// Two-digit province codes of GB/T 2260, as inclusive ranges: the municipalities,
/// provinces and autonomous regions, then Taiwan (71), Hong Kong (81) and Macau (82).
const PROVINCE_RANGES: [(u8, u8); 8] = [
    (11, 15),
    (21, 23),
    (31, 37),
    (41, 46),
    (50, 54),
    (61, 65),
    (71, 71),
    (81, 82),
];

/// Taiwan, Hong Kong and Macau: GB/T 2260 lists them at province level only, so their
/// province code is the finest district code there is.
const PROVINCE_ONLY: [u32; 3] = [710000, 810000, 820000];

const FORMAT: Rule = Rule::Format {
    expected: "a six-digit district code (GB/T 2260)",
};

/// Whether the first two bytes of `code` are ASCII digits forming a GB/T 2260 province code.
pub(crate) fn has_province_prefix(code: &str) -> bool {
    match code.as_bytes() {
        [tens @ b'0'..=b'9', units @ b'0'..=b'9', ..] => {
            let province = (tens - b'0') * 10 + (units - b'0');
            PROVINCE_RANGES
                .iter()
                .any(|&(first, last)| (first..=last).contains(&province))
        }
        _ => false,
    }
}

/// The six ASCII digits of `code` as a number, or `None` if it is not six ASCII digits.
pub(crate) fn six_digits(code: &str) -> Option<u32> {
    if code.len() != 6 || !code.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    code.parse().ok()
}

/// How a code is looked up in the table: its shape, its province, then the table.
pub(crate) fn known_code(code: &str) -> Result<(u32, CodeUse), Rule> {
    let number = six_digits(code).ok_or(FORMAT)?;
    if !has_province_prefix(code) {
        return Err(Rule::UnknownProvince);
    }
    let code_use = gb2260::lookup(number).ok_or(Rule::UnknownDistrict)?;
    Ok((number, code_use))
}

/// Checks a district field: a GB/T 2260 code below province level (or Taiwan's, Hong
/// Kong's or Macau's province code) in use in the newest list. A district field has no
/// date of its own: it says where someone is now, and an abolished code names no place
/// that exists now.
pub(crate) fn check(code: &str) -> Result<(), Rule> {
    check_in_use_from(code, None)
}

/// Checks a place code in use in `year` or later (a travel leg's first year), or now when
/// `year` is `None`.
pub(crate) fn check_in_use_from(code: &str, year: Option<i32>) -> Result<(), Rule> {
    let (number, code_use) = known_code(code)?;
    if number % 10_000 == 0 && !PROVINCE_ONLY.contains(&number) {
        return Err(Rule::IncompleteDistrict);
    }
    let in_use = match year {
        Some(year) => code_use.in_use_in_or_after(year),
        None => code_use == CodeUse::Current,
    };
    match code_use {
        CodeUse::LastInUse(last_year) if !in_use => Err(Rule::DistrictAbolished { last_year }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_current_county_and_city_level_codes() {
        for code in [
            "110105", "310104", "420106", "440300", "650102", "441900", "659012",
        ] {
            assert_eq!(check(code), Ok(()), "{code}");
        }
        for code in ["710000", "810000", "820000"] {
            assert_eq!(check(code), Ok(()), "{code}");
        }
    }

    #[test]
    fn rejects_bad_shapes_provinces_and_bare_provinces() {
        assert_eq!(check("11010"), Err(FORMAT));
        assert_eq!(check("1101050"), Err(FORMAT));
        assert_eq!(check("11010a"), Err(FORMAT));
        assert_eq!(check("１１０１０５"), Err(FORMAT)); // full-width: normalized before this
        assert_eq!(check("000000"), Err(Rule::UnknownProvince));
        assert_eq!(check("160101"), Err(Rule::UnknownProvince));
        assert_eq!(check("720101"), Err(Rule::UnknownProvince));
        assert_eq!(check("830101"), Err(Rule::UnknownProvince));
        assert_eq!(check("990101"), Err(Rule::UnknownProvince));
        assert_eq!(check("110000"), Err(Rule::IncompleteDistrict));
    }

    #[test]
    fn codes_that_never_existed_are_unknown() {
        // A county number Beijing never used, a development zone only the statistics
        // lists carry, and codes below Taiwan, Hong Kong and Macau.
        for code in ["110199", "320576", "710100", "810001", "820001", "449999"] {
            assert_eq!(check(code), Err(Rule::UnknownDistrict), "{code}");
        }
    }

    #[test]
    fn abolished_codes_are_refused_now_and_accepted_for_the_years_they_were_in_use() {
        // Beijing Chongwen district, merged into Dongcheng in 2010.
        assert_eq!(
            check("110103"),
            Err(Rule::DistrictAbolished { last_year: 2010 })
        );
        assert_eq!(check_in_use_from("110103", Some(2009)), Ok(()));
        assert_eq!(check_in_use_from("110103", Some(2010)), Ok(()));
        assert_eq!(
            check_in_use_from("110103", Some(2011)),
            Err(Rule::DistrictAbolished { last_year: 2010 })
        );
        assert_eq!(check_in_use_from("110105", Some(2026)), Ok(()));
    }

    #[test]
    fn every_province_in_the_ranges_and_no_other() {
        let valid: Vec<u8> = (0..100)
            .filter(|n| has_province_prefix(&format!("{n:02}0101")))
            .collect();
        let expected: Vec<u8> = [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37]
            .into_iter()
            .chain([
                41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
            ])
            .collect();
        assert_eq!(valid, expected);
    }
}
