//! The header keys a part carries besides the fixed ones (docs/protocol.md, "The
//! plaintext"): `monitoring_district` in the health parts of a form filed under enrollment
//! orders, `notice_key` in the identity parts of a policy with access notices. A real part
//! that should carry one must, with a well-formed value; any other part must not.

use selfreport_core::minimize::carries;
use selfreport_core::policy::region::RegionCode;
use selfreport_core::policy::{Form, PolicyDocument};
use serde_json::{Map, Value};

/// The header keys beyond the fixed ones.
pub(crate) const CARRIED_KEYS: [&str; 2] = ["monitoring_district", "notice_key"];

/// What a part carried, each value checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CarriedKeys {
    /// The enrollment order's county code.
    pub(crate) monitoring_district: Option<String>,
    /// The person's notice key, 64 lowercase hex.
    pub(crate) notice_key: Option<String>,
}

/// Checks the carried keys of `object`, a part of `form` for `recipient`; every problem
/// is pushed to `problems` as (key, what is wrong), and the key is then not returned.
pub(crate) fn check_carried(
    object: &Map<String, Value>,
    policy: &PolicyDocument,
    form: &Form,
    recipient: &str,
    dummy: bool,
    problems: &mut Vec<(&'static str, String)>,
) -> CarriedKeys {
    let expected = carries(policy, form, recipient);
    let mut carried = CarriedKeys::default();
    let district = object.get("monitoring_district");
    match (district, expected.monitoring_district && !dummy) {
        (None, false) => {}
        (Some(_), false) => problems.push((
            "monitoring_district",
            if dummy {
                "cover traffic carries no monitoring district".to_owned()
            } else {
                format!(
                    "only a health part of a form filed under enrollment orders carries one \
                     (form {})",
                    form.id
                )
            },
        )),
        (None, true) => problems.push((
            "monitoring_district",
            format!(
                "missing: form {} is filed under enrollment orders, whose district every \
                 health part carries",
                form.id
            ),
        )),
        (Some(value), true) => match value.as_str() {
            Some(code) if is_county_within(code, &policy.region) => {
                carried.monitoring_district = Some(code.to_owned());
            }
            _ => problems.push((
                "monitoring_district",
                "not a county-level GB/T 2260 code within the policy's regions".to_owned(),
            )),
        },
    }
    let notice_key = object.get("notice_key");
    match (notice_key, expected.notice_key && !dummy) {
        (None, false) => {}
        (Some(_), false) => problems.push((
            "notice_key",
            if dummy {
                "cover traffic carries no notice key".to_owned()
            } else {
                "only an identity part of a policy with access notices carries one".to_owned()
            },
        )),
        (None, true) => problems.push((
            "notice_key",
            "missing: the policy has access notices, whose key every identity part carries"
                .to_owned(),
        )),
        (Some(value), true) => match value.as_str() {
            Some(key) if is_lower_hex_64(key) => carried.notice_key = Some(key.to_owned()),
            _ => problems.push(("notice_key", "not 64 lowercase hex characters".to_owned())),
        },
    }
    carried
}

/// A county-level code (`310104`) lying within one of `regions`.
fn is_county_within(code: &str, regions: &[String]) -> bool {
    let Some(county) = RegionCode::parse(code) else {
        return false;
    };
    !code.ends_with("00")
        && regions
            .iter()
            .any(|region| RegionCode::parse(region).is_some_and(|region| region.covers(&county)))
}

fn is_lower_hex_64(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

#[cfg(test)]
mod tests {
    use selfreport_core::policy::{
        FormEnrollment, PolicyFormat, RecipientRole, parse_policy_document,
    };
    use serde_json::json;

    use super::*;

    /// The daily example as a `/2` policy for 310104's city, its form filed under orders,
    /// with access notices.
    fn policy() -> PolicyDocument {
        let mut policy = parse_policy_document(include_bytes!(
            "../../../examples/policies/daily-report.json"
        ))
        .unwrap();
        policy.format = PolicyFormat::V2;
        policy.region = vec!["310100".to_owned()];
        policy.access_notices = true;
        for (name, recipient) in &mut policy.recipients {
            recipient.role = Some(if name == "identity" {
                RecipientRole::Identity
            } else {
                RecipientRole::Health
            });
        }
        policy.forms[0].enrollment = FormEnrollment::Required;
        policy
    }

    fn check(
        part: Value,
        recipient: &str,
        dummy: bool,
    ) -> (CarriedKeys, Vec<(&'static str, String)>) {
        let policy = policy();
        let Value::Object(object) = part else {
            panic!("an object")
        };
        let mut problems = Vec::new();
        let carried = check_carried(
            &object,
            &policy,
            &policy.forms[0],
            recipient,
            dummy,
            &mut problems,
        );
        (carried, problems)
    }

    #[test]
    fn conforming_keys_are_read() {
        let key = "0f".repeat(32);
        let (carried, problems) = check(json!({"monitoring_district": "310104"}), "health", false);
        assert_eq!(problems, vec![]);
        assert_eq!(carried.monitoring_district.as_deref(), Some("310104"));
        let (carried, problems) = check(json!({"notice_key": key}), "identity", false);
        assert_eq!(problems, vec![]);
        assert_eq!(carried.notice_key, Some(key));
        // Cover traffic carries neither.
        assert_eq!(check(json!({}), "health", true).1, vec![]);
        assert_eq!(check(json!({}), "identity", true).1, vec![]);
    }

    #[test]
    fn missing_misplaced_or_malformed_keys_are_flagged_and_not_read() {
        let key = "0f".repeat(32);
        let cases = [
            (json!({}), "health", false, "monitoring_district"),
            (
                json!({"monitoring_district": "310100"}),
                "health",
                false,
                "monitoring_district",
            ),
            (
                json!({"monitoring_district": "420106"}),
                "health",
                false,
                "monitoring_district",
            ),
            (
                json!({"monitoring_district": 310104}),
                "health",
                false,
                "monitoring_district",
            ),
            (
                json!({"monitoring_district": "310104"}),
                "health",
                true,
                "monitoring_district",
            ),
            (
                json!({"monitoring_district": "310104", "notice_key": key}),
                "health",
                false,
                "notice_key",
            ),
            (json!({}), "identity", false, "notice_key"),
            (
                json!({"notice_key": key.to_uppercase()}),
                "identity",
                false,
                "notice_key",
            ),
            (
                json!({"notice_key": key, "monitoring_district": "310104"}),
                "identity",
                false,
                "monitoring_district",
            ),
            (json!({"notice_key": key}), "identity", true, "notice_key"),
        ];
        for (part, recipient, dummy, flagged) in cases {
            let shown = part.to_string();
            let (carried, problems) = check(part, recipient, dummy);
            assert_eq!(problems.len(), 1, "{shown}: {problems:?}");
            assert_eq!(problems[0].0, flagged, "{shown}");
            match flagged {
                "monitoring_district" => assert_eq!(carried.monitoring_district, None),
                _ => assert_eq!(carried.notice_key, None),
            }
        }
    }
}
