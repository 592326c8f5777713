//! `deletion.json`: deletion tokens and the hashes the drop box stores.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use selfreport_core::sync::wire::deletion_hash;

use super::fixtures::{hex, seed};

/// The `n`th token: base64url of 32 fixed bytes.
pub fn token(n: u8) -> String {
    URL_SAFE_NO_PAD.encode(seed(&format!("deletion token {n}")))
}

/// The vectors.
pub fn vectors() -> Vec<Value> {
    (1..=3)
        .map(|n| {
            let token = token(n);
            json!({
                "name": format!("token-{n}"),
                "token": token,
                "token_bytes_hex": hex(&seed(&format!("deletion token {n}"))),
                "deletion_hash": deletion_hash(&token),
            })
        })
        .collect()
}
