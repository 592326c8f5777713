//! Fuzz target `enrollment`: bytes as a device reads an enrollment order (a file, a scanned
//! QR code, or what a typed code redeems to), both as a signed envelope and as a bare
//! document.
//!
//! Invariants: nothing panics; every refusal is a `PolicyError` with a stable code; a
//! parsed order names a period of at least one day, at least one form, each allowed at
//! least once a day, and a secret of at least 128 bits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use selfreport_core::policy::enrollment::{
    EnrollmentOrder, SignedEnrollment, parse_enrollment_document,
};
use selfreport_fuzz::assert_code;

fn check(order: &EnrollmentOrder) {
    assert!(order.days >= 1);
    assert!(order.last_day() >= order.start);
    assert!(!order.forms.is_empty());
    assert!(order.forms.values().all(|per_day| *per_day >= 1));
    assert!(order.secret.len() >= 16);
}

fuzz_target!(|data: &[u8]| {
    match parse_enrollment_document(data) {
        Ok(order) => check(&order),
        Err(error) => assert_code(error.code()),
    }
    match SignedEnrollment::parse(data) {
        Ok(signed) => check(signed.order()),
        Err(error) => {
            assert_code(error.code());
            let _ = error.to_string();
        }
    }
});
