//! What a policy version lets leave, as the person consents to it, and whether another
//! version is wider. This is where "narrower" is decided, once:
//!
//! - **wider** (consent must be given again): another endpoint origin; another purpose; a
//!   longer server retention; a recipient role (or, in `/1`, a recipient name) that was
//!   not there; a field uploaded that was not; a field sent to another recipient; a
//!   field's transform that is not at most the consented one in the published order
//!   ([`super::disclosure_order`]), or the same transform with parameters that keep more
//!   (a finer rounding step, another threshold, a narrower age band, a longer window, more
//!   risk areas or a longer risk window);
//! - **not wider, but ledgered**: a rotated recipient key, receipt key or TLS pin set with
//!   everything else the same;
//! - anything else (a form or field no longer uploaded, coarser transforms, labels,
//!   device retention, validity dates) is equal or narrower.

use std::collections::{BTreeMap, BTreeSet};

use crate::crypto::sha256;
use crate::hex::hex;

use super::constraints::endpoint_host;
use super::disclosure_order::{Step, at_most};
use super::{PolicyDocument, Transform};

/// How two versions' disclosures compare.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeChange {
    /// Each way the offered version discloses more than the consented one, in words the
    /// person can read (`field daily/temperature: threshold -> keep`).
    pub wider: Vec<String>,
    /// Keys rotated without widening (`recipient health key`, `receipt key`, `TLS pins`).
    pub rotated: Vec<String>,
}

impl ScopeChange {
    /// Whether consent given for the first version covers the second.
    pub fn is_covered(&self) -> bool {
        self.wider.is_empty()
    }
}

/// The SHA-256 (lowercase hex) of a canonical description of what `policy` lets leave:
/// endpoint origin and pins, receipt key, recipients with their roles and keys, every
/// uploaded field with its kind, transform and recipient, purpose, server retention.
/// Two versions that disclose the same to the same keys have the same digest.
pub fn disclosure_digest(policy: &PolicyDocument) -> String {
    let mut text = String::new();
    let mut line = |parts: &[&str]| {
        for (n, part) in parts.iter().enumerate() {
            if n > 0 {
                text.push('\u{1f}');
            }
            text.push_str(part);
        }
        text.push('\n');
    };
    line(&["selfreport.disclosure-scope/1"]);
    line(&["origin", &origin(&policy.endpoint.url)]);
    let mut pins = policy.endpoint.spki_sha256.clone();
    pins.sort();
    line(&["pins", &pins.join(",")]);
    line(&["receipt_key", &policy.endpoint.receipt_key]);
    line(&["purpose", &policy.purpose.code]);
    line(&["server_days", &policy.retention.server_days.to_string()]);
    for (name, recipient) in &policy.recipients {
        let role = recipient.role.map_or("", |role| role.name());
        line(&[
            "recipient",
            name,
            role,
            &recipient.suite,
            &recipient.public_key,
        ]);
    }
    for (key, field) in uploaded_fields(policy) {
        line(&[
            "field",
            &key,
            field.kind,
            &describe(field.transform),
            field.to,
        ]);
    }
    hex(&sha256(text.as_bytes()))
}

/// How `offered` compares with `consented` (two versions of one policy).
pub fn compare_scopes(consented: &PolicyDocument, offered: &PolicyDocument) -> ScopeChange {
    let mut change = ScopeChange::default();
    let (old_origin, new_origin) = (
        origin(&consented.endpoint.url),
        origin(&offered.endpoint.url),
    );
    if old_origin != new_origin {
        change
            .wider
            .push(format!("endpoint: {old_origin} -> {new_origin}"));
    }
    if consented.purpose.code != offered.purpose.code {
        change.wider.push(format!(
            "purpose: {} -> {}",
            consented.purpose.code, offered.purpose.code
        ));
    }
    if offered.retention.server_days > consented.retention.server_days {
        change.wider.push(format!(
            "server retention: {} -> {} days",
            consented.retention.server_days, offered.retention.server_days
        ));
    }
    let roles = |policy: &PolicyDocument| -> BTreeSet<String> {
        policy
            .recipients
            .iter()
            .map(|(name, r)| {
                r.role
                    .map_or_else(|| name.clone(), |role| role.name().to_owned())
            })
            .collect()
    };
    for role in roles(offered).difference(&roles(consented)) {
        change.wider.push(format!("new recipient: {role}"));
    }
    let old_fields = uploaded_fields(consented);
    for (key, new) in uploaded_fields(offered) {
        match old_fields.get(&key) {
            None => change.wider.push(format!(
                "field {key}: not sent -> {}",
                describe(new.transform)
            )),
            Some(old) => {
                if role_of(consented, old.to) != role_of(offered, new.to) {
                    change
                        .wider
                        .push(format!("field {key}: to {} -> to {}", old.to, new.to));
                } else if !transform_within(new.kind_value, new.transform, old.transform) {
                    change.wider.push(format!(
                        "field {key}: {} -> {}",
                        describe(old.transform),
                        describe(new.transform)
                    ));
                }
            }
        }
    }
    for (name, recipient) in &offered.recipients {
        if let Some(old) = consented.recipients.get(name) {
            if old.public_key != recipient.public_key || old.suite != recipient.suite {
                change.rotated.push(format!("recipient {name} key"));
            }
        }
    }
    if consented.endpoint.receipt_key != offered.endpoint.receipt_key {
        change.rotated.push("receipt key".to_owned());
    }
    let pins = |policy: &PolicyDocument| -> BTreeSet<String> {
        policy.endpoint.spki_sha256.iter().cloned().collect()
    };
    if pins(consented) != pins(offered) {
        change.rotated.push("TLS pins".to_owned());
    }
    change
}

struct UploadedField<'a> {
    kind: &'static str,
    kind_value: &'a crate::model::FieldKind,
    transform: &'a Transform,
    to: &'a str,
}

/// Every uploaded field by `form/field`.
fn uploaded_fields(policy: &PolicyDocument) -> BTreeMap<String, UploadedField<'_>> {
    policy
        .forms
        .iter()
        .flat_map(|form| {
            form.fields
                .iter()
                .filter(|field| field.upload.uploads())
                .map(move |field| {
                    (
                        format!("{}/{}", form.id, field.id),
                        UploadedField {
                            kind: field.kind.name(),
                            kind_value: &field.kind,
                            transform: &field.upload,
                            to: field.to.as_deref().unwrap_or_default(),
                        },
                    )
                })
        })
        .collect()
}

/// A recipient's role name, or its own name in a `/1` policy (which has no roles).
fn role_of(policy: &PolicyDocument, recipient: &str) -> String {
    policy
        .recipients
        .get(recipient)
        .and_then(|r| r.role)
        .map_or_else(|| recipient.to_owned(), |role| role.name().to_owned())
}

/// `scheme://host[:port]`, lowercase: where a submission goes.
fn origin(url: &str) -> String {
    let host = endpoint_host(url).unwrap_or_default();
    let authority = url
        .split_once("://")
        .map_or("", |(_, rest)| rest.split('/').next().unwrap_or_default());
    let port = authority
        .rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map_or("443", |(_, port)| port);
    format!("https://{host}:{port}")
}

/// Whether `new` lets at most what `old` lets leave, for a field of `kind`.
fn transform_within(kind: &crate::model::FieldKind, new: &Transform, old: &Transform) -> bool {
    let (new_step, old_step) = (Step::of(new), Step::of(old));
    if new_step != old_step {
        return at_most(kind, new_step, old_step);
    }
    match (new, old) {
        (Transform::Round { step: new }, Transform::Round { step: old }) => {
            // A coarser step that is a whole multiple of the old one reveals no more.
            let ratio = new / old;
            *new >= *old && (ratio - ratio.round()).abs() < 1e-9
        }
        (Transform::Threshold { at: new }, Transform::Threshold { at: old }) => new == old,
        (Transform::AgeBand { width: new }, Transform::AgeBand { width: old }) => {
            *old != 0 && new % old == 0
        }
        // A window measured back from another day is not comparable: wider.
        (
            Transform::Window {
                days: new,
                reference: new_reference,
            },
            Transform::Window {
                days: old,
                reference: old_reference,
            },
        ) => new <= old && new_reference == old_reference,
        (
            Transform::RiskAreaVisited {
                areas: new_areas,
                window_days: new_days,
                reference: new_reference,
            },
            Transform::RiskAreaVisited {
                areas: old_areas,
                window_days: old_days,
                reference: old_reference,
            },
        ) => {
            new_days <= old_days
                && new_reference == old_reference
                && new_areas.iter().all(|area| old_areas.contains(area))
        }
        _ => true,
    }
}

/// ` before FIELD` for a window measured back from a reference date; nothing otherwise,
/// so the digests of policies without one are what they were.
fn reference_words(reference: Option<&str>) -> String {
    reference
        .map(|field| format!(" before {field}"))
        .unwrap_or_default()
}

/// A transform with its parameters, as the person reads it (`round 0.5`).
fn describe(transform: &Transform) -> String {
    match transform {
        Transform::Round { step } => format!("round {step}"),
        Transform::Threshold { at } => format!("threshold {at}"),
        Transform::AgeBand { width } => format!("age_band {width}"),
        Transform::Window { days, reference } => {
            format!("window {days}{}", reference_words(reference.as_deref()))
        }
        Transform::RiskAreaVisited {
            areas,
            window_days,
            reference,
        } => format!(
            "risk_area_visited {window_days} {}{}",
            areas.join(","),
            reference_words(reference.as_deref())
        ),
        other => Step::of(other).name().replace(':', " "),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::policy::parse_policy_document;
    use crate::policy::test_support::{fake_key, test_policy_value, today};

    fn document(change: impl FnOnce(&mut Value)) -> PolicyDocument {
        let mut value = test_policy_value("sh-arrivals", 1, today());
        change(&mut value);
        parse_policy_document(&serde_json::to_vec(&value).unwrap()).unwrap()
    }

    fn compare(change: impl FnOnce(&mut Value)) -> ScopeChange {
        compare_scopes(&document(|_| {}), &document(change))
    }

    #[test]
    fn the_same_disclosure_is_covered_and_has_the_same_digest() {
        let a = document(|_| {});
        let b = document(|p| {
            p["version"] = json!(2);
            p["issuer"]["name"]["en"] = json!("Renamed");
            p["retention"]["device_days"] = json!(7);
        });
        assert_eq!(compare_scopes(&a, &b), ScopeChange::default());
        assert_eq!(disclosure_digest(&a), disclosure_digest(&b));
    }

    #[test]
    fn each_widening_is_named() {
        type Change = Box<dyn Fn(&mut Value)>;
        let cases: Vec<(&str, Change)> = vec![
            (
                "endpoint",
                Box::new(|p| p["endpoint"]["url"] = json!("https://other.example.org/v1")),
            ),
            (
                "endpoint",
                Box::new(|p| p["endpoint"]["url"] = json!("https://report.example.org:8443/v1")),
            ),
            (
                "purpose",
                Box::new(|p| p["purpose"]["code"] = json!("contact-tracing")),
            ),
            (
                "server retention",
                Box::new(|p| p["retention"]["server_days"] = json!(29)),
            ),
            (
                "field daily/temperature",
                Box::new(|p| p["forms"][0]["fields"][0]["upload"] = json!("keep")),
            ),
            (
                "field daily/district",
                Box::new(|p| {
                    p["forms"][0]["fields"][2]["upload"] = json!({"generalize": "district"})
                }),
            ),
            (
                "field daily/notes",
                Box::new(|p| {
                    p["forms"][0]["fields"][3]["upload"] = json!("keep");
                    p["forms"][0]["fields"][3]["to"] = json!("health");
                }),
            ),
            (
                "field arrival/flight",
                Box::new(|p| {
                    p["forms"][1]["fields"][5]["upload"] = json!("keep");
                    p["forms"][1]["fields"][5]["to"] = json!("identity");
                }),
            ),
            (
                "field arrival/household_size",
                Box::new(|p| p["forms"][1]["fields"][7]["upload"] = json!({"round": 1})),
            ),
            (
                "field arrival/birth_date",
                Box::new(|p| p["forms"][1]["fields"][3]["upload"] = json!({"age_band": 5})),
            ),
            (
                "field arrival/travel",
                Box::new(
                    |p| p["forms"][1]["fields"][4]["upload"] = json!({"risk_area_visited": {"areas": ["4201", "31", "11"], "window_days": 14}}),
                ),
            ),
            (
                "field arrival/travel",
                Box::new(|p| {
                    p["forms"][1]["fields"][4]["upload"] =
                        json!({"risk_area_visited": {"areas": ["4201"], "window_days": 21}})
                }),
            ),
            (
                "field arrival/travel",
                Box::new(|p| p["forms"][1]["fields"][4]["upload"] = json!({"window": 14})),
            ),
            (
                "field arrival/phone",
                Box::new(|p| p["forms"][1]["fields"][2]["upload"] = json!("keep")),
            ),
            (
                "field arrival/vaccinated: to",
                Box::new(|p| p["forms"][1]["fields"][8]["to"] = json!("identity")),
            ),
            (
                "new recipient",
                Box::new(|p| {
                    p["recipients"]["lab"] = json!({"suite": "x25519-sha256-chacha20poly1305", "public_key": fake_key(0x79)});
                    p["forms"][1]["fields"][8]["to"] = json!("lab");
                }),
            ),
        ];
        for (expected, change) in cases {
            let result = compare(change);
            assert!(
                result.wider.iter().any(|w| w.starts_with(expected)),
                "{expected}: {result:?}"
            );
            assert!(!result.is_covered());
        }
    }

    #[test]
    fn narrower_versions_and_rotated_keys_are_covered() {
        let narrower = compare(|p| {
            p["forms"][0]["fields"][1]["upload"] = json!("count");
            p["forms"][0]["fields"][2]["upload"] = json!({"generalize": "province"});
            p["forms"][1]["fields"][7]["upload"] = json!({"round": 10});
            p["forms"][1]["fields"][3]["upload"] = json!({"age_band": 20});
            p["forms"][1]["fields"][4]["upload"] =
                json!({"risk_area_visited": {"areas": ["4201"], "window_days": 7}});
            p["forms"][1]["fields"][0]["upload"] = json!("omit");
            p["retention"]["server_days"] = json!(14);
        });
        assert!(narrower.is_covered(), "{narrower:?}");
        let rotated = compare(|p| {
            p["recipients"]["health"]["public_key"] = json!(fake_key(0x7a));
            p["endpoint"]["receipt_key"] = json!(fake_key(0x6a));
            p["endpoint"]["spki_sha256"] = json!([fake_key(0x5a)]);
        });
        assert!(rotated.is_covered());
        assert_eq!(
            rotated.rotated,
            ["recipient health key", "receipt key", "TLS pins"]
        );
        assert_ne!(
            disclosure_digest(&document(|_| {})),
            disclosure_digest(&document(
                |p| p["endpoint"]["receipt_key"] = json!(fake_key(0x6a))
            ))
        );
    }
}
