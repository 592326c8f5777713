//! `arrival.json`: arrival passes and confirmation lines (docs/protocol.md, "Arrival pass
//! and confirmation"): the pseudonym an arrival key commits to, the pass the device shows,
//! and the checkpoint's signed register line. Ed25519 signatures are deterministic, so
//! fixed seeds and times give fixed bytes.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use selfreport_core::arrival_pass::{pass_text, pseudonym_of_key};
use selfreport_endpoint::arrival_confirmation::ArrivalConfirmation;
use serde_json::{Value, json};

use super::fixtures::{hex, seed, signing_key};

/// The vectors: two passes (two arrival keys, two policies), each with its confirmation.
pub fn vectors() -> Vec<Value> {
    let signer = signing_key("arrival: the collector's policy-signing key");
    [
        (
            "first",
            "arrival key 1",
            "sh-arrivals",
            "2026-12-08T09:30:00Z",
            "310104",
        ),
        (
            "second",
            "arrival key 2",
            "sh-border-arrivals",
            "2026-12-31T23:59:59Z",
            "310115",
        ),
    ]
    .into_iter()
    .map(|(name, label, policy_id, shown_at, district)| {
        let key = signing_key(label);
        let pseudonym = pseudonym_of_key(&key.public_key());
        let now = shown_at.parse().expect("a time");
        let pass = pass_text(&key, policy_id, &pseudonym, now);
        let signed = format!("selfreport.arrival-pass/1\n{policy_id}\n{pseudonym}\n{shown_at}");
        let confirmation = ArrivalConfirmation::new(policy_id, &pseudonym, district, now);
        json!({
            "name": name,
            "arrival_seed_hex": hex(&seed(label)),
            "arrival_public_key": URL_SAFE_NO_PAD.encode(key.public_key()),
            "pseudonym": pseudonym,
            "policy_id": policy_id,
            "shown_at": shown_at,
            "signed_message": signed,
            "signed_message_hex": hex(signed.as_bytes()),
            "pass": pass,
            "signer_seed_hex": hex(&seed("arrival: the collector's policy-signing key")),
            "signer_public_key": URL_SAFE_NO_PAD.encode(signer.public_key()),
            "district": district,
            "confirmation_line": confirmation.signed_line(&signer),
        })
    })
    .collect()
}
