//! `signatures.json`: a signed policy envelope and a signed delegation envelope, valid
//! and tampered.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use selfreport_core::crypto::SigningKey;
use selfreport_core::policy::{
    DELEGATION_SIGNATURE_CONTEXT, POLICY_SIGNATURE_CONTEXT, sign_delegation, sign_policy,
};

use super::fixtures::{hex, policy_value, signing_key};

/// The root (trust anchor) key's label.
pub const ROOT_KEY: &str = "root";
/// The collector key's label (the delegation's subject).
pub const COLLECTOR_KEY: &str = "collector";

/// The delegation document: the root delegates `sh-` policies to the collector.
pub fn delegation_payload() -> Vec<u8> {
    let collector = signing_key(COLLECTOR_KEY);
    serde_json::to_vec(&json!({
        "format": "selfreport.delegation/1",
        "subject": {"public_key": collector.public_key_base64(),
                    "name": {"zh": "上海市疾控中心（示例）", "en": "Shanghai CDC (example)"}},
        "valid_from": "2026-11-01",
        "valid_until": "2027-11-01",
        "constraints": {
            "namespace": "sh-",
            "purposes": ["epidemic-control"],
            "regions": ["310000"],
            "max_device_days": 28,
            "max_server_days": 28,
            "endpoint_hosts": ["report.example.org"],
            "kinds": {"temperature_c": "threshold", "multi_choice": "keep",
                      "district": "generalize:city", "yes_no": "keep",
                      "person_name": "keep", "phone": "keep"},
            "depth": 0
        }
    }))
    .expect("json")
}

/// The policy document bytes the policy envelope signs.
pub fn policy_payload() -> Vec<u8> {
    serde_json::to_vec(&policy_value()).expect("json")
}

/// The root's signed policy envelope.
pub fn policy_envelope() -> Vec<u8> {
    sign_policy(&signing_key(ROOT_KEY), &policy_payload()).expect("the policy signs")
}

/// The root's signed delegation envelope.
pub fn delegation_envelope() -> Vec<u8> {
    sign_delegation(&signing_key(ROOT_KEY), &delegation_payload()).expect("the delegation signs")
}

fn vector(
    name: &str,
    kind: &str,
    signer: &SigningKey,
    envelope: &[u8],
    reason: Option<&str>,
) -> Value {
    let context: &[u8] = if kind == "policy" {
        POLICY_SIGNATURE_CONTEXT
    } else {
        DELEGATION_SIGNATURE_CONTEXT
    };
    let envelope: Value = serde_json::from_slice(envelope).expect("an envelope");
    let decode = |field: &str| {
        URL_SAFE_NO_PAD
            .decode(envelope[field].as_str().unwrap_or_default())
            .unwrap_or_default()
    };
    let payload = decode("payload");
    let mut vector = json!({
        "name": name,
        "kind": kind,
        "signer_public_key": signer.public_key_base64(),
        "signer_public_key_hex": hex(&signer.public_key()),
        "key_id": signer.key_id(),
        "context": String::from_utf8(context.to_vec()).expect("ASCII"),
        "envelope": envelope,
        "payload_hex": hex(&payload),
        "signed_message_hex": hex(&[context, payload.as_slice()].concat()),
        "signature_hex": hex(&decode("signature")),
        "valid": reason.is_none(),
    });
    if let Some(reason) = reason {
        vector["reason"] = json!(reason);
    }
    vector
}

/// `envelope` with `field` replaced by `value`.
fn with_field(envelope: &[u8], field: &str, value: Value) -> Vec<u8> {
    let mut envelope: Value = serde_json::from_slice(envelope).expect("an envelope");
    envelope[field] = value;
    serde_json::to_vec(&envelope).expect("json")
}

/// The vectors: each envelope, then tampered copies.
pub fn vectors() -> Vec<Value> {
    let root = signing_key(ROOT_KEY);
    let policy = policy_envelope();
    let delegation = delegation_envelope();
    let mut out = vec![
        vector("policy", "policy", &root, &policy, None),
        vector("delegation", "delegation", &root, &delegation, None),
    ];

    // The payload changed after signing: version 1 becomes 2, still a valid document.
    let changed = String::from_utf8(policy_payload())
        .expect("UTF-8")
        .replacen("\"version\":1", "\"version\":2", 1);
    out.push(vector(
        "policy-payload-changed",
        "policy",
        &root,
        &with_field(&policy, "payload", json!(URL_SAFE_NO_PAD.encode(changed))),
        Some("the payload was changed after signing (version 1 became 2)"),
    ));

    // One bit of the signature flipped.
    let mut signature = URL_SAFE_NO_PAD
        .decode(
            serde_json::from_slice::<Value>(&delegation).expect("json")["signature"]
                .as_str()
                .unwrap_or_default(),
        )
        .unwrap_or_default();
    if let Some(byte) = signature.first_mut() {
        *byte ^= 0x01;
    }
    out.push(vector(
        "delegation-signature-flipped",
        "delegation",
        &root,
        &with_field(
            &delegation,
            "signature",
            json!(URL_SAFE_NO_PAD.encode(signature)),
        ),
        Some("one bit of the signature was flipped"),
    ));

    // The delegation's payload and signature presented as a policy's: the signature is
    // over the delegation context, not the policy context.
    out.push(vector(
        "delegation-signature-as-policy",
        "policy",
        &root,
        &delegation,
        Some("signed under selfreport.delegation/1\\n, so it does not verify under selfreport.policy/1\\n"),
    ));

    // The envelope names another key.
    let collector = signing_key(COLLECTOR_KEY);
    out.push(vector(
        "policy-key-id-of-another-key",
        "policy",
        &root,
        &with_field(&policy, "key_id", json!(collector.key_id())),
        Some("key_id is not the key id of signer_public_key"),
    ));
    out
}
