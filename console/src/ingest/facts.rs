//! What ingest keeps of an opened health part, beside the reduced answers themselves: the
//! case's pseudonym, its monitoring district and its flags.
//!
//! - **Pseudonym.** The device's pseudonym is random per (person, policy) and stable across
//!   that person's reports under the policy (docs/protocol.md, the plaintext's
//!   `pseudonym`); nothing else in a health part is. The console shows not that value but
//!   an HMAC-SHA256 of it under a key of its own (sealed under the key-encryption key), so
//!   a case's pseudonym on a screen or in the audit log cannot be matched with the drop
//!   box's or the device's.
//! - **Monitoring district.** The county of the enrollment order the report was filed
//!   under, which the health part of a form filed under orders carries
//!   (`monitoring_district`, read by `open_one`); otherwise, under a policy that states its
//!   regions, the narrowest region covering them (open intake, for checkpoint staff: what a
//!   person typed never scopes a case); otherwise, for a `/1` policy, a county-level code in
//!   a `district` field of the health part, else a coarser one. Without any, the
//!   submission has no district an officer could be scoped to, and is refused.
//! - **Flags.** Fever: a temperature at or above [`FEVER_AT`] (or a threshold transform's
//!   `true`). Symptoms: any code chosen in a `multi_choice` field. Unconfirmed intake: a
//!   form that does not require monitoring (open intake, such as a pre-registration);
//!   its case stays unconfirmed until a checkpoint's confirmation of its pseudonym is
//!   imported ([`crate::confirmations`]).

use std::collections::BTreeMap;

use ring::hmac;
use selfreport_core::model::FieldKind;
use selfreport_core::policy::region::RegionCode;
use selfreport_core::policy::{Form, PolicyDocument, Transform};
use serde_json::Value;

/// The temperature, in degrees Celsius, from which a kept or rounded temperature counts
/// as fever (the threshold the example policies use).
pub const FEVER_AT: f64 = 37.3;

/// The flags of one report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReportFlags {
    /// A temperature at or above [`FEVER_AT`].
    pub fever: bool,
    /// At least one symptom.
    pub symptoms: bool,
    /// A form of open intake: its case is unconfirmed until a checkpoint confirms it.
    pub unconfirmed: bool,
}

/// The console's pseudonym of a case: HMAC-SHA256 under `key` of the policy id and the
/// device's pseudonym, its first 16 bytes in lowercase hex.
pub fn case_pseudonym(key: &[u8], policy_id: &str, device_pseudonym: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let mut message = Vec::with_capacity(policy_id.len() + 1 + device_pseudonym.len());
    message.extend_from_slice(policy_id.as_bytes());
    message.push(0);
    message.extend_from_slice(device_pseudonym.as_bytes());
    let tag = hmac::sign(&key, &message);
    tag.as_ref()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The monitoring district of a report of `form` whose health part carried `ordered` (the
/// enrollment order's county) and the health fields `answers`: the order's county; else,
/// under a policy that states its regions, the narrowest region covering them (open
/// intake, which checkpoint staff of the region follow up: what a person typed never
/// scopes a case); else, for a `/1` policy, a county in a `district` field, else a
/// coarser one.
pub fn monitoring_district(
    policy: &PolicyDocument,
    form: &Form,
    answers: &BTreeMap<String, Value>,
    ordered: Option<&str>,
) -> Option<String> {
    if let Some(county) = ordered {
        return Some(county.to_owned());
    }
    if !policy.region.is_empty() {
        return common_region(&policy.region);
    }
    let districts: Vec<&str> = form
        .fields
        .iter()
        .filter(|spec| spec.kind == FieldKind::District)
        .filter_map(|spec| answers.get(&spec.id).and_then(Value::as_str))
        .filter(|code| RegionCode::parse(code).is_some())
        .collect();
    if let Some(county) = districts.iter().find(|code| !code.ends_with("00")) {
        return Some((*county).to_owned());
    }
    districts.first().map(|code| (*code).to_owned())
}

/// The narrowest region covering every code of `regions`, if they have one.
fn common_region(regions: &[String]) -> Option<String> {
    let first = regions.first()?;
    RegionCode::parse(first)?;
    let mut prefix_len = significant_digits(first);
    for code in regions.iter().skip(1) {
        RegionCode::parse(code)?;
        let shared = first
            .bytes()
            .zip(code.bytes())
            .take(prefix_len.min(significant_digits(code)))
            .take_while(|(a, b)| a == b)
            .count();
        // Levels are two, four or six digits.
        prefix_len = shared - shared % 2;
    }
    if prefix_len < 2 {
        return None;
    }
    let mut code = first[..prefix_len].to_owned();
    while code.len() < 6 {
        code.push('0');
    }
    RegionCode::parse(&code).map(|_| code.clone())
}

fn significant_digits(code: &str) -> usize {
    if code.ends_with("0000") {
        2
    } else if code.ends_with("00") {
        4
    } else {
        6
    }
}

/// The flags of a report of `form` whose health fields are `answers`.
pub fn report_flags(form: &Form, answers: &BTreeMap<String, Value>) -> ReportFlags {
    let mut flags = ReportFlags {
        unconfirmed: form.is_open_intake(),
        ..ReportFlags::default()
    };
    for spec in &form.fields {
        let Some(value) = answers.get(&spec.id) else {
            continue;
        };
        match (&spec.kind, &spec.upload) {
            (FieldKind::TemperatureC, Transform::Threshold { .. }) => {
                flags.fever |= value.as_bool() == Some(true);
            }
            (FieldKind::TemperatureC, _) => {
                flags.fever |= value.as_f64().is_some_and(|celsius| celsius >= FEVER_AT);
            }
            (FieldKind::MultiChoice { .. }, _) => {
                let chosen = value.as_array().map_or(0, Vec::len);
                flags.symptoms |= chosen > 0;
                flags.fever |= value
                    .as_array()
                    .is_some_and(|codes| codes.iter().any(|code| code == "fever"));
            }
            _ => {}
        }
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pseudonym_is_keyed_and_per_policy() {
        let one = case_pseudonym(&[1; 32], "sh-daily", "00112233445566778899aabbccddeeff");
        assert_eq!(one.len(), 32);
        assert_eq!(
            one,
            case_pseudonym(&[1; 32], "sh-daily", "00112233445566778899aabbccddeeff")
        );
        assert_ne!(
            one,
            case_pseudonym(&[2; 32], "sh-daily", "00112233445566778899aabbccddeeff")
        );
        assert_ne!(
            one,
            case_pseudonym(&[1; 32], "sh-other", "00112233445566778899aabbccddeeff")
        );
        assert_ne!(one, "00112233445566778899aabbccddeeff");
    }

    fn example(bytes: &[u8]) -> PolicyDocument {
        selfreport_core::policy::parse_policy_document(bytes).unwrap()
    }

    fn answers(value: serde_json::Value) -> BTreeMap<String, Value> {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn the_district_is_the_orders_then_the_region_then_for_v1_a_field() {
        let mut daily = example(include_bytes!(
            "../../../examples/policies/daily-report.json"
        ));
        let form = daily.forms[0].clone();
        let county = answers(serde_json::json!({"district": "420106"}));
        let city = answers(serde_json::json!({"district": "420100"}));
        // A /1 policy states no region: the county, else the coarser field.
        assert_eq!(
            monitoring_district(&daily, &form, &county, None).as_deref(),
            Some("420106")
        );
        assert_eq!(
            monitoring_district(&daily, &form, &city, None).as_deref(),
            Some("420100")
        );
        assert_eq!(
            monitoring_district(&daily, &form, &BTreeMap::new(), None),
            None
        );
        // Not a region code at all: ignored.
        let bad = answers(serde_json::json!({"district": "999999"}));
        assert_eq!(monitoring_district(&daily, &form, &bad, None), None);
        // With regions: open intake goes to the narrowest region covering them, whatever
        // district the person typed; a report under an order goes to the order's county.
        daily.region = vec!["310104".into(), "310105".into()];
        assert_eq!(
            monitoring_district(&daily, &form, &county, None).as_deref(),
            Some("310100")
        );
        assert_eq!(
            monitoring_district(&daily, &form, &county, Some("310104")).as_deref(),
            Some("310104")
        );
    }

    #[test]
    fn flags_come_from_temperatures_symptoms_and_open_intake() {
        let daily = example(include_bytes!(
            "../../../examples/policies/daily-report.json"
        ));
        let form = &daily.forms[0];
        let well = answers(serde_json::json!({"temperature": false, "symptoms": []}));
        assert_eq!(report_flags(form, &well), ReportFlags::default());
        let feverish = answers(serde_json::json!({"temperature": true, "symptoms": ["cough"]}));
        assert_eq!(
            report_flags(form, &feverish),
            ReportFlags {
                fever: true,
                symptoms: true,
                unconfirmed: false
            }
        );
        let fever_code = answers(serde_json::json!({"temperature": false, "symptoms": ["fever"]}));
        assert!(report_flags(form, &fever_code).fever);
        // A kept temperature counts from 37.3.
        let mut kept = form.clone();
        for field in &mut kept.fields {
            if field.id == "temperature" {
                field.upload = Transform::Keep;
            }
        }
        let warm = answers(serde_json::json!({"temperature": 37.2}));
        let hot = answers(serde_json::json!({"temperature": 37.3}));
        assert!(!report_flags(&kept, &warm).fever);
        assert!(report_flags(&kept, &hot).fever);
        // Open intake (a form that does not require monitoring) is unconfirmed.
        let arrivals = example(include_bytes!(
            "../../../examples/policies/traveler-preregistration.json"
        ));
        let arrival = arrivals
            .forms
            .iter()
            .find(|form| form.id == "arrival")
            .unwrap();
        assert!(report_flags(arrival, &BTreeMap::new()).unconfirmed);
    }

    #[test]
    fn the_common_region_is_the_narrowest_covering_all() {
        let codes = |list: &[&str]| list.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            common_region(&codes(&["310104"])).as_deref(),
            Some("310104")
        );
        assert_eq!(
            common_region(&codes(&["310104", "310105"])).as_deref(),
            Some("310100")
        );
        assert_eq!(
            common_region(&codes(&["310104", "320100"])).as_deref(),
            None
        );
        assert_eq!(
            common_region(&codes(&["310000", "310104"])).as_deref(),
            Some("310000")
        );
        assert_eq!(common_region(&[]), None);
    }
}
