//! Fuzz target `delegation`: bytes as a signing tool or a chain element reads a
//! delegation, both as a signed envelope and as a bare document.
//!
//! Invariants: nothing panics; every refusal is a `PolicyError` with a stable code; a
//! parsed delegation's subject key id is derived from its key, its window is ordered, its
//! depth is below the chain limit, and its envelope's payload parses to the same document.
#![no_main]

use libfuzzer_sys::fuzz_target;
use selfreport_core::crypto::signature::key_id;
use selfreport_core::policy::delegation::MAX_CHAIN_LINKS;
use selfreport_core::policy::{Delegation, SignedDelegation, parse_delegation_document};
use selfreport_fuzz::assert_code;

fn check(document: &Delegation) {
    assert_eq!(document.subject_key_id, key_id(&document.subject_key));
    assert!(document.valid_from <= document.valid_until);
    assert!((document.constraints.depth as usize) < MAX_CHAIN_LINKS);
    assert!(!document.constraints.namespace.is_empty());
    assert!(!document.constraints.regions.is_empty());
}

fuzz_target!(|data: &[u8]| {
    match parse_delegation_document(data) {
        Ok(document) => check(&document),
        Err(error) => assert_code(error.code()),
    }
    match SignedDelegation::parse(data) {
        Ok(signed) => {
            check(signed.document());
            assert_eq!(signed.issuer_key_id().len(), 16);
        }
        Err(error) => {
            assert_code(error.code());
            let _ = error.to_string();
        }
    }
});
