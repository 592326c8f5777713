//! The fixed inputs every topic shares: keys from labelled seeds, ids, times, and the
//! `/2` policy the padding and HPKE vectors follow.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::NaiveDate;
use serde_json::{Value, json};

use selfreport_core::crypto::{SigningKey, sha256};
use selfreport_core::policy::{PolicyDocument, parse_policy_document};

/// 32 fixed bytes: SHA-256 of `"selfreport vectors: " || label`.
pub fn seed(label: &str) -> [u8; 32] {
    sha256(format!("selfreport vectors: {label}").as_bytes())
}

/// The Ed25519 key whose seed is [`seed`]`(label)`.
pub fn signing_key(label: &str) -> SigningKey {
    SigningKey::from_seed_base64(&STANDARD.encode(seed(label))).expect("a 32-byte seed")
}

/// An X25519 key pair whose private key is [`seed`]`(label)`.
pub fn x25519_pair(label: &str) -> ([u8; 32], [u8; 32]) {
    let private = seed(label);
    let public = x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(private));
    (private, public.to_bytes())
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Standard base64 with padding.
pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// The `n`th fixed submission id: 32 lowercase hex characters.
pub fn submission_id(n: u8) -> String {
    hex(&sha256(format!("selfreport vectors: submission {n}").as_bytes())[..16])
}

/// The pseudonym the padding vectors carry.
pub fn pseudonym() -> String {
    hex(&seed("pseudonym")[..16])
}

/// The day the records report on.
pub fn record_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 28).expect("a date")
}

/// The time the drop box received the vectors' submissions.
pub const RECEIVED_AT: &str = "2026-11-28T08:00:00Z";

/// The receipt key's label.
pub const RECEIPT_KEY: &str = "receipt key";

/// The daily-report example as `selfreport.policy/2`, with the vectors' recipient keys
/// and receipt key, and declared padded sizes: health above its minimum (the declared
/// size is what counts), identity at it.
pub fn policy_value() -> Value {
    let mut policy: Value = serde_json::from_slice(include_bytes!(
        "../../../examples/policies/daily-report.json"
    ))
    .expect("the example policy");
    policy["format"] = json!("selfreport.policy/2");
    policy["region"] = json!(["310000"]);
    policy["endpoint"]["receipt_key"] = json!(signing_key(RECEIPT_KEY).public_key_base64());
    policy["recipients"]["health"] = json!({
        "suite": "x25519-sha256-chacha20poly1305",
        "public_key": b64(&x25519_pair("recipient health").1),
        "role": "health"
    });
    policy["recipients"]["identity"] = json!({
        "suite": "x25519-sha256-aes128gcm",
        "public_key": b64(&x25519_pair("recipient identity").1),
        "role": "identity"
    });
    policy["forms"][0]["padded_bytes"] = json!({"health": 2048, "identity": 1024});
    policy
}

/// The vectors' policy, parsed as a device does.
pub fn policy() -> PolicyDocument {
    parse_policy_document(&serde_json::to_vec(&policy_value()).expect("json"))
        .expect("the vectors' policy installs")
}
