//! The wire format between devices and the drop box (`selfreport.sealed/1`) and the
//! signed receipt (`selfreport.receipt/1`). The drop box reuses these types, so both
//! sides agree byte for byte. docs/protocol.md describes the same format for humans.

use serde::{Deserialize, Serialize};

use crate::crypto::{SigningKey, sha256, verify_ed25519};

/// Format of a sealed submission body.
pub const SEALED_FORMAT: &str = "selfreport.sealed/1";
/// Domain of receipt signatures.
pub const RECEIPT_CONTEXT: &str = "selfreport.receipt/1";
/// Largest request body the drop box accepts.
pub const MAX_SUBMISSION_BYTES: usize = 256 * 1024;
/// Largest response body the device reads.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// One recipient's sealed part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedPart {
    /// Recipient name from the policy (`"health"`).
    pub to: String,
    /// HPKE encapsulated key, standard base64.
    pub enc: String,
    /// HPKE ciphertext, standard base64.
    pub ct: String,
}

/// The body of `POST {endpoint}/submissions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedSubmission {
    /// Always [`SEALED_FORMAT`].
    pub format: String,
    /// Policy id.
    pub policy_id: String,
    /// Policy version.
    pub policy_version: u64,
    /// Random submission id, 32 lowercase hex characters.
    pub submission_id: String,
    /// Lowercase hex SHA-256 of the deletion token the device keeps.
    pub deletion_hash: String,
    /// One part per recipient, sorted by recipient name.
    pub parts: Vec<SealedPart>,
}

impl SealedSubmission {
    /// The body bytes sent on the wire (compact JSON). The device stores these bytes and
    /// sends the same ones on every retry.
    pub fn to_body(&self) -> Vec<u8> {
        // Serializing plain strings and integers cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

pub use crate::hex::hex;

/// Lowercase hex SHA-256 of a deletion token, as stored by the drop box.
pub fn deletion_hash(token: &str) -> String {
    hex(&sha256(token.as_bytes()))
}

/// Lowercase hex SHA-256 of a request body, as bound into the receipt.
pub fn body_digest(body: &[u8]) -> String {
    hex(&sha256(body))
}

/// The drop box's signed acknowledgement of one submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// Submission id.
    pub submission_id: String,
    /// Policy id.
    pub policy_id: String,
    /// Policy version.
    pub policy_version: u64,
    /// Lowercase hex SHA-256 of the exact request body.
    pub body_sha256: String,
    /// When the drop box stored it, RFC 3339 UTC with seconds.
    pub received_at: String,
    /// Ed25519 signature by the policy's receipt key, standard base64.
    pub signature: String,
}

/// The JSON reply to a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptReply {
    /// The receipt.
    pub receipt: Receipt,
}

impl Receipt {
    /// The signed message: `"selfreport.receipt/1\n" || submission_id || "\n" || policy_id ||
    /// "\n" || version || "\n" || body_sha256 || "\n" || received_at`.
    pub fn signed_message(&self) -> Vec<u8> {
        format!(
            "{RECEIPT_CONTEXT}\n{}\n{}\n{}\n{}\n{}",
            self.submission_id,
            self.policy_id,
            self.policy_version,
            self.body_sha256,
            self.received_at
        )
        .into_bytes()
    }

    /// Makes a signed receipt (the drop box's side).
    pub fn sign(
        key: &SigningKey,
        submission: &SealedSubmission,
        body: &[u8],
        received_at: String,
    ) -> Self {
        use base64::Engine as _;
        let mut receipt = Receipt {
            submission_id: submission.submission_id.clone(),
            policy_id: submission.policy_id.clone(),
            policy_version: submission.policy_version,
            body_sha256: body_digest(body),
            received_at,
            signature: String::new(),
        };
        let signature = key.sign(&receipt.signed_message());
        receipt.signature = base64::engine::general_purpose::STANDARD.encode(signature);
        receipt
    }

    /// Whether the signature is valid for the receipt's own fields (the ledger re-checks
    /// stored receipts this way; [`Receipt::verify`] also binds the submission and body).
    pub fn verify_signature(&self, receipt_key: &[u8; 32]) -> bool {
        use base64::Engine as _;
        match base64::engine::general_purpose::STANDARD.decode(&self.signature) {
            Ok(signature) => verify_ed25519(receipt_key, &self.signed_message(), &signature),
            Err(_) => false,
        }
    }

    /// Whether this receipt is a valid signature by `receipt_key` over exactly this
    /// submission and body.
    pub fn verify(
        &self,
        receipt_key: &[u8; 32],
        submission: &SealedSubmission,
        body: &[u8],
    ) -> bool {
        self.verify_sent(
            receipt_key,
            &SentSubmission {
                submission_id: &submission.submission_id,
                policy_id: &submission.policy_id,
                policy_version: submission.policy_version,
                body,
            },
        )
    }

    /// [`Receipt::verify`] against what the device knows it sent, without parsing the body
    /// again: the outbox keeps the ids beside the bytes it sealed.
    pub fn verify_sent(&self, receipt_key: &[u8; 32], sent: &SentSubmission<'_>) -> bool {
        use base64::Engine as _;
        if self.submission_id != sent.submission_id
            || self.policy_id != sent.policy_id
            || self.policy_version != sent.policy_version
            || self.body_sha256 != body_digest(sent.body)
        {
            return false;
        }
        let Ok(signature) = base64::engine::general_purpose::STANDARD.decode(&self.signature)
        else {
            return false;
        };
        verify_ed25519(receipt_key, &self.signed_message(), &signature)
    }
}

/// What a receipt must acknowledge: the submission's ids and the exact bytes sent.
#[derive(Debug, Clone, Copy)]
pub struct SentSubmission<'a> {
    /// Submission id.
    pub submission_id: &'a str,
    /// Policy id.
    pub policy_id: &'a str,
    /// Policy version.
    pub policy_version: u64,
    /// The request body, byte for byte.
    pub body: &'a [u8],
}

/// The JSON error body of the drop box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReply {
    /// The error.
    pub error: ErrorBody,
}

/// Code and message of a drop box error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable code (`"Malformed"`, `"TooLarge"`, `"Conflict"`, `"NotFound"`, `"Forbidden"`,
    /// `"RateLimited"`, `"MethodNotAllowed"`, `"Timeout"`, `"Unavailable"`); see docs/protocol.md.
    pub code: String,
    /// Plain English.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submission() -> SealedSubmission {
        SealedSubmission {
            format: SEALED_FORMAT.to_owned(),
            policy_id: "sh".to_owned(),
            policy_version: 3,
            submission_id: "0".repeat(32),
            deletion_hash: deletion_hash("token"),
            parts: vec![SealedPart {
                to: "health".to_owned(),
                enc: "AAAA".to_owned(),
                ct: "BBBB".to_owned(),
            }],
        }
    }

    #[test]
    fn receipts_verify_only_for_their_key_submission_and_body() {
        let key = SigningKey::generate().unwrap();
        let other = SigningKey::generate().unwrap();
        let submission = submission();
        let body = submission.to_body();
        let receipt = Receipt::sign(&key, &submission, &body, "2026-11-28T08:00:00Z".to_owned());
        assert!(receipt.verify(&key.public_key(), &submission, &body));
        assert!(!receipt.verify(&other.public_key(), &submission, &body));
        let mut changed = body.clone();
        changed.push(b' ');
        assert!(!receipt.verify(&key.public_key(), &submission, &changed));
        let mut forged = receipt.clone();
        forged.received_at = "2026-11-29T08:00:00Z".to_owned();
        assert!(!forged.verify(&key.public_key(), &submission, &body));
    }

    #[test]
    fn the_body_is_compact_json_in_field_order() {
        let body = String::from_utf8(submission().to_body()).unwrap();
        assert!(body.starts_with(
            r#"{"format":"selfreport.sealed/1","policy_id":"sh","policy_version":3,"#
        ));
        let parsed: SealedSubmission = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed, submission());
        assert!(
            serde_json::from_str::<SealedSubmission>(
                &body.replace("\"parts\"", "\"x\":1,\"parts\"")
            )
            .is_err()
        );
    }
}
