//! `hpke.json`: submission parts sealed with fixed ephemeral keys, both suites.

use serde_json::{Value, json};

use selfreport_core::crypto::{hpke_seal_with_ephemeral_key, submission_info};

use super::fixtures::{b64, hex, policy, seed, submission_id, x25519_pair};
use super::padding::padded_part;

/// The suites, with their RFC 9180 AEAD ids.
const SUITES: [(&str, u16); 2] = [
    ("x25519-sha256-chacha20poly1305", 0x0003),
    ("x25519-sha256-aes128gcm", 0x0001),
];

/// One sealed part: (recipient, suite) with the padded part of the padding vectors.
pub fn sealed_part(recipient: &str, suite: &str) -> Value {
    let policy = policy();
    let (sk_r, pk_r) = x25519_pair(&format!("recipient {recipient}"));
    let sk_e = seed(&format!("ephemeral {suite} {recipient}"));
    let id = submission_id(1);
    let info = submission_info(&policy.id, policy.version, recipient);
    let plaintext = padded_part(recipient);
    let seal = hpke_seal_with_ephemeral_key(suite, &pk_r, &sk_e, &info, id.as_bytes(), &plaintext)
        .expect("seals");
    let aead_id = SUITES
        .iter()
        .find(|(name, _)| *name == suite)
        .map_or(0, |(_, id)| *id);
    json!({
        "name": format!("{recipient}-{suite}"),
        "suite": suite,
        "kem_id": 0x0020,
        "kdf_id": 0x0001,
        "aead_id": aead_id,
        "recipient_private_key_hex": hex(&sk_r),
        "recipient_public_key_hex": hex(&pk_r),
        "recipient_public_key": b64(&pk_r),
        "ephemeral_private_key_hex": hex(&sk_e),
        "policy_id": policy.id,
        "policy_version": policy.version,
        "recipient": recipient,
        "submission_id": id,
        "info_hex": hex(&info),
        "aad_hex": hex(id.as_bytes()),
        "plaintext_hex": hex(&plaintext),
        "shared_secret_hex": hex(&seal.shared_secret),
        "key_hex": hex(&seal.key),
        "base_nonce_hex": hex(&seal.base_nonce),
        "enc_hex": hex(&seal.sealed.enc),
        "ct_hex": hex(&seal.sealed.ct),
        "enc": b64(&seal.sealed.enc),
        "ct": b64(&seal.sealed.ct),
    })
}

/// The vectors: each recipient of the daily form under each suite.
pub fn vectors() -> Vec<Value> {
    let mut out = Vec::new();
    for recipient in ["health", "identity"] {
        for (suite, _) in SUITES {
            out.push(sealed_part(recipient, suite));
        }
    }
    out
}
