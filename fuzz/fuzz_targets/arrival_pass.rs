//! Fuzz target `arrival_pass`: bytes as a checkpoint scans them from a traveler's QR code,
//! verified as an arrival pass for one policy at a fixed moment.
//!
//! Invariants: nothing panics; every refusal has a stable code; an accepted pass is for
//! the policy asked, names a pseudonym of 32 lowercase hex characters, and was shown
//! inside the window (ten minutes back, two ahead).
#![no_main]

use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use selfreport_core::arrival_pass::{ArrivalPass, MAX_PASS_AGE, MAX_PASS_SKEW};
use selfreport_fuzz::assert_code;

fuzz_target!(|data: &[u8]| {
    let Ok(now) = "2026-12-08T09:31:00Z".parse::<DateTime<Utc>>() else {
        return;
    };
    match ArrivalPass::verify(data, "sh-arrivals", now) {
        Ok(pass) => {
            assert_eq!(pass.policy_id, "sh-arrivals");
            assert_eq!(pass.pseudonym.len(), 32);
            assert!(pass.pseudonym.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
            assert!(pass.shown_at >= now - MAX_PASS_AGE && pass.shown_at <= now + MAX_PASS_SKEW);
        }
        Err(error) => {
            assert_code(error.code());
            let _ = error.to_string();
        }
    }
});
