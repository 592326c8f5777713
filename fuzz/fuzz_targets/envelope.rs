//! Fuzz target `envelope`: bytes as a device receives a signed policy.
//!
//! `SignedPolicy::parse`, then, when it parses, `verify` against the fixed trust anchors
//! (the key of `ANCHOR_SEED`, valid every day, and a retired key) on a fixed day.
//! Invariants: nothing panics; every refusal is a `PolicyError` with a stable code; an
//! envelope that verifies starts from the anchor's key (signed by it, or under a chain
//! from it), carries a document valid today, and keeps its bytes exactly as received.
#![no_main]

use libfuzzer_sys::fuzz_target;
use selfreport_core::policy::{SignedPolicy, parse_policy_document};
use selfreport_fuzz::{anchor_key, anchors, assert_code, today};

fuzz_target!(|data: &[u8]| {
    let signed = match SignedPolicy::parse(data) {
        Ok(signed) => signed,
        Err(error) => {
            assert_code(error.code());
            let _ = error.to_string();
            return;
        }
    };
    match signed.verify(anchors(), today()) {
        Ok(verified) => {
            assert_eq!(verified.root_key_id(), anchor_key().key_id());
            if signed.chain().is_empty() {
                assert_eq!(verified.key_id(), anchor_key().key_id());
            }
            assert_eq!(verified.envelope_bytes(), data);
            assert!(verified.is_valid_on(today()));
            // The payload that verified is a policy on its own.
            let document = parse_policy_document(verified.payload_bytes())
                .expect("a verified payload parses again");
            assert_eq!(&document, verified.document());
        }
        Err(error) => {
            assert_code(error.code());
            let _ = error.to_string();
        }
    }
});
