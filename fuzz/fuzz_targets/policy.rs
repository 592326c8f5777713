//! Fuzz target `policy`: bytes as an unsigned policy document (`parse_policy_document`).
//!
//! Invariants: nothing panics; every refusal is a `PolicyError` with a stable code. A
//! document that parses is also signed with the anchor key and taken the whole way a
//! device takes it (`sign_policy`, `SignedPolicy::parse`, `verify` on a fixed day): that
//! must succeed, or fail only because the document's dates do not cover the day, and
//! the verified document must be the one parsed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use selfreport_core::policy::{PolicyError, SignedPolicy, parse_policy_document, sign_policy};
use selfreport_fuzz::{anchor_key, anchors, assert_code, today};

fuzz_target!(|data: &[u8]| {
    let document = match parse_policy_document(data) {
        Ok(document) => document,
        Err(error) => {
            assert_code(error.code());
            let _ = error.to_string();
            return;
        }
    };
    let envelope = sign_policy(anchor_key(), data).expect("a document that parses can be signed");
    let signed = SignedPolicy::parse(&envelope).expect("an envelope sign_policy made parses");
    match signed.verify(anchors(), today()) {
        Ok(verified) => {
            assert_eq!(verified.document(), &document);
            assert_eq!(verified.payload_bytes(), data);
            assert_eq!(verified.id(), document.id);
            assert_eq!(verified.version(), document.version);
        }
        Err(PolicyError::NotYetValid { valid_from }) => assert!(today() < valid_from),
        Err(PolicyError::Expired { valid_until }) => assert!(today() > valid_until),
        Err(error) => panic!("a signed valid document was refused: {}", error.code()),
    }
});
