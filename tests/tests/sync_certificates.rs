//! A sync whose drop box certificate is refused fails, says why and where to look, and
//! keeps everything in the outbox (issue 18: `sync` against an unknown issuer used to
//! exit 0 after silently scheduling a retry, and a rerun said "nothing to send").

use selfreport_tests::loopback::{Loopback, policy_through};
use selfreport_tests::pki::TestPki;

/// `sync` with a day's backoff, so the rerun finds the item waiting.
const SYNC_WAITING_A_DAY: &[&str] = &["sync", "--retry-base", "86400", "--retry-cap", "86400"];

fn pending(lb: &Loopback) -> usize {
    lb.selfreport(&["outbox", "--json"])
        .json()
        .as_array()
        .map_or(0, |items| {
            items
                .iter()
                .filter(|item| item["state"] == "pending")
                .count()
        })
}

#[test]
fn an_untrusted_certificate_fails_the_sync_with_the_extra_root_hint_and_the_rerun_says_why_it_waits()
 {
    let lb = Loopback::start();
    lb.report(0, 0);
    lb.grant_consent();
    // Without the test CA as an extra root, the drop box's certificate has no trusted issuer.
    let refused = lb.ws.selfreport(SYNC_WAITING_A_DAY);
    let line = refused.failure(1, "CertificateRefused");
    assert!(line.contains("UnknownIssuer"), "{line}");
    assert!(line.contains("--extra-root"), "{line}");
    assert!(
        refused.stdout.contains("1 to retry later"),
        "{}",
        refused.stdout
    );
    assert!(lb.stored_submissions().is_empty(), "nothing may be sent");
    assert_eq!(pending(&lb), 1);

    // At once again: nothing is due, and the output says what waits and why.
    let rerun = lb.ws.selfreport(SYNC_WAITING_A_DAY);
    let out = rerun.success();
    assert!(out.contains("nothing to send"), "{out}");
    assert!(
        out.contains("1 submission waits to be tried again"),
        "{out}"
    );
    assert!(out.contains("last error: CertificateRefused"), "{out}");

    // The same in JSON: the summary on stdout, the failure on stderr, exit 1.
    let lb = Loopback::start();
    lb.report(0, 0);
    lb.grant_consent();
    let refused = lb.ws.selfreport(&["sync", "--json"]);
    refused.failure(1, "CertificateRefused");
    let summary: serde_json::Value = serde_json::from_str(&refused.stdout).expect("summary");
    assert_eq!(summary["retry_later"], 1);
    assert_eq!(summary["delivered"], 0);
}

#[test]
fn a_drop_box_key_the_policy_does_not_pin_fails_the_sync_naming_its_pin() {
    let lb = Loopback::start();
    // The authority's next version pins some other key (consent carries over: a rotated
    // pin sends nothing more).
    let mut policy: serde_json::Value = serde_json::from_str(&policy_through(
        &lb.ws,
        &lb.proxy.endpoint_url(),
        &TestPki::new().spki_pin,
    ))
    .expect("policy");
    policy["version"] = 2.into();
    let signed = lb.ws.sign_policy("daily-report-v2", &policy.to_string());
    lb.grant_consent();
    lb.selfreport(&["policy", "install", &signed.to_string_lossy()])
        .success();
    lb.report(0, 0);
    let refused = lb.selfreport(&["sync", "--retry-base", "0"]);
    let line = refused.failure(1, "PinMismatch");
    assert!(
        line.contains(&format!("its pin: {}", lb.spki_pin)),
        "the message names the drop box key's pin: {line}"
    );
    assert!(line.contains("endpoint.spki_sha256"), "{line}");
    assert!(lb.stored_submissions().is_empty(), "nothing may be sent");
    assert_eq!(pending(&lb), 1);
}
