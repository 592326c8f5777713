//! Fuzz target `revocations`: bytes as a device reads a revocation list (a file, or a drop
//! box's `GET /revocations` reply), both as a signed envelope and as a bare document.
//!
//! Invariants: nothing panics; every refusal is a `PolicyError` with a stable code; a
//! parsed list's sequence is within 1..=2^53-1, its dates are ordered, it names at most the
//! allowed number of entries, and its envelope's payload parses to the same document.
#![no_main]

use libfuzzer_sys::fuzz_target;
use selfreport_core::policy::revocation::{
    MAX_REVOKED_ENTRIES, MAX_SEQUENCE, RevocationDocument,
};
use selfreport_core::policy::{SignedRevocations, parse_revocation_document};
use selfreport_fuzz::assert_code;

fn check(document: &RevocationDocument) {
    assert!((1..=MAX_SEQUENCE).contains(&document.sequence));
    assert!(document.issued_at <= document.next_update);
    assert!(document.delegations.len() <= MAX_REVOKED_ENTRIES);
    assert!(document.policies.len() <= MAX_REVOKED_ENTRIES);
    for (id, version) in document.policies.keys() {
        assert!(!id.is_empty() && (1..=MAX_SEQUENCE).contains(version));
    }
}

fuzz_target!(|data: &[u8]| {
    match parse_revocation_document(data) {
        Ok(document) => check(&document),
        Err(error) => assert_code(error.code()),
    }
    match SignedRevocations::parse(data) {
        Ok(signed) => {
            check(signed.document());
            assert_eq!(signed.key_id().len(), 16);
        }
        Err(error) => {
            assert_code(error.code());
            let _ = error.to_string();
        }
    }
});
