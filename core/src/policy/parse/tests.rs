//! Tests of policy parsing through the whole install path.
use serde_json::json;

use super::*;
use crate::model::FieldKind;
use crate::policy::SignedPolicy;
use crate::policy::limits::*;
use crate::policy::test_support::{
    anchor_for, fake_key, signed_unchecked, test_key, test_policy_value, today,
};
use crate::policy::*;

/// The example policy with `change` applied, taken through the whole install path
/// (signed by a trusted key, verified today).
pub(super) fn install(change: impl FnOnce(&mut Value)) -> Result<PolicyDocument, PolicyError> {
    let mut value = test_policy_value("sh-arrivals", 3, today());
    change(&mut value);
    let key = test_key();
    let envelope = signed_unchecked(&key, &serde_json::to_vec(&value).unwrap());
    SignedPolicy::parse(&envelope)?
        .verify(&anchor_for(&key), today())
        .map(|verified| verified.document().clone())
}

/// One edit of the example policy, for tables of cases.
pub(super) type Change = Box<dyn FnOnce(&mut Value)>;

pub(super) fn refused(change: impl FnOnce(&mut Value)) -> PolicyError {
    install(change).expect_err("the policy should be refused")
}

/// Sets the value at `pointer`, adding the last key to its object when missing.
pub(super) fn set(value: &mut Value, pointer: &str, new: Value) {
    if let Some(slot) = value.pointer_mut(pointer) {
        *slot = new;
        return;
    }
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let object = value.pointer_mut(parent).and_then(Value::as_object_mut);
    object
        .unwrap_or_else(|| panic!("no {parent}"))
        .insert(key.to_owned(), new);
}

pub(super) fn remove(value: &mut Value, pointer: &str) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    value
        .pointer_mut(parent)
        .unwrap()
        .as_object_mut()
        .unwrap()
        .remove(key)
        .unwrap();
}

pub(super) fn bad_parameter(error: PolicyError) -> String {
    match error {
        PolicyError::BadParameter { detail, .. } => detail,
        other => panic!("expected BadParameter, got {other:?}"),
    }
}

#[test]
fn the_example_policy_parses_with_every_declaration() {
    let document = install(|_| {}).unwrap();
    assert_eq!(document.id, "sh-arrivals");
    assert_eq!(document.version, 3);
    assert_eq!(document.purpose.code, "epidemic-control");
    assert_eq!(
        document.issuer.name["en"],
        "Shanghai Center for Disease Control"
    );
    assert_eq!(document.monitoring, Some(Monitoring { days: 14 }));
    assert_eq!(
        document.retention,
        Retention {
            device_days: 28,
            server_days: 28
        }
    );
    assert_eq!(document.padding, Padding { block_bytes: 512 });
    assert_eq!(document.recipients.len(), 2);
    let daily = document.form("daily").unwrap();
    assert_eq!(daily.once_per, OncePer::Day);
    assert!(daily.requires_monitoring);
    let temperature = daily.field("temperature").unwrap();
    assert_eq!(temperature.kind, FieldKind::TemperatureC);
    assert_eq!(temperature.upload, Transform::Threshold { at: 37.3 });
    assert_eq!(temperature.to.as_deref(), Some("health"));
    assert!(temperature.required);
    assert_eq!(temperature.label["zh"], "体温（℃）");
    let notes = daily.field("notes").unwrap();
    assert_eq!(notes.kind, FieldKind::Text { max_len: 200 });
    assert_eq!(notes.upload, Transform::Omit);
    assert!(!notes.required);
    assert_eq!(notes.source, FieldSource::Answer);
    assert_eq!(
        daily.field("district").unwrap().upload,
        Transform::Generalize {
            level: DistrictLevel::City
        }
    );
    let arrival = document.form("arrival").unwrap();
    assert_eq!(arrival.once_per, OncePer::Registration);
    assert!(!arrival.requires_monitoring);
    assert_eq!(
        arrival.field("id_number").unwrap().source,
        FieldSource::Profile
    );
    assert_eq!(arrival.field("phone").unwrap().upload, Transform::Pseudonym);
    assert_eq!(
        arrival.field("birth_date").unwrap().upload,
        Transform::AgeBand { width: 10 }
    );
    assert_eq!(
        arrival.field("travel").unwrap().upload,
        Transform::RiskAreaVisited {
            areas: vec!["4201".into(), "31".into()],
            window_days: 14,
            reference: None,
        }
    );
    assert_eq!(
        arrival.field("arrival_date").unwrap().kind,
        FieldKind::Date { allow_future: true }
    );
    assert_eq!(
        arrival.field("household_size").unwrap().kind,
        FieldKind::Integer { min: 1, max: 20 }
    );
    assert_eq!(arrival.field("flight").unwrap().upload, Transform::Omit);
}

#[test]
fn omitted_settings_take_their_defaults() {
    let document = install(|policy| {
        remove(policy, "/padding");
        remove(policy, "/forms/0/fields/3/upload");
        remove(policy, "/forms/0/fields/3/label");
        remove(policy, "/forms/1/title");
        remove(policy, "/purpose/text");
    })
    .unwrap();
    assert_eq!(document.padding.block_bytes, DEFAULT_PADDING_BLOCK_BYTES);
    let notes = document.form("daily").unwrap().field("notes").unwrap();
    assert_eq!(notes.upload, Transform::Omit);
    assert!(notes.label.is_empty());
    assert!(document.form("arrival").unwrap().title.is_empty());
    assert!(document.purpose.text.is_empty());
}

#[test]
fn every_transform_form_parses() {
    let cases = [
        (json!("keep"), "yes_no", Transform::Keep),
        (json!("omit"), "yes_no", Transform::Omit),
        (json!("count"), "travel_history", Transform::Count),
        (json!("pseudonym"), "resident_id", Transform::Pseudonym),
        (
            json!({"round": 0.5}),
            "temperature_c",
            Transform::Round { step: 0.5 },
        ),
        (
            json!({"threshold": 37.3}),
            "temperature_c",
            Transform::Threshold { at: 37.3 },
        ),
        (
            json!({"generalize": "province"}),
            "district",
            Transform::Generalize {
                level: DistrictLevel::Province,
            },
        ),
        (
            json!({"generalize": "district"}),
            "travel_history",
            Transform::Generalize {
                level: DistrictLevel::District,
            },
        ),
        (
            json!({"age_band": 5}),
            "date",
            Transform::AgeBand { width: 5 },
        ),
        (
            json!({"coarsen_date": "week"}),
            "date",
            Transform::CoarsenDate {
                granularity: DateGranularity::Week,
            },
        ),
        (
            json!({"coarsen_date": "month"}),
            "date",
            Transform::CoarsenDate {
                granularity: DateGranularity::Month,
            },
        ),
        (
            json!({"window": 14}),
            "travel_history",
            Transform::Window {
                days: 14,
                reference: None,
            },
        ),
    ];
    for (upload, kind, expected) in cases {
        let document = install(|policy| {
            set(
                policy,
                "/forms/0/fields/3",
                json!({"id": "x", "kind": kind, "upload": upload, "to": "health"}),
            );
        })
        .unwrap_or_else(|error| panic!("{expected:?}: {error}"));
        assert_eq!(document.forms[0].fields[3].upload, expected);
    }
}

#[test]
fn applicability_table() {
    let every_kind = [
        FieldKind::YesNo,
        FieldKind::Choice {
            codes: vec!["a".into()],
        },
        FieldKind::MultiChoice {
            codes: vec!["a".into()],
        },
        FieldKind::TemperatureC,
        FieldKind::Integer { min: 0, max: 9 },
        FieldKind::Date {
            allow_future: false,
        },
        FieldKind::District,
        FieldKind::TravelHistory,
        FieldKind::PersonName,
        FieldKind::ResidentId,
        FieldKind::PassportNumber,
        FieldKind::Phone,
        FieldKind::TransportNumber,
        FieldKind::Text { max_len: 9 },
    ];
    let table: [(Transform, &[&str]); 11] = [
        (
            Transform::Round { step: 1.0 },
            &["temperature_c", "integer"],
        ),
        (
            Transform::Threshold { at: 1.0 },
            &["temperature_c", "integer"],
        ),
        (
            Transform::Generalize {
                level: DistrictLevel::City,
            },
            &["district", "travel_history"],
        ),
        (Transform::AgeBand { width: 10 }, &["date"]),
        (
            Transform::CoarsenDate {
                granularity: DateGranularity::Week,
            },
            &["date"],
        ),
        (
            Transform::Window {
                days: 1,
                reference: None,
            },
            &["travel_history"],
        ),
        (
            Transform::RiskAreaVisited {
                areas: vec!["42".into()],
                window_days: 1,
                reference: None,
            },
            &["travel_history"],
        ),
        (Transform::Count, &["multi_choice", "travel_history"]),
        (
            Transform::Pseudonym,
            &["person_name", "resident_id", "passport_number", "phone"],
        ),
        (Transform::Keep, &[]),
        (Transform::Omit, &[]),
    ];
    for (transform, kinds) in table {
        for kind in &every_kind {
            let expected = matches!(transform, Transform::Keep | Transform::Omit)
                || kinds.contains(&kind.name());
            assert_eq!(
                transform.applies_to(kind),
                expected,
                "{} on {}",
                transform.name(),
                kind.name()
            );
        }
    }
}

#[test]
fn rejects_unknown_format() {
    assert_eq!(
        refused(|policy| set(policy, "/format", json!("selfreport.policy/3"))),
        PolicyError::UnknownFormat {
            found: "selfreport.policy/3".into()
        }
    );
    // A later format is reported as such even when its shape is different.
    let error = install(|policy| {
        set(policy, "/format", json!("selfreport.policy/9"));
        policy
            .as_object_mut()
            .unwrap()
            .insert("new_thing".into(), json!(true));
    })
    .unwrap_err();
    assert!(matches!(error, PolicyError::UnknownFormat { .. }));
}

#[test]
fn rejects_malformed_payload_json() {
    let key = test_key();
    for payload in [
        &b"{\"format\": \"selfreport.policy/1\", "[..],
        b"[]",
        b"",
        b"{}",
        b"\xff\xfe",
    ] {
        let envelope = signed_unchecked(&key, payload);
        let error = SignedPolicy::parse(&envelope)
            .unwrap()
            .verify(&anchor_for(&key), today())
            .unwrap_err();
        assert!(
            matches!(error, PolicyError::Malformed { .. }),
            "{payload:?}: {error:?}"
        );
    }
}

#[test]
fn rejects_unknown_fields_wrong_types_and_missing_fields_as_malformed() {
    let changes: [Change; 7] = [
        Box::new(|p| {
            p.as_object_mut().unwrap().insert("extra".into(), json!(1));
        }),
        Box::new(|p| {
            p.pointer_mut("/forms/0/fields/0")
                .unwrap()
                .as_object_mut()
                .unwrap()
                .insert("colour".into(), json!("red"));
        }),
        Box::new(|p| set(p, "/version", json!("3"))),
        Box::new(|p| set(p, "/version", json!(-1))),
        Box::new(|p| set(p, "/valid_from", json!("2026-13-01"))),
        Box::new(|p| remove(p, "/endpoint")),
        Box::new(|p| set(p, "/forms/0/once_per", json!("hour"))),
    ];
    for change in changes {
        assert!(matches!(refused(change), PolicyError::Malformed { .. }));
    }
}

#[test]
fn rejects_duplicate_json_keys_as_malformed() {
    let key = test_key();
    let mut json = serde_json::to_string(&test_policy_value("p", 1, today())).unwrap();
    // Two `health` recipients: a reader keeping either one would see a different key.
    let second_health = format!(
        r#""health":{{"suite":"x25519-sha256-aes128gcm","public_key":"{}"}},"#,
        fake_key(9)
    );
    json = json.replacen(
        r#""recipients":{"#,
        &format!(r#""recipients":{{{second_health}"#),
        1,
    );
    let envelope = signed_unchecked(&key, json.as_bytes());
    let error = SignedPolicy::parse(&envelope)
        .unwrap()
        .verify(&anchor_for(&key), today())
        .unwrap_err();
    match error {
        PolicyError::Malformed { detail } => {
            assert!(detail.contains("duplicate key `health`"), "{detail}")
        }
        other => panic!("{other:?}"),
    }
    // The same for a duplicate struct field and a duplicate key in a transform object.
    let twice = serde_json::to_string(&test_policy_value("p", 1, today()))
        .unwrap()
        .replacen("\"version\":1", "\"version\":1,\"version\":2", 1);
    assert!(matches!(
        parse_policy_document(twice.as_bytes()),
        Err(PolicyError::Malformed { .. })
    ));
    let transform_twice = serde_json::to_string(&test_policy_value("p", 1, today()))
        .unwrap()
        .replacen(
            "{\"threshold\":37.3}",
            "{\"threshold\":37.3,\"threshold\":39.0}",
            1,
        );
    assert!(
        bad_parameter(parse_policy_document(transform_twice.as_bytes()).unwrap_err())
            .contains("exactly one key")
    );
}

#[test]
fn rejects_oversized_document() {
    let mut value = test_policy_value("p", 1, today());
    set(
        &mut value,
        "/purpose/code",
        json!("x".repeat(MAX_POLICY_BYTES)),
    );
    let payload = serde_json::to_vec(&value).unwrap();
    assert_eq!(
        parse_policy_document(&payload),
        Err(PolicyError::TooLarge {
            size: payload.len(),
            limit: MAX_POLICY_BYTES
        })
    );
}

#[test]
fn rejects_non_https_endpoint() {
    for url in [
        "http://report.example.org/v1",
        "ftp://report.example.org",
        "report.example.org/v1",
        "//report.example.org",
        "",
    ] {
        assert_eq!(
            refused(|policy| set(policy, "/endpoint/url", json!(url))),
            PolicyError::EndpointNotHttps { url: url.into() },
            "{url}"
        );
    }
}

#[test]
fn accepts_https_endpoints_whatever_the_scheme_case() {
    for url in [
        "HTTPS://report.example.org/v1",
        "https://report.example.org:8443",
        "https://[::1]:443/v1",
        "https://127.0.0.1/x/y",
    ] {
        let document = install(|policy| set(policy, "/endpoint/url", json!(url)))
            .unwrap_or_else(|error| panic!("{url}: {error}"));
        assert_eq!(document.endpoint.url, url);
    }
}

#[test]
fn rejects_bad_endpoint() {
    for url in [
        "https://user:pass@report.example.org/v1",
        "https://report.example.org/v1#top",
        "https://report.example.org/v1?token=1",
        "https:///v1",
        "https://:443/v1",
        "https://report.example.org:0/v1",
        "https://report.example.org:99999/v1",
        "https://report.example.org:/v1",
        "https://report example.org/v1",
        "https://repört.example.org/v1",
        "https://[::1/v1",
    ] {
        assert!(
            matches!(
                refused(|policy| set(policy, "/endpoint/url", json!(url))),
                PolicyError::BadEndpoint { .. }
            ),
            "{url}"
        );
    }
    assert_eq!(
        refused(|policy| set(
            policy,
            "/endpoint/url",
            json!(format!("https://a.org/{}", "x".repeat(MAX_URL_LEN)))
        )),
        PolicyError::Limit {
            what: "characters in the endpoint URL".into(),
            limit: MAX_URL_LEN
        }
    );
}

#[test]
fn rejects_unknown_kind() {
    assert_eq!(
        refused(|policy| set(policy, "/forms/0/fields/0/kind", json!("blood_type"))),
        PolicyError::UnknownKind {
            form: "daily".into(),
            field: "temperature".into(),
            kind: "blood_type".into()
        }
    );
}

#[test]
fn rejects_unknown_transform() {
    assert_eq!(
        refused(|policy| set(policy, "/forms/0/fields/1/upload", json!("hash"))),
        PolicyError::UnknownTransform {
            form: "daily".into(),
            field: "symptoms".into(),
            transform: "hash".into()
        }
    );
    assert_eq!(
        refused(|policy| set(policy, "/forms/0/fields/1/upload", json!({"encrypt": true}))),
        PolicyError::UnknownTransform {
            form: "daily".into(),
            field: "symptoms".into(),
            transform: "encrypt".into()
        }
    );
}

#[test]
fn rejects_transform_not_applicable_to_its_kind() {
    assert_eq!(
        refused(|policy| {
            set(policy, "/forms/0/fields/3/upload", json!({"round": 1}));
            set(policy, "/forms/0/fields/3/to", json!("health"));
        }),
        PolicyError::TransformNotApplicable {
            form: "daily".into(),
            field: "notes".into(),
            transform: "round",
            kind: "text",
        }
    );
    assert_eq!(
        refused(|policy| set(policy, "/forms/0/fields/0/upload", json!("pseudonym"))),
        PolicyError::TransformNotApplicable {
            form: "daily".into(),
            field: "temperature".into(),
            transform: "pseudonym",
            kind: "temperature_c",
        }
    );
}

#[test]
fn rejects_uploaded_field_without_recipient() {
    assert_eq!(
        refused(|policy| remove(policy, "/forms/0/fields/0/to")),
        PolicyError::MissingRecipient {
            form: "daily".into(),
            field: "temperature".into()
        }
    );
}

#[test]
fn rejects_unknown_recipient() {
    assert_eq!(
        refused(|policy| set(policy, "/forms/0/fields/1/to", json!("police"))),
        PolicyError::UnknownRecipient {
            form: "daily".into(),
            field: "symptoms".into(),
            recipient: "police".into(),
        }
    );
    // Even a field that is never uploaded may only name a declared recipient.
    assert!(matches!(
        refused(|policy| set(policy, "/forms/0/fields/3/to", json!("police"))),
        PolicyError::UnknownRecipient { .. }
    ));
}

#[test]
fn rejects_unsupported_suite() {
    assert_eq!(
        refused(|policy| set(policy, "/recipients/health/suite", json!("rsa-oaep"))),
        PolicyError::UnsupportedSuite {
            recipient: "health".into(),
            suite: "rsa-oaep".into()
        }
    );
}

#[test]
fn rejects_bad_keys_and_pins() {
    let short = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode([1u8; 31])
    };
    let cases: [(&str, Value, &str); 5] = [
        (
            "/recipients/identity/public_key",
            json!(short),
            "the public key of recipient `identity`",
        ),
        (
            "/recipients/identity/public_key",
            json!("not base64!"),
            "the public key of recipient `identity`",
        ),
        (
            "/endpoint/receipt_key",
            json!(short),
            "the endpoint's receipt_key",
        ),
        (
            "/endpoint/spki_sha256/1",
            json!(short),
            "endpoint pin 2 (spki_sha256)",
        ),
        // URL-safe base64 is not the standard alphabet.
        (
            "/endpoint/spki_sha256/0",
            json!("-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_8="),
            "endpoint pin 1 (spki_sha256)",
        ),
    ];
    for (pointer, value, what) in cases {
        assert_eq!(
            refused(|policy| set(policy, pointer, value)),
            PolicyError::BadKey { what: what.into() },
            "{pointer}"
        );
    }
}

#[test]
fn rejects_validity_window_ending_before_it_starts() {
    assert_eq!(
        refused(|policy| {
            set(policy, "/valid_from", json!("2026-12-01"));
            set(policy, "/valid_until", json!("2026-11-30"));
        }),
        PolicyError::InvalidWindow {
            valid_from: "2026-12-01".parse().unwrap(),
            valid_until: "2026-11-30".parse().unwrap(),
        }
    );
}

#[test]
fn rejects_form_requiring_monitoring_without_monitoring_settings() {
    assert_eq!(
        refused(|policy| remove(policy, "/monitoring")),
        PolicyError::MissingMonitoring {
            form: "daily".into()
        }
    );
    // Without a form that needs it, monitoring is optional.
    assert!(
        install(|policy| {
            remove(policy, "/monitoring");
            set(policy, "/forms/0/requires_monitoring", json!(false));
        })
        .is_ok()
    );
}

#[test]
fn rejects_bad_profile_source() {
    // Not a profile attribute.
    assert_eq!(
        refused(|policy| set(policy, "/forms/0/fields/0/source", json!("profile"))),
        PolicyError::BadProfileSource {
            form: "daily".into(),
            field: "temperature".into()
        }
    );
    // A profile attribute, but of another kind.
    assert_eq!(
        refused(|policy| {
            set(policy, "/forms/1/fields/1/kind", json!("passport_number"));
        }),
        PolicyError::BadProfileSource {
            form: "arrival".into(),
            field: "id_number".into()
        }
    );
}
