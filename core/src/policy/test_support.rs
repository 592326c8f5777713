//! Realistic policies for tests across the crate (store, facade, minimization).
//!
//! `test_policy_value` is the DESIGN §5 example with a daily report and an arrival
//! registration, dated around `today`; tests change it through `serde_json::Value`
//! pointers and sign it with `signed` (checked) or `signed_unchecked` (any bytes).
//! Recipient keys, pins and the receipt key are fixed bytes of the right length, not real
//! keys: tests that seal or check receipts bring their own.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{Days, NaiveDate};
use serde_json::{Value, json};

use crate::crypto::signature::SigningKey;

use super::envelope::envelope_bytes;
use super::signed::envelope_bytes as signed_envelope;
use super::{DELEGATION_SIGNATURE_CONTEXT, POLICY_SIGNATURE_CONTEXT};
use super::{SignedPolicy, TrustAnchor, TrustAnchors, VerifiedPolicy, sign_policy};

/// The date tests treat as today unless they say otherwise.
pub(crate) fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 28).expect("valid date")
}

/// A fresh policy-signing key.
pub(crate) fn test_key() -> SigningKey {
    SigningKey::generate().expect("system random generator")
}

/// Trust anchors holding `key` with no validity bounds.
pub(crate) fn anchor_for(key: &SigningKey) -> TrustAnchors {
    TrustAnchor::new(key.public_key()).into()
}

/// Standard base64 of 32 bytes of `byte`: a stand-in for a key or pin.
pub(crate) fn fake_key(byte: u8) -> String {
    STANDARD.encode([byte; 32])
}

/// The example policy, valid from 30 days before `today` to 150 days after.
pub(crate) fn test_policy_value(id: &str, version: u64, today: NaiveDate) -> Value {
    let valid_from = today - Days::new(30);
    let valid_until = today + Days::new(150);
    json!({
        "format": "selfreport.policy/1",
        "id": id,
        "version": version,
        "issuer": {"name": {"zh": "上海市疾病预防控制中心", "en": "Shanghai Center for Disease Control"}},
        "purpose": {
            "code": "epidemic-control",
            "text": {
                "zh": "仅用于疫情防控：健康监测与入境人员登记。",
                "en": "For epidemic control only: health monitoring and arrival registration."
            }
        },
        "valid_from": valid_from.to_string(),
        "valid_until": valid_until.to_string(),
        "endpoint": {
            "url": "https://report.example.org/v1",
            "spki_sha256": [fake_key(0x51), fake_key(0x52)],
            "receipt_key": fake_key(0x61)
        },
        "recipients": {
            "health": {"suite": "x25519-sha256-chacha20poly1305", "public_key": fake_key(0x71)},
            "identity": {"suite": "x25519-sha256-aes128gcm", "public_key": fake_key(0x72)}
        },
        "monitoring": {"days": 14},
        "retention": {"device_days": 28, "server_days": 28},
        "padding": {"block_bytes": 512},
        "forms": [
            {
                "id": "daily", "once_per": "day", "requires_monitoring": true,
                "title": {"zh": "每日健康申报", "en": "Daily health report"},
                "fields": [
                    {"id": "temperature", "kind": "temperature_c", "required": true,
                     "upload": {"threshold": 37.3}, "to": "health",
                     "label": {"zh": "体温（℃）", "en": "Temperature (°C)"}},
                    {"id": "symptoms", "kind": "multi_choice",
                     "codes": ["cough", "fatigue", "dyspnea", "loss_of_smell", "sore_throat", "fever"],
                     "upload": "keep", "to": "health",
                     "label": {"zh": "症状", "en": "Symptoms"}},
                    {"id": "district", "kind": "district", "upload": {"generalize": "city"}, "to": "health",
                     "label": {"zh": "所在区县", "en": "District"}},
                    {"id": "notes", "kind": "text", "max_len": 200, "upload": "omit",
                     "label": {"zh": "备注", "en": "Notes"}}
                ]
            },
            {
                "id": "arrival", "once_per": "registration",
                "title": {"zh": "入境人员预登记", "en": "Arrival pre-registration"},
                "fields": [
                    {"id": "name", "kind": "person_name", "source": "profile", "required": true,
                     "upload": "keep", "to": "identity"},
                    {"id": "id_number", "kind": "resident_id", "source": "profile",
                     "upload": "keep", "to": "identity"},
                    {"id": "phone", "kind": "phone", "source": "profile",
                     "upload": "pseudonym", "to": "identity"},
                    {"id": "birth_date", "kind": "date", "source": "profile",
                     "upload": {"age_band": 10}, "to": "health"},
                    {"id": "travel", "kind": "travel_history",
                     "upload": {"risk_area_visited": {"areas": ["4201", "31"], "window_days": 14}},
                     "to": "health"},
                    {"id": "flight", "kind": "transport_number", "upload": "omit"},
                    {"id": "arrival_date", "kind": "date", "allow_future": true, "upload": "keep",
                     "to": "health"},
                    {"id": "household_size", "kind": "integer", "min": 1, "max": 20,
                     "upload": {"round": 5}, "to": "health"},
                    {"id": "vaccinated", "kind": "yes_no", "upload": "keep", "to": "health"},
                    {"id": "purpose_of_travel", "kind": "choice", "codes": ["work", "family", "study", "other"],
                     "upload": "omit"}
                ]
            }
        ]
    })
}

/// The example policy as pretty JSON.
pub(crate) fn test_policy_json(id: &str, version: u64, today: NaiveDate) -> String {
    serde_json::to_string_pretty(&test_policy_value(id, version, today)).expect("serializable")
}

/// Envelope bytes for a valid policy document (panics if `json` is not one).
pub(crate) fn signed(key: &SigningKey, json: &str) -> Vec<u8> {
    sign_policy(key, json.as_bytes()).expect("the test policy is valid")
}

/// Envelope bytes for any payload, valid or not.
pub(crate) fn signed_unchecked(key: &SigningKey, payload: &[u8]) -> Vec<u8> {
    envelope_bytes(key, payload)
}

/// The example policy, signed by `key` and verified as of `today`.
pub(crate) fn verified(
    key: &SigningKey,
    id: &str,
    version: u64,
    today: NaiveDate,
) -> VerifiedPolicy {
    let envelope = signed(key, &test_policy_json(id, version, today));
    SignedPolicy::parse(&envelope)
        .and_then(|signed| signed.verify(&anchor_for(key), today))
        .expect("the test policy verifies")
}

/// The example policy as `selfreport.policy/2`: Shanghai, recipients with roles.
pub(crate) fn policy_v2() -> Value {
    let mut policy = test_policy_value("sh-arrivals", 3, today());
    policy["format"] = json!("selfreport.policy/2");
    policy["region"] = json!(["310000"]);
    policy["recipients"]["health"]["role"] = json!("health");
    policy["recipients"]["identity"]["role"] = json!("identity");
    crate::policy::declare_minimum_padded_sizes(&mut policy).unwrap();
    policy
}

/// A delegation to `subject` allowing everything the example policy uploads.
pub(crate) fn delegation(subject: &SigningKey, depth: u32) -> Value {
    json!({
        "format": "selfreport.delegation/1",
        "subject": {"public_key": subject.public_key_base64(),
                    "name": {"zh": "黄浦区疾控中心", "en": "Huangpu District CDC"}},
        "valid_from": (today() - Days::new(60)).to_string(),
        "valid_until": (today() + Days::new(365)).to_string(),
        "constraints": {
            "namespace": "sh-",
            "purposes": ["epidemic-control", "health-monitoring"],
            "regions": ["310000"],
            "max_device_days": 28,
            "max_server_days": 28,
            "endpoint_hosts": ["report.example.org"],
            "kinds": {
                "temperature_c": "threshold", "multi_choice": "keep", "district": "generalize:city",
                "person_name": "keep", "resident_id": "keep", "phone": "pseudonym",
                "date": "keep", "travel_history": "risk_area_visited", "integer": "round",
                "yes_no": "keep"
            },
            "depth": depth
        }
    })
}

/// `document` signed as a delegation by `issuer`, any content.
pub(crate) fn signed_delegation(issuer: &SigningKey, document: &Value) -> Vec<u8> {
    signed_envelope(
        issuer,
        DELEGATION_SIGNATURE_CONTEXT,
        &serde_json::to_vec(document).unwrap(),
        &[],
    )
}

/// `policy` signed by `signer` with the delegation envelopes `chain`, any content.
pub(crate) fn signed_under(signer: &SigningKey, policy: &Value, chain: &[Vec<u8>]) -> Vec<u8> {
    let links: Vec<&[u8]> = chain.iter().map(Vec::as_slice).collect();
    signed_envelope(
        signer,
        POLICY_SIGNATURE_CONTEXT,
        &serde_json::to_vec(policy).unwrap(),
        &links,
    )
}
