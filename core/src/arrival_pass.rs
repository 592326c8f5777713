//! Arrival passes (`selfreport.arrival-pass/1`, issue 14, docs/protocol.md "Arrival pass
//! and confirmation"): what a traveler's device shows at the checkpoint, as a QR code, to
//! prove it is the device that filed a pre-registration.
//!
//! A pre-registration is open intake: anyone may file one about anyone, so the authority
//! holds it as unconfirmed. Its pseudonym is not random bytes but a commitment to a key
//! only the device holds: `pseudonym = hex(SHA-256("selfreport.pseudonym/1\n" ||
//! public key)[..16])` for an Ed25519 key made with the pseudonym and kept sealed beside
//! it. The pass carries that public key and an Ed25519 signature over the policy, the
//! pseudonym and the moment it was shown; the checkpoint ([`ArrivalPass::verify`]) checks
//! that the key hashes to the pseudonym, that the signature holds and that the pass is
//! fresh, then (`selfreport-authority confirm-arrival`) issues an enrollment order bound
//! to that pseudonym. The pseudonym stays 128 bits a drop box cannot link to anything; the
//! key reveals nothing more, and it is shown only at the checkpoint.
//!
//! A pass proves possession of the device's key, not who the person is: the checkpoint
//! worker still checks the identity document in front of them against the registration
//! the device shows. Someone who filed a registration about another person cannot show a
//! pass that survives that check, so it stays unconfirmed.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use ring::digest::{SHA256, digest};
use serde_json::Value;

use crate::crypto::signature::{
    ED25519_PUBLIC_KEY_LEN, ED25519_SIGNATURE_LEN, SigningKey, verify_ed25519,
};

/// The format string of arrival passes.
pub const ARRIVAL_PASS_FORMAT: &str = "selfreport.arrival-pass/1";

/// What a pass's signature covers first, so it can never pass for another signature.
const PASS_SIGNATURE_CONTEXT: &str = "selfreport.arrival-pass/1\n";

/// What a pseudonym's hash covers before the public key.
const PSEUDONYM_CONTEXT: &[u8] = b"selfreport.pseudonym/1\n";

/// Bytes of a pseudonym (32 hex characters).
const PSEUDONYM_BYTES: usize = 16;

/// The oldest pass the checkpoint accepts: shown at most this long ago.
pub const MAX_PASS_AGE: Duration = Duration::minutes(10);

/// How far ahead of the checkpoint's clock a pass may claim to be shown (phone clocks
/// drift).
pub const MAX_PASS_SKEW: Duration = Duration::minutes(2);

/// Largest pass text accepted, in bytes (a real one is about 300).
pub const MAX_PASS_BYTES: usize = 1024;

/// The pseudonym an arrival key commits to: 32 lowercase hex characters.
pub fn pseudonym_of_key(public_key: &[u8; ED25519_PUBLIC_KEY_LEN]) -> String {
    let mut input = Vec::with_capacity(PSEUDONYM_CONTEXT.len() + ED25519_PUBLIC_KEY_LEN);
    input.extend_from_slice(PSEUDONYM_CONTEXT);
    input.extend_from_slice(public_key);
    crate::hex::hex(&digest(&SHA256, &input).as_ref()[..PSEUDONYM_BYTES])
}

/// The bytes a pass's signature covers.
fn signed_message(policy_id: &str, pseudonym: &str, shown_at: &str) -> Vec<u8> {
    format!("{PASS_SIGNATURE_CONTEXT}{policy_id}\n{pseudonym}\n{shown_at}").into_bytes()
}

/// The pass text the device shows for `pseudonym` under `policy_id`, signed with the
/// arrival `key` that pseudonym commits to, at `now`: canonical JSON, keys in byte
/// order.
pub fn pass_text(key: &SigningKey, policy_id: &str, pseudonym: &str, now: DateTime<Utc>) -> String {
    let shown_at = now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let signature = key.sign(&signed_message(policy_id, pseudonym, &shown_at));
    let string = |text: &str| Value::String(text.to_owned()).to_string();
    format!(
        "{{\"format\":{},\"key\":{},\"policy_id\":{},\"pseudonym\":{},\"shown_at\":{},\"signature\":{}}}",
        string(ARRIVAL_PASS_FORMAT),
        string(&URL_SAFE_NO_PAD.encode(key.public_key())),
        string(policy_id),
        string(pseudonym),
        string(&shown_at),
        string(&URL_SAFE_NO_PAD.encode(signature)),
    )
}

/// Why a pass was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArrivalPassError {
    /// Not a pass: not JSON, a member missing, unknown or of the wrong type, a value of
    /// the wrong form, or too long.
    #[error("not an arrival pass: {detail}")]
    Malformed {
        /// What is wrong.
        detail: String,
    },
    /// The key does not hash to the pseudonym, or the signature does not verify: the
    /// device showing it did not file that registration.
    #[error("the arrival pass's proof does not hold: {detail}")]
    BadProof {
        /// Which part failed.
        detail: &'static str,
    },
    /// Shown too long ago, or too far in the future: ask the person to show it again.
    #[error(
        "the arrival pass was shown at {shown_at}, outside the {} minutes the checkpoint accepts; ask for it again",
        MAX_PASS_AGE.num_minutes()
    )]
    Stale {
        /// When the pass says it was shown.
        shown_at: String,
    },
    /// A pass for another policy than the one confirmed under.
    #[error("the arrival pass is for policy {found}, not {expected}")]
    WrongPolicy {
        /// The policy confirmed under.
        expected: String,
        /// The pass's.
        found: String,
    },
}

impl ArrivalPassError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            ArrivalPassError::Malformed { .. } => "ArrivalPassMalformed",
            ArrivalPassError::BadProof { .. } => "ArrivalPassBadProof",
            ArrivalPassError::Stale { .. } => "ArrivalPassStale",
            ArrivalPassError::WrongPolicy { .. } => "ArrivalPassWrongPolicy",
        }
    }
}

/// A pass whose proof held: the device showing it holds the key its pseudonym commits
/// to, and showed it within [`MAX_PASS_AGE`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrivalPass {
    /// The policy of the pre-registration.
    pub policy_id: String,
    /// The pre-registration's pseudonym.
    pub pseudonym: String,
    /// When the device showed it.
    pub shown_at: DateTime<Utc>,
}

impl ArrivalPass {
    /// Reads and verifies the pass text `text` (what the QR code holds) for a
    /// confirmation under `policy_id` at `now`.
    pub fn verify(
        text: &[u8],
        policy_id: &str,
        now: DateTime<Utc>,
    ) -> Result<ArrivalPass, ArrivalPassError> {
        if text.len() > MAX_PASS_BYTES {
            return Err(malformed(format!(
                "{} bytes, more than the limit of {MAX_PASS_BYTES}",
                text.len()
            )));
        }
        let text = text.trim_ascii();
        let value: Value = serde_json::from_slice(text)
            .map_err(|error| malformed(format!("not JSON ({error})")))?;
        // The device writes canonical JSON; anything else (a duplicate key, spaces) was
        // not written by one.
        if value.to_string().as_bytes() != text {
            return Err(malformed(
                "not canonical JSON (keys once each, in byte order, no spaces)".to_owned(),
            ));
        }
        let Value::Object(mut members) = value else {
            return Err(malformed("not a JSON object".to_owned()));
        };
        let mut text_member = |name: &str| match members.remove(name) {
            Some(Value::String(text)) => Ok(text),
            Some(_) => Err(malformed(format!("`{name}` is not a string"))),
            None => Err(malformed(format!("`{name}` is missing"))),
        };
        let format = text_member("format")?;
        let key = text_member("key")?;
        let pass_policy = text_member("policy_id")?;
        let pseudonym = text_member("pseudonym")?;
        let shown_at_text = text_member("shown_at")?;
        let signature = text_member("signature")?;
        if let Some(unknown) = members.keys().next() {
            return Err(malformed(format!(
                "unknown member `{}`",
                shortened(unknown)
            )));
        }
        if format != ARRIVAL_PASS_FORMAT {
            return Err(malformed(format!(
                "the format is `{}`, not `{ARRIVAL_PASS_FORMAT}`",
                shortened(&format)
            )));
        }
        if pass_policy != policy_id {
            return Err(ArrivalPassError::WrongPolicy {
                expected: policy_id.to_owned(),
                found: shortened(&pass_policy),
            });
        }
        let key: [u8; ED25519_PUBLIC_KEY_LEN] = decode_fixed(&key, "key")?;
        let signature: [u8; ED25519_SIGNATURE_LEN] = decode_fixed(&signature, "signature")?;
        let is_hex = pseudonym.len() == 2 * PSEUDONYM_BYTES
            && pseudonym
                .bytes()
                .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
        if !is_hex {
            return Err(malformed(
                "pseudonym is not 32 lowercase hex characters".to_owned(),
            ));
        }
        let shown_at = DateTime::parse_from_rfc3339(&shown_at_text)
            .ok()
            .map(|time| time.with_timezone(&Utc))
            .filter(|time| time.to_rfc3339_opts(SecondsFormat::Secs, true) == shown_at_text)
            .ok_or_else(|| {
                malformed(
                    "shown_at is not a UTC time to the second (2026-12-08T09:30:00Z)".to_owned(),
                )
            })?;
        if pseudonym_of_key(&key) != pseudonym {
            return Err(ArrivalPassError::BadProof {
                detail: "the key is not the one the pseudonym commits to",
            });
        }
        if !verify_ed25519(
            &key,
            &signed_message(policy_id, &pseudonym, &shown_at_text),
            &signature,
        ) {
            return Err(ArrivalPassError::BadProof {
                detail: "the signature does not verify with the pass's key",
            });
        }
        if shown_at < now - MAX_PASS_AGE || shown_at > now + MAX_PASS_SKEW {
            return Err(ArrivalPassError::Stale {
                shown_at: shown_at_text,
            });
        }
        Ok(ArrivalPass {
            policy_id: pass_policy,
            pseudonym,
            shown_at,
        })
    }
}

/// At most 40 characters of `text`, for an error message.
fn shortened(text: &str) -> String {
    text.chars().take(40).collect()
}

fn malformed(detail: String) -> ArrivalPassError {
    ArrivalPassError::Malformed { detail }
}

/// Base64url without padding of exactly `N` bytes.
fn decode_fixed<const N: usize>(text: &str, name: &str) -> Result<[u8; N], ArrivalPassError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .ok()
        .and_then(|bytes| <[u8; N]>::try_from(bytes).ok())
        .ok_or_else(|| malformed(format!("{name} is not base64url of {N} bytes")))
}

#[cfg(test)]
#[path = "arrival_pass_tests.rs"]
mod tests;
