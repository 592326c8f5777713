//! GB/T 2260 region codes as policies and delegations use them: six digits naming a
//! province (`310000`), a prefecture-level city (`310100`) or a county-level district
//! (`310104`), and whether one region lies within another.

/// The two-digit province codes of GB/T 2260 (the 31 provincial divisions of the
/// mainland, Taiwan, Hong Kong and Macao).
const PROVINCES: [&str; 34] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82",
];

/// A well-formed region code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct RegionCode<'a> {
    /// The significant digits: two for a province, four for a city, six for a county.
    prefix: &'a str,
}

impl<'a> RegionCode<'a> {
    /// The code, if it is six ASCII digits under a known province whose trailing zeros
    /// mark its level (`310000`, `310100`, `310104`; not `310004`, which names no level).
    pub fn parse(code: &'a str) -> Option<Self> {
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if !PROVINCES.contains(&&code[..2]) {
            return None;
        }
        let prefix = if &code[2..] == "0000" {
            &code[..2]
        } else if &code[4..] == "00" {
            &code[..4]
        } else {
            code
        };
        // A city part of `00` under a county part that is not (`310004`) names no level.
        if prefix.len() == 6 && &code[2..4] == "00" {
            return None;
        }
        Some(Self { prefix })
    }

    /// Whether `other` lies within this region (a region lies within itself).
    pub fn covers(&self, other: &RegionCode<'_>) -> bool {
        other.prefix.starts_with(self.prefix)
    }
}

/// Whether every code of `inner` lies within some code of `outer` (both already checked
/// with [`RegionCode::parse`]; a code that does not parse lies within nothing).
pub fn all_within(inner: &[String], outer: &[String]) -> bool {
    let outer: Vec<RegionCode<'_>> = outer
        .iter()
        .filter_map(|code| RegionCode::parse(code))
        .collect();
    inner.iter().all(|code| {
        RegionCode::parse(code).is_some_and(|code| outer.iter().any(|region| region.covers(&code)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_come_from_the_trailing_zeros() {
        let shanghai = RegionCode::parse("310000").unwrap();
        let city = RegionCode::parse("310100").unwrap();
        let huangpu = RegionCode::parse("310101").unwrap();
        let wuhan = RegionCode::parse("420100").unwrap();
        assert!(shanghai.covers(&city) && shanghai.covers(&huangpu) && city.covers(&huangpu));
        assert!(!huangpu.covers(&city) && !city.covers(&shanghai));
        assert!(!shanghai.covers(&wuhan));
        assert!(huangpu.covers(&huangpu));
    }

    #[test]
    fn malformed_codes_are_refused() {
        for code in [
            "",
            "31000",
            "3100000",
            "31000a",
            "990000",
            "000000",
            "310004",
            "３１００００",
        ] {
            assert_eq!(RegionCode::parse(code), None, "{code}");
        }
    }

    #[test]
    fn all_within_checks_each_inner_code() {
        let outer = vec!["310000".to_owned(), "420100".to_owned()];
        assert!(all_within(&["310104".into(), "420102".into()], &outer));
        assert!(!all_within(&["310104".into(), "420000".into()], &outer));
        assert!(!all_within(&["bogus".into()], &outer));
        assert!(all_within(&[], &outer));
    }
}
