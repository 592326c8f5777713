//! `token.json`: the upload-token challenge of a policy (docs/protocol.md, "Upload
//! tokens"), the one byte rule selfreport adds to RFC 9577/9578: the host of the
//! endpoint URL as `issuer_name` and `origin_info`, and a redemption context fixed by the
//! policy id. Tokens themselves follow RFC 9578's own vectors.

use selfreport_core::token::TokenChallenge;
use serde_json::{Value, json};

use super::fixtures::hex;

/// The vectors: a host name, an address with a port, an IPv6 address with user info.
pub fn vectors() -> Vec<Value> {
    [
        ("host", "https://report.example.org/v1", "sh-daily-health"),
        ("ipv4-and-port", "https://127.0.0.1:8443/v1", "sh-arrivals"),
        (
            "ipv6-user-info",
            "https://ops@[2001:db8::7]:443/dropbox",
            "sh-arrivals",
        ),
    ]
    .into_iter()
    .map(|(name, url, policy_id)| {
        let challenge = TokenChallenge::for_endpoint(url, policy_id);
        json!({
            "name": name,
            "endpoint_url": url,
            "policy_id": policy_id,
            "issuer_name": challenge.issuer_name,
            "redemption_context": hex(&challenge.redemption_context),
            "origin_info": challenge.origin_info,
            "token_challenge": hex(&challenge.encode().expect("it encodes")),
            "challenge_digest": hex(&challenge.digest().expect("it encodes")),
        })
    })
    .collect()
}
