//! Checkpoints of the case console's audit log, as the console signs them and the drop
//! box witnesses them (docs/console.md, "Audit"; docs/protocol.md, "The audit log's
//! witness").
//!
//! A checkpoint states the log's entry count and head hash at a time, signed with the
//! console's audit key over `"selfreport.console.checkpoint/1\n" || count (u64,
//! big-endian) || head (32 bytes) || at`. The console appends each to a file of its own
//! and may post it to the drop box, which keeps every checkpoint it accepted, append-only,
//! so a log rewritten together with its checkpoint file still differs from the witness.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use selfreport_core::crypto::signature::{SigningKey, verify_ed25519};
use serde::{Deserialize, Serialize};

/// Prefixed to every checkpoint's signed message.
const CHECKPOINT_CONTEXT: &[u8] = b"selfreport.console.checkpoint/1\n";

/// A signed statement of the audit log's length and head at a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// Entries in the chain (read as JSON Schema reads an integer: `3`, `3.0` or `3e0`).
    #[serde(deserialize_with = "selfreport_core::sync::json_integer::deserialize")]
    pub count: u64,
    /// The last entry's link hash, lowercase hex (the genesis hash for an empty chain).
    pub head: String,
    /// When, RFC 3339 in UTC.
    pub at: String,
    /// The signing key's id.
    pub key_id: String,
    /// Ed25519 signature, standard base64.
    pub signature: String,
}

impl Checkpoint {
    /// A checkpoint of `count` entries ending in `head`, signed by `key`.
    pub fn sign(key: &SigningKey, count: u64, head: &[u8; 32], at: &str) -> Self {
        let signature = key.sign(&checkpoint_message(count, head, at));
        Self {
            count,
            head: head.iter().map(|byte| format!("{byte:02x}")).collect(),
            at: at.to_owned(),
            key_id: key.key_id().to_owned(),
            signature: STANDARD.encode(signature),
        }
    }

    /// Whether the signature verifies with `public_key` (and the head is 64 lowercase
    /// hex characters).
    pub fn verifies(&self, public_key: &[u8; 32]) -> bool {
        let (Some(head), Ok(signature)) = (unhex(&self.head), STANDARD.decode(&self.signature))
        else {
            return false;
        };
        let Ok(signature) = <[u8; 64]>::try_from(signature.as_slice()) else {
            return false;
        };
        verify_ed25519(
            public_key,
            &checkpoint_message(self.count, &head, &self.at),
            &signature,
        )
    }
}

/// The reply to `GET {url}/audit-checkpoints`: every checkpoint the witness accepted, in
/// the order it accepted them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessedCheckpoints {
    /// The checkpoints, oldest first.
    pub checkpoints: Vec<Checkpoint>,
}

fn checkpoint_message(count: u64, head: &[u8; 32], at: &str) -> Vec<u8> {
    let mut message = Vec::with_capacity(CHECKPOINT_CONTEXT.len() + 8 + 32 + at.len());
    message.extend_from_slice(CHECKPOINT_CONTEXT);
    message.extend_from_slice(&count.to_be_bytes());
    message.extend_from_slice(head);
    message.extend_from_slice(at.as_bytes());
    message
}

/// 64 lowercase hex characters as 32 bytes.
fn unhex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64
        || !text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    let mut out = [0u8; 32];
    for (index, pair) in text.as_bytes().chunks(2).enumerate() {
        let pair = std::str::from_utf8(pair).ok()?;
        out[index] = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_count_is_any_whole_json_number() {
        let key = SigningKey::generate().unwrap();
        let checkpoint = Checkpoint::sign(&key, 3, &[1; 32], "2026-12-07T10:00:00Z");
        let text = serde_json::to_string(&checkpoint).unwrap();
        assert!(text.contains(r#""count":3,"#), "{text}");
        for count in ["3.0", "3e0", "0.3e1"] {
            let written = text.replace(r#""count":3,"#, &format!(r#""count":{count},"#));
            let read: Checkpoint = serde_json::from_str(&written).unwrap();
            assert_eq!(read, checkpoint, "{count}");
        }
        for count in ["3.5", "-3", "1e300", "\"3\"", "null"] {
            let written = text.replace(r#""count":3,"#, &format!(r#""count":{count},"#));
            assert!(
                serde_json::from_str::<Checkpoint>(&written).is_err(),
                "{count}"
            );
        }
    }

    #[test]
    fn a_checkpoint_verifies_with_its_key_only_and_any_change_breaks_it() {
        let key = SigningKey::generate().unwrap();
        let other = SigningKey::generate().unwrap();
        let checkpoint = Checkpoint::sign(&key, 7, &[0xab; 32], "2026-12-07T10:00:00Z");
        assert!(checkpoint.verifies(&key.public_key()));
        assert!(!checkpoint.verifies(&other.public_key()));
        let mut changed = checkpoint.clone();
        changed.count = 6;
        assert!(!changed.verifies(&key.public_key()));
        let mut changed = checkpoint.clone();
        changed.head = changed.head.to_uppercase();
        assert!(!changed.verifies(&key.public_key()));
        let mut changed = checkpoint;
        changed.at = "2026-12-07T10:00:01Z".into();
        assert!(!changed.verifies(&key.public_key()));
    }
}
