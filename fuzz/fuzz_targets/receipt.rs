//! Fuzz target `receipt`: bytes as the drop box's reply to a submission.
//!
//! The sync engine's reply handling is crate-private; this target runs the same public
//! steps on the same bytes: `ReceiptReply` from JSON, `Receipt::verify` against a fixed
//! receipt key, submission and body (those of the `replies` corpus class, whose
//! `{{PLACEHOLDERS}}` are filled in so corpus files are seeds), the `ErrorReply` of a
//! refusal, and the bytes as a `Retry-After` header.
//! Invariants: nothing panics; a receipt that verifies is exactly the fixture's
//! submission and body and its signature verifies alone; a reply that parses
//! re-serializes to an equal reply; `Retry-After` never exceeds a week and never makes a
//! retry due before now.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use selfreport_core::sync::retry::{RetryPolicy, due_at, parse_retry_after};
use selfreport_core::sync::wire::{ErrorReply, ReceiptReply, body_digest};
use selfreport_fuzz::{now, reply_fixture};

/// The longest `Retry-After` the core honours.
const WEEK: Duration = Duration::from_secs(7 * 24 * 3600);

fuzz_target!(|data: &[u8]| {
    let fixture = reply_fixture();
    let filled = fixture.fill(data);

    if let Ok(ReceiptReply { receipt }) = serde_json::from_slice::<ReceiptReply>(&filled) {
        let again: ReceiptReply = serde_json::from_slice(
            &serde_json::to_vec(&ReceiptReply {
                receipt: receipt.clone(),
            })
            .expect("a receipt serializes"),
        )
        .expect("a serialized receipt parses");
        assert_eq!(again.receipt, receipt);
        if receipt.verify(&fixture.receipt_key, &fixture.submission, &fixture.body) {
            assert!(receipt.verify_signature(&fixture.receipt_key));
            assert_eq!(receipt.submission_id, fixture.submission.submission_id);
            assert_eq!(receipt.policy_id, fixture.submission.policy_id);
            assert_eq!(receipt.policy_version, fixture.submission.policy_version);
            assert_eq!(receipt.body_sha256, body_digest(&fixture.body));
        }
    }

    if let Ok(reply) = serde_json::from_slice::<ErrorReply>(&filled) {
        // What the engine keeps of a refusal's reason.
        let message: String = reply.error.message.chars().take(200).collect();
        let code: String = reply.error.code.chars().take(40).collect();
        assert!(message.chars().count() <= 200 && code.chars().count() <= 40);
    }

    if let Ok(header) = std::str::from_utf8(data) {
        let now = now();
        if let Some(delay) = parse_retry_after(header, now) {
            assert!(delay <= WEEK, "Retry-After of {delay:?} exceeds a week");
            // The engine waits the longer of the backoff and the server's delay; the
            // backoff's ceiling stands in for its random draw, so runs repeat.
            let policy = RetryPolicy::default();
            for attempts in [0, 1, 7, 64, u32::MAX] {
                let next = delay.max(policy.ceiling(attempts));
                let due = due_at(now, next);
                assert!(due >= now.timestamp(), "a retry due before now");
                let whole = i64::try_from(next.as_secs()).unwrap_or(i64::MAX);
                assert!(due >= now.timestamp().saturating_add(whole));
            }
        }
    }
});
