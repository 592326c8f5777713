//! The closed set of purposes a policy may state. The regulator's rule is "for epidemic
//! control only": a purpose outside this set is refused at install, whoever signed it,
//! and a delegation names the subset its collector may use.

use super::Labels;

/// A purpose a policy may state, with its labels for the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurposeCode {
    /// The code written in policies and delegations (`"epidemic-control"`).
    pub code: &'static str,
    /// Chinese label.
    pub zh: &'static str,
    /// English label.
    pub en: &'static str,
}

/// Every purpose the core accepts.
pub const PURPOSES: [PurposeCode; 4] = [
    PurposeCode {
        code: "epidemic-control",
        zh: "传染病疫情防控",
        en: "Epidemic control",
    },
    PurposeCode {
        code: "health-monitoring",
        zh: "健康监测期内的每日健康监测",
        en: "Daily health monitoring during a monitoring period",
    },
    PurposeCode {
        code: "arrival-registration",
        zh: "来返人员抵达登记",
        en: "Registration of arriving travelers",
    },
    PurposeCode {
        code: "contact-tracing",
        zh: "密切接触者追踪",
        en: "Tracing of close contacts",
    },
];

/// The purpose with this code, if the core accepts it.
pub fn purpose(code: &str) -> Option<&'static PurposeCode> {
    PURPOSES.iter().find(|purpose| purpose.code == code)
}

impl PurposeCode {
    /// The labels as a language map (`zh`, `en`).
    pub fn labels(&self) -> Labels {
        Labels::from([
            ("zh".to_owned(), self.zh.to_owned()),
            ("en".to_owned(), self.en.to_owned()),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_ids_with_both_labels() {
        for (n, purpose) in PURPOSES.iter().enumerate() {
            assert!(PURPOSES[..n].iter().all(|other| other.code != purpose.code));
            assert!(!purpose.zh.is_empty() && !purpose.en.is_empty());
            assert!(
                purpose
                    .code
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-')
            );
        }
        assert_eq!(
            super::purpose("epidemic-control").map(|p| p.en),
            Some("Epidemic control")
        );
        assert_eq!(super::purpose("marketing"), None);
    }
}
