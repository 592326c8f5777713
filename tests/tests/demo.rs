//! `selfreport demo` runs the whole story on loopback from start to end: reports are
//! delivered to in-process drop boxes with verified receipts, no typed value is found at
//! the drop box, in its log or in the store's files, the authority opens conforming
//! submissions and the demo lists what it never received; with `--dir` it leaves its
//! work where it was asked to.

use selfreport_tests::Workspace;

#[test]
fn demo_runs_and_finds_no_typed_value_on_disk() {
    let ws = Workspace::new();
    let dir = ws.path().join("demo");
    let outcome = ws.selfreport_raw(&["demo", "--dir", &dir.to_string_lossy()]);
    let out = outcome.success();
    assert!(
        out.contains("none of the") && out.contains("found"),
        "the demo reports its scan:\n{out}"
    );
    assert!(out.contains("purge"), "{out}");
    for expected in [
        "7 delivered, none to retry, none refused.",
        "Verified: 9 entries, hash chain intact, 7 receipts",
        "none of the 33 values is there",
        "7 submissions, none flagged",
        // Every upload spends a token from the drop box's keys in the signed policy.
        "two upload token keys (RSA blind signatures",
        "POST /v1/tokens 200",
        // The father's pre-registration is open intake until the checkpoint confirms it
        // in person; his daily reports follow under the order bound to it.
        "his phone shows an arrival pass as a QR code",
        "confirm-arrival verified the pass and issued an order bound to that registration: reason arrival, district 310101",
        "His phone scans the order's QR code and enrolls him",
        "林国栋: sh-arrivals, reason arrival, 2026-11-16 to 2026-11-29 (14 days)",
        "sh-arrivals/arrival for 2026-11-15, pseudonym",
        ", confirmed in person at the checkpoint (2026-11-16T04:00:00Z):",
        "What it never received:",
        "notes: 夜里咳了几声，已多喝水 (stayed on the device)",
        "Checked: none of these",
        "none of the 33 values was found",
    ] {
        assert!(out.contains(expected), "missing `{expected}` in:\n{out}");
    }
    assert_eq!(
        out.matches("unconfirmed intake").count(),
        0,
        "the checkpoint confirmed the only pre-registration:\n{out}"
    );
    assert_eq!(
        out.matches(", confirmed in person at the checkpoint")
            .count(),
        4,
        "his pre-registration and his three daily reports share the confirmed pseudonym:\n{out}"
    );
    assert!(
        outcome.stderr.is_empty(),
        "the demo writes nothing to stderr: {}",
        outcome.stderr
    );
    assert!(dir.join("authority").join("signing.pub").is_file());
    assert!(dir.join("authority").join("recipient-health.key").is_file());
    assert!(dir.join("tls").join("ca.pem").is_file());
    assert!(dir.join("dropbox").join("sh-arrivals.db").is_file());
}

#[test]
fn demo_refuses_a_directory_that_already_holds_a_store() {
    let ws = Workspace::new();
    let dir = ws.path().join("demo");
    ws.selfreport_raw(&["demo", "--dir", &dir.to_string_lossy()])
        .success();
    let again = ws.selfreport_raw(&["demo", "--dir", &dir.to_string_lossy()]);
    assert_ne!(again.code, 0);
    assert!(again.stderr.starts_with("error["), "{}", again.stderr);
}
