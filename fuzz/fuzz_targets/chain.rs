//! Fuzz target `chain`: a signed policy with a delegation chain, verified as a device
//! installs it, trusting the `chains` corpus root and the fuzz anchor.
//!
//! Invariants: nothing panics; every refusal is a `PolicyError` with a stable code; a
//! policy that verifies starts from a trusted root, has a namespace exactly when it has a
//! chain, its id lies in that namespace, it is a `/2` document when it has a chain, and it
//! keeps every guardrail (a second check finds nothing to refuse).
#![no_main]

use libfuzzer_sys::fuzz_target;
use selfreport_core::policy::guardrails::{FreeText, guardrail_refusals};
use selfreport_core::policy::{PolicyFormat, SignedPolicy};
use selfreport_fuzz::{assert_code, chain_anchors, today};

fuzz_target!(|data: &[u8]| {
    let signed = match SignedPolicy::parse(data) {
        Ok(signed) => signed,
        Err(error) => {
            assert_code(error.code());
            return;
        }
    };
    match signed.verify(chain_anchors(), today()) {
        Ok(verified) => {
            assert!(chain_anchors().find(verified.root_key_id()).is_some());
            assert_eq!(verified.namespace().is_some(), !signed.chain().is_empty());
            if let Some(namespace) = verified.namespace() {
                assert!(verified.id().starts_with(namespace));
                assert_eq!(verified.document().format, PolicyFormat::V2);
            }
            // Free text may be permitted by the chain; everything else must hold.
            assert!(
                guardrail_refusals(verified.document(), FreeText::Permitted)
                    .iter()
                    .all(|refusal| refusal.code() == "PolicyFreeTextUploaded")
            );
        }
        Err(error) => {
            assert_code(error.code());
            let _ = error.to_string();
        }
    }
});
