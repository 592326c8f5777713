//! GB/T 2260 administrative division codes: six digits, a province prefix, then the
//! city and county digits.

use super::Rule;

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

/// Checks a district code: six ASCII digits, a valid province prefix, and not a bare
/// province (`110000`): a district field names a place below province level.
pub(crate) fn check(code: &str) -> Result<(), Rule> {
    if code.len() != 6 || !code.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(FORMAT);
    }
    if !has_province_prefix(code) {
        return Err(Rule::UnknownProvince);
    }
    if code.ends_with("0000") {
        return Err(Rule::IncompleteDistrict);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_county_and_city_level_codes() {
        for code in ["110105", "310104", "420106", "440300", "650102", "710100"] {
            assert_eq!(check(code), Ok(()), "{code}");
        }
        assert_eq!(check("810001"), Ok(()));
        assert_eq!(check("820001"), Ok(()));
    }

    #[test]
    fn rejects_bad_shapes_provinces_and_bare_provinces() {
        assert_eq!(check("11010"), Err(FORMAT));
        assert_eq!(check("1101050"), Err(FORMAT));
        assert_eq!(check("11010a"), Err(FORMAT));
        assert_eq!(check("１１０１０５"), Err(FORMAT)); // full-width digits
        assert_eq!(check("000000"), Err(Rule::UnknownProvince));
        assert_eq!(check("160101"), Err(Rule::UnknownProvince));
        assert_eq!(check("720101"), Err(Rule::UnknownProvince));
        assert_eq!(check("830101"), Err(Rule::UnknownProvince));
        assert_eq!(check("990101"), Err(Rule::UnknownProvince));
        assert_eq!(check("110000"), Err(Rule::IncompleteDistrict));
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
