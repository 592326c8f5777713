//! Tests of the bounds on a policy (counts, ids, duplicates) and on transform parameters
//! and settings, through the whole install path (the helpers are those of `tests.rs`).
use serde_json::{Value, json};

use super::tests::{Change, bad_parameter, install, refused, remove, set};
use super::truncated;
use crate::policy::PolicyError;
use crate::policy::limits::*;
use crate::policy::test_support::fake_key;

#[test]
fn rejects_too_many_forms_fields_codes_and_languages() {
    let error = refused(|policy| {
        let form = policy.pointer("/forms/1").unwrap().clone();
        let forms: Vec<Value> = (0..=MAX_FORMS)
            .map(|i| {
                let mut form = form.clone();
                set(&mut form, "/id", json!(format!("form-{i}")));
                form
            })
            .collect();
        set(policy, "/forms", json!(forms));
    });
    assert_eq!(
        error,
        PolicyError::Limit {
            what: "forms in the policy".into(),
            limit: MAX_FORMS
        }
    );

    let error = refused(|policy| {
        let fields: Vec<Value> = (0..=MAX_FIELDS_PER_FORM)
            .map(|i| json!({"id": format!("f{i}"), "kind": "yes_no"}))
            .collect();
        set(policy, "/forms/1/fields", json!(fields));
    });
    assert_eq!(
        error,
        PolicyError::Limit {
            what: "fields in form `arrival`".into(),
            limit: MAX_FIELDS_PER_FORM
        }
    );

    let error = refused(|policy| {
        let codes: Vec<String> = (0..=MAX_CODES).map(|i| format!("c{i}")).collect();
        set(policy, "/forms/0/fields/1/codes", json!(codes));
    });
    assert_eq!(
        error,
        PolicyError::Limit {
            what: "codes in field `symptoms` of form `daily`".into(),
            limit: MAX_CODES
        }
    );

    let error = refused(|policy| {
        let labels: serde_json::Map<String, Value> = (0..=MAX_LABEL_LANGUAGES)
            .map(|i| (format!("l{i}"), json!("x")))
            .collect();
        set(policy, "/forms/0/title", Value::Object(labels));
    });
    assert_eq!(
        error,
        PolicyError::Limit {
            what: "languages in the title of form `daily`".into(),
            limit: MAX_LABEL_LANGUAGES
        }
    );

    let error = refused(|policy| {
        set(
            policy,
            "/forms/0/fields/0/label/zh",
            json!("体".repeat(MAX_LABEL_CHARS + 1)),
        )
    });
    assert_eq!(
        error,
        PolicyError::Limit {
            what: "characters in the label of field `temperature` of form `daily` (zh)".into(),
            limit: MAX_LABEL_CHARS
        }
    );
    // Exactly at the bound is fine.
    assert!(
        install(|policy| set(
            policy,
            "/forms/0/fields/0/label/zh",
            json!("体".repeat(MAX_LABEL_CHARS))
        ))
        .is_ok()
    );
}

#[test]
fn rejects_invalid_ids() {
    let long = "a".repeat(MAX_ID_LEN + 1);
    let cases: [(&str, &str, &str); 6] = [
        ("/id", "SH-Arrivals", "policy id"),
        ("/id", "", "policy id"),
        ("/id", &long, "policy id"),
        ("/forms/0/id", "daily report", "form id"),
        ("/forms/0/fields/0/id", "temp/c", "field id in form `daily`"),
        ("/purpose/code", "Epidemic", "purpose code"),
    ];
    for (pointer, id, what) in cases {
        assert_eq!(
            refused(|policy| set(policy, pointer, json!(id))),
            PolicyError::InvalidId {
                what: what.into(),
                id: truncated(id, 64)
            },
            "{pointer} = {id:?}"
        );
    }
    assert!(matches!(
        refused(|policy| set(policy, "/forms/0/fields/1/codes/0", json!("Cough"))),
        PolicyError::InvalidId { .. }
    ));
    assert!(install(|policy| set(policy, "/id", json!("a".repeat(MAX_ID_LEN)))).is_ok());
}

#[test]
fn rejects_duplicates() {
    let cases: [(Change, PolicyError); 5] = [
        (
            Box::new(|p| set(p, "/forms/1/id", json!("daily"))),
            PolicyError::Duplicate {
                what: "form id".into(),
                id: "daily".into(),
            },
        ),
        (
            Box::new(|p| set(p, "/forms/0/fields/1/id", json!("temperature"))),
            PolicyError::Duplicate {
                what: "field id in form `daily`".into(),
                id: "temperature".into(),
            },
        ),
        (
            Box::new(|p| set(p, "/forms/0/fields/1/codes/1", json!("cough"))),
            PolicyError::Duplicate {
                what: "code in field `symptoms` of form `daily`".into(),
                id: "cough".into(),
            },
        ),
        (
            Box::new(|p| set(p, "/endpoint/spki_sha256/1", json!(fake_key(0x51)))),
            PolicyError::Duplicate {
                what: "endpoint pin".into(),
                id: fake_key(0x51),
            },
        ),
        (
            Box::new(|p| {
                set(
                    p,
                    "/forms/1/fields/4/upload/risk_area_visited/areas/1",
                    json!("4201"),
                )
            }),
            PolicyError::Duplicate {
                what: "risk area in field `travel` of form `arrival`".into(),
                id: "4201".into(),
            },
        ),
    ];
    for (change, expected) in cases {
        assert_eq!(refused(change), expected);
    }
}

#[test]
fn rejects_bad_parameters() {
    let cases: [(&str, &str, Value); 22] = [
        (
            "round step zero",
            "/forms/0/fields/0/upload",
            json!({"round": 0}),
        ),
        (
            "round step negative",
            "/forms/0/fields/0/upload",
            json!({"round": -0.5}),
        ),
        (
            "round step not a number",
            "/forms/0/fields/0/upload",
            json!({"round": "half"}),
        ),
        (
            "threshold not a number",
            "/forms/0/fields/0/upload",
            json!({"threshold": null}),
        ),
        (
            "integer round not whole",
            "/forms/1/fields/7/upload",
            json!({"round": 0.5}),
        ),
        ("integer min > max", "/forms/1/fields/7/min", json!(21)),
        ("empty codes", "/forms/0/fields/1/codes", json!([])),
        (
            "age band zero",
            "/forms/1/fields/3/upload",
            json!({"age_band": 0}),
        ),
        (
            "age band too wide",
            "/forms/1/fields/3/upload",
            json!({"age_band": 101}),
        ),
        (
            "age band fractional",
            "/forms/1/fields/3/upload",
            json!({"age_band": 2.5}),
        ),
        (
            "window zero",
            "/forms/1/fields/4/upload",
            json!({"window": 0}),
        ),
        (
            "window too long",
            "/forms/1/fields/4/upload",
            json!({"window": 367}),
        ),
        (
            "areas empty",
            "/forms/1/fields/4/upload/risk_area_visited/areas",
            json!([]),
        ),
        (
            "area three digits",
            "/forms/1/fields/4/upload/risk_area_visited/areas/0",
            json!("420"),
        ),
        (
            "area not digits",
            "/forms/1/fields/4/upload/risk_area_visited/areas/0",
            json!("42ab"),
        ),
        (
            "risk window zero",
            "/forms/1/fields/4/upload/risk_area_visited/window_days",
            json!(0),
        ),
        (
            "generalize level",
            "/forms/0/fields/2/upload",
            json!({"generalize": "street"}),
        ),
        (
            "coarsen granularity",
            "/forms/1/fields/6/upload",
            json!({"coarsen_date": "day"}),
        ),
        (
            "transform missing its parameter",
            "/forms/0/fields/0/upload",
            json!("threshold"),
        ),
        (
            "parameter on a bare transform",
            "/forms/0/fields/1/upload",
            json!({"keep": true}),
        ),
        (
            "two-key transform",
            "/forms/0/fields/0/upload",
            json!({"threshold": 37.3, "round": 0.5}),
        ),
        ("text max_len zero", "/forms/0/fields/3/max_len", json!(0)),
    ];
    for (case, pointer, value) in cases {
        let error = refused(|policy| set(policy, pointer, value));
        assert!(
            matches!(error, PolicyError::BadParameter { .. }),
            "{case}: {error:?}"
        );
    }
    // Parameters a kind does not take, or a kind missing its parameter.
    let cases: [(&str, Change); 5] = [
        (
            "codes on temperature",
            Box::new(|p| set(p, "/forms/0/fields/0/codes", json!(["a"]))),
        ),
        (
            "max_len on choice",
            Box::new(|p| set(p, "/forms/1/fields/9/max_len", json!(5))),
        ),
        (
            "integer without max",
            Box::new(|p| remove(p, "/forms/1/fields/7/max")),
        ),
        (
            "text without max_len",
            Box::new(|p| remove(p, "/forms/0/fields/3/max_len")),
        ),
        (
            "choice without codes",
            Box::new(|p| remove(p, "/forms/1/fields/9/codes")),
        ),
    ];
    for (case, change) in cases {
        let error = refused(change);
        assert!(
            matches!(error, PolicyError::BadParameter { .. }),
            "{case}: {error:?}"
        );
    }
    let detail = bad_parameter(refused(|policy| {
        set(policy, "/forms/1/fields/7/min", json!(21))
    }));
    assert!(
        detail.contains("`min` (21) is greater than `max` (20)"),
        "{detail}"
    );
    let error = refused(|policy| set(policy, "/forms/1/fields/7/min", json!(21)));
    assert!(error.to_string().contains("household_size") && error.to_string().contains("arrival"));
}

#[test]
fn rejects_bad_settings() {
    let cases: [(&str, Value, &str); 9] = [
        ("/version", json!(0), "version"),
        ("/version", json!(u64::MAX), "version"),
        ("/retention/device_days", json!(0), "retention.device_days"),
        (
            "/retention/device_days",
            json!(MAX_RETENTION_DAYS + 1),
            "retention.device_days",
        ),
        ("/retention/server_days", json!(0), "retention.server_days"),
        ("/padding/block_bytes", json!(8), "padding.block_bytes"),
        (
            "/padding/block_bytes",
            json!(MAX_PADDING_BLOCK_BYTES + 1),
            "padding.block_bytes",
        ),
        ("/monitoring/days", json!(0), "monitoring.days"),
        ("/endpoint/spki_sha256", json!([]), "endpoint.spki_sha256"),
    ];
    for (pointer, value, what) in cases {
        match refused(|policy| set(policy, pointer, value)) {
            PolicyError::BadSetting { what: found, .. } => assert_eq!(found, what, "{pointer}"),
            other => panic!("{pointer}: {other:?}"),
        }
    }
    assert!(matches!(
        refused(|p| set(p, "/forms", json!([]))),
        PolicyError::BadSetting { .. }
    ));
    assert!(matches!(
        refused(|p| set(p, "/forms/1/fields", json!([]))),
        PolicyError::BadSetting { .. }
    ));
    assert!(matches!(
        refused(|p| set(p, "/forms/0/title", json!({"zh_CN!": "x"}))),
        PolicyError::BadSetting { .. }
    ));
}
