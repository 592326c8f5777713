//! A window transform's `reference` date (`selfreport.policy/2`): what is accepted, and
//! each refusal with its code.

use serde_json::{Value, json};

use super::parse_policy_document;
use crate::policy::test_support::{policy_v2, test_policy_value, today};
use crate::policy::{PolicyError, Transform};

/// The `/2` example with its arrival date required and the travel field's upload
/// replaced by `upload`, padded sizes declared anew when the draft parses (a window
/// sends legs, longer than a risk result).
fn arrival_v2(upload: Value) -> Value {
    let mut policy = policy_v2();
    let fields = policy["forms"][1]["fields"].as_array_mut().unwrap();
    for field in fields.iter_mut() {
        match field["id"].as_str() {
            Some("arrival_date") => field["required"] = json!(true),
            Some("travel") => field["upload"] = upload.clone(),
            _ => {}
        }
    }
    // A draft that does not parse keeps its sizes: the refusal under test comes first.
    let _ = crate::policy::declare_minimum_padded_sizes(&mut policy);
    policy
}

fn parsed(policy: &Value) -> Result<Transform, PolicyError> {
    let document = parse_policy_document(policy.to_string().as_bytes())?;
    Ok(document.forms[1].field("travel").unwrap().upload.clone())
}

fn code(policy: &Value) -> &'static str {
    parsed(policy).unwrap_err().code()
}

#[test]
fn both_window_transforms_take_a_reference_in_v2() {
    let risk = arrival_v2(json!({"risk_area_visited":
        {"areas": ["4201"], "window_days": 14, "reference": "arrival_date"}}));
    assert_eq!(
        parsed(&risk).unwrap(),
        Transform::RiskAreaVisited {
            areas: vec!["4201".into()],
            window_days: 14,
            reference: Some("arrival_date".into()),
        }
    );
    let window = arrival_v2(json!({"window": {"days": 14, "reference": "arrival_date"}}));
    assert_eq!(
        parsed(&window).unwrap(),
        Transform::Window {
            days: 14,
            reference: Some("arrival_date".into()),
        }
    );
    // The number form is still a window ending on the record date.
    let plain = arrival_v2(json!({"window": 14}));
    assert_eq!(
        parsed(&plain).unwrap(),
        Transform::Window {
            days: 14,
            reference: None,
        }
    );
}

#[test]
fn a_reference_in_v1_is_a_bad_setting() {
    let mut policy = test_policy_value("sh-arrivals", 1, today());
    let fields = policy["forms"][1]["fields"].as_array_mut().unwrap();
    for field in fields.iter_mut() {
        match field["id"].as_str() {
            Some("arrival_date") => field["required"] = json!(true),
            Some("travel") => {
                field["upload"] = json!({"risk_area_visited":
                    {"areas": ["4201"], "window_days": 14, "reference": "arrival_date"}});
            }
            _ => {}
        }
    }
    let risk = policy.clone();
    assert_eq!(code(&risk), "PolicyBadSetting");
    policy["forms"][1]["fields"][4]["upload"] =
        json!({"window": {"days": 14, "reference": "arrival_date"}});
    assert_eq!(policy["forms"][1]["fields"][4]["id"], "travel");
    assert_eq!(code(&policy), "PolicyBadSetting");
}

#[test]
fn the_window_object_is_read_strictly() {
    for upload in [
        json!({"window": {"days": 14, "reference": "arrival_date", "extra": 1}}),
        json!({"window": {"days": 14}}),
        json!({"window": {"reference": "arrival_date"}}),
        json!({"risk_area_visited": {"areas": ["4201"], "window_days": 14,
            "reference": "arrival_date", "since": "arrival_date"}}),
    ] {
        assert_eq!(
            code(&arrival_v2(upload.clone())),
            "PolicyMalformed",
            "{upload}"
        );
    }
    // A repeated key is refused, never read as its last value.
    let policy = arrival_v2(json!({"window": 14})).to_string().replace(
        r#""upload":{"window":14}"#,
        r#""upload":{"window":{"days":14,"reference":"arrival_date","reference":"birth_date"}}"#,
    );
    assert!(policy.contains(r#""reference":"birth_date""#));
    let error = parse_policy_document(policy.as_bytes()).unwrap_err();
    assert_eq!(error.code(), "PolicyMalformed");
    // Days out of range, and a reference that is not an identifier.
    let zero = arrival_v2(json!({"window": {"days": 0, "reference": "arrival_date"}}));
    assert_eq!(code(&zero), "PolicyBadParameter");
    let bad_id = arrival_v2(json!({"window": {"days": 14, "reference": "Arrival Date"}}));
    assert_eq!(code(&bad_id), "PolicyInvalidId");
}

#[test]
fn the_reference_must_be_a_required_answered_date_of_the_same_form() {
    let risk = |reference: &str| {
        arrival_v2(json!({"risk_area_visited":
            {"areas": ["4201"], "window_days": 14, "reference": reference}}))
    };
    // No such field; another kind; the field itself; taken from the profile.
    for reference in ["departure_date", "flight", "travel", "birth_date"] {
        let error = parsed(&risk(reference)).unwrap_err();
        assert_eq!(error.code(), "PolicyBadReference", "{reference}: {error}");
        assert!(error.to_string().contains(reference), "{error}");
    }
    // Not required: a record could lack the day its window ends on.
    let mut optional = risk("arrival_date");
    let fields = optional["forms"][1]["fields"].as_array_mut().unwrap();
    for field in fields.iter_mut() {
        if field["id"] == "arrival_date" {
            field["required"] = json!(false);
        }
    }
    let error = parsed(&optional).unwrap_err();
    assert_eq!(error.code(), "PolicyBadReference");
    assert!(error.to_string().contains("required"), "{error}");
}
