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
        // The father's pre-registration is open intake: the authority sees it as
        // unconfirmed, and only it.
        "sh-arrivals/arrival for",
        ", unconfirmed intake (anyone may file it about anyone; nobody has checked it in person):",
        "What it never received:",
        "notes: 夜里咳了几声，已多喝水 (stayed on the device)",
        "Checked: none of these",
        "none of the 33 values was found",
    ] {
        assert!(out.contains(expected), "missing `{expected}` in:\n{out}");
    }
    assert_eq!(
        out.matches("unconfirmed intake").count(),
        1,
        "only the pre-registration is unconfirmed:\n{out}"
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
