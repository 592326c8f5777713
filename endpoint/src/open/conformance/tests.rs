//! Tests of the strict checks of opened parts.

use selfreport_core::policy::parse_policy_document;
use serde_json::json;

use super::*;

fn policy() -> PolicyDocument {
    // The daily example with a few extra fields covering every transform.
    let mut document: Value = serde_json::from_slice(include_bytes!(
        "../../../../examples/policies/daily-report.json"
    ))
    .unwrap();
    let fields = document["forms"][0]["fields"].as_array_mut().unwrap();
    fields.extend([
        json!({"id": "temp_kept", "kind": "temperature_c", "upload": "keep", "to": "health",
               "label": {"en": "t"}}),
        json!({"id": "temp_round", "kind": "temperature_c", "upload": {"round": 0.5}, "to": "health",
               "label": {"en": "t"}}),
        json!({"id": "birth", "kind": "date", "upload": {"age_band": 10}, "to": "health",
               "label": {"en": "b"}}),
        json!({"id": "arrived", "kind": "date", "upload": {"coarsen_date": "week"}, "to": "health",
               "label": {"en": "a"}}),
        json!({"id": "home", "kind": "district", "upload": {"generalize": "city"}, "to": "health",
               "label": {"en": "h"}}),
        json!({"id": "trips", "kind": "travel_history", "upload": {"window": 14}, "to": "health",
               "label": {"en": "t"}}),
        json!({"id": "risk", "kind": "travel_history",
               "upload": {"risk_area_visited": {"areas": ["4201"], "window_days": 14}},
               "to": "health", "label": {"en": "r"}}),
        json!({"id": "n_symptoms", "kind": "multi_choice", "codes": ["a", "b"], "upload": "count",
               "to": "health", "label": {"en": "n"}}),
        json!({"id": "pid", "kind": "phone", "source": "answer", "upload": "pseudonym", "to": "identity",
               "label": {"en": "p"}}),
    ]);
    parse_policy_document(&serde_json::to_vec(&document).unwrap()).unwrap()
}

fn envelope(recipient: &str) -> Envelope<'_> {
    Envelope {
        policy_id: "sh-daily-health",
        policy_version: 1,
        submission_id: "0123456789abcdef0123456789abcdef",
        recipient,
        received_on: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
    }
}

/// The canonical plaintext of a daily-form part, padded to its fixed size for
/// `recipient`.
fn plaintext(fields: Value, recipient: &str) -> Vec<u8> {
    plaintext_with(fields, recipient, |_| {})
}

fn plaintext_with(fields: Value, recipient: &str, change: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut value = json!({
        "date": "2026-11-28", "dummy": false, "fields": fields, "form": "daily",
        "format": "selfreport.submission/1", "policy_id": "sh-daily-health", "policy_version": 1,
        "pseudonym": "00112233445566778899aabbccddeeff",
        "submission_id": "0123456789abcdef0123456789abcdef"
    });
    change(&mut value);
    let mut bytes = canonical_json(&value).into_bytes();
    let padded = padded_size(&policy(), "daily", recipient).unwrap();
    assert!(bytes.len() <= padded);
    bytes.resize(padded, b' ');
    bytes
}

fn problems(part: &CheckedPart) -> Vec<(String, String)> {
    part.flags
        .iter()
        .map(|flag| (flag.field.clone(), flag.problem.clone()))
        .collect()
}

#[test]
fn a_conforming_part_passes_with_all_its_fields() {
    let policy = policy();
    let fields = json!({
        "temperature": true, "symptoms": ["fever", "fatigue"], "contact_with_case": false,
        "temp_kept": 37.3,
        "temp_round": 37.5, "birth": {"from": 60, "to": 69}, "arrived": "2026-W48",
        "home": "420100", "trips": [{"from": "2026-11-20", "place": "420106", "to": "2026-11-21"}],
        "risk": {"last_visit_week": "2026-W47", "visited": true}, "n_symptoms": 2,
    });
    let part = check_part(
        &plaintext(fields.clone(), "health"),
        &envelope("health"),
        &policy,
    );
    assert_eq!(problems(&part), vec![]);
    assert_eq!(
        Value::from(part.fields.into_iter().collect::<Map<_, _>>()),
        fields
    );
    let header = part.header.unwrap();
    assert_eq!(header.form, "daily");
    assert!(!header.dummy);
}

#[test]
fn an_extra_field_is_flagged_and_left_out() {
    let policy = policy();
    let fields = json!({"temperature": false, "symptoms": [], "contact_with_case": true,
                        "notes": "canary text"});
    let part = check_part(&plaintext(fields, "health"), &envelope("health"), &policy);
    assert_eq!(part.flags.len(), 1, "{:?}", part.flags);
    assert_eq!(part.flags[0].field, "notes");
    assert!(part.flags[0].problem.contains("never uploads"));
    assert!(!part.fields.contains_key("notes"));
    assert!(!format!("{:?}", part.flags).contains("canary"));

    let fields = json!({"temperature": false, "symptoms": [], "contact_with_case": true,
                        "undeclared": 1, "name": "x"});
    let part = check_part(&plaintext(fields, "health"), &envelope("health"), &policy);
    let flagged: Vec<_> = part.flags.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(flagged, ["name", "undeclared"]);
    assert!(part.flags[0].problem.contains("to identity"));
}

#[test]
fn values_more_precise_than_their_transform_are_flagged() {
    let policy = policy();
    let base = json!({"temperature": true, "symptoms": [], "contact_with_case": false});
    for (field, value, expected) in [
        ("temp_kept", json!(37.25), MORE_PRECISE),
        // Temperatures are written with exactly one decimal: `37` is not the plaintext's.
        ("temp_kept", json!(37), "not a temperature_c value"),
        ("temp_round", json!(37), "one decimal"),
        ("temp_round", json!(37.3), MORE_PRECISE),
        ("temperature", json!(37.3), "true or false"),
        ("home", json!("420106"), MORE_PRECISE),
        ("birth", json!({"from": 63, "to": 63}), MORE_PRECISE),
        ("birth", json!("1960-01-01"), "from"),
        ("arrived", json!("2026-11-24"), MORE_PRECISE),
        ("arrived", json!("2026-W54"), "YYYY-Www"),
        (
            "trips",
            json!([{"from": "2026-10-01", "place": "420106", "to": "2026-10-02"}]),
            MORE_PRECISE,
        ),
        (
            "trips",
            json!([{"from": "2026-11-20", "place": "420106", "to": "2026-11-21", "note": "x"}]),
            "travel legs",
        ),
        (
            "risk",
            json!({"last_visit_week": "2026-W47", "visited": false}),
            "visited",
        ),
        (
            "risk",
            json!({"last_visit_week": null, "visited": true, "where": "x"}),
            "last_visit_week",
        ),
        ("n_symptoms", json!(3), "count"),
        ("symptoms", json!(["fatigue", "fever"]), "policy order"),
        ("symptoms", json!(["smallpox"]), ""),
    ] {
        let mut fields = base.clone();
        fields[field] = value.clone();
        let part = check_part(&plaintext(fields, "health"), &envelope("health"), &policy);
        assert_eq!(part.flags.len(), 1, "{field} {value}: {:?}", part.flags);
        assert_eq!(part.flags[0].field, field);
        assert!(
            part.flags[0].problem.contains(expected),
            "{field} {value}: {}",
            part.flags[0].problem
        );
        assert!(!part.fields.contains_key(field));
    }
}

#[test]
fn kept_identity_values_are_validated_and_pseudonyms_are_hex() {
    let policy = policy();
    let good = json!({"name": "张三", "pid": "00112233445566778899aabbccddeeff"});
    let part = check_part(&plaintext(good, "identity"), &envelope("identity"), &policy);
    assert_eq!(problems(&part), vec![]);
    let bad = json!({"name": "张三", "pid": "+8613800000000", "phone": "not a phone"});
    let part = check_part(&plaintext(bad, "identity"), &envelope("identity"), &policy);
    let flagged: Vec<_> = part.flags.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(flagged, ["phone", "pid"]);
}

#[test]
fn missing_required_fields_and_header_problems_are_flagged() {
    let policy = policy();
    let part = check_part(
        &plaintext(json!({"symptoms": []}), "health"),
        &envelope("health"),
        &policy,
    );
    assert_eq!(problems(&part)[0].0, "temperature");
    assert!(problems(&part)[0].1.contains("missing"));

    type Change = Box<dyn FnOnce(&mut Value)>;
    let cases: Vec<(&str, Change)> = vec![
        (
            "submission_id",
            Box::new(|v| v["submission_id"] = json!("ffffffffffffffffffffffffffffffff")),
        ),
        (
            "submission_id",
            Box::new(|v| v["policy_version"] = json!(2)),
        ),
        ("pseudonym", Box::new(|v| v["pseudonym"] = json!("someone"))),
        ("date", Box::new(|v| v["date"] = json!("28/11/2026"))),
        ("form", Box::new(|v| v["form"] = json!("weekly"))),
        ("extra", Box::new(|v| v["extra"] = json!(1))),
        (
            "format",
            Box::new(|v| v["format"] = json!("selfreport.submission/2")),
        ),
    ];
    for (field, change) in cases {
        let fields = json!({"temperature": true, "symptoms": [], "contact_with_case": false});
        let bytes = plaintext_with(fields, "health", change);
        let part = check_part(&bytes, &envelope("health"), &policy);
        assert!(
            part.flags.iter().any(|flag| flag.field == field),
            "{field}: {:?}",
            part.flags
        );
    }
}

#[test]
fn padding_and_canonical_form_are_checked() {
    let policy = policy();
    let fields = json!({"temperature": true, "symptoms": [], "contact_with_case": false});
    let mut short = plaintext(fields.clone(), "health");
    short.pop();
    let part = check_part(&short, &envelope("health"), &policy);
    assert_eq!(problems(&part)[0].0, "part:health");
    assert!(
        part.fields.is_empty(),
        "no field of a wrongly padded part is output"
    );

    let mut spaced = b"{ \"date\": 1 }".to_vec();
    spaced.resize(512, b' ');
    let part = check_part(&spaced, &envelope("health"), &policy);
    assert!(
        part.flags
            .iter()
            .any(|flag| flag.problem.contains("canonical"))
    );
    assert!(part.header.is_none());

    let mut junk = b"\x00\x01binary".to_vec();
    junk.resize(512, b' ');
    let part = check_part(&junk, &envelope("health"), &policy);
    assert_eq!(problems(&part)[0].0, "plaintext");
}

#[test]
fn dummies_are_recognised_without_field_checks() {
    let policy = policy();
    let bytes = plaintext_with(json!({}), "health", |v| v["dummy"] = json!(true));
    let part = check_part(&bytes, &envelope("health"), &policy);
    assert_eq!(problems(&part), vec![]);
    assert!(part.header.unwrap().dummy);
}

#[test]
fn canonical_json_sorts_keys_and_has_no_whitespace() {
    let value: Value =
        serde_json::from_str(r#"{"b": [1, {"d": 2, "c": 37.0}], "a": "é"}"#).unwrap();
    assert_eq!(
        canonical_json(&value),
        r#"{"a":"é","b":[1,{"c":37.0,"d":2}]}"#
    );
}

#[test]
fn weeks_and_months_parse_strictly() {
    assert!(parse_iso_week("2026-W53").is_some());
    assert!(parse_iso_week("2025-W53").is_none());
    assert!(parse_iso_week("2026-W00").is_none());
    assert!(parse_iso_week("2026-W1").is_none());
    assert!(parse_month("2026-11").is_some());
    assert!(parse_month("2026-13").is_none());
    assert!(parse_day("2026-11-28").is_some());
    assert!(parse_day("2026-11-8").is_none());
}

/// A `/2` policy declares each part's padded size: a part padded to anything else, even
/// the size a `/1` policy would have computed, is flagged.
#[test]
fn parts_of_a_v2_policy_are_checked_against_the_declared_size() {
    let mut document: Value = serde_json::from_slice(include_bytes!(
        "../../../../examples/policies/daily-report.json"
    ))
    .unwrap();
    document["format"] = json!("selfreport.policy/2");
    document["region"] = json!(["310101"]);
    document["recipients"]["health"]["role"] = json!("health");
    document["recipients"]["identity"]["role"] = json!("identity");
    selfreport_core::policy::declare_minimum_padded_sizes(&mut document).unwrap();
    let minimum = document["forms"][0]["padded_bytes"]["health"]
        .as_u64()
        .unwrap();
    let declared = minimum + 1024;
    document["forms"][0]["padded_bytes"]["health"] = json!(declared);
    let policy = parse_policy_document(&serde_json::to_vec(&document).unwrap()).unwrap();

    let fields = json!({"temperature": true, "symptoms": [], "contact_with_case": false});
    let mut at_minimum = plaintext(fields.clone(), "health");
    at_minimum.truncate(minimum as usize);
    assert_eq!(at_minimum.len() as u64, minimum);
    let part = check_part(&at_minimum, &envelope("health"), &policy);
    assert_eq!(
        problems(&part),
        vec![(
            "part:health".to_owned(),
            format!(
                "in the part for health: the plaintext is {minimum} bytes, not the {declared} bytes every part of this form for this recipient is padded to"
            )
        )]
    );

    let mut at_declared = at_minimum.clone();
    at_declared.resize(declared as usize, b' ');
    let part = check_part(&at_declared, &envelope("health"), &policy);
    assert_eq!(problems(&part), vec![]);
}
