//! One sync: seal what is ready into the outbox, then send what is due, each item until a
//! valid receipt arrives, reporting progress per item and stopping when cancelled.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use base64::Engine as _;
use serde::Serialize;

use super::retry::{RetryPolicy, parse_retry_after};
use super::transport::{Transport, TransportConfig, TransportError};
use super::wire::{
    BATCH_FORMAT, BatchReply, BatchResult, ErrorReply, MAX_BATCH_BYTES, Receipt, ReceiptChecker,
    ReceiptReply, SEALED_FORMAT, SealedPart, SealedSubmission, SentSubmission, batch_body,
    deletion_hash, tokened_batch_body,
};
use crate::crypto::{hpke_seal, random_array, submission_info};
use crate::error::{Error, Result};
use crate::ledger::{DisclosedFieldEntry, LedgerEntry, LedgerEvent};
use crate::minimize::Disclosure;
use crate::policy::VerifiedPolicy;
use crate::store::{OutboxItem, OutboxPayload};

/// How a sync talks to endpoints and when it retries.
#[derive(Debug, Clone, Default)]
pub struct SyncOptions {
    /// Transport settings (extra roots for development, timeouts, caps).
    pub transport: TransportConfig,
    /// Retry schedule.
    pub retry: RetryPolicy,
}

/// Lets the app stop a sync between items.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token not yet cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the sync to stop after the item in flight.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether cancellation was asked for.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Progress of one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SyncEvent {
    /// A record was minimized, sealed and queued.
    Queued {
        /// Submission id.
        submission_id: String,
        /// Policy id.
        policy_id: String,
        /// Form id.
        form_id: String,
    },
    /// Delivered; the receipt verified.
    Delivered {
        /// Submission id.
        submission_id: String,
        /// When the drop box received it.
        received_at: String,
    },
    /// Not delivered this time; it will be tried again.
    RetryLater {
        /// Submission id.
        submission_id: String,
        /// Seconds until the next attempt.
        after_seconds: u64,
        /// Why.
        reason: String,
    },
    /// Refused for good by the server.
    Failed {
        /// Submission id.
        submission_id: String,
        /// Why, as the server said.
        reason: String,
    },
}

impl SyncEvent {
    /// For an item not sent because the endpoint's certificate was refused, the
    /// transport's code: `CertificateRefused` (not valid for this device: an untrusted
    /// issuer, a name it does not cover, out of date) or `PinMismatch` (valid, but its key
    /// is none of the policy's pins). Nothing was sent; the item is tried again later,
    /// since a network in between (a captive portal, an interception) may be the cause.
    pub fn certificate_refusal(&self) -> Option<&'static str> {
        let SyncEvent::RetryLater { reason, .. } = self else {
            return None;
        };
        [
            TransportError::CertificateRefused(String::new()).code(),
            TransportError::PinMismatch(String::new()).code(),
        ]
        .into_iter()
        .find(|code| {
            reason
                .strip_prefix(code)
                .is_some_and(|rest| rest.starts_with(": "))
        })
    }
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// Records sealed into the outbox.
    pub queued: u32,
    /// Submissions delivered with a verified receipt.
    pub delivered: u32,
    /// Submissions to try again later.
    pub retry_later: u32,
    /// Submissions refused for good.
    pub failed: u32,
    /// Whether the sync stopped because it was cancelled.
    pub cancelled: bool,
    /// Access notices found in the drop box's mailbox and written to the ledger (an
    /// officer saw the identity sent with one of the person's submissions).
    pub notices: u32,
}

/// Seals a disclosure to the policy's recipients: one HPKE part per recipient.
pub(crate) fn seal_disclosure(
    policy: &VerifiedPolicy,
    disclosure: &Disclosure,
    deletion_token: &str,
) -> Result<SealedSubmission> {
    let document = policy.document();
    let mut parts = Vec::with_capacity(disclosure.parts().len());
    for recipient in disclosure.parts().keys() {
        let declared = document.recipients.get(recipient).ok_or_else(|| {
            Error::Conflict(format!(
                "recipient {recipient} is not declared by the policy"
            ))
        })?;
        let public_key: [u8; 32] = base64::engine::general_purpose::STANDARD
            .decode(&declared.public_key)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or(Error::Crypto("a recipient key is not 32 bytes"))?;
        let plaintext = disclosure.plaintext(recipient)?;
        let info = submission_info(&document.id, document.version, recipient);
        let sealed = hpke_seal(
            &declared.suite,
            &public_key,
            &info,
            disclosure.submission_id().as_bytes(),
            &plaintext,
        )?;
        parts.push(SealedPart {
            to: recipient.clone(),
            enc: base64::engine::general_purpose::STANDARD.encode(sealed.enc),
            ct: base64::engine::general_purpose::STANDARD.encode(&sealed.ct),
        });
    }
    parts.sort_by(|a, b| a.to.cmp(&b.to));
    Ok(SealedSubmission {
        format: SEALED_FORMAT.to_owned(),
        policy_id: document.id.clone(),
        policy_version: document.version,
        submission_id: disclosure.submission_id().to_owned(),
        deletion_hash: deletion_hash(deletion_token),
        parts,
    })
}

/// A fresh deletion token: 32 random bytes, base64url without padding.
pub(crate) fn new_deletion_token() -> Result<String> {
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_array::<32>()?))
}

/// The outbox payload of a sealed disclosure.
pub(crate) fn payload(
    policy: &VerifiedPolicy,
    disclosure: &Disclosure,
    record_id: Option<String>,
    body: &[u8],
    deletion_token: String,
) -> OutboxPayload {
    OutboxPayload {
        submission_id: disclosure.submission_id().to_owned(),
        policy_id: policy.id().to_owned(),
        policy_version: policy.version(),
        form_id: disclosure.form_id().to_owned(),
        record_id,
        endpoint: policy.document().endpoint.url.clone(),
        body: Some(base64::engine::general_purpose::STANDARD.encode(body)),
        deletion_token,
        fields: disclosure
            .disclosed()
            .iter()
            .map(|field| DisclosedFieldEntry {
                field: field.field.clone(),
                transform: field.transform.clone(),
                recipient: field.recipient.clone(),
            })
            .collect(),
        receipt: None,
        last_error: None,
        cover_date: None,
        spki_sha256: policy.document().endpoint.spki_sha256.clone(),
        receipt_key: Some(policy.document().endpoint.receipt_key.clone()),
        valid_until: Some(policy.document().valid_until),
        server_days: Some(policy.document().retention.server_days),
        withdrawn: false,
        disclosure_sha256: disclosure_digest(disclosure),
        upload_token: None,
    }
}

/// SHA-256 (lowercase hex) of what `disclosure` seals: each recipient's name and padded
/// plaintext, in name order. `None` if a part cannot be written (it could not have been
/// sealed either).
pub(crate) fn disclosure_digest(disclosure: &Disclosure) -> Option<String> {
    let mut bytes = b"selfreport.outbox-disclosure/1\n".to_vec();
    for recipient in disclosure.parts().keys() {
        let plaintext = disclosure.plaintext(recipient).ok()?;
        bytes.extend_from_slice(recipient.as_bytes());
        bytes.push(0);
        bytes.extend_from_slice(&(plaintext.len() as u64).to_be_bytes());
        bytes.extend_from_slice(&plaintext);
    }
    let digest = crate::crypto::sha256(&bytes);
    zeroize::Zeroize::zeroize(&mut bytes);
    Some(crate::hex::hex(&digest))
}

/// How one attempt ended.
pub(crate) enum Attempt {
    /// Delivered with this receipt and ledger entry.
    Delivered(super::wire::Receipt),
    /// Try again after at least this long (the server's `Retry-After`, if any).
    Retry(Option<Duration>, String),
    /// The server refused for good.
    Failed(String),
    /// The drop box refused the upload token (401: missing, invalid or spent): the item
    /// takes a fresh token and is tried again later.
    TokenRefused(String),
}

/// The stored bytes of an item, or why it cannot be sent (a failure for good).
fn stored_body(item: &OutboxItem) -> std::result::Result<Vec<u8>, &'static str> {
    // The sealed payload decides, not the plaintext state column it was found by.
    if item.payload.withdrawn {
        return Err("consent was withdrawn before it was sent");
    }
    let Some(encoded) = item.payload.body.as_deref() else {
        return Err("the item has no body left to send");
    };
    base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| "the stored body is unreadable")
}

/// What the receipt of `item` must acknowledge. The receipt is checked against the ids
/// sealed beside the body (the same ones the body carries, written together when it was
/// sealed), not a second parse of the body.
fn sent<'a>(item: &'a OutboxItem, body: &'a [u8]) -> SentSubmission<'a> {
    SentSubmission {
        submission_id: &item.payload.submission_id,
        policy_id: &item.payload.policy_id,
        policy_version: item.payload.policy_version,
        body,
    }
}

/// The policy's receipt key.
fn receipt_checker(policy: &VerifiedPolicy) -> Option<ReceiptChecker> {
    base64::engine::general_purpose::STANDARD
        .decode(&policy.document().endpoint.receipt_key)
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .map(ReceiptChecker::new)
}

/// Posts `body`, the stored bytes of `item`, on its own and classifies the outcome.
async fn send_one(
    transport: &Transport,
    policy: &VerifiedPolicy,
    item: &OutboxItem,
    body: Vec<u8>,
    now: chrono::DateTime<chrono::Utc>,
) -> Attempt {
    let authorization = item
        .payload
        .upload_token
        .as_deref()
        .map(|token| format!("PrivateToken token=\"{token}\""));
    let reply = match transport
        .post_submission(body.clone(), authorization.as_deref())
        .await
    {
        Ok(reply) => reply,
        Err(error) => return Attempt::Retry(None, transport_reason(&error)),
    };
    let retry_after = reply
        .retry_after
        .as_deref()
        .and_then(|value| parse_retry_after(value, now));
    match reply.status {
        200 | 201 => {
            let receipt = serde_json::from_slice::<ReceiptReply>(&reply.body)
                .ok()
                .map(|reply| reply.receipt);
            receipt_outcome(
                receipt_checker(policy).as_mut(),
                receipt,
                &sent(item, &body),
            )
        }
        status => refusal(status, retry_after, error_detail(&reply.body)),
    }
}

/// Most submissions the device puts in one batch request (the drop box takes up to
/// [`MAX_BATCH_ITEMS`](super::wire::MAX_BATCH_ITEMS)): enough that a batch's receipts
/// share one signature check, few enough that a sync of many keeps several batches in
/// flight and each reply stays far below the device's reply cap.
pub const BATCH_ITEMS: usize = 16;

/// Room kept in a batch request for what surrounds the bodies: the envelope
/// `{"format":"selfreport.batch/1","submissions":[` … `]}` (31 bytes and the format) and a
/// comma between bodies, and for each item of a `selfreport.batch/2` its token and keys
/// (`{"token":"<472 characters>","submission":}`, at most 512 bytes).
const BATCH_ENVELOPE_BYTES: usize = 31 + BATCH_FORMAT.len() + BATCH_ITEMS + BATCH_ITEMS * 512;

/// Whether a body of `adding` bytes still fits a batch already holding `holding` bytes.
pub(crate) fn fits_batch(holding: usize, adding: usize) -> bool {
    holding
        .saturating_add(adding)
        .saturating_add(BATCH_ENVELOPE_BYTES)
        <= MAX_BATCH_BYTES
}

/// Sends `items` (of one policy) and classifies each outcome, in order: as one batch
/// request when the endpoint takes batches and there are two or more to send, one request
/// per item otherwise. A batch the endpoint refuses as a whole with a client error (an
/// endpoint without the batch route, or one that cannot take this batch) is sent again
/// one item per request, so no item fails for another's sake.
pub(crate) async fn attempt_batch(
    transport: &Transport,
    policy: &VerifiedPolicy,
    items: &[OutboxItem],
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<Attempt> {
    let mut outcomes: Vec<Option<Attempt>> = Vec::with_capacity(items.len());
    let mut bodies: Vec<(usize, Vec<u8>)> = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        match stored_body(item) {
            Ok(body) => {
                bodies.push((index, body));
                outcomes.push(None);
            }
            Err(reason) => outcomes.push(Some(Attempt::Failed(reason.to_owned()))),
        }
    }
    if bodies.len() >= 2 && transport.takes_batches() {
        if let Some(sent_as_batch) = send_batch(transport, policy, items, &bodies, now).await {
            for ((index, _), outcome) in bodies.iter().zip(sent_as_batch) {
                if let Some(slot) = outcomes.get_mut(*index) {
                    *slot = Some(outcome);
                }
            }
            return finish(outcomes);
        }
    }
    // One request per item, with the bytes already read.
    for (index, body) in bodies {
        if let (Some(item), Some(slot)) = (items.get(index), outcomes.get_mut(index)) {
            *slot = Some(send_one(transport, policy, item, body, now).await);
        }
    }
    finish(outcomes)
}

fn finish(outcomes: Vec<Option<Attempt>>) -> Vec<Attempt> {
    outcomes
        .into_iter()
        .map(|outcome| {
            outcome.unwrap_or_else(|| Attempt::Retry(None, "the item was not sent".to_owned()))
        })
        .collect()
}

/// One batch request for `bodies` (each with its index in `items`). `None` when the
/// endpoint refused the batch as a whole with a client error: the caller sends the items
/// one per request instead.
async fn send_batch(
    transport: &Transport,
    policy: &VerifiedPolicy,
    items: &[OutboxItem],
    bodies: &[(usize, Vec<u8>)],
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Vec<Attempt>> {
    let all = |outcome: &dyn Fn() -> Attempt| Some(bodies.iter().map(|_| outcome()).collect());
    let tokened = !policy.document().endpoint.token_keys.is_empty();
    let request = if tokened {
        tokened_batch_body(bodies.iter().map(|(index, body)| {
            let token = items
                .get(*index)
                .and_then(|item| item.payload.upload_token.as_deref())
                .unwrap_or_default();
            (token, body.as_slice())
        }))
    } else {
        batch_body(bodies.iter().map(|(_, body)| body.as_slice()))
    };
    let reply = match transport.post_batch(request).await {
        Ok(reply) => reply,
        Err(error) => {
            let reason = transport_reason(&error);
            return all(&|| Attempt::Retry(None, reason.clone()));
        }
    };
    let retry_after = reply
        .retry_after
        .as_deref()
        .and_then(|value| parse_retry_after(value, now));
    match reply.status {
        200 | 201 => {}
        404 | 405 => {
            transport.refuse_batches();
            return None;
        }
        408 | 429 => {
            return all(&|| refusal(reply.status, retry_after, String::new()));
        }
        status if status >= 500 => {
            return all(&|| refusal(status, retry_after, String::new()));
        }
        _ => return None,
    }
    let results = match serde_json::from_slice::<BatchReply>(&reply.body) {
        Ok(parsed) if parsed.results.len() == bodies.len() => parsed.results,
        _ => {
            return all(&|| {
                Attempt::Retry(
                    None,
                    "the reply did not answer each submission of the batch".to_owned(),
                )
            });
        }
    };
    let mut checker = receipt_checker(policy);
    let outcomes = bodies
        .iter()
        .zip(results)
        .map(|((index, body), result)| {
            let Some(item) = items.get(*index) else {
                return Attempt::Retry(None, "the item was not sent".to_owned());
            };
            match result {
                BatchResult {
                    receipt: Some(receipt),
                    error: None,
                } => receipt_outcome(checker.as_mut(), Some(receipt), &sent(item, body)),
                BatchResult {
                    receipt: None,
                    error: Some(error),
                } if (400..=599).contains(&error.status) => refusal(
                    error.status,
                    retry_after,
                    detail(&error.code, &error.message),
                ),
                // Neither a receipt nor an error status: nothing to act on but a retry.
                _ => receipt_outcome(checker.as_mut(), None, &sent(item, body)),
            }
        })
        .collect();
    Some(outcomes)
}

/// Delivered if `receipt` acknowledges exactly what was sent under the policy's key.
fn receipt_outcome(
    checker: Option<&mut ReceiptChecker>,
    receipt: Option<Receipt>,
    sent: &SentSubmission<'_>,
) -> Attempt {
    let Some(receipt) = receipt else {
        return Attempt::Retry(None, "the reply was not a receipt".to_owned());
    };
    if checker.is_some_and(|checker| checker.check(&receipt, sent)) {
        Attempt::Delivered(receipt)
    } else {
        Attempt::Retry(None, "the receipt's signature did not verify".to_owned())
    }
}

/// The outcome of a status other than success: 408, 429 and 5xx are retried (after
/// `Retry-After` if given), any other is a refusal for good.
fn refusal(status: u16, retry_after: Option<Duration>, detail: String) -> Attempt {
    match status {
        401 if detail.starts_with("Token") => {
            Attempt::TokenRefused(format!("the drop box refused the upload token ({detail})"))
        }
        408 | 429 => Attempt::Retry(retry_after, format!("the server asked to retry ({status})")),
        status if status >= 500 => Attempt::Retry(retry_after, format!("server error {status}")),
        status => {
            let detail = if detail.is_empty() {
                "no reason given".to_owned()
            } else {
                detail
            };
            Attempt::Failed(format!("refused with status {status} ({detail})"))
        }
    }
}

/// The code and message of a JSON error body, shortened; empty if it is not one.
fn error_detail(body: &[u8]) -> String {
    serde_json::from_slice::<ErrorReply>(body)
        .map(|error| detail(&error.error.code, &error.error.message))
        .unwrap_or_default()
}

fn detail(code: &str, message: &str) -> String {
    let message: String = message.chars().take(200).collect();
    format!("{}: {message}", code.chars().take(40).collect::<String>())
}

fn transport_reason(error: &TransportError) -> String {
    format!("{}: {error}", error.code())
}

/// Builds (and caches) the transport of each policy.
#[derive(Default)]
pub(crate) struct Transports {
    by_policy: HashMap<String, Transport>,
}

impl Transports {
    pub(crate) fn get(
        &mut self,
        policy: &VerifiedPolicy,
        config: &TransportConfig,
    ) -> std::result::Result<&Transport, TransportError> {
        if !self.by_policy.contains_key(policy.id()) {
            let transport = Transport::for_endpoint(&policy.document().endpoint, config)?;
            self.by_policy.insert(policy.id().to_owned(), transport);
        }
        self.by_policy
            .get(policy.id())
            .ok_or_else(|| TransportError::Config("transport cache".to_owned()))
    }
}

/// The ledger entry of a delivered submission.
pub(crate) fn disclosure_entry(
    at: String,
    policy: &VerifiedPolicy,
    item: &OutboxItem,
    receipt: &super::wire::Receipt,
) -> LedgerEntry {
    let document = policy.document();
    LedgerEntry {
        at,
        event: LedgerEvent::Disclosure {
            policy_id: item.payload.policy_id.clone(),
            policy_version: item.payload.policy_version,
            purpose: document.purpose.code.clone(),
            endpoint: document.endpoint.url.clone(),
            form: item.payload.form_id.clone(),
            submission_id: item.payload.submission_id.clone(),
            record_id: item.payload.record_id.clone().unwrap_or_default(),
            fields: item.payload.fields.clone(),
            body_sha256: receipt.body_sha256.clone(),
            receipt_key: document.endpoint.receipt_key.clone(),
            cover: item.payload.cover_date.is_some(),
            receipt: Box::new(receipt.clone()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 408, 429 and 5xx are retried; any other refusal — 400, 409, 413, and 415 (a body the
    /// drop box does not take as JSON: sending it again cannot change that) — is for good.
    #[test]
    fn only_408_429_and_5xx_are_retried() {
        for status in [408, 429, 500, 503] {
            assert!(
                matches!(refusal(status, None, String::new()), Attempt::Retry(..)),
                "{status}"
            );
        }
        for status in [400, 401, 403, 409, 413, 415] {
            let detail = "UnsupportedMediaType: the request body must be sent as JSON";
            match refusal(status, None, detail.to_owned()) {
                Attempt::Failed(reason) => {
                    assert!(reason.contains(&status.to_string()), "{reason}");
                    assert!(reason.contains(detail), "{reason}");
                }
                _ => panic!("{status} was not a refusal for good"),
            }
        }
    }

    #[test]
    fn a_batch_that_fits_is_within_the_drop_boxs_limit() {
        // Bodies filling a batch of the most items to the last byte `fits_batch` allows.
        let each = (MAX_BATCH_BYTES - BATCH_ENVELOPE_BYTES) / BATCH_ITEMS;
        let bodies: Vec<Vec<u8>> = (0..BATCH_ITEMS).map(|_| vec![b'1'; each]).collect();
        let mut holding = 0;
        for body in &bodies {
            assert!(fits_batch(holding, body.len()));
            holding += body.len();
        }
        assert!(batch_body(bodies.iter().map(Vec::as_slice)).len() <= MAX_BATCH_BYTES);
        assert!(!fits_batch(holding, MAX_BATCH_BYTES - holding));
    }
}
