//! The wire format between devices and the drop box (`selfreport.sealed/1`) and the
//! signed receipt (`selfreport.receipt/1`), and batches of submissions
//! (`selfreport.batch/1`) answered by receipts that share one signature over a hash tree
//! (`selfreport.receipt-batch/1`). The drop box reuses these types, so both sides agree
//! byte for byte. docs/protocol.md describes the same format for humans.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::receipt_tree::{self, Hash};
use crate::crypto::{SigningKey, sha256, verify_ed25519};

/// Format of a sealed submission body.
pub const SEALED_FORMAT: &str = "selfreport.sealed/1";
/// Domain of receipt signatures.
pub const RECEIPT_CONTEXT: &str = "selfreport.receipt/1";
/// Largest request body the drop box accepts.
pub const MAX_SUBMISSION_BYTES: usize = 256 * 1024;
/// Largest response body the device reads.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// Format of a batch request body.
pub const BATCH_FORMAT: &str = "selfreport.batch/1";
/// Format of batch requests whose items each carry an upload token beside the submission.
pub const TOKENED_BATCH_FORMAT: &str = "selfreport.batch/2";
/// Domain of batch receipt signatures (over the root of a batch's hash tree).
pub const BATCH_RECEIPT_CONTEXT: &str = "selfreport.receipt-batch/1";
/// Most submissions in one batch request.
pub const MAX_BATCH_ITEMS: usize = 32;
/// Largest batch request body the drop box accepts.
pub const MAX_BATCH_BYTES: usize = 1024 * 1024;
/// Most siblings in a batch receipt's path (a tree of [`MAX_BATCH_ITEMS`] leaves has 5
/// levels above them).
const MAX_PATH_LEN: usize = 5;

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
    /// Policy version. Read as JSON Schema reads an integer (`3.0` is 3); written as an
    /// integer.
    #[serde(deserialize_with = "super::json_integer::deserialize")]
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
    /// For a receipt of a batch: where it sits in the batch's hash tree. Absent for a
    /// receipt signed alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<BatchProof>,
    /// Ed25519 signature by the policy's receipt key, standard base64: over
    /// [`Receipt::signed_message`] for a receipt signed alone, over the batch's root
    /// ([`batch_root_message`]) for a receipt of a batch.
    pub signature: String,
}

/// A batch receipt's place in its batch: the receipt's leaf and this path lead to the root
/// the signature covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchProof {
    /// Position of the receipt in the batch, from 0.
    pub index: u32,
    /// How many receipts the batch's tree holds.
    pub size: u32,
    /// Sibling hashes from the receipt's leaf up to the root, lowercase hex.
    pub path: Vec<String>,
}

/// The message a batch's signature covers:
/// `"selfreport.receipt-batch/1\n" || size || "\n" || lowercase hex root`.
pub fn batch_root_message(root: &Hash, size: usize) -> Vec<u8> {
    format!("{BATCH_RECEIPT_CONTEXT}\n{size}\n{}", hex(root)).into_bytes()
}

fn parse_hash(text: &str) -> Option<Hash> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(text.as_bytes().chunks(2)) {
        let digit = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        *byte = (digit(*pair.first()?)? << 4) | digit(*pair.get(1)?)?;
    }
    Some(out)
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

    /// The message the signature covers: [`Receipt::signed_message`] for a receipt signed
    /// alone, the root message of its batch otherwise. `None` when the batch proof is
    /// malformed (bad hex, an index outside the batch, a path that does not fit).
    pub fn signature_message(&self) -> Option<Vec<u8>> {
        let Some(proof) = &self.batch else {
            return Some(self.signed_message());
        };
        let size = usize::try_from(proof.size).ok()?;
        if size == 0 || size > MAX_BATCH_ITEMS || proof.path.len() > MAX_PATH_LEN {
            return None;
        }
        let path = proof
            .path
            .iter()
            .map(|text| parse_hash(text))
            .collect::<Option<Vec<Hash>>>()?;
        let leaf = receipt_tree::leaf(&self.signed_message());
        let index = usize::try_from(proof.index).ok()?;
        let root = receipt_tree::root_from_path(leaf, index, size, &path)?;
        Some(batch_root_message(&root, size))
    }

    /// Makes the receipts of a batch stored together (the drop box's side): one signature
    /// over the root of their hash tree, each receipt with its path. A batch of one gets
    /// a receipt signed alone.
    pub fn sign_batch(
        key: &SigningKey,
        stored: &[(&SealedSubmission, &[u8])],
        received_at: &str,
    ) -> Vec<Self> {
        if let [(submission, body)] = stored {
            return vec![Self::sign(key, submission, body, received_at.to_owned())];
        }
        let mut receipts: Vec<Self> = stored
            .iter()
            .map(|(submission, body)| Receipt {
                submission_id: submission.submission_id.clone(),
                policy_id: submission.policy_id.clone(),
                policy_version: submission.policy_version,
                body_sha256: body_digest(body),
                received_at: received_at.to_owned(),
                batch: None,
                signature: String::new(),
            })
            .collect();
        let leaves: Vec<Hash> = receipts
            .iter()
            .map(|receipt| receipt_tree::leaf(&receipt.signed_message()))
            .collect();
        let Some((root, paths)) = receipt_tree::root_and_paths(&leaves) else {
            return receipts;
        };
        use base64::Engine as _;
        let signature = base64::engine::general_purpose::STANDARD
            .encode(key.sign(&batch_root_message(&root, receipts.len())));
        let size = u32::try_from(receipts.len()).unwrap_or(u32::MAX);
        for (index, (receipt, path)) in receipts.iter_mut().zip(paths).enumerate() {
            receipt.batch = Some(BatchProof {
                index: u32::try_from(index).unwrap_or(u32::MAX),
                size,
                path: path.iter().map(|hash| hex(hash)).collect(),
            });
            receipt.signature = signature.clone();
        }
        receipts
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
            batch: None,
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
        let Some(message) = self.signature_message() else {
            return false;
        };
        match base64::engine::general_purpose::STANDARD.decode(&self.signature) {
            Ok(signature) => verify_ed25519(receipt_key, &message, &signature),
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
        ReceiptChecker::new(*receipt_key).check(self, sent)
    }
}

/// Checks receipts against what the device sent, remembering the batch signatures it has
/// already verified: the receipts of one batch share a signature over one root, so a batch
/// costs one Ed25519 verification, not one per receipt.
pub struct ReceiptChecker {
    key: [u8; 32],
    /// (signed root message, signature) pairs that verified.
    verified: Vec<(Vec<u8>, Vec<u8>)>,
    /// Ed25519 verifications run so far.
    signatures_checked: usize,
}

impl ReceiptChecker {
    /// A checker for receipts signed by `receipt_key`.
    pub fn new(receipt_key: [u8; 32]) -> Self {
        Self {
            key: receipt_key,
            verified: Vec::new(),
            signatures_checked: 0,
        }
    }

    /// How many Ed25519 verifications this checker has run (one per batch signature, one
    /// per receipt signed alone).
    pub fn signatures_checked(&self) -> usize {
        self.signatures_checked
    }

    /// Whether `receipt` acknowledges exactly `sent` and carries a valid signature.
    pub fn check(&mut self, receipt: &Receipt, sent: &SentSubmission<'_>) -> bool {
        use base64::Engine as _;
        if receipt.submission_id != sent.submission_id
            || receipt.policy_id != sent.policy_id
            || receipt.policy_version != sent.policy_version
            || receipt.body_sha256 != body_digest(sent.body)
        {
            return false;
        }
        let Some(message) = receipt.signature_message() else {
            return false;
        };
        let Ok(signature) = base64::engine::general_purpose::STANDARD.decode(&receipt.signature)
        else {
            return false;
        };
        if self
            .verified
            .iter()
            .any(|(known, known_signature)| *known == message && *known_signature == signature)
        {
            return true;
        }
        self.signatures_checked += 1;
        let valid = verify_ed25519(&self.key, &message, &signature);
        if valid && receipt.batch.is_some() {
            self.verified.push((message, signature));
        }
        valid
    }
}

/// The body of `POST {endpoint}/submissions/batch` around stored submission bodies, each
/// kept byte for byte (its receipt binds the digest of exactly those bytes):
/// `{"format":"selfreport.batch/1","submissions":[<body>,<body>,...]}`.
pub fn batch_body<'a>(bodies: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(br#"{"format":""#);
    out.extend_from_slice(BATCH_FORMAT.as_bytes());
    out.extend_from_slice(br#"","submissions":["#);
    for (n, body) in bodies.into_iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.extend_from_slice(body);
    }
    out.extend_from_slice(b"]}");
    out
}

/// The body of a `selfreport.batch/2` request: each submission's stored bytes with the
/// upload token (base64url) it spends beside it, never inside the sealed bytes.
pub fn tokened_batch_body<'a>(items: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(br#"{"format":""#);
    out.extend_from_slice(TOKENED_BATCH_FORMAT.as_bytes());
    out.extend_from_slice(br#"","items":["#);
    for (n, (token, body)) in items.into_iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.extend_from_slice(br#"{"token":""#);
        // base64url and `=`: nothing to escape in a JSON string.
        out.extend(
            token
                .bytes()
                .filter(|byte| byte.is_ascii_alphanumeric() || b"-_=".contains(byte)),
        );
        out.extend_from_slice(br#"","submission":"#);
        out.extend_from_slice(body);
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
    out
}

/// A batch request as the drop box reads it: each submission's exact bytes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest<'a> {
    /// Always [`BATCH_FORMAT`].
    pub format: String,
    /// The submissions, each as the JSON text the device sent; at most
    /// [`MAX_BATCH_ITEMS`] (reading stops at the first one more).
    #[serde(borrow, deserialize_with = "at_most_max_batch_items")]
    pub submissions: Vec<&'a RawValue>,
}

/// Reads the submissions of a batch, refusing the array as soon as it holds one more than
/// [`MAX_BATCH_ITEMS`]: a body of tiny items (`[1,1,1,...]`) cannot make the reader hold
/// hundreds of thousands of them.
fn at_most_max_batch_items<'de, D>(deserializer: D) -> Result<Vec<&'de RawValue>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct Items;
    impl<'de> serde::de::Visitor<'de> for Items {
        type Value = Vec<&'de RawValue>;

        fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(
                formatter,
                "an array of at most {MAX_BATCH_ITEMS} submissions"
            )
        }

        fn visit_seq<A>(self, mut seq: A) -> Result<Self::Value, A::Error>
        where
            A: serde::de::SeqAccess<'de>,
        {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element::<&'de RawValue>()? {
                if items.len() == MAX_BATCH_ITEMS {
                    return Err(serde::de::Error::custom(format!(
                        "more than {MAX_BATCH_ITEMS} submissions"
                    )));
                }
                items.push(item);
            }
            Ok(items)
        }
    }
    deserializer.deserialize_seq(Items)
}

/// The JSON reply to a batch: one result per submission, in the request's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchReply {
    /// The results.
    pub results: Vec<BatchResult>,
}

/// How one submission of a batch went: a receipt, or the error a request of its own would
/// have had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchResult {
    /// Stored (now or before): its receipt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<Receipt>,
    /// Refused: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<BatchError>,
}

/// A batch item's refusal: the status and error body a request of its own would have had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchError {
    /// HTTP status code (`400`, `409`, ...).
    pub status: u16,
    /// Stable code, as in [`ErrorBody::code`].
    pub code: String,
    /// Plain English.
    pub message: String,
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
    /// Stable code (`"Malformed"`, `"TooLarge"`, `"Conflict"`, `"NotFound"`,
    /// `"Unauthorized"`, `"Forbidden"`, `"RateLimited"`, `"MethodNotAllowed"`,
    /// `"UnsupportedMediaType"`, `"Timeout"`, `"Unavailable"`, `"InsufficientStorage"`);
    /// see docs/protocol.md.
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

    fn batch(count: usize) -> Vec<(SealedSubmission, Vec<u8>)> {
        (0..count)
            .map(|n| {
                let mut submission = submission();
                submission.submission_id = format!("{n:032x}");
                let body = submission.to_body();
                (submission, body)
            })
            .collect()
    }

    fn sign_batch(key: &SigningKey, batch: &[(SealedSubmission, Vec<u8>)]) -> Vec<Receipt> {
        let stored: Vec<(&SealedSubmission, &[u8])> = batch
            .iter()
            .map(|(submission, body)| (submission, body.as_slice()))
            .collect();
        Receipt::sign_batch(key, &stored, "2026-11-28T08:00:00Z")
    }

    fn sent<'a>(submission: &'a SealedSubmission, body: &'a [u8]) -> SentSubmission<'a> {
        SentSubmission {
            submission_id: &submission.submission_id,
            policy_id: &submission.policy_id,
            policy_version: submission.policy_version,
            body,
        }
    }

    #[test]
    fn a_batch_costs_one_signature_check_and_each_receipt_still_proves_itself() {
        let key = SigningKey::generate().unwrap();
        let batch = batch(7);
        let receipts = sign_batch(&key, &batch);
        assert_eq!(receipts.len(), 7);
        let mut checker = ReceiptChecker::new(key.public_key());
        for ((submission, body), receipt) in batch.iter().zip(&receipts) {
            assert!(checker.check(receipt, &sent(submission, body)));
            // Alone, as the ledger re-checks it.
            assert!(receipt.verify_signature(&key.public_key()));
            assert!(receipt.verify(&key.public_key(), submission, body));
        }
        assert_eq!(checker.signatures_checked(), 1);
        // A receipt of the batch does not stand for another submission of it.
        let (other, other_body) = &batch[1];
        assert!(!receipts[0].verify(&key.public_key(), other, other_body));
        // A batch of one is a receipt signed alone.
        let single = sign_batch(&key, &batch[..1]);
        assert_eq!(single[0].batch, None);
        assert!(single[0].verify(&key.public_key(), &batch[0].0, &batch[0].1));
    }

    #[test]
    fn a_tampered_batch_receipt_fails_even_after_its_batch_verified() {
        let key = SigningKey::generate().unwrap();
        let other = SigningKey::generate().unwrap();
        let batch = batch(5);
        let receipts = sign_batch(&key, &batch);
        let mut checker = ReceiptChecker::new(key.public_key());
        assert!(checker.check(&receipts[0], &sent(&batch[0].0, &batch[0].1)));
        let check = |checker: &mut ReceiptChecker, receipt: &Receipt| {
            checker.check(receipt, &sent(&batch[2].0, &batch[2].1))
        };
        let mut forged = receipts[2].clone();
        forged.received_at = "2026-11-29T08:00:00Z".to_owned();
        assert!(!check(&mut checker, &forged));
        let mut moved = receipts[2].clone();
        moved.batch.as_mut().unwrap().index = 3;
        assert!(!check(&mut checker, &moved));
        let mut resized = receipts[2].clone();
        resized.batch.as_mut().unwrap().size = 6;
        assert!(!check(&mut checker, &resized));
        let mut bad_hex = receipts[2].clone();
        bad_hex.batch.as_mut().unwrap().path[0] = "zz".repeat(32);
        assert!(!check(&mut checker, &bad_hex));
        assert!(bad_hex.signature_message().is_none());
        let mut unbatched = receipts[2].clone();
        unbatched.batch = None;
        assert!(!check(&mut checker, &unbatched));
        // The same batch signed by another key is not accepted on the strength of the
        // first verification.
        let foreign = sign_batch(&other, &batch);
        assert!(!check(&mut checker, &foreign[2]));
        assert!(check(&mut checker, &receipts[2]));
    }

    #[test]
    fn batch_bodies_keep_each_submission_byte_for_byte() {
        let batch = batch(3);
        let body = batch_body(batch.iter().map(|(_, body)| body.as_slice()));
        let parsed: BatchRequest<'_> = serde_json::from_slice(&body).unwrap();
        assert_eq!(parsed.format, BATCH_FORMAT);
        let kept: Vec<&[u8]> = parsed
            .submissions
            .iter()
            .map(|raw| raw.get().as_bytes())
            .collect();
        let sent: Vec<&[u8]> = batch.iter().map(|(_, body)| body.as_slice()).collect();
        assert_eq!(kept, sent);
        assert!(serde_json::from_slice::<BatchRequest<'_>>(b"{\"format\":1}").is_err());
    }

    #[test]
    fn a_batch_of_more_than_the_most_items_is_refused_while_reading() {
        let items = |count: usize| {
            format!(
                r#"{{"format":"{BATCH_FORMAT}","submissions":[{}]}}"#,
                vec!["1"; count].join(",")
            )
        };
        let most = items(MAX_BATCH_ITEMS);
        let parsed: BatchRequest<'_> = serde_json::from_str(&most).unwrap();
        assert_eq!(parsed.submissions.len(), MAX_BATCH_ITEMS);
        let error = serde_json::from_str::<BatchRequest<'_>>(&items(MAX_BATCH_ITEMS + 1))
            .unwrap_err()
            .to_string();
        assert!(error.contains("more than 32 submissions"), "{error}");
        assert!(serde_json::from_str::<BatchRequest<'_>>(&items(500_000)).is_err());
    }

    #[test]
    fn a_receipt_signed_alone_serializes_as_before() {
        let key = SigningKey::generate().unwrap();
        let receipt = Receipt::sign(
            &key,
            &submission(),
            b"{}",
            "2026-11-28T08:00:00Z".to_owned(),
        );
        let json = serde_json::to_string(&receipt).unwrap();
        assert!(!json.contains("batch"));
        assert_eq!(serde_json::from_str::<Receipt>(&json).unwrap(), receipt);
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
